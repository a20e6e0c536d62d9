//! `firebreak timeline export`: an incident as a postmortem draft
//! (Markdown) or JSON, on standard output or into a file.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;
use clap::{Subcommand, ValueEnum};

use crate::timeline::export::{self, Format};
use crate::wiring::Setup;

#[derive(Subcommand, Debug)]
pub enum TimelineCmd {
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

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ExportFormat {
    /// A postmortem draft (the Google SRE template), timeline included
    Markdown,
    /// The stable `firebreak.incident` schema (see the README)
    Json,
}

pub fn run(cmd: TimelineCmd, setup: &Setup<'_>) -> anyhow::Result<ExitCode> {
    let TimelineCmd::Export {
        incident,
        format,
        output,
    } = cmd;
    let format = match format {
        ExportFormat::Markdown => Format::Markdown,
        ExportFormat::Json => Format::Json,
    };
    let (incident, replay, feeds) = export::load(
        &setup.data_dir,
        incident.as_deref(),
        &crate::wiring::shared_part,
    )?;
    let text = export::render_shared(format, &incident, &replay, &feeds, Utc::now());
    // The process ends here: freeing every entry one by one is time the
    // user waits for nothing.
    std::mem::forget((incident, replay));
    match output {
        Some(path) => {
            std::fs::write(&path, text)
                .map_err(|e| anyhow::anyhow!("cannot write the export: {e}: {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `firebreak followups`: the follow-up action items of an incident, for
/// a person (Markdown) or a tool that files tickets (JSON, each with a
/// stable id).
pub fn followups(
    incident: Option<String>,
    format: ExportFormat,
    setup: &Setup<'_>,
) -> anyhow::Result<ExitCode> {
    let (inc, replay, _) = export::load(
        &setup.data_dir,
        incident.as_deref(),
        &crate::wiring::shared_part,
    )?;
    let text = match format {
        ExportFormat::Json => {
            let v = serde_json::json!({
                "schema": "firebreak.follow_ups",
                "version": 1,
                "incident": {"id": inc.id, "title": inc.title},
                "follow_ups": export::follow_ups_json(&replay.entries),
            });
            let mut s = serde_json::to_string_pretty(&v)?;
            s.push('\n');
            s
        }
        ExportFormat::Markdown => {
            let items = crate::domain::followups::follow_ups(&replay.entries);
            let mut s = format!("# Follow-ups: {}\n\n", export::cell(&inc.title));
            if items.is_empty() {
                s.push_str("None captured (in the cockpit: f).\n");
            } else {
                s.push_str("| Action Item | Type | Owner | Due | Id |\n|---|---|---|---|---|\n");
                for f in items {
                    s.push_str(&format!(
                        "| {} | {} | {} | {} | `{}` |\n",
                        export::cell(&f.text),
                        f.kind,
                        f.owner.as_deref().map(export::cell).unwrap_or_default(),
                        f.due.map(|d| d.to_string()).unwrap_or_default(),
                        f.id
                    ));
                }
            }
            crate::text::visible_lines(&s).into_owned()
        }
    };
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
