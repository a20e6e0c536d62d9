//! The demo's simulated teammate: in the built-in demo incident a second
//! responder, `sam (demo)`, joins, takes comms, adds what support says,
//! and approves a rollback waiting under the two-person rule, so a
//! newcomer sees the team features with no database. Sam's entries are
//! recorded in the demo journal under sam's name (the demo is the only
//! place firebreak writes as someone else). Nothing here runs outside
//! the demo.

use chrono::{DateTime, Duration, Utc};

use super::{Effect, Level, State};
use crate::domain::roles::Role;
use crate::domain::Event;

/// The simulated teammate's name, as the timeline shows it.
pub const NAME: &str = "sam (demo)";

/// Sam's script, from the declaration: (after, what).
const JOINS: i64 = 20;
const TAKES_COMMS: i64 = 30;
const NOTES: i64 = 50;
/// How long sam takes to read a request before approving it.
const READS: i64 = 6;

#[derive(Debug, Clone, Default)]
pub struct TeammateView {
    /// Steps of the script already recorded (or in flight), by number.
    pub done: Vec<u8>,
    /// Approval requests sam answered.
    pub approved: Vec<String>,
}

/// Every second in the demo: the next step of sam's script that is due.
pub(crate) fn on_tick(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    if !state.settings.demo || state.access.readonly {
        return Vec::new();
    }
    let me = state.settings.responder.clone();
    // What sam looks at, borrowed and let go (no copy of the incident).
    let Some((since, comms_free, due)) = state
        .incident
        .as_ref()
        .filter(|i| i.is_open() && i.demo)
        .map(|inc| {
            let due: Vec<(String, String, String)> = inc
                .approvals
                .waiting_for(NAME, now)
                .filter(|r| r.by == me && now - r.asked_at >= Duration::seconds(READS))
                .map(|r| (r.id.clone(), r.by.clone(), r.what.clone()))
                .collect();
            let comms_free = inc.roles.holders(Role::Comms).is_empty();
            (now - inc.declared_at, comms_free, due)
        })
    else {
        return Vec::new();
    };
    let said = |state: &State, text: &str| {
        state.timeline.entries.iter().any(|e| {
            e.actor == NAME && matches!(&e.event, Event::Note { text: t, .. } if t == text)
        })
    };
    let mut fx = Vec::new();
    let joined = "joined: I'm on it with you. I can take comms and approve what needs a second pair of eyes (a simulated teammate: the demo's way to show team features without a database)";
    if since >= Duration::seconds(JOINS) && step(state, 1) && !said(state, joined) {
        fx.push(sam(Event::Note {
            text: joined.into(),
            at: None,
        }));
    }
    if since >= Duration::seconds(JOINS) && !state.team.present.iter().any(|n| n == NAME) {
        state.team.present.push(NAME.into());
        state.redraw = true;
    }
    // Comms, unless someone (sam included, on a restart) holds it.
    if since >= Duration::seconds(TAKES_COMMS) && step(state, 2) && comms_free {
        fx.push(sam(Event::RoleChanged {
            role: Role::Comms,
            from: None,
            to: Some(NAME.into()),
        }));
    }
    let support = "support: customers see 'payment failed' at checkout since the deploy, roughly 1 in 7; I'm keeping them posted";
    if since >= Duration::seconds(NOTES) && step(state, 3) && !said(state, support) {
        fx.push(sam(Event::Note {
            text: support.into(),
            at: None,
        }));
    }
    // Approve what waits for a second responder, after reading it.
    for (id, requester, what) in due {
        if state.teammate.approved.contains(&id) {
            continue;
        }
        state.teammate.approved.push(id.clone());
        state.notify(Level::Success, format!("{NAME} approved {id}: {what}"), now);
        fx.push(sam(Event::ApprovalGiven {
            id,
            requester,
            what,
        }));
    }
    fx
}

/// Step `n` of the script is to be taken now (once per cockpit; what is
/// already in the journal is not recorded again).
fn step(state: &mut State, n: u8) -> bool {
    if state.teammate.done.contains(&n) {
        return false;
    }
    state.teammate.done.push(n);
    true
}

fn sam(event: Event) -> Effect {
    Effect::Record {
        actor: NAME.into(),
        event,
        then: Vec::new(),
    }
}
