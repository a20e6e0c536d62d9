//! The two-person rule in the cockpit. An action the team put under it
//! (`[team] two_person`: rollback, flag, dangerous) is not carried out on
//! one confirmation: [`State::gate`] records a request instead and keeps
//! what to do once it is approved ([`Then`]). Another responder approves
//! with `A` (or `firebreak approve ID`); the approval reaches this
//! cockpit through the team database, and the action runs, recorded as
//! every action is. Which requests wait, were approved or used is the
//! domain's fold ([`crate::domain::Incident::approvals`]), the same on
//! every screen. Keys in `update.rs`.

mod update;

pub(super) use update::{chose, confirmed, confirmed_break_glass, on_action, settle};

use chrono::{DateTime, Utc};

use super::{Effect, Level, State};
use crate::domain::approvals::{Approvals, Guarded, Request, Standing};
use crate::domain::Event;

/// What an action waiting for its approval does once approved: the
/// confirmed step of the feature that asked, run again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Then {
    Rollback,
    Flip {
        provider: String,
        flag: String,
        wanted: bool,
    },
    Step {
        run_id: String,
        step: usize,
    },
}

/// An action asking to pass the two-person rule.
#[derive(Debug, Clone)]
pub struct Gate {
    pub guarded: Guarded,
    /// The action and target its start entry will name (how the request is
    /// matched to the action that uses it).
    pub action: String,
    pub target: String,
    /// In words, for the approver: "roll back checkout v2.14.0".
    pub what: String,
    pub then: Then,
}

/// What the two-person rule says about an action.
#[derive(Debug)]
pub enum Passage {
    /// Go ahead; the words say on whose approval ("approved by bob
    /// (alice/1)"), when it took one.
    Go(Option<String>),
    /// It waits: these effects record the request (none when it was
    /// already asked).
    Wait(Vec<Effect>),
}

/// One row of the approvals chooser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalChoice {
    /// Approve another responder's request.
    Approve(String),
    /// Withdraw your own waiting request.
    Withdraw(String),
    /// Go ahead with your own request without a second responder.
    BreakGlass(String),
}

#[derive(Debug, Clone, Default)]
pub struct ApprovalsView {
    /// Requests asked from this cockpit and what each does once approved.
    pub waiting: Vec<(String, Then)>,
    /// Others' requests already announced (once each).
    pub announced: std::collections::HashSet<String>,
    /// Actions let through once, without an approval (break glass).
    pub(crate) break_glass: Vec<Then>,
}

/// A chooser row: (what, about which request).
pub fn describe_choice(state: &State, choice: &ApprovalChoice) -> (String, String) {
    let (label, id) = match choice {
        ApprovalChoice::Approve(id) => ("approve", id),
        ApprovalChoice::Withdraw(id) => ("withdraw", id),
        ApprovalChoice::BreakGlass(id) => ("go ahead alone", id),
    };
    let about = match state.requests().and_then(|a| a.get(id)) {
        Some(r) => format!(
            "{id} {} · {}",
            crate::text::visible(&r.by),
            crate::text::visible(&r.what)
        ),
        None => id.clone(),
    };
    (label.to_string(), about)
}

impl State {
    /// The incident's requests for approval (empty without an incident).
    pub fn requests(&self) -> Option<&Approvals> {
        self.incident.as_ref().map(|i| &i.approvals)
    }

    /// Others' requests this responder may approve now.
    pub fn approvable(&self, now: DateTime<Utc>) -> Vec<&Request> {
        let me = self.settings.responder.as_str();
        self.requests()
            .map(|a| a.waiting_for(me, now).collect())
            .unwrap_or_default()
    }

    /// This responder's requests still waiting for a second responder.
    pub fn own_waiting(&self, now: DateTime<Utc>) -> Vec<&Request> {
        let me = self.settings.responder.as_str();
        self.requests()
            .map(|a| {
                a.list
                    .iter()
                    .filter(|r| r.by == me && r.standing(now) == Standing::Waiting)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The two-person rule, before an action is recorded and run: go
    /// ahead (not under the rule; or approved, and the start entry uses
    /// the approval up), or wait for a second responder.
    pub(crate) fn gate(&mut self, gate: Gate, now: DateTime<Utc>) -> Passage {
        if !self.settings.two_person.contains(&gate.guarded) {
            return Passage::Go(None);
        }
        if let Some(i) = self
            .approvals
            .break_glass
            .iter()
            .position(|t| *t == gate.then)
        {
            self.approvals.break_glass.remove(i);
            return Passage::Go(Some(
                "break glass: without a second responder's approval".into(),
            ));
        }
        let me = self.settings.responder.clone();
        let Some(approvals) = self.requests() else {
            return Passage::Go(None);
        };
        let open = approvals
            .open_for(&me, &gate.action, &gate.target, now)
            .map(|r| {
                (
                    r.id.clone(),
                    r.standing(now),
                    r.approver().map(str::to_string),
                )
            });
        match open {
            Some((id, Standing::Approved, by)) => {
                let by = by.unwrap_or_default();
                self.approvals.waiting.retain(|(w, _)| *w != id);
                self.notify(
                    Level::Info,
                    format!("{by} approved {id}: {}", crate::text::visible(&gate.what)),
                    now,
                );
                Passage::Go(Some(format!("approved by {by} ({id})")))
            }
            Some((id, _, _)) => {
                // Asked before (perhaps before a restart): keep what to do.
                if !self.approvals.waiting.iter().any(|(w, _)| *w == id) {
                    self.approvals.waiting.push((id.clone(), gate.then));
                }
                self.notify(
                    Level::Warning,
                    format!(
                        "{id} still waits for a second responder's approval: A withdraws it or goes ahead alone"
                    ),
                    now,
                );
                Passage::Wait(Vec::new())
            }
            None => {
                if self.approvals.waiting.iter().any(|(_, t)| *t == gate.then) {
                    // Asked a moment ago; not in the journal yet.
                    return Passage::Wait(Vec::new());
                }
                // Requests asked here and not folded yet count too.
                let asked_here = self
                    .approvals
                    .waiting
                    .iter()
                    .filter(|(id, _)| approvals.get(id).is_none())
                    .count();
                let n = approvals.list.iter().filter(|r| r.by == me).count() + asked_here + 1;
                let id = format!("{me}/{n}");
                self.approvals.waiting.push((id.clone(), gate.then));
                self.notify(
                    Level::Warning,
                    format!(
                        "Two-person rule: {id} asks a second responder to approve ({}); it runs here once they press A (or run `firebreak approve {id}`)",
                        crate::text::visible(&gate.what)
                    ),
                    now,
                );
                Passage::Wait(vec![self.record(Event::ApprovalRequested {
                    id,
                    action: gate.action,
                    target: gate.target,
                    what: gate.what,
                })])
            }
        }
    }
}
