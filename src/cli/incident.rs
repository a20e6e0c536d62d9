//! `firebreak incident list`: the recorded incidents, most recent first,
//! as a table or JSON.

use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};

use crate::timeline::journal::{self, IncidentSummary};
use crate::wiring::Setup;

#[derive(Subcommand, Debug)]
pub enum IncidentCmd {
    /// List recorded incidents, most recent first
    List {
        /// Output format
        #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ListFormat {
    /// One line per incident: id, severity, status, last activity, entries, title
    Table,
    /// An array of incident summaries (for scripts)
    Json,
}

pub fn run(cmd: IncidentCmd, setup: &Setup<'_>) -> anyhow::Result<ExitCode> {
    let IncidentCmd::List { format } = cmd;
    let list = journal::list(&setup.data_dir)?;
    match format {
        ListFormat::Json => {
            let v: Vec<serde_json::Value> = list.iter().map(to_json).collect();
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        ListFormat::Table if list.is_empty() => eprintln!(
            "no incidents recorded in {}",
            journal::incidents_dir(&setup.data_dir).display()
        ),
        ListFormat::Table => {
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
    Ok(ExitCode::SUCCESS)
}

fn to_json(s: &IncidentSummary) -> serde_json::Value {
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
}
