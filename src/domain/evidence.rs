//! Evidence on every mitigation: what the metric panels said at the moment
//! of a flag flip, a rollback or a playbook command marked as mitigation,
//! and again once things settled ("Error ratio 13.9% → 0.4% (5m after)").
//!
//! The readings are taken by the cockpit that writes the journal (it has
//! the panels) and recorded as [`Event::EvidenceRecorded`] entries, one at
//! the action and one after; this module folds them back onto their
//! action, so the timeline, the chart markers and the export show the
//! same pairs, and a restart knows which "after" is still owed.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{Entry, Event};

/// How long after a mitigation its after-reading is taken, unless a
/// verifying check passes first (`[evidence] settle_minutes`).
pub const DEFAULT_SETTLE: Duration = Duration::minutes(5);
/// The demo's: its world recovers within a minute or two.
pub const DEMO_SETTLE: Duration = Duration::minutes(2);

/// Which of the two readings of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// At the moment of the action.
    Before,
    /// After the settling time, or when a verifying check passed.
    After,
}

/// One metric panel's value at a moment, or why it is not known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// The panel's name ("Error ratio").
    pub panel: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit: String,
    /// None: not known; `unknown` says why ("prometheus down").
    pub value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown: Option<String>,
}

impl Reading {
    /// `13.9%`, `850 ms`, or `unknown (prometheus down)`.
    pub fn value_text(&self) -> String {
        match (self.value, &self.unknown) {
            (Some(v), _) => fmt_value(v, &self.unit),
            (None, Some(why)) => format!("unknown ({why})"),
            (None, None) => "unknown".into(),
        }
    }
}

/// A value with its unit as a person reads it: `13.9%`, `850 ms`,
/// `0.002 req/s`.
pub fn fmt_value(v: f64, unit: &str) -> String {
    let n = if v == 0.0 || v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 0.1 {
        format!("{v:.1}")
    } else {
        // Small values keep two significant digits (0.0042), not "0.0".
        let digits = (-v.abs().log10()).ceil() as usize + 1;
        format!("{v:.digits$}")
    };
    match unit {
        "" => n,
        "%" => format!("{n}%"),
        u => format!("{n} {u}"),
    }
}

/// What the panels said at one of the two moments.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The moment the values are of (the action, or the action plus the
    /// settling time), not when they were recorded.
    pub at: DateTime<Utc>,
    pub readings: Vec<Reading>,
    /// "at the action", "5m after", "verified: Error ratio below 1%".
    pub reason: String,
    /// The evidence entry.
    pub seq: u64,
    pub hash: String,
}

/// One mitigation action and its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionEvidence {
    /// The action's entry (the flag change, the rollback's result, the
    /// playbook step's result).
    pub hash: String,
    pub seq: u64,
    /// "flag new-checkout-flow off", "rollback checkout".
    pub what: String,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub before: Option<Snapshot>,
    pub after: Option<Snapshot>,
    /// A verifying check (a playbook's metric query) passed after the
    /// action and before its after-reading: when, and which.
    pub verified: Option<(DateTime<Utc>, String)>,
}

impl ActionEvidence {
    /// "Error ratio 13.9% → 0.4%, p99 latency 850 ms → 120 ms (5m after)";
    /// before the after-reading: "Error ratio 13.9% at the action".
    pub fn summary(&self) -> Option<String> {
        match (&self.before, &self.after) {
            (_, Some(after)) => Some(format!(
                "{} ({})",
                compare(
                    self.before.as_ref().map_or(&[][..], |b| &b.readings),
                    &after.readings
                ),
                after.reason
            )),
            (Some(before), None) => Some(format!("{} at the action", values(&before.readings))),
            (None, None) => None,
        }
    }
}

/// `Error ratio 13.9%, p99 latency 850 ms`.
pub fn values(readings: &[Reading]) -> String {
    if readings.is_empty() {
        return "no metric panels".into();
    }
    readings
        .iter()
        .map(|r| format!("{} {}", r.panel, r.value_text()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `Error ratio 13.9% → 0.4%, p99 latency 850 ms → 120 ms`: each panel of
/// `after` beside its value in `before`.
pub fn compare(before: &[Reading], after: &[Reading]) -> String {
    if after.is_empty() {
        return "no metric panels".into();
    }
    after
        .iter()
        .map(|a| match before.iter().find(|b| b.panel == a.panel) {
            Some(b) => format!("{} {} → {}", a.panel, b.value_text(), a.value_text()),
            None => format!("{} → {}", a.panel, a.value_text()),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The one-line description of an evidence entry (timeline, export).
pub fn describe(e: &Event) -> String {
    match e {
        Event::EvidenceRecorded {
            what,
            phase: Phase::Before,
            readings,
            ..
        } => format!("Evidence at {what}: {}", values(readings)),
        Event::EvidenceRecorded {
            what,
            phase: Phase::After,
            readings,
            before,
            reason,
            ..
        } => format!(
            "Evidence for {what}: {} ({reason})",
            compare(before, readings)
        ),
        _ => String::new(),
    }
}

/// Is this entry a mitigation action that changed something? Returns what
/// it did, in words. A flip that found the flag already so, a failed
/// rollback, a playbook step that only read: none of them.
pub fn mitigation(e: &Entry) -> Option<String> {
    match &e.event {
        Event::FlagChanged {
            flag,
            before,
            after,
            wanted,
            ok: true,
            ..
        } if *after == Some(*wanted) && *before != Some(*wanted) => Some(format!(
            "flag {flag} {}",
            if *wanted { "on" } else { "off" }
        )),
        Event::ActionFinished {
            action,
            target,
            ok: true,
            ..
        } if action == "rollback" => Some(format!("rollback {target}")),
        // Playbook flag steps are mitigations through their FlagChanged.
        Event::StepFinished {
            run_id,
            title,
            step_kind,
            ok: true,
            changed,
            ..
        } if (step_kind == "release" && *changed != Some(false))
            || (step_kind == "command" && *changed == Some(true)) =>
        {
            Some(format!("\"{title}\" [{run_id}]"))
        }
        _ => None,
    }
}

/// Every mitigation action of a journal and its evidence, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    pub actions: Vec<ActionEvidence>,
    /// Where each action's entry (by hash) is in `actions`: looking them
    /// up one by one made replaying 25,000 flag flips take seconds.
    index: HashMap<String, usize>,
}

impl Evidence {
    pub fn replay<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Evidence {
        let mut ev = Evidence::default();
        for e in entries {
            ev.apply(e);
        }
        ev
    }

    pub fn apply(&mut self, e: &Entry) {
        if let Some(what) = mitigation(e) {
            if self.of(&e.hash).is_none() {
                self.index.insert(e.hash.clone(), self.actions.len());
                self.actions.push(ActionEvidence {
                    hash: e.hash.clone(),
                    seq: e.seq,
                    what,
                    at: e.ts,
                    actor: e.actor.clone(),
                    before: None,
                    after: None,
                    verified: None,
                });
            }
            return;
        }
        match &e.event {
            Event::EvidenceRecorded {
                action,
                phase,
                at,
                readings,
                reason,
                ..
            } => {
                let Some(a) = self
                    .index
                    .get(action.as_str())
                    .and_then(|&i| self.actions.get_mut(i))
                else {
                    return;
                };
                let slot = match phase {
                    Phase::Before => &mut a.before,
                    Phase::After => &mut a.after,
                };
                // Recorded once; a second (two windows racing) is ignored.
                if slot.is_none() {
                    *slot = Some(Snapshot {
                        at: *at,
                        readings: readings.clone(),
                        reason: reason.clone(),
                        seq: e.seq,
                        hash: e.hash.clone(),
                    });
                }
            }
            // A playbook's metric check passed: the actions waiting for
            // their after-reading have verified.
            Event::StepFinished {
                step_kind,
                ok: true,
                title,
                ..
            } if step_kind == "query" => {
                for a in &mut self.actions {
                    if a.after.is_none() && a.verified.is_none() && a.at <= e.ts {
                        a.verified = Some((e.ts, title.clone()));
                    }
                }
            }
            _ => {}
        }
    }

    /// The evidence of the action recorded by entry `hash`.
    pub fn of(&self, hash: &str) -> Option<&ActionEvidence> {
        self.index.get(hash).and_then(|&i| self.actions.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn entry(seq: u64, secs: i64, event: Event) -> Entry {
        Entry {
            seq,
            ts: Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap(),
            prev: String::new(),
            actor: "ann".into(),
            event,
            hash: format!("h{seq}"),
        }
    }

    fn flip(before: Option<bool>, after: Option<bool>) -> Event {
        Event::FlagChanged {
            provider: "unleash".into(),
            flag: "new-checkout".into(),
            before,
            after,
            wanted: false,
            ok: true,
            detail: String::new(),
        }
    }

    fn reading(panel: &str, unit: &str, v: Option<f64>) -> Reading {
        Reading {
            panel: panel.into(),
            unit: unit.into(),
            value: v,
            unknown: v.is_none().then(|| "prometheus down".into()),
        }
    }

    #[test]
    fn only_changes_are_mitigations() {
        assert_eq!(
            mitigation(&entry(1, 0, flip(Some(true), Some(false)))).as_deref(),
            Some("flag new-checkout off")
        );
        // Already off: nothing was mitigated.
        assert_eq!(
            mitigation(&entry(1, 0, flip(Some(false), Some(false)))),
            None
        );
        // Read back something else: the flip did not take.
        assert_eq!(mitigation(&entry(1, 0, flip(Some(true), Some(true)))), None);
        let cmd = |changed| Event::StepFinished {
            run_id: "run-1".into(),
            step: 2,
            title: "Drain the bad node".into(),
            step_kind: "command".into(),
            ok: true,
            exit_code: Some(0),
            duration_ms: 5,
            output_tail: String::new(),
            detail: String::new(),
            changed,
        };
        assert!(mitigation(&entry(1, 0, cmd(Some(true)))).is_some());
        assert_eq!(mitigation(&entry(1, 0, cmd(Some(false)))), None);
        assert_eq!(mitigation(&entry(1, 0, cmd(None))), None);
    }

    #[test]
    fn evidence_folds_onto_its_action_once() {
        let before = vec![reading("Error ratio", "%", Some(13.9))];
        let rec = |phase, readings: Vec<Reading>, reason: &str| Event::EvidenceRecorded {
            action: "h1".into(),
            what: "flag new-checkout off".into(),
            phase,
            at: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
            readings,
            before: Vec::new(),
            reason: reason.into(),
        };
        let entries = vec![
            entry(1, 0, flip(Some(true), Some(false))),
            entry(2, 1, rec(Phase::Before, before.clone(), "at the action")),
            entry(
                3,
                300,
                rec(
                    Phase::After,
                    vec![reading("Error ratio", "%", Some(0.4))],
                    "5m after",
                ),
            ),
            entry(
                4,
                301,
                rec(
                    Phase::After,
                    vec![reading("Error ratio", "%", None)],
                    "late",
                ),
            ),
        ];
        let ev = Evidence::replay(&entries);
        let a = ev.of("h1").unwrap();
        assert_eq!(
            a.summary().as_deref(),
            Some("Error ratio 13.9% → 0.4% (5m after)")
        );
        assert_eq!(a.after.as_ref().unwrap().seq, 3);
    }

    #[test]
    fn a_passing_check_verifies_the_waiting_actions() {
        let check = Event::StepFinished {
            run_id: "run-1".into(),
            step: 3,
            title: "Error ratio below 1%".into(),
            step_kind: "query".into(),
            ok: true,
            exit_code: None,
            duration_ms: 0,
            output_tail: String::new(),
            detail: String::new(),
            changed: None,
        };
        let ev = Evidence::replay(&[
            entry(1, 0, flip(Some(true), Some(false))),
            entry(2, 90, check),
        ]);
        let (at, title) = ev.actions[0].verified.clone().unwrap();
        assert_eq!((at - ev.actions[0].at).num_seconds(), 90);
        assert_eq!(title, "Error ratio below 1%");
    }

    #[test]
    fn values_read_as_people_write_them() {
        assert_eq!(fmt_value(13.94, "%"), "13.9%");
        assert_eq!(fmt_value(850.0, "ms"), "850 ms");
        assert_eq!(fmt_value(0.0042, "%"), "0.0042%");
        assert_eq!(fmt_value(0.0, "%"), "0%");
        assert_eq!(
            reading("p99", "ms", None).value_text(),
            "unknown (prometheus down)"
        );
    }
}
