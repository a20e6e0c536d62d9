//! Following another cockpit's journal, refusing writes while read-only,
//! and taking over once its writer has quit.

use chrono::{DateTime, Utc};

use super::super::{Effect, Level, State};
use super::Following;
use crate::action::Action;
use crate::domain::{Entry, SYSTEM_ACTOR};
use crate::timeline::journal::Holder;

/// Entries someone else appended: fold the new ones (by seq: an entry
/// seen twice is applied once).
pub(crate) fn on_followed(state: &mut State, entries: Vec<Entry>) -> Vec<Effect> {
    let mut last = state.timeline.entries.last().map_or(0, |e| e.seq);
    for e in entries {
        if e.seq > last {
            last = e.seq;
            state.apply_entry(e);
            // One row per entry shown; none when nothing was new (a
            // take-over's catch-up repeats what was followed).
            state.timeline.appended();
        }
    }
    Vec::new()
}

pub(crate) fn on_follow_failed(
    state: &mut State,
    error: String,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    state.notify(Level::Error, format!("Following stopped: {error}"), now);
    if let Some(f) = &mut state.access.following {
        f.error = Some(error);
    }
    Vec::new()
}

pub(crate) fn on_writer_seen(
    state: &mut State,
    seen: Option<Option<Holder>>,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let key = take_over_key(state);
    let Some(f) = &mut state.access.following else {
        return Vec::new();
    };
    match seen {
        Some(holder) => {
            f.writer_gone = false;
            if holder.is_some() {
                f.holder = holder;
            }
        }
        None if !f.writer_gone => {
            f.writer_gone = true;
            let who = f
                .holder
                .as_ref()
                .map_or_else(|| "The writer".to_string(), |h| h.responder.clone());
            state.notify(
                Level::Warning,
                format!("{who} has quit firebreak: {key} takes the incident over"),
                now,
            );
        }
        None => {}
    }
    Vec::new()
}

pub(crate) fn on_took_over(
    state: &mut State,
    result: Result<Vec<Entry>, String>,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    match result {
        Ok(entries) => {
            on_followed(state, entries);
            state.access.following = None;
            state.notify(
                Level::Success,
                "You write this incident now: your actions are recorded",
                now,
            );
            // Alerts and sources as seen from here on are recorded again.
            vec![Effect::RefreshAll]
        }
        Err(e) => {
            if let Some(f) = &mut state.access.following {
                f.taking_over = false;
            }
            state.notify(Level::Error, format!("Could not take over: {e}"), now);
            Vec::new()
        }
    }
}

/// `take_over`, every action that would write while read-only, and every
/// action on the world while an observer.
pub(crate) fn on_action(
    state: &mut State,
    action: Action,
    now: DateTime<Utc>,
) -> Option<Vec<Effect>> {
    let on_step = action == Action::Select && super::super::playbooks::run_view_shown(state);
    let Some(f) = &state.access.following else {
        if action == Action::TakeOver {
            state.notify(Level::Info, "You already write this incident", now);
            return Some(Vec::new());
        }
        if state.observer() && (action.acts_on_world() || on_step) {
            observer_refuses(state, now);
            return Some(Vec::new());
        }
        return None;
    };
    if action == Action::TakeOver {
        if !f.writer_gone {
            let who = holder_name(f);
            state.notify(
                Level::Warning,
                format!("{who} still writes this incident: ask them to quit first"),
                now,
            );
            return Some(Vec::new());
        }
        let Some(id) = state.incident.as_ref().map(|i| i.id.clone()) else {
            return Some(Vec::new());
        };
        if let Some(f) = &mut state.access.following {
            f.taking_over = true;
        }
        return Some(vec![Effect::TakeOver { id }]);
    }
    if action.writes() || on_step {
        refuse(state, now);
        return Some(Vec::new());
    }
    None
}

fn holder_name(f: &Following) -> String {
    f.holder
        .as_ref()
        .map_or_else(|| "another firebreak".to_string(), |h| h.to_string())
}

/// An observer's refusal, in words: what it may do instead.
pub(crate) fn observer_refuses(state: &mut State, now: DateTime<Utc>) {
    let why = if state.access.readonly {
        "started with --readonly"
    } else {
        "you hold the observer role"
    };
    state.notify(
        Level::Warning,
        format!("Observer, nothing done ({why}): you may watch and add notes, not act on flags, silences, releases or playbooks"),
        now,
    );
}

/// Read-only: drop what would be written (the writer records what it
/// sees itself), and say so when it was the responder's doing. The last
/// guard; actions that write are refused before they change anything.
pub(crate) fn guard(state: &mut State, fx: Vec<Effect>, now: DateTime<Utc>) -> Vec<Effect> {
    let fx = if state.observer() {
        observer_guard(state, fx, now)
    } else {
        fx
    };
    if !state.access.read_only() {
        return fx;
    }
    let mut refused = false;
    let kept = fx
        .into_iter()
        .filter(|e| match e {
            Effect::Record { actor, .. } => {
                refused |= actor != SYSTEM_ACTOR;
                false
            }
            Effect::RecordAlerts(_) => false,
            _ => true,
        })
        .collect();
    if refused {
        refuse(state, now);
    }
    kept
}

pub(crate) fn refuse(state: &mut State, now: DateTime<Utc>) {
    let Some(f) = &state.access.following else {
        return;
    };
    let who = holder_name(f);
    let then = if f.writer_gone {
        format!("they have quit: {} takes over", take_over_key(state))
    } else {
        "ask them, or wait until they quit".to_string()
    };
    state.notify(
        Level::Warning,
        format!("View only, nothing done: {who} writes this incident ({then})"),
        now,
    );
}

pub(crate) fn take_over_key(state: &State) -> String {
    state
        .keymap
        .hint(Action::TakeOver)
        .unwrap_or_else(|| "the palette's Take over".into())
}

/// An observer: the last guard drops any action on the world that got
/// past the keys (write-ahead records carry them in `then`).
fn observer_guard(state: &mut State, fx: Vec<Effect>, now: DateTime<Utc>) -> Vec<Effect> {
    let acts = |e: &Effect| {
        matches!(
            e,
            Effect::FlipFlag { .. }
                | Effect::Rollback
                | Effect::CreateSilence { .. }
                | Effect::ExpireSilence { .. }
                | Effect::PlaybookStep(..)
        )
    };
    let mut refused = false;
    let kept: Vec<Effect> = fx
        .into_iter()
        .filter_map(|e| match e {
            Effect::Record { then, .. } if then.iter().any(acts) => {
                refused = true;
                None
            }
            e if acts(&e) => {
                refused = true;
                None
            }
            e => Some(e),
        })
        .collect();
    if refused {
        observer_refuses(state, now);
    }
    kept
}
