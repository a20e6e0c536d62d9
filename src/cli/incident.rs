//! `firebreak incident list`: the recorded incidents, most recent first,
//! as a table or JSON.

use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};

use crate::team::db::SharedIncident;
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
    // With a team database: the shared incidents not joined here yet.
    let others: Vec<SharedIncident> = shared(setup)
        .into_iter()
        .filter(|i| !list.iter().any(|s| s.id == i.id))
        .collect();
    match format {
        ListFormat::Json => {
            let mut v: Vec<serde_json::Value> = list.iter().map(to_json).collect();
            v.extend(others.iter().map(|i| {
                serde_json::json!({
                    "id": i.id,
                    "title": i.title,
                    "declared_at": i.declared_at,
                    "declared_by": i.declared_by,
                    "shared": true,
                    "joined": false,
                })
            }));
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        ListFormat::Table if list.is_empty() && others.is_empty() => eprintln!(
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
                    crate::text::visible(&s.incident.title),
                    if s.incident.demo { " [demo]" } else { "" },
                    if s.chain_ok { "" } else { " [JOURNAL DAMAGED]" },
                );
            }
            for i in &others {
                println!(
                    "{:<24} {:<5} {:<14} {:<17} {:>7}  {} [shared by {}: firebreak team join {}]",
                    i.id,
                    "",
                    "not joined",
                    i.declared_at.format("%Y-%m-%d %H:%MZ"),
                    "",
                    crate::text::visible(&i.title),
                    crate::text::visible(&i.declared_by),
                    i.id,
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The team database's incidents, when one is configured and answers (a
/// warning on stderr when it does not: the local list is still right).
fn shared(setup: &Setup<'_>) -> Vec<SharedIncident> {
    let Some(cfg) = &setup.config.team else {
        return Vec::new();
    };
    let fetched = crate::wiring::team_settings(cfg)
        .map_err(anyhow::Error::from)
        .and_then(|s| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let team = crate::team::db::Team::connect(&s).await?;
                team.incidents().await
            })
            .map_err(anyhow::Error::from)
        });
    match fetched {
        Ok(v) => v,
        Err(e) => {
            eprintln!("firebreak: shared incidents not listed: {e:#}");
            Vec::new()
        }
    }
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
