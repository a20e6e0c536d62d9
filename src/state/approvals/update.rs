//! Approval keys: `A` approves another responder's waiting request (typed
//! confirmation), or, on your own, withdraws it or goes ahead alone
//! (break glass, recorded); and [`settle`]: what waits here runs once the
//! team's approval arrives, or is dropped when it expired.

use chrono::{DateTime, Utc};

use super::super::{ChooseKind, Effect, Level, Mode, Pending, State};
use super::{ApprovalChoice, Then};
use crate::action::Action;
use crate::domain::approvals::Standing;
use crate::domain::Event;

/// `approve`: the waiting requests, or your own to withdraw.
pub(crate) fn on_action(
    state: &mut State,
    action: Action,
    now: DateTime<Utc>,
) -> Option<Vec<Effect>> {
    if action != Action::Approve {
        return None;
    }
    if !state.require_incident(now) {
        return Some(Vec::new());
    }
    let mut choices: Vec<ApprovalChoice> = state
        .approvable(now)
        .iter()
        .map(|r| ApprovalChoice::Approve(r.id.clone()))
        .collect();
    for r in state.own_waiting(now) {
        choices.push(ApprovalChoice::Withdraw(r.id.clone()));
        choices.push(ApprovalChoice::BreakGlass(r.id.clone()));
    }
    match choices.as_slice() {
        [] => {
            let why = if state.settings.two_person.is_empty() {
                " (nothing here is under the two-person rule: [team] two_person)"
            } else {
                ""
            };
            state.notify(
                Level::Info,
                format!("Nothing waits for an approval{why}"),
                now,
            );
        }
        [only @ ApprovalChoice::Approve(_)] => return Some(chose(state, &only.clone(), now)),
        _ => {
            state.mode = Mode::Choose {
                kind: ChooseKind::Approval { choices },
                selected: 0,
            }
        }
    }
    Some(Vec::new())
}

/// A row of the chooser was picked: each asks before it records.
pub(crate) fn chose(state: &mut State, choice: &ApprovalChoice, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(requests) = state.requests() else {
        return Vec::new();
    };
    let id = match choice {
        ApprovalChoice::Approve(id)
        | ApprovalChoice::Withdraw(id)
        | ApprovalChoice::BreakGlass(id) => id,
    };
    let Some(r) = requests.get(id).cloned() else {
        return Vec::new();
    };
    let ago = crate::domain::fmt_duration(now - r.asked_at);
    let what = crate::text::visible(&r.what);
    match choice {
        ApprovalChoice::Approve(_) => {
            if r.standing(now) != Standing::Waiting {
                let text = format!(
                    "{id} is {} now: nothing to approve",
                    r.standing(now).label()
                );
                state.notify(Level::Info, text, now);
                return Vec::new();
            }
            let question = format!(
                "Approve {}'s {id}: {what} (asked {ago} ago)? It runs in their cockpit as soon as they see it. Type `approve`",
                crate::text::visible(&r.by)
            );
            state.confirm_typed(
                question,
                "approve".into(),
                Pending::Approve { id: id.clone() },
            );
        }
        ApprovalChoice::Withdraw(_) => {
            state.notify(Level::Info, format!("Withdrew {id}: nothing was done"), now);
            state.approvals.waiting.retain(|(w, _)| w != id);
            return vec![state.record(Event::ApprovalWithdrawn {
                id: id.clone(),
                reason: "withdrawn by the requester".into(),
            })];
        }
        ApprovalChoice::BreakGlass(_) => {
            let question = format!(
                "No second responder approved {id} ({what}, asked {ago} ago). Go ahead ALONE? This is recorded as break glass. Type `break glass`"
            );
            state.confirm_typed(
                question,
                "break glass".into(),
                Pending::BreakGlass { id: id.clone() },
            );
        }
    }
    Vec::new()
}

/// The approver typed `approve`: record it (in this responder's signed
/// feed); the requester's cockpit carries the action out.
pub(crate) fn confirmed(state: &mut State, id: &str, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(r) = state.requests().and_then(|a| a.get(id)).cloned() else {
        return Vec::new();
    };
    if r.by == state.settings.responder || r.standing(now) != Standing::Waiting {
        return Vec::new();
    }
    state.notify(
        Level::Success,
        format!(
            "Approved {id}: {}'s cockpit carries it out",
            crate::text::visible(&r.by)
        ),
        now,
    );
    vec![state.record(Event::ApprovalGiven {
        id: id.to_string(),
        requester: r.by,
        what: r.what,
    })]
}

/// The requester typed `break glass`: the request is withdrawn saying so,
/// and the action runs once, without an approval.
pub(crate) fn confirmed_break_glass(state: &mut State, id: &str) -> Option<(Effect, Then)> {
    let i = state.approvals.waiting.iter().position(|(w, _)| w == id)?;
    let (_, then) = state.approvals.waiting.remove(i);
    state.approvals.break_glass.push(then.clone());
    let record = state.record(Event::ApprovalWithdrawn {
        id: id.to_string(),
        reason: "break glass: went ahead without a second responder".into(),
    });
    Some((record, then))
}

/// After the incident changed (the team's entries arrived, a tick): the
/// actions asked here whose approval came are returned to be carried out
/// by their feature; the ones expired or withdrawn are dropped, saying
/// so. Others' new requests are announced once.
pub(crate) fn settle(state: &mut State, now: DateTime<Utc>) -> Vec<Then> {
    let Some(requests) = state.requests().cloned() else {
        return Vec::new();
    };
    let mut run = Vec::new();
    let mut notices = Vec::new();
    state.approvals.waiting.retain(|(id, then)| {
        let Some(r) = requests.get(id) else {
            return true; // not in the journal yet
        };
        match r.standing(now) {
            Standing::Waiting => true,
            Standing::Approved => {
                run.push(then.clone());
                false
            }
            Standing::Expired => {
                notices.push((
                    Level::Warning,
                    format!(
                        "{id} expired without a second responder's approval: nothing was done; ask again if it is still needed"
                    ),
                ));
                false
            }
            Standing::Used | Standing::Withdrawn => false,
        }
    });
    for r in requests.waiting_for(&state.settings.responder, now) {
        if state.approvals.announced.insert(r.id.clone()) {
            notices.push((
                Level::Warning,
                format!(
                    "{} asks for your approval: {} ({}): A to approve",
                    crate::text::visible(&r.by),
                    crate::text::visible(&r.what),
                    r.id
                ),
            ));
        }
    }
    for (level, text) in notices {
        state.notify(level, text, now);
    }
    run
}
