//! What is about to fire: the alerting rules Prometheus evaluates, their
//! pending alerts (fired once they hold for the rule's `for`), and the
//! rule behind an alert, charted on one key. The keys and messages that
//! change them are in `update.rs`.

mod update;

pub use update::{chart_choice, rule_of_alert};
pub(super) use update::{chose, on_action, on_rules};

use chrono::{DateTime, Utc};

use crate::sources::rules::AlertRule;

/// The rules last read, and how that went.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    pub items: Vec<AlertRule>,
    /// When they were last read.
    pub at: Option<DateTime<Utc>>,
    /// Why the last read failed (the rules read before stay).
    pub error: Option<String>,
    /// Has any source answered at all? (None configured: nothing said.)
    pub polled: bool,
    /// The rule charted in the metrics pane now, by name.
    pub charted: Option<String>,
}

/// One line of the "about to fire" chooser: a pending alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingChoice {
    pub rule: String,
    /// Its labels that are not the rule's own (what tells it apart).
    pub labels: String,
    pub fires_at: Option<DateTime<Utc>>,
    /// The rule's `for`, as written ("10m").
    pub for_text: String,
    pub query: String,
}

impl Rules {
    /// The pending alerts, soonest to fire first.
    pub fn pending(&self) -> Vec<PendingChoice> {
        crate::sources::rules::pending(&self.items)
            .into_iter()
            .map(|p| PendingChoice {
                rule: p.rule.name.clone(),
                labels: p
                    .alert
                    .labels
                    .iter()
                    .filter(|(k, _)| k.as_str() != "alertname" && !p.rule.labels.contains_key(*k))
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" "),
                fires_at: p.fires_at,
                for_text: crate::sources::rules::for_text(p.rule.for_secs),
                query: p.rule.query.clone(),
            })
            .collect()
    }
}

/// "fires in 7m12s", "due now" (its `for` has passed: the next
/// evaluation fires it), or "fires after <for>" when Prometheus did not say
/// since when.
pub fn fires_in(p: &PendingChoice, now: DateTime<Utc>) -> String {
    match p.fires_at {
        Some(t) if t > now => format!(
            "fires in {}",
            crate::sources::silence::format_duration(t - now)
        ),
        Some(_) => "due now".into(),
        None => format!("fires after {}", p.for_text),
    }
}
