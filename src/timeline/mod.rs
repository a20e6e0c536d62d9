//! The incident timeline: what happened, in order, as evidence.
//!
//! Every entry is one line of an append-only JSON Lines journal
//! ([`journal`]); the incident state is rebuilt by replaying them
//! ([`crate::state::incident::Incident::apply`]); [`export`] turns a journal
//! into a postmortem draft.

pub mod export;
pub mod journal;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::state::incident::{Severity, Status};

/// One recorded entry of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// 1-based position in the journal; gaps mean lost or removed lines.
    pub seq: u64,
    /// When the entry was recorded (UTC, wall clock).
    pub ts: DateTime<Utc>,
    /// Hash of the previous entry (hex SHA-256); all zeros for the first.
    pub prev: String,
    /// Who did it (the configured responder name, or "firebreak" for
    /// things observed automatically).
    pub actor: String,
    /// What happened.
    pub event: Event,
    /// Hash of this entry (hex SHA-256 of the line without this field).
    #[serde(default)]
    pub hash: String,
}

/// Everything that can happen during an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// The incident was opened. Always the first entry of a journal.
    IncidentDeclared {
        id: String,
        title: String,
        severity: Severity,
        #[serde(default)]
        demo: bool,
    },
    TitleChanged {
        title: String,
    },
    SeverityChanged {
        from: Severity,
        to: Severity,
    },
    StatusChanged {
        from: Status,
        to: Status,
    },
    /// The responder said when customer impact began (may be backdated).
    ImpactStarted {
        at: DateTime<Utc>,
    },
    Note {
        text: String,
    },
    AlertFiring {
        fingerprint: String,
        name: String,
        severity: String,
        #[serde(default)]
        summary: String,
        #[serde(default)]
        labels: BTreeMap<String, String>,
        /// When the alert source says it started firing.
        #[serde(default)]
        since: Option<DateTime<Utc>>,
    },
    AlertResolved {
        fingerprint: String,
        name: String,
    },
    /// An action is about to be carried out (recorded before it runs).
    ActionStarted {
        action: String,
        target: String,
        #[serde(default)]
        detail: String,
    },
    /// The outcome of an action recorded with [`Event::ActionStarted`].
    ActionFinished {
        action: String,
        target: String,
        ok: bool,
        #[serde(default)]
        detail: String,
    },
    /// A feature flag was flipped (or a flip was attempted).
    FlagChanged {
        provider: String,
        flag: String,
        before: Option<bool>,
        after: Option<bool>,
        wanted: bool,
        ok: bool,
        #[serde(default)]
        detail: String,
    },
    /// A data source changed health (went down, came back).
    SourceHealth {
        source: String,
        healthy: bool,
        #[serde(default)]
        detail: String,
    },
    /// The postmortem draft was written somewhere.
    Exported {
        format: String,
        path: String,
    },
}

impl Event {
    /// A one-line human description, used by the timeline pane and exports.
    pub fn describe(&self) -> String {
        match self {
            Event::IncidentDeclared {
                title, severity, ..
            } => format!("Incident declared: {title} ({severity})"),
            Event::TitleChanged { title } => format!("Renamed to: {title}"),
            Event::SeverityChanged { from, to } => format!("Severity {from} -> {to}"),
            Event::StatusChanged { from, to } => format!("Status {from} -> {to}"),
            Event::ImpactStarted { at } => {
                format!("Impact started at {}", at.format("%Y-%m-%d %H:%M:%S UTC"))
            }
            Event::Note { text } => format!("Note: {text}"),
            Event::AlertFiring {
                name,
                severity,
                summary,
                ..
            } => {
                if summary.is_empty() {
                    format!("Alert firing: {name} [{severity}]")
                } else {
                    format!("Alert firing: {name} [{severity}] {summary}")
                }
            }
            Event::AlertResolved { name, .. } => format!("Alert resolved: {name}"),
            Event::ActionStarted {
                action,
                target,
                detail,
            } => join_detail(format!("Started {action} {target}"), detail),
            Event::ActionFinished {
                action,
                target,
                ok,
                detail,
            } => join_detail(
                format!(
                    "{} {action} {target}",
                    if *ok { "Succeeded:" } else { "FAILED:" }
                ),
                detail,
            ),
            Event::FlagChanged {
                provider,
                flag,
                before,
                after,
                wanted,
                ok,
                detail,
            } => {
                let state = |v: &Option<bool>| match v {
                    Some(true) => "on",
                    Some(false) => "off",
                    None => "unknown",
                };
                let head = if *ok {
                    format!(
                        "Flag {flag} ({provider}) turned {}: was {}, now {}",
                        on_off(*wanted),
                        state(before),
                        state(after)
                    )
                } else {
                    format!(
                        "FAILED to turn flag {flag} ({provider}) {}: was {}, now {}",
                        on_off(*wanted),
                        state(before),
                        state(after)
                    )
                };
                join_detail(head, detail)
            }
            Event::SourceHealth {
                source,
                healthy,
                detail,
            } => join_detail(
                format!(
                    "Source {source} {}",
                    if *healthy { "recovered" } else { "unreachable" }
                ),
                detail,
            ),
            Event::Exported { format, path } => format!("Exported {format} to {path}"),
        }
    }

    /// A short category used for filtering and the export table.
    pub fn category(&self) -> &'static str {
        match self {
            Event::IncidentDeclared { .. }
            | Event::TitleChanged { .. }
            | Event::SeverityChanged { .. }
            | Event::StatusChanged { .. }
            | Event::ImpactStarted { .. } => "incident",
            Event::Note { .. } => "note",
            Event::AlertFiring { .. } | Event::AlertResolved { .. } => "alert",
            Event::ActionStarted { .. } | Event::ActionFinished { .. } => "action",
            Event::FlagChanged { .. } => "flag",
            Event::SourceHealth { .. } => "source",
            Event::Exported { .. } => "export",
        }
    }
}

fn on_off(v: bool) -> &'static str {
    if v {
        "on"
    } else {
        "off"
    }
}

fn join_detail(head: String, detail: &str) -> String {
    if detail.is_empty() {
        head
    } else {
        format!("{head} ({detail})")
    }
}
