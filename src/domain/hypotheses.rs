//! Time-boxed quick hypotheses, then the systematic path.
//!
//! Everything here is derived from the journal (so a time box that ran out
//! while firebreak was closed shows as expired on restart), and the
//! decisions are pure functions of that record and `now`.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{Entry, Event};

/// How a hypothesis ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// It held: keep going (often: mitigated).
    Supported,
    /// It was wrong; kept as knowledge.
    Refuted,
    /// Dropped without an answer.
    Abandoned,
}

impl Outcome {
    pub const ALL: [Outcome; 3] = [Outcome::Supported, Outcome::Refuted, Outcome::Abandoned];

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Supported => "supported",
            Outcome::Refuted => "refuted",
            Outcome::Abandoned => "abandoned",
        }
    }

    pub fn meaning(self) -> &'static str {
        match self {
            Outcome::Supported => "it held: keep going / mitigated",
            Outcome::Refuted => "it was wrong (kept as knowledge)",
            Outcome::Abandoned => "dropped without an answer",
        }
    }
}

/// The quick-phase rules (from config).
#[derive(Debug, Clone, PartialEq)]
pub struct Timebox {
    pub default_box: Duration,
    pub max_quick: u32,
    pub budget: Duration,
    pub extension: Duration,
}

impl Default for Timebox {
    fn default() -> Self {
        Timebox {
            default_box: Duration::minutes(10),
            max_quick: 2,
            budget: Duration::minutes(20),
            extension: Duration::minutes(5),
        }
    }
}

impl Timebox {
    /// Short boxes for the demo, so a newcomer sees the switch in minutes.
    pub fn demo() -> Timebox {
        Timebox {
            default_box: Duration::seconds(90),
            max_quick: 2,
            budget: Duration::minutes(4),
            extension: Duration::seconds(60),
        }
    }
}

/// One hypothesis as the journal tells it.
#[derive(Debug, Clone, PartialEq)]
pub struct Hypothesis {
    pub id: u32,
    /// Who started it (the entry's author): with a team, ids are numbered
    /// per incident but two responders offline may pick the same one.
    pub by: String,
    pub text: String,
    pub planned: String,
    pub started_at: DateTime<Utc>,
    pub time_box: Duration,
    /// (extra time, reason): at most one, and visibly an exception.
    pub extension: Option<(Duration, String)>,
    pub outcome: Option<(Outcome, DateTime<Utc>, String)>,
    /// Started on the systematic path with an explicit override.
    pub override_reason: Option<String>,
}

impl Hypothesis {
    pub fn deadline(&self) -> DateTime<Utc> {
        self.started_at + self.time_box + self.extension.as_ref().map_or(Duration::zero(), |e| e.0)
    }

    pub fn is_active(&self) -> bool {
        self.outcome.is_none()
    }

    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.is_active() && now >= self.deadline()
    }

    /// Time actually spent: start to outcome (or now).
    pub fn spent(&self, now: DateTime<Utc>) -> Duration {
        let end = self.outcome.as_ref().map_or(now, |o| o.1);
        (end - self.started_at).max(Duration::zero())
    }

    /// "H2", or "H2 (bob)" when it is another responder's.
    pub fn label(&self, me: &str) -> String {
        if self.by == me || self.by.is_empty() {
            format!("H{}", self.id)
        } else {
            format!("H{} ({})", self.id, self.by)
        }
    }

    /// What `HypothesisExtended` / `HypothesisClosed` say of whose it is,
    /// recorded by `me`.
    pub fn whose(&self, me: &str) -> Option<String> {
        (self.by != me).then(|| self.by.clone())
    }

    /// Whether `at` falls inside this hypothesis's working window.
    pub fn covers(&self, at: DateTime<Utc>) -> bool {
        at >= self.started_at && self.outcome.as_ref().is_none_or(|o| at <= o.1)
    }
}

/// All hypotheses of the incident and the phase it is in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hypotheses {
    pub list: Vec<Hypothesis>,
    /// When and why the response moved onto the systematic path.
    pub systematic: Option<(DateTime<Utc>, String)>,
}

impl Hypotheses {
    pub fn replay(entries: &[Entry]) -> Hypotheses {
        let mut h = Hypotheses::default();
        for e in entries {
            h.apply(e);
        }
        h
    }

    pub fn apply(&mut self, entry: &Entry) {
        match &entry.event {
            Event::HypothesisStarted {
                id,
                text,
                planned,
                box_secs,
                override_reason,
            } => self.list.push(Hypothesis {
                id: *id,
                by: entry.actor.clone(),
                text: text.clone(),
                planned: planned.clone(),
                started_at: entry.ts,
                time_box: Duration::seconds(*box_secs),
                extension: None,
                outcome: None,
                override_reason: override_reason.clone(),
            }),
            Event::HypothesisExtended {
                id,
                extra_secs,
                reason,
                by,
            } => {
                if let Some(h) = self.get_mut(by.as_deref().unwrap_or(&entry.actor), *id) {
                    if h.extension.is_none() {
                        h.extension = Some((Duration::seconds(*extra_secs), reason.clone()));
                    }
                }
            }
            Event::HypothesisClosed {
                id,
                outcome,
                note,
                by,
            } => {
                if let Some(h) = self.get_mut(by.as_deref().unwrap_or(&entry.actor), *id) {
                    // The first outcome stands (two responders closing
                    // it at once: the team's order decides).
                    if h.outcome.is_none() {
                        h.outcome = Some((*outcome, entry.ts, note.clone()));
                    }
                }
            }
            Event::SystematicPath { reason } if self.systematic.is_none() => {
                self.systematic = Some((entry.ts, reason.clone()));
            }
            _ => {}
        }
    }

    fn get_mut(&mut self, by: &str, id: u32) -> Option<&mut Hypothesis> {
        self.list.iter_mut().find(|h| h.id == id && h.by == by)
    }

    pub fn active(&self) -> Option<&Hypothesis> {
        self.list.iter().rev().find(|h| h.is_active())
    }

    pub fn next_id(&self) -> u32 {
        self.list.iter().map(|h| h.id).max().unwrap_or(0) + 1
    }

    /// Hypotheses of the quick phase (not the overrides).
    pub fn quick(&self) -> impl Iterator<Item = &Hypothesis> {
        self.list.iter().filter(|h| h.override_reason.is_none())
    }

    pub fn quick_count(&self) -> u32 {
        self.quick().count() as u32
    }

    /// Time the incident spent on quick hypotheses: one budget per
    /// incident, so two responders testing ideas at the same time spend
    /// it once (the union of their windows), not twice.
    pub fn quick_spent(&self, now: DateTime<Utc>) -> Duration {
        let mut windows: Vec<(DateTime<Utc>, DateTime<Utc>)> = self
            .quick()
            .map(|h| (h.started_at, h.started_at + h.spent(now)))
            .collect();
        windows.sort();
        let mut total = Duration::zero();
        let mut open: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
        for (s, e) in windows {
            open = match open {
                Some((os, oe)) if s <= oe => Some((os, oe.max(e))),
                Some((os, oe)) => {
                    total += oe - os;
                    Some((s, e))
                }
                None => Some((s, e)),
            };
        }
        if let Some((os, oe)) = open {
            total += oe - os;
        }
        total
    }

    /// Why the quick phase is over, if it is (and nothing is being tested).
    pub fn budget_spent(&self, rules: &Timebox, now: DateTime<Utc>) -> Option<String> {
        if self.systematic.is_some() || self.active().is_some() {
            return None;
        }
        let n = self.quick_count();
        let spent = self.quick_spent(now);
        if n >= rules.max_quick {
            Some(format!(
                "quick-phase budget spent: {n} of {} quick hypotheses tried",
                rules.max_quick
            ))
        } else if spent >= rules.budget && n > 0 {
            Some(format!(
                "quick-phase budget spent: {} of {} used",
                super::incident::fmt_duration(spent),
                super::incident::fmt_duration(rules.budget)
            ))
        } else {
            None
        }
    }

    /// The hypothesis whose window holds `at` (for linking timeline entries).
    pub fn covering(&self, at: DateTime<Utc>) -> Option<&Hypothesis> {
        self.list.iter().rev().find(|h| h.covers(at))
    }
}

/// Timeline entries linked to hypothesis `h`: what was done while it was
/// being tested (actions, flags, playbook steps, notes).
pub fn linked<'a>(h: &Hypothesis, entries: &'a [Entry]) -> Vec<&'a Entry> {
    entries
        .iter()
        .filter(|e| h.covers(e.ts))
        .filter(|e| matches!(e.event.category(), "action" | "flag" | "playbook" | "note"))
        .collect()
}

/// " (bob's)" for another responder's hypothesis.
fn whose(by: &Option<String>) -> String {
    by.as_ref().map(|b| format!(" ({b}'s)")).unwrap_or_default()
}

/// Text for the hypothesis events (used by `Event::describe`).
pub fn describe(e: &Event) -> String {
    use super::incident::fmt_duration;
    match e {
        Event::HypothesisStarted {
            id,
            text,
            planned,
            box_secs,
            override_reason,
        } => {
            let mut s = format!(
                "Hypothesis H{id}: {text} (time box {})",
                fmt_duration(Duration::seconds(*box_secs))
            );
            if !planned.is_empty() {
                s.push_str(&format!("; quick action: {planned}"));
            }
            if let Some(r) = override_reason {
                s.push_str(&format!("; OVERRIDE of the systematic path: {r}"));
            }
            s
        }
        Event::HypothesisExtended {
            id,
            extra_secs,
            reason,
            by,
        } => format!(
            "EXCEPTION: H{id}{} time box extended by {} because: {reason}",
            whose(by),
            fmt_duration(Duration::seconds(*extra_secs))
        ),
        Event::HypothesisClosed {
            id,
            outcome,
            note,
            by,
        } => {
            if note.is_empty() {
                format!("H{id}{} {}", whose(by), outcome.label())
            } else {
                format!("H{id}{} {}: {note}", whose(by), outcome.label())
            }
        }
        Event::SystematicPath { reason } => format!("Switched to the SYSTEMATIC path: {reason}"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    fn entry(s: i64, event: Event) -> Entry {
        Entry {
            seq: 0,
            ts: at(s),
            prev: String::new(),
            actor: "a".into(),
            event,
            hash: String::new(),
        }
    }

    fn start(id: u32, s: i64) -> Entry {
        entry(
            s,
            Event::HypothesisStarted {
                id,
                text: format!("h{id}"),
                planned: String::new(),
                box_secs: 600,
                override_reason: None,
            },
        )
    }

    #[test]
    fn deadlines_extensions_and_budget() {
        let rules = Timebox::default();
        let mut h = Hypotheses::default();
        h.apply(&start(1, 0));
        assert!(!h.list[0].expired(at(599)));
        assert!(h.list[0].expired(at(600)));
        h.apply(&entry(
            610,
            Event::HypothesisExtended {
                id: 1,
                extra_secs: 300,
                reason: "almost".into(),
                by: None,
            },
        ));
        assert!(!h.list[0].expired(at(899)));
        assert!(
            h.budget_spent(&rules, at(2000)).is_none(),
            "one still active"
        );
        h.apply(&entry(
            900,
            Event::HypothesisClosed {
                id: 1,
                outcome: Outcome::Refuted,
                note: String::new(),
                by: None,
            },
        ));
        assert_eq!(h.list[0].spent(at(5000)), Duration::seconds(900));
        assert!(
            h.budget_spent(&rules, at(901)).is_none(),
            "15m of 20m, 1 of 2"
        );
        h.apply(&start(2, 1000));
        h.apply(&entry(
            1100,
            Event::HypothesisClosed {
                id: 2,
                outcome: Outcome::Refuted,
                note: String::new(),
                by: None,
            },
        ));
        assert!(h.budget_spent(&rules, at(1101)).unwrap().contains("2 of 2"));
        h.apply(&entry(
            1101,
            Event::SystematicPath {
                reason: "budget".into(),
            },
        ));
        assert!(
            h.budget_spent(&rules, at(1102)).is_none(),
            "already switched"
        );
    }

    #[test]
    fn time_budget_alone_ends_the_quick_phase() {
        let rules = Timebox {
            max_quick: 5,
            ..Timebox::default()
        };
        let mut h = Hypotheses::default();
        h.apply(&start(1, 0));
        h.apply(&entry(
            1300,
            Event::HypothesisClosed {
                id: 1,
                outcome: Outcome::Abandoned,
                note: String::new(),
                by: None,
            },
        ));
        assert!(h
            .budget_spent(&rules, at(1301))
            .unwrap()
            .contains("21m40s of 20m"));
    }

    #[test]
    fn a_team_shares_one_budget_and_keeps_each_responders_hypotheses_apart() {
        let by = |who: &str, e: Entry| Entry {
            actor: who.into(),
            ..e
        };
        let mut h = Hypotheses::default();
        // Alice and bob, offline, both start an "H1" at once.
        h.apply(&by("alice", start(1, 0)));
        h.apply(&by("bob", start(1, 60)));
        assert_eq!(h.list.len(), 2);
        assert_eq!(h.next_id(), 2);
        assert_eq!(h.list[1].label("alice"), "H1 (bob)");
        assert_eq!(h.list[0].label("alice"), "H1");
        // Alice closes bob's: it is his that closes, not hers.
        h.apply(&by(
            "alice",
            entry(
                300,
                Event::HypothesisClosed {
                    id: 1,
                    outcome: Outcome::Refuted,
                    note: String::new(),
                    by: Some("bob".into()),
                },
            ),
        ));
        assert!(h.list[0].is_active() && !h.list[1].is_active());
        // A second outcome for the same one does not overwrite the first.
        h.apply(&by(
            "bob",
            entry(
                320,
                Event::HypothesisClosed {
                    id: 1,
                    outcome: Outcome::Supported,
                    note: String::new(),
                    by: None,
                },
            ),
        ));
        assert_eq!(
            h.list[1].outcome.as_ref().map(|o| o.0),
            Some(Outcome::Refuted)
        );
        // 0-400 (alice) and 60-300 (bob) overlap: 400 s of the budget.
        assert_eq!(h.quick_spent(at(400)), Duration::seconds(400));
        h.apply(&by(
            "alice",
            entry(
                400,
                Event::HypothesisClosed {
                    id: 1,
                    outcome: Outcome::Abandoned,
                    note: String::new(),
                    by: None,
                },
            ),
        ));
        h.apply(&by("alice", start(2, 500)));
        assert_eq!(h.quick_spent(at(600)), Duration::seconds(500));
    }
}
