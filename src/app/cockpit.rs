//! The interactive cockpit: resume the open incident, build the world
//! ([`crate::wiring`]), set the state up and run the loop ([`super`]).

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{Local, Offset, Utc};

use super::{self as app, Wiring};
use crate::config::flags::{ActiveWhen, ServiceModes};
use crate::config::keymap::Keymap;
use crate::config::theme::{self, Theme};
use crate::demo::Scenario;
use crate::state::{Level, Notice, ServiceMode, Settings, State};
use crate::timeline::journal;
use crate::wiring::{self, Access, Setup, Want, World};

/// Run the cockpit until the user quits. `theme`: `--theme`, which wins
/// over the config's.
pub fn run(setup: &Setup<'_>, theme: Option<&str>, readonly: bool) -> anyhow::Result<ExitCode> {
    let cfg = setup.config;
    let demo_mode = setup.demo_mode;
    let data_dir = setup.data_dir.as_path();
    wiring::ensure_dir(data_dir)?;
    let _log_guard = init_logging(data_dir);
    tracing::info!(data_dir = %data_dir.display(), demo = demo_mode, "firebreak starting");

    // Resume the open incident of this mode: as its writer, or following
    // the cockpit that writes it.
    let mut notices = Vec::new();
    let holder = wiring::holder(setup, Utc::now());
    let mut opened = app::Opened::default();
    let mut follows = None;
    let replay = match wiring::resume_cockpit(setup, &holder, Utc::now())? {
        Some(Access::Writer(r)) => {
            notices.extend(r.notices);
            opened.journal = Some(r.journal);
            Some(r.replay)
        }
        Some(Access::Follower {
            follower,
            replay,
            holder,
            ..
        }) => {
            opened.follower = Some(follower);
            follows = Some(holder);
            Some(replay)
        }
        None => None,
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
        holder,
        team: None,
        chat: crate::effects::ChatParts {
            channels: cfg.status_updates.channels(),
            policy: cfg.status_updates.policy(),
        },
    };
    let mut wiring = wiring;
    if let (Some(team), false) = (&cfg.team, demo_mode) {
        match wiring::team_settings(team) {
            Ok(settings) => {
                wiring.team = Some(crate::effects::TeamParts {
                    settings,
                    key: setup.config_dir.join("team.key"),
                    responder: wiring.holder.responder.clone(),
                    host: wiring.holder.host.clone(),
                })
            }
            Err(e) => notices.push(format!("team database not used: {e}")),
        }
    }

    let (keymap, km_notice) = Keymap::load(Some(&setup.keymap_path()));
    if let Some(e) = km_notice {
        notices.push(format!("keymap error, using built-in keys: {e}"));
    }
    let theme_name = theme.unwrap_or(&cfg.theme);
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
        // The demo shows the two-person rule on rollbacks (its simulated
        // teammate approves).
        two_person: if demo_mode {
            vec![crate::domain::approvals::Guarded::Rollback]
        } else {
            cfg.team
                .as_ref()
                .map(|t| t.two_person.clone())
                .unwrap_or_default()
        },
        // The demo's first update is due two minutes in (config/updates.rs).
        evidence_settle: cfg.evidence.settle(demo_mode),
        status_updates: crate::state::updates::UpdateSettings {
            cadence: cfg.status_updates.cadence(demo_mode),
            channels: cfg
                .status_updates
                .channels
                .iter()
                .map(|c| c.name.clone())
                .collect(),
        },
    };
    let mut state = State::new(settings, keymap, &theme.name);
    state.team.configured = wiring.team.is_some();
    state.access.readonly = readonly;
    // Playbooks first: replaying the journal attaches runs to them.
    let mut catalog =
        crate::playbook::loader::load_all(&setup.playbook_dirs(), &setup.runbook_dirs());
    if demo_mode {
        let demo = crate::playbook::loader::demo_runbooks();
        catalog.errors.extend(demo.errors);
        for p in demo.playbooks {
            if catalog.get(&p.name).is_none() {
                catalog.playbooks.push(p);
            }
        }
    }
    for e in &catalog.errors {
        notices.push(format!("playbook skipped: {e}"));
    }
    state.playbooks.load(catalog);
    // Silencing preferences: [alertmanager]'s, or the demo's own.
    state.silences.prefs = world.alert_prefs.clone();
    // The demo's own modes unless the config binds some.
    state.flags.service_modes = if demo_mode && cfg.service_modes.bindings().is_empty() {
        service_modes(&scenario.service_modes())
    } else {
        service_modes(&cfg.service_modes)
    };
    if replay.is_none() {
        // Nothing open: the last incident may have been resolved just now.
        if let Some(text) = wiring::previous::resolved_notice(data_dir, demo_mode, now) {
            notices.push(text.clone());
            state.timeline.previous = Some(text);
        }
    }
    if let Some(r) = replay {
        let problems = r.problems.clone();
        state.resume(r.entries, problems);
        if let Some(holder) = follows {
            state.follow(holder);
        } else if let Some(inc) = &state.incident {
            notices.push(format!(
                "Resumed incident {} ({} entries)",
                inc.id,
                state.timeline.entries.len()
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
        let started = app::start(&wiring, state.metrics.window_duration(), opened);
        let mut guard = crate::tui::TerminalGuard::enter()?;
        let result = app::run(&mut guard.terminal, &mut state, theme, started).await;
        drop(guard);
        result
    })?;
    if let (Some(inc), Some(f)) = (&state.incident, &state.access.following) {
        let who = f
            .holder
            .as_ref()
            .map_or_else(|| "another firebreak".to_string(), |h| h.to_string());
        eprintln!(
            "firebreak: followed incident {} read-only ({} writes it; journal in {}).",
            inc.id,
            who,
            journal::incidents_dir(data_dir).display()
        );
    } else if let Some(inc) = &state.incident {
        eprintln!(
            "firebreak: incident {} is {} ({} timeline entries, journal in {}).",
            inc.id,
            inc.status,
            state.timeline.entries.len(),
            journal::incidents_dir(data_dir).display()
        );
    }
    rt.shutdown_timeout(Duration::from_millis(200));
    Ok(ExitCode::SUCCESS)
}

/// The header's service modes (READ-ONLY, MAINTENANCE) from their
/// bindings to flags.
pub fn service_modes(modes: &ServiceModes) -> Vec<ServiceMode> {
    modes
        .bindings()
        .into_iter()
        .map(|(label, b)| ServiceMode {
            label: label.into(),
            provider: b.provider.clone(),
            flag: b.flag.clone(),
            active_when: b.active_when == ActiveWhen::On,
        })
        .collect()
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
