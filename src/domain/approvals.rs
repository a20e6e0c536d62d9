//! The two-person rule: an action the team configured as needing a second
//! responder (a production rollback, say) is not carried out on one
//! person's word. Its requester records [`Event::ApprovalRequested`]; a
//! different responder records [`Event::ApprovalGiven`] (in their own
//! signed feed, so the export can show the approval is theirs); only then
//! does the action run, and the entry that starts it uses the approval up.
//!
//! Folded from the entries in order ([`Approvals::apply`], called by the
//! incident fold), so on a shared incident every client agrees on which
//! requests wait, which were approved, and which were used:
//!
//! - a request lives [`REQUEST_TTL`] from when it was asked; an approval
//!   after that does not count (the situation it was asked in is gone);
//! - an approval by the requester does not count;
//! - the requester may withdraw a waiting request (also: break glass,
//!   going ahead without a second responder, which says so);
//! - the first start of the same action on the same target by the
//!   requester after the approval uses it: one approval, one action.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{Entry, Event};

/// How long a request waits for its approval.
pub const REQUEST_TTL: Duration = Duration::minutes(15);

/// What the team can put under the two-person rule (`[team] two_person`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Guarded {
    /// Rolling back a release (`B`, or a playbook's release step).
    Rollback,
    /// Flipping a feature flag (the flags pane, or a playbook's flag step).
    Flag,
    /// A playbook command step marked `dangerous`.
    Dangerous,
}

impl Guarded {
    pub const ALL: [Guarded; 3] = [Guarded::Rollback, Guarded::Flag, Guarded::Dangerous];

    pub fn key(self) -> &'static str {
        match self {
            Guarded::Rollback => "rollback",
            Guarded::Flag => "flag",
            Guarded::Dangerous => "dangerous",
        }
    }
}

/// What became of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Approved { by: String, at: DateTime<Utc> },
    Withdrawn { at: DateTime<Utc>, reason: String },
}

/// One request for a second responder's approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `alice/1`: the requester's first request in this incident.
    pub id: String,
    /// Who asked (the responder who will carry it out).
    pub by: String,
    /// The action as its start entry names it: `rollback`, `flag`, `step`.
    pub action: String,
    /// Its target as its start entry names it (a flag, `last release`,
    /// `<run>/<step>`).
    pub target: String,
    /// In words, for the approver: "roll back checkout v2.14.0".
    pub what: String,
    pub asked_at: DateTime<Utc>,
    pub answer: Option<Answer>,
    /// When the approved action started.
    pub used_at: Option<DateTime<Utc>>,
}

/// Where a request stands at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Waiting,
    Approved,
    Used,
    Withdrawn,
    Expired,
}

impl Standing {
    pub fn label(self) -> &'static str {
        match self {
            Standing::Waiting => "waiting",
            Standing::Approved => "approved",
            Standing::Used => "used",
            Standing::Withdrawn => "withdrawn",
            Standing::Expired => "expired",
        }
    }
}

impl Request {
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.asked_at + REQUEST_TTL
    }

    pub fn standing(&self, now: DateTime<Utc>) -> Standing {
        match (&self.answer, self.used_at) {
            (_, Some(_)) => Standing::Used,
            (Some(Answer::Withdrawn { .. }), _) => Standing::Withdrawn,
            (Some(Answer::Approved { .. }), None) if now < self.expires_at() => Standing::Approved,
            (None, None) if now < self.expires_at() => Standing::Waiting,
            _ => Standing::Expired,
        }
    }

    /// Who approved it, if anyone did.
    pub fn approver(&self) -> Option<&str> {
        match &self.answer {
            Some(Answer::Approved { by, .. }) => Some(by),
            _ => None,
        }
    }

    fn matches(&self, by: &str, action: &str, target: &str) -> bool {
        self.by == by && self.action == action && self.target == target
    }
}

/// The target a playbook step's approval is for.
pub fn step_target(run_id: &str, step: usize) -> String {
    format!("{run_id}/{step}")
}

/// Every request of the incident, in the order they were asked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Approvals {
    pub list: Vec<Request>,
}

impl Approvals {
    /// Fold one entry in.
    pub fn apply(&mut self, entry: &Entry) {
        match &entry.event {
            Event::ApprovalRequested {
                id,
                action,
                target,
                what,
            } if self.get(id).is_none() => self.list.push(Request {
                id: id.clone(),
                by: entry.actor.clone(),
                action: action.clone(),
                target: target.clone(),
                what: what.clone(),
                asked_at: entry.ts,
                answer: None,
                used_at: None,
            }),
            Event::ApprovalGiven { id, .. } => {
                if let Some(r) = self.get_mut(id) {
                    if r.standing(entry.ts) == Standing::Waiting && r.by != entry.actor {
                        r.answer = Some(Answer::Approved {
                            by: entry.actor.clone(),
                            at: entry.ts,
                        });
                    }
                }
            }
            Event::ApprovalWithdrawn { id, reason } => {
                if let Some(r) = self.get_mut(id) {
                    if r.by == entry.actor && r.used_at.is_none() && r.answer.is_none() {
                        r.answer = Some(Answer::Withdrawn {
                            at: entry.ts,
                            reason: reason.clone(),
                        });
                    }
                }
            }
            Event::ActionStarted { action, target, .. } => {
                self.use_up(&entry.actor, action, target, entry.ts)
            }
            Event::StepStarted { run_id, step, .. } => {
                self.use_up(&entry.actor, "step", &step_target(run_id, *step), entry.ts)
            }
            _ => {}
        }
    }

    fn use_up(&mut self, by: &str, action: &str, target: &str, at: DateTime<Utc>) {
        if let Some(r) = self
            .list
            .iter_mut()
            .find(|r| r.matches(by, action, target) && r.standing(at) == Standing::Approved)
        {
            r.used_at = Some(at);
        }
    }

    pub fn get(&self, id: &str) -> Option<&Request> {
        self.list.iter().find(|r| r.id == id)
    }

    fn get_mut(&mut self, id: &str) -> Option<&mut Request> {
        self.list.iter_mut().find(|r| r.id == id)
    }

    /// The request `by` made for this action, still open (waiting or
    /// approved and not used) at `now`.
    pub fn open_for(
        &self,
        by: &str,
        action: &str,
        target: &str,
        now: DateTime<Utc>,
    ) -> Option<&Request> {
        self.list.iter().rev().find(|r| {
            r.matches(by, action, target)
                && matches!(r.standing(now), Standing::Waiting | Standing::Approved)
        })
    }

    /// Requests others made that wait for an approval, oldest first: what
    /// `me` may approve.
    pub fn waiting_for<'a>(
        &'a self,
        me: &'a str,
        now: DateTime<Utc>,
    ) -> impl Iterator<Item = &'a Request> + 'a {
        self.list
            .iter()
            .filter(move |r| r.by != me && r.standing(now) == Standing::Waiting)
    }

    /// The id `by`'s next request gets: `alice/3`.
    pub fn next_id(&self, by: &str) -> String {
        let n = self.list.iter().filter(|r| r.by == by).count() + 1;
        format!("{by}/{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap_or_default()
    }

    fn entry(seq: u64, s: i64, actor: &str, event: Event) -> Entry {
        Entry {
            seq,
            ts: at(s),
            prev: String::new(),
            actor: actor.into(),
            event,
            hash: format!("h{seq}"),
        }
    }

    fn asked(id: &str) -> Event {
        Event::ApprovalRequested {
            id: id.into(),
            action: "rollback".into(),
            target: "last release".into(),
            what: "roll back checkout v2".into(),
        }
    }

    fn given(id: &str) -> Event {
        Event::ApprovalGiven {
            id: id.into(),
            requester: "alice".into(),
            what: String::new(),
        }
    }

    fn started() -> Event {
        Event::ActionStarted {
            action: "rollback".into(),
            target: "last release".into(),
            detail: String::new(),
        }
    }

    fn fold(entries: &[Entry]) -> Approvals {
        let mut a = Approvals::default();
        for e in entries {
            a.apply(e);
        }
        a
    }

    #[test]
    fn a_second_responder_approves_and_the_first_start_uses_it_up() {
        let a = fold(&[
            entry(1, 0, "alice", asked("alice/1")),
            entry(2, 30, "bob", given("alice/1")),
        ]);
        let r = a.get("alice/1").unwrap();
        assert_eq!(r.standing(at(31)), Standing::Approved);
        assert_eq!(r.approver(), Some("bob"));
        assert!(a
            .open_for("alice", "rollback", "last release", at(31))
            .is_some());
        let a = fold(&[
            entry(1, 0, "alice", asked("alice/1")),
            entry(2, 30, "bob", given("alice/1")),
            entry(3, 31, "alice", started()),
            entry(4, 40, "alice", started()),
        ]);
        let r = a.get("alice/1").unwrap();
        assert_eq!(r.standing(at(41)), Standing::Used);
        assert_eq!(r.used_at, Some(at(31)), "the first start used it");
        assert!(a
            .open_for("alice", "rollback", "last release", at(41))
            .is_none());
    }

    #[test]
    fn the_requester_cannot_approve_their_own_request() {
        let a = fold(&[
            entry(1, 0, "alice", asked("alice/1")),
            entry(2, 5, "alice", given("alice/1")),
        ]);
        assert_eq!(a.get("alice/1").unwrap().standing(at(6)), Standing::Waiting);
        assert_eq!(a.waiting_for("alice", at(6)).count(), 0);
        assert_eq!(a.waiting_for("bob", at(6)).count(), 1);
    }

    #[test]
    fn a_late_approval_does_not_count_and_a_start_before_approval_uses_nothing() {
        let late = REQUEST_TTL.num_seconds() + 1;
        let a = fold(&[
            entry(1, 0, "alice", asked("alice/1")),
            entry(2, 10, "alice", started()),
            entry(3, late, "bob", given("alice/1")),
        ]);
        let r = a.get("alice/1").unwrap();
        assert_eq!(r.used_at, None);
        assert_eq!(r.answer, None);
        assert_eq!(r.standing(at(late)), Standing::Expired);
    }

    #[test]
    fn a_withdrawn_request_cannot_be_approved_and_ids_count_per_requester() {
        let a = fold(&[
            entry(1, 0, "alice", asked("alice/1")),
            entry(
                2,
                5,
                "alice",
                Event::ApprovalWithdrawn {
                    id: "alice/1".into(),
                    reason: "not needed".into(),
                },
            ),
            entry(3, 6, "bob", given("alice/1")),
        ]);
        assert_eq!(
            a.get("alice/1").unwrap().standing(at(7)),
            Standing::Withdrawn
        );
        assert_eq!(a.next_id("alice"), "alice/2");
        assert_eq!(a.next_id("bob"), "bob/1");
    }

    #[test]
    fn only_the_requester_uses_their_approval() {
        let mut bob_starts = entry(3, 31, "bob", started());
        bob_starts.actor = "bob".into();
        let a = fold(&[
            entry(1, 0, "alice", asked("alice/1")),
            entry(2, 30, "carol", given("alice/1")),
            bob_starts,
        ]);
        assert_eq!(
            a.get("alice/1").unwrap().standing(at(32)),
            Standing::Approved
        );
    }
}
