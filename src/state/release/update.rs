//! Rollback: confirmed, recorded before it runs, one at a time; and what
//! the release control says is deployed.

use chrono::{DateTime, Utc};

use super::super::approvals::{Gate, Passage, Then};
use super::super::{Effect, Level, Pending, State};
use crate::action::Action;
use crate::domain::approvals::Guarded;
use crate::domain::Event;
use crate::sources::poller::Polled;

pub(crate) fn on_release(state: &mut State, p: Polled<String>) -> Vec<Effect> {
    if let Ok(current) = p.result {
        state.release.current = Some((current, p.source));
    }
    Vec::new()
}

pub(crate) fn on_rollback_done(
    state: &mut State,
    result: Result<String, String>,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    state.release.in_flight = false;
    let (ok, detail) = match result {
        Ok(d) => {
            state.notify(Level::Success, format!("Rollback: {d}"), now);
            (true, d)
        }
        Err(e) => {
            state.notify(Level::Error, format!("Rollback failed: {e}"), now);
            (false, e)
        }
    };
    let ev = Event::ActionFinished {
        action: "rollback".into(),
        target: "last release".into(),
        ok,
        detail,
    };
    vec![state.record(ev), Effect::RefreshAll]
}

pub(crate) fn on_action(
    state: &mut State,
    action: Action,
    now: DateTime<Utc>,
) -> Option<Vec<Effect>> {
    if action != Action::Rollback {
        return None;
    }
    if !state.settings.can_rollback {
        state.notify(
            Level::Warning,
            "No rollback is configured here: use your deploy tool, then add a note",
            now,
        );
    } else if state.release.in_flight {
        state.notify(
            Level::Info,
            "A rollback is already running: wait for its result",
            now,
        );
    } else if let Some((at, detail)) = state.release.done.clone() {
        // Offering it again would do nothing: the release control rolls
        // back one release, and it has.
        let when = at
            .with_timezone(&state.settings.local_offset)
            .format("%H:%M");
        let what = match &state.release.current {
            Some((c, _)) => format!("deployed now: {c}"),
            None => detail,
        };
        state.notify(
            Level::Info,
            format!(
                "Already rolled back at {when} ({what}): B does not roll back twice; use your deploy tool to go further back"
            ),
            now,
        );
    } else if state.require_incident(now) {
        let (question, expect) = match &state.release.current {
            Some((current, via)) => (
                format!("Roll back {current} to the previous release (via {via})?"),
                // The service's name: "checkout" of "checkout v2.14.0".
                current
                    .split_whitespace()
                    .next()
                    .unwrap_or("rollback")
                    .to_string(),
            ),
            None => (
                "Roll back the last release? (the deploy system reverts to the previous version)"
                    .to_string(),
                "rollback".to_string(),
            ),
        };
        state.confirm_typed(question, expect, Pending::Rollback);
    }
    Some(Vec::new())
}

/// The user confirmed: record the rollback, then run it (once).
pub(crate) fn confirmed_rollback(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    if state.release.in_flight {
        return Vec::new();
    }
    let what = match &state.release.current {
        Some((current, _)) => format!("roll back {current}"),
        None => "roll back the last release".into(),
    };
    let gate = Gate {
        guarded: Guarded::Rollback,
        action: "rollback".into(),
        target: "last release".into(),
        what,
        then: Then::Rollback,
    };
    let approval = match state.gate(gate, now) {
        Passage::Go(approval) => approval,
        Passage::Wait(fx) => return fx,
    };
    state.release.in_flight = true;
    state.notify(Level::Info, "Rolling back...", now);
    vec![state.record_then(
        Event::ActionStarted {
            action: "rollback".into(),
            target: "last release".into(),
            detail: approval.unwrap_or_default(),
        },
        vec![Effect::Rollback],
    )]
}
