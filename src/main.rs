//! firebreak: the command line (clap) and dispatch. With no subcommand,
//! the interactive cockpit; each command lives in `cli/`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use firebreak::cli;
use firebreak::config::{self, Dirs};
use firebreak::wiring::Setup;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Watch and add notes only: never flip flags, silence alerts, roll
    /// back or run playbook steps (also while you hold the observer role)
    #[arg(long)]
    readonly: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Work with incident timelines
    Timeline {
        #[command(subcommand)]
        command: cli::timeline::TimelineCmd,
    },
    /// The follow-up action items captured during an incident (`f` in the
    /// cockpit), as Markdown or as JSON for a tool that files tickets
    Followups {
        /// Incident id [default: the most recently active incident]
        #[arg(long)]
        incident: Option<String>,
        /// Output format
        #[arg(long, short = 'f', value_enum, default_value_t = cli::timeline::ExportFormat::Markdown)]
        format: cli::timeline::ExportFormat,
    },
    /// Recorded incidents
    Incident {
        #[command(subcommand)]
        command: cli::incident::IncidentCmd,
    },
    /// Read or flip feature flags (Unleash, flagd files, the demo) headless
    Flag {
        #[command(subcommand)]
        command: cli::flag::FlagCmd,
    },
    /// Add a note to the open incident's timeline (a cockpit showing it
    /// sees it within a second)
    Note {
        /// The incident [default: the open one]
        #[arg(long)]
        incident: Option<String>,
        /// The note (several words are joined with spaces)
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// Write a status update (pre-filled from the journal), record it and
    /// send it to the chat channels ([[status_updates.channels]]); prints
    /// each channel's outcome, exits 1 if one failed
    Update(cli::update::UpdateArgs),
    /// Two-person rule: list what waits for a second responder's approval,
    /// or approve one request by its id (e.g. alice/1); the requester's
    /// cockpit then carries it out
    Approve {
        /// The incident [default: the open one]
        #[arg(long)]
        incident: Option<String>,
        /// The request to approve [default: list them]
        id: Option<String>,
    },
    /// Print the current alerts from Alertmanager (HA members deduplicated);
    /// `alerts route` tells who gets paged
    Alerts(cli::alerts::AlertsArgs),
    /// Run a PromQL query (instant, or --range) against Prometheus
    Query(cli::query::QueryArgs),
    /// Create, acknowledge, list and expire Alertmanager silences
    Silence {
        #[command(subcommand)]
        command: cli::silence::SilenceCmd,
    },
    /// List, show, validate and run playbooks (headless)
    Playbook {
        #[command(subcommand)]
        command: cli::playbook::PlaybookCmd,
    },
    /// The team database incidents are shared through (PostgreSQL)
    Team {
        #[command(subcommand)]
        command: cli::team::TeamCmd,
    },
    /// Print the key bindings (built-in + your keymap) and every action name
    Keys,
    /// Check the config file, keymap and theme; exit non-zero on errors
    Check,
    /// Print shell completions
    Completions {
        /// The shell to print completions for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
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
    let setup = Setup::new(&loaded, cli.data_dir, cli.demo, &dirs);
    let theme = cli.theme.as_deref();
    let cfg = setup.config;
    match cli.command {
        None => firebreak::app::cockpit::run(&setup, theme, cli.readonly),
        Some(Command::Timeline { command }) => cli::timeline::run(command, &setup),
        Some(Command::Followups { incident, format }) => {
            cli::timeline::followups(incident, format, &setup)
        }
        Some(Command::Incident { command }) => cli::incident::run(command, &setup),
        Some(Command::Flag { command }) => cli::flag::run(command, &setup),
        Some(Command::Alerts(args)) => cli::alerts::run(&args, cfg),
        Some(Command::Query(args)) => cli::query::run(&args, cfg),
        Some(Command::Note { incident, text }) => {
            cli::record::note(incident.as_deref(), &text, &setup)
        }
        Some(Command::Update(args)) => cli::update::run(&args, &setup),
        Some(Command::Approve { incident, id }) => {
            cli::approve::run(incident.as_deref(), id.as_deref(), &setup)
        }
        Some(Command::Silence { command }) => cli::silence::run(&command, &setup),
        Some(Command::Playbook { command }) => cli::playbook::run(command, &setup),
        Some(Command::Team { command }) => cli::team::run(command, &setup),
        Some(Command::Keys) => cli::keys::run(&setup),
        Some(Command::Check) => cli::check::run(&setup, theme),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every argument of every (sub)command, with the path to it, that has
    /// no help text.
    fn undocumented(cmd: &clap::Command, path: &str, out: &mut Vec<String>) {
        for a in cmd.get_arguments() {
            let id = a.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
            if help.trim().is_empty() {
                out.push(format!("{path} <{id}>"));
            }
            // The values of a choice (`--format table|json`) say what
            // each gives; shell names speak for themselves.
            if id != "shell" && a.get_action().takes_values() {
                for v in a.get_possible_values() {
                    if v.get_help().is_none() && !v.is_hide_set() {
                        out.push(format!("{path} <{id}> value `{}`", v.get_name()));
                    }
                }
            }
        }
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            if sub.get_about().is_none() {
                out.push(format!("{path} {} (the command itself)", sub.get_name()));
            }
            undocumented(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }

    #[test]
    fn every_argument_of_every_command_has_help_text() {
        let mut missing = Vec::new();
        undocumented(&Cli::command(), "firebreak", &mut missing);
        assert!(
            missing.is_empty(),
            "no help text for:\n{}",
            missing.join("\n")
        );
    }
}
