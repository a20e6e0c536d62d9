//! Postmortem drafts from a journal: Markdown (Google SRE book template) and
//! JSON.
//!
//! # JSON schema (`firebreak.incident`, version 1)
//!
//! ```text
//! {
//!   "schema": "firebreak.incident",   // constant, identifies the document
//!   "version": 1,                     // bumped on incompatible changes only
//!   "exported_at": "2024-05-01T15:00:00Z",   // RFC 3339 UTC, when exported
//!   "incident": {                     // the incident as the journal tells it
//!     "id": "inc-20240501-140300",    // journal file stem
//!     "title": "Checkout errors",     // latest title
//!     "severity": "sev2",             // latest: "sev1" (worst) .. "sev4"
//!     "status": "resolved",           // "investigating" | "identified" |
//!                                     //   "monitoring" | "resolved"
//!     "demo": false,                  // recorded in demo mode (nothing real)
//!     "declared_at": "...",           // RFC 3339 UTC; always present
//!     "impact_started": "..." | null, // as the responder said (may be backdated)
//!     "detected_at": "..." | null,    // first alert seen firing
//!     "acknowledged_at": "..." | null,// first human action after declaration
//!     "mitigated_at": "..." | null,   // the mitigation after which alerts resolved, else first monitoring
//!     "resolved_at": "..." | null     // status resolved (null if reopened)
//!   },
//!   "durations_seconds": {            // whole seconds; null when an end is missing
//!     "measured_from": "impact_started" | "declared_at",
//!                                     // the start used below: impact start,
//!                                     //   or declaration when not recorded
//!     "time_to_detect": 120 | null,      // detected_at - start
//!     "time_to_acknowledge": 60 | null,  // acknowledged_at - detected_at
//!     "time_to_mitigate": 900 | null,    // mitigated_at - start
//!     "time_to_resolve": 1800 | null     // resolved_at - start
//!   },
//!   "integrity": {
//!     "chain_ok": true,               // false if any problem below
//!     "problems": [ { "line": 4, "message": "entry was modified: ..." } ],
//!                                     // 1-based journal line numbers
//!     "set_aside": "/path/x.jsonl.torn-..." | null  // torn tail moved here
//!   },
//!   "hypotheses": {                   // quick hypotheses (derived from entries)
//!     "tried": [ { "id": 1, "text": "...", "planned": "...",
//!                  "started_at": "...", "time_box_seconds": 600,
//!                  "extension": {"seconds": 300, "reason": "..."} | null,
//!                  "spent_seconds": 540,
//!                  "outcome": "supported" | "refuted" | "abandoned" | null,
//!                  "outcome_at": "..." | null,
//!                  "override_reason": "..." | null,   // started on the systematic path
//!                  "linked_seqs": [5, 6] } ],         // entries done while it was tested
//!     "systematic": { "at": "...", "reason": "..." } | null
//!   },
//!   "entries": [ ... ]                // every journal entry, in order, exactly
//!                                     //   as in the journal: {seq, ts, prev,
//!                                     //   actor, event: {kind, ...}, hash}
//! }
//! ```
//!
//! Durations may be negative (e.g. an alert that fired before the backdated
//! impact start).

use std::path::Path;

use anyhow::{anyhow, Context as _};
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::journal::{self, Replay};
use crate::domain::incident::Incident;

mod markdown;

pub use markdown::{cell, markdown};

/// The output format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Json,
}

impl Format {
    /// File name extension: `md` or `json`.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Json => "json",
        }
    }
}

/// Render `incident` in `format` (JSON pretty-printed, newline-terminated).
pub fn render(format: Format, incident: &Incident, replay: &Replay, now: DateTime<Utc>) -> String {
    match format {
        Format::Markdown => markdown(incident, replay, now),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&json(incident, replay, now))
                .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
            s.push('\n');
            s
        }
    }
}

/// Export incident `id` (or, for `None`, the most recently active one,
/// open or not) from `data_dir`. Reads the journal without modifying it.
pub fn export_incident(
    data_dir: &Path,
    id: Option<&str>,
    format: Format,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let dir = journal::incidents_dir(data_dir);
    let known = journal::list(data_dir)?;
    let path = match id {
        None => match known.first() {
            Some(s) => s.path.clone(),
            None => return Err(anyhow!("no incidents recorded in {}", dir.display())),
        },
        Some(id) => {
            let path = journal::journal_path(data_dir, id);
            let plain = !id.is_empty() && !id.contains(['/', '\\']) && !id.starts_with('.');
            if !plain || !path.is_file() {
                let ids: Vec<&str> = known.iter().map(|s| s.id.as_str()).collect();
                let known = if ids.is_empty() {
                    "none".to_string()
                } else {
                    ids.join(", ")
                };
                return Err(anyhow!(
                    "no incident '{id}' in {}; known: {known}",
                    dir.display()
                ));
            }
            path
        }
    };
    let replay = journal::read(&path)?;
    let incident = Incident::replay(&replay.entries).with_context(|| {
        format!(
            "{}: does not start with an incident declaration",
            path.display()
        )
    })?;
    Ok(render(format, &incident, &replay, now))
}

/// The key durations, shared by both formats.
struct Durations {
    /// True when impact start was not recorded and declaration is used.
    from_declaration: bool,
    detect: Option<Duration>,
    acknowledge: Option<Duration>,
    mitigate: Option<Duration>,
    resolve: Option<Duration>,
}

fn durations(inc: &Incident) -> Durations {
    let start = inc.t0();
    Durations {
        from_declaration: inc.impact_started.is_none(),
        detect: inc.detected_at.map(|t| t - start),
        acknowledge: inc.acknowledged_at.zip(inc.detected_at).map(|(a, d)| a - d),
        mitigate: inc.mitigated_at.map(|t| t - start),
        resolve: inc.resolved_at.map(|t| t - start),
    }
}

/// The machine-readable export; schema in the module documentation.
pub fn json(incident: &Incident, replay: &Replay, now: DateTime<Utc>) -> Value {
    let d = durations(incident);
    let secs = |d: Option<Duration>| d.map(|d| d.num_seconds());
    json!({
        "schema": "firebreak.incident",
        "version": 1,
        "exported_at": now,
        "incident": {
            "id": incident.id,
            "title": incident.title,
            "severity": incident.severity,
            "status": incident.status,
            "demo": incident.demo,
            "declared_at": incident.declared_at,
            "impact_started": incident.impact_started,
            "detected_at": incident.detected_at,
            "acknowledged_at": incident.acknowledged_at,
            "mitigated_at": incident.mitigated_at,
            "resolved_at": incident.resolved_at,
        },
        "durations_seconds": {
            "measured_from": if d.from_declaration { "declared_at" } else { "impact_started" },
            "time_to_detect": secs(d.detect),
            "time_to_acknowledge": secs(d.acknowledge),
            "time_to_mitigate": secs(d.mitigate),
            "time_to_resolve": secs(d.resolve),
        },
        "integrity": {
            "chain_ok": replay.chain_ok(),
            "problems": replay.problems.iter()
                .map(|p| json!({"line": p.line, "message": p.message}))
                .collect::<Vec<_>>(),
            "set_aside": replay.set_aside.as_ref().map(|p| p.display().to_string()),
        },
        "hypotheses": hypotheses_json(replay, now),
        "entries": replay.entries,
    })
}

/// The `hypotheses` object of the JSON export.
fn hypotheses_json(replay: &Replay, now: DateTime<Utc>) -> Value {
    use crate::domain::hypotheses::{linked, Hypotheses};
    let hyp = Hypotheses::replay(&replay.entries);
    let tried: Vec<Value> = hyp
        .list
        .iter()
        .map(|h| {
            json!({
                "id": h.id,
                "text": h.text,
                "planned": h.planned,
                "started_at": h.started_at,
                "time_box_seconds": h.time_box.num_seconds(),
                "extension": h.extension.as_ref().map(|(d, r)| json!({"seconds": d.num_seconds(), "reason": r})),
                "spent_seconds": h.spent(now).num_seconds(),
                "outcome": h.outcome.as_ref().map(|o| o.0),
                "outcome_at": h.outcome.as_ref().map(|o| o.1),
                "override_reason": h.override_reason,
                "linked_seqs": linked(h, &replay.entries).iter().map(|e| e.seq).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "tried": tried,
        "systematic": hyp.systematic.as_ref().map(|(at, reason)| json!({"at": at, "reason": reason})),
    })
}
