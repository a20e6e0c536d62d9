//! firebreak: command line. With no subcommand, the interactive cockpit.

use std::io::Write;
use std::path::Path;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{Local, Offset, Utc};
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use firebreak::app::{self, Wiring};
use firebreak::config::flags::ActiveWhen;
use firebreak::config::keymap::Keymap;
use firebreak::config::theme::{self, Theme};
use firebreak::config::{self, Dirs};
use firebreak::demo::Scenario;
use firebreak::state::{Level, Notice, ServiceMode, Settings, State};
use firebreak::timeline::export::{self, Format};
use firebreak::timeline::journal;
use firebreak::wiring::{self, Setup, Want, World};

/// A calm terminal cockpit for the on-call engineer in the middle of an
/// outage: alerts, metrics, flags, playbooks and a timeline that is never
/// lost. With no configuration it runs a built-in demo incident.
#[derive(Parser, Debug)]
#[command(name = "firebreak", version, about, long_about = None)]
struct Cli {
    /// Configuration file [default: $XDG_CONFIG_HOME/firebreak/config.toml]
    #[arg(long, env = "FIREBREAK_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Where journals, logs and exports live [default: $XDG_STATE_HOME/firebreak]
    #[arg(long, env = "FIREBREAK_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// Colour theme (dark, light, high-contrast, or a user theme name)
    #[arg(long)]
    theme: Option<String>,
    /// Run the built-in demo incident even if a config file exists
    #[arg(long)]
    demo: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Work with incident timelines
    Timeline {
        #[command(subcommand)]
        command: TimelineCmd,
    },
    /// Recorded incidents
    Incident {
        #[command(subcommand)]
        command: IncidentCmd,
    },
    /// Read or flip feature flags (Unleash, flagd files, the demo) headless
    Flag {
        #[command(subcommand)]
        command: firebreak::cli::flag::FlagCmd,
    },
    /// Print the current alerts from Alertmanager (HA members deduplicated)
    Alerts(firebreak::cli::alerts::AlertsArgs),
    /// Run a PromQL query (instant, or --range) against Prometheus
    Query(firebreak::cli::query::QueryArgs),
    /// Create, acknowledge, list and expire Alertmanager silences
    Silence {
        #[command(subcommand)]
        command: firebreak::cli::silence::SilenceCmd,
    },
    /// List, show, validate and run playbooks (headless)
    Playbook {
        #[command(subcommand)]
        command: firebreak::cli::playbook::PlaybookCmd,
    },
    /// Print the key bindings (built-in + your keymap) and every action name
    Keys,
    /// Check the config file, keymap and theme; exit non-zero on errors
    Check,
    /// Print shell completions
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand, Debug)]
enum TimelineCmd {
    /// Export an incident as a postmortem draft (Markdown) or JSON
    Export {
        /// Incident id [default: the most recently active incident]
        #[arg(long)]
        incident: Option<String>,
        /// Output format
        #[arg(long, short = 'f', value_enum, default_value_t = ExportFormat::Markdown)]
        format: ExportFormat,
        /// Write to FILE instead of standard output
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum IncidentCmd {
    /// List recorded incidents, most recent first
    List {
        #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum ExportFormat {
    Markdown,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum ListFormat {
    Table,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.command.is_some() {
        // Headless output piped into `head` and the like: end quietly when
        // the reader goes away, as command-line tools do.
        // SAFETY: restoring the default disposition of SIGPIPE at start-up,
        // before any thread exists.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("firebreak: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let dirs = Dirs::discover();
    let loaded = config::load(cli.config.as_deref(), &dirs).map_err(|e| anyhow::anyhow!("{e}"))?;
    let setup = Setup::new(&loaded, cli.data_dir.clone(), cli.demo, &dirs);
    let cfg = setup.config;
    let data_dir = setup.data_dir.as_path();
    let config_dir = setup.config_dir.as_path();

    match cli.command {
        None => interactive(&cli, &setup),
        Some(Command::Timeline {
            command:
                TimelineCmd::Export {
                    incident,
                    format,
                    output,
                },
        }) => {
            let format = match format {
                ExportFormat::Markdown => Format::Markdown,
                ExportFormat::Json => Format::Json,
            };
            let text = export::export_incident(data_dir, incident.as_deref(), format, Utc::now())?;
            match output {
                Some(path) => {
                    std::fs::write(&path, text)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                    eprintln!("wrote {}", path.display());
                }
                None => std::io::stdout().write_all(text.as_bytes())?,
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Incident {
            command: IncidentCmd::List { format },
        }) => {
            let list = journal::list(data_dir)?;
            match format {
                ListFormat::Json => {
                    let v: Vec<serde_json::Value> = list
                        .iter()
                        .map(|s| {
                            serde_json::json!({
                                "id": s.id,
                                "title": s.incident.title,
                                "severity": s.incident.severity,
                                "status": s.incident.status,
                                "demo": s.incident.demo,
                                "declared_at": s.incident.declared_at,
                                "last_activity": s.last_ts,
                                "entries": s.entries,
                                "chain_ok": s.chain_ok,
                                "path": s.path,
                            })
                        })
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&v)?);
                }
                ListFormat::Table => {
                    if list.is_empty() {
                        eprintln!(
                            "no incidents recorded in {}",
                            journal::incidents_dir(data_dir).display()
                        );
                    } else {
                        println!(
                            "{:<24} {:<5} {:<14} {:<17} {:>7}  TITLE",
                            "ID", "SEV", "STATUS", "LAST ACTIVITY", "ENTRIES"
                        );
                        for s in list {
                            println!(
                                "{:<24} {:<5} {:<14} {:<17} {:>7}  {}{}{}",
                                s.id,
                                s.incident.severity.label(),
                                s.incident.status.label(),
                                s.last_ts.format("%Y-%m-%d %H:%MZ"),
                                s.entries,
                                s.incident.title,
                                if s.incident.demo { " [demo]" } else { "" },
                                if s.chain_ok { "" } else { " [JOURNAL DAMAGED]" },
                            );
                        }
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Flag { command }) => firebreak::cli::flag::run(command, &setup),
        Some(Command::Alerts(args)) => firebreak::cli::alerts::run(&args, cfg),
        Some(Command::Query(args)) => firebreak::cli::query::run(&args, cfg),
        Some(Command::Silence { command }) => firebreak::cli::silence::run(&command, cfg),
        Some(Command::Playbook { command }) => firebreak::cli::playbook::run(command, &setup),
        Some(Command::Keys) => {
            let (km, notice) = Keymap::load(Some(&setup.keymap_path()));
            if let Some(n) = notice {
                eprintln!("firebreak: {n} (showing the built-in keymap)");
            }
            println!("{:<20} {:<22} DESCRIPTION", "KEYS", "ACTION");
            for a in firebreak::action::Action::ALL {
                println!(
                    "{:<20} {:<22} {}",
                    km.keys_for(*a).join(" "),
                    a.name(),
                    a.description()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Check) => {
            let mut ok = true;
            match setup.config_path {
                Some(p) => println!("config   {}: ok", p.display()),
                None => println!("config   none (built-in demo defaults)"),
            }
            let kp = setup.keymap_path();
            match Keymap::load(Some(&kp)) {
                (_, Some(e)) => {
                    ok = false;
                    println!("keymap   {e}");
                }
                (_, None) => println!(
                    "keymap   {}: ok",
                    if kp.exists() {
                        kp.display().to_string()
                    } else {
                        "built-in".into()
                    }
                ),
            }
            let name = cli.theme.clone().unwrap_or_else(|| cfg.theme.clone());
            match Theme::load(&name, Some(&setup.themes_dir()), false) {
                (_, Some(n)) => {
                    ok = false;
                    println!("theme    {n}");
                }
                (t, None) => println!("theme    {}: ok", t.name),
            }
            for (good, line) in firebreak::cli::flag::check(cfg, config_dir) {
                ok &= good;
                println!("flags    {line}");
            }
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        Some(Command::Completions { shell }) => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "firebreak",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn interactive(cli: &Cli, setup: &Setup<'_>) -> anyhow::Result<ExitCode> {
    let cfg = setup.config;
    let demo_mode = setup.demo_mode;
    let data_dir = setup.data_dir.as_path();
    wiring::ensure_dir(data_dir)?;
    let _log_guard = init_logging(data_dir);
    tracing::info!(data_dir = %data_dir.display(), demo = demo_mode, "firebreak starting");

    // Resume the open incident of this mode.
    let mut notices = Vec::new();
    let (journal, replay) = match wiring::resume(setup, Utc::now())? {
        Some(r) => {
            notices.extend(r.notices);
            (Some(r.journal), Some(r.replay))
        }
        None => (None, None),
    };

    let scenario = Scenario::builtin()?;
    let now = Utc::now();
    let want = Want {
        // A resumed demo incident keeps its world; a new one starts fresh.
        fresh_demo: replay.is_none(),
        polled_sources: true,
    };
    let world = World::build(setup, want, now)?;
    notices.extend(world.notices.iter().cloned());
    let wiring = Wiring {
        data_dir: data_dir.to_path_buf(),
        export_dir: setup.export_dir(),
        poll_interval: Duration::from_secs(cfg.poll_interval_secs),
        user_theme_dir: Some(setup.themes_dir()),
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        world,
    };

    let (keymap, km_notice) = Keymap::load(Some(&setup.keymap_path()));
    if let Some(e) = km_notice {
        notices.push(format!("keymap error, using built-in keys: {e}"));
    }
    let theme_name = cli.theme.as_deref().unwrap_or(&cfg.theme);
    let (theme, th_notice) = Theme::load(
        theme_name,
        wiring.user_theme_dir.as_deref(),
        wiring.no_color,
    );
    if let Some(n) = th_notice {
        notices.push(n);
    }
    let responder = wiring::responder(cfg);
    if responder.is_none() && !demo_mode {
        notices.push(
            "Your entries are signed `responder`: set `responder = \"your name\"` in the config"
                .into(),
        );
    }
    let world = &wiring.world;
    let settings = Settings {
        demo: demo_mode,
        responder: responder.unwrap_or_else(|| wiring::UNNAMED_RESPONDER.into()),
        default_severity: if demo_mode {
            scenario.incident.severity
        } else {
            cfg.incident.default_severity
        },
        demo_title: Some(scenario.incident.title.clone()),
        local_offset: Local::now().offset().fix(),
        themes: theme::BUILTIN.iter().map(|(n, _)| n.to_string()).collect(),
        alerts_configured: !world.alert_sources.is_empty(),
        metrics_configured: !world.metric_sources.is_empty(),
        flags_configured: !world.flag_providers.is_empty(),
        poll_interval: chrono::Duration::from_std(wiring.poll_interval)
            .unwrap_or(chrono::Duration::seconds(5)),
        can_rollback: world.release.is_some(),
        timebox: cfg.hypotheses.timebox(demo_mode),
    };
    let mut state = State::new(settings, keymap, &theme.name);
    // Playbooks first: replaying the journal attaches runs to them.
    let catalog = firebreak::playbook::loader::load_all(&setup.playbook_dirs());
    for e in &catalog.errors {
        notices.push(format!("playbook skipped: {e}"));
    }
    state.playbooks.load(catalog);
    if !demo_mode {
        state.alert_prefs = world.alert_prefs.clone();
    }
    state.service_modes = cfg
        .service_modes
        .bindings()
        .into_iter()
        .map(|(label, b)| ServiceMode {
            label: label.into(),
            provider: b.provider.clone(),
            flag: b.flag.clone(),
            active_when: b.active_when == ActiveWhen::On,
        })
        .collect();
    if let Some(r) = replay {
        let problems = r.problems.clone();
        state.resume(r.entries, problems);
        if let Some(inc) = &state.incident {
            notices.push(format!(
                "Resumed incident {} ({} entries)",
                inc.id,
                state.timeline.len()
            ));
        }
    }
    if !notices.is_empty() {
        for n in &notices {
            tracing::warn!("{n}");
        }
        state.notice = Some(Notice {
            level: Level::Warning,
            text: notices.join(" · "),
            at: now,
        });
    }

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let started = app::start(&wiring, state.window_duration(), journal);
        let mut guard = firebreak::tui::TerminalGuard::enter()?;
        let result = app::run(&mut guard.terminal, &mut state, theme, started).await;
        drop(guard);
        result
    })?;
    if let Some(inc) = &state.incident {
        eprintln!(
            "firebreak: incident {} is {} ({} timeline entries, journal in {}).",
            inc.id,
            inc.status,
            state.timeline.len(),
            journal::incidents_dir(data_dir).display()
        );
    }
    rt.shutdown_timeout(Duration::from_millis(200));
    Ok(ExitCode::SUCCESS)
}

/// Log to `<data_dir>/firebreak.log`, never to the terminal.
fn init_logging(data_dir: &Path) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    // The log may name hosts and flags: readable by its owner only.
    {
        use std::os::unix::fs::OpenOptionsExt;
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(data_dir.join("firebreak.log"));
    }
    let appender = tracing_appender::rolling::never(data_dir, "firebreak.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("FIREBREAK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}
