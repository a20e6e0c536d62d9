//! Flag messages and keys: provider polls, flips (confirmed, recorded
//! before they run, one in flight per flag, read back after) and their
//! results.

use chrono::{DateTime, Utc};

use super::super::approvals::{Gate, Passage, Then};
use super::super::{health, on_off, Effect, Level, Pane, Pending, State};
use crate::action::Action;
use crate::domain::approvals::Guarded;
use crate::domain::Event;
use crate::flags::{Flag, FlipError, FlipOutcome};
use crate::sources::poller::Polled;

pub(crate) fn on_flags(state: &mut State, p: Polled<Vec<Flag>>) -> Vec<Effect> {
    let fx = health::health_change(state, |s| &mut s.flags.health, &p);
    if let Ok(flags) = p.result {
        let items = &mut state.flags.items;
        items.retain(|f| f.provider != p.source);
        items.extend(flags);
        items.sort_by(|a, b| a.name.cmp(&b.name).then(a.provider.cmp(&b.provider)));
        state.refilter_flags();
    }
    fx
}

/// A flip finished: record what the provider says now.
pub(crate) fn on_flip_done(
    state: &mut State,
    provider: String,
    flag: String,
    wanted: bool,
    result: Result<FlipOutcome, FlipError>,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    state.flags.in_flight.remove(&flag);
    let event = match &result {
        Ok(o) => {
            let text = if o.changed {
                format!(
                    "Flag {flag} is now {} (verified by reading it back)",
                    on_off(o.after)
                )
            } else {
                format!(
                    "Flag {flag} was already {}: nothing changed",
                    on_off(o.after)
                )
            };
            state.notify(Level::Success, text, now);
            Event::FlagChanged {
                provider,
                flag,
                before: Some(o.before),
                after: Some(o.after),
                wanted,
                ok: true,
                detail: if o.changed {
                    String::new()
                } else {
                    "no-op: already in that state".into()
                },
            }
        }
        Err(e) => {
            state.notify(Level::Error, format!("Flag {flag}: {}", e.message), now);
            Event::FlagChanged {
                provider,
                flag,
                before: e.before,
                after: e.after,
                wanted,
                ok: false,
                detail: e.message.clone(),
            }
        }
    };
    vec![
        state.record(event),
        Effect::RefreshFlags,
        Effect::RefreshAll,
    ]
}

/// Actions the flags pane owns.
pub(crate) fn on_action(
    state: &mut State,
    action: Action,
    now: DateTime<Utc>,
) -> Option<Vec<Effect>> {
    Some(match action {
        Action::Select if state.focus == Pane::Flags => flag_action(state, None, now),
        Action::ToggleFlag => flag_action(state, None, now),
        Action::FlagOff => flag_action(state, Some(false), now),
        Action::FlagOn => flag_action(state, Some(true), now),
        _ => return None,
    })
}

/// Ask to flip the selected flag (toggle when `wanted` is None).
pub(crate) fn flag_action(
    state: &mut State,
    wanted: Option<bool>,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    if state.focus != Pane::Flags {
        state.focus = Pane::Flags;
        state.notify(
            Level::Info,
            "Pick a flag in the flags pane, then press the key again",
            now,
        );
        return Vec::new();
    }
    let Some(flag) = state.selected_flag().cloned() else {
        state.notify(Level::Info, "No flag selected", now);
        return Vec::new();
    };
    if state.flags.in_flight.contains(&flag.name) {
        let text = format!(
            "{} is already being changed; wait for the result",
            flag.name
        );
        state.notify(Level::Info, text, now);
        return Vec::new();
    }
    let wanted = wanted.unwrap_or(!flag.enabled);
    if flag.enabled == wanted {
        let text = format!("{} is already {}: nothing to do", flag.name, on_off(wanted));
        state.notify(Level::Info, text, now);
        return Vec::new();
    }
    if !state.require_incident(now) {
        return Vec::new();
    }
    let env = flag
        .env
        .as_deref()
        .map(|e| format!(" in {e}"))
        .unwrap_or_default();
    let question = format!(
        "Turn flag {} {} (now {}){env} via {}?",
        flag.name,
        on_off(wanted).to_uppercase(),
        on_off(flag.enabled),
        flag.provider
    );
    state.confirm_typed(
        question,
        flag.name.clone(),
        Pending::FlipFlag {
            provider: flag.provider.clone(),
            flag: flag.name.clone(),
            wanted,
        },
    );
    Vec::new()
}

/// The user confirmed a flip: record it, then flip (once).
pub(crate) fn confirmed_flip(
    state: &mut State,
    provider: String,
    flag: String,
    wanted: bool,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    if state.flags.in_flight.contains(&flag) {
        return Vec::new();
    }
    let gate = Gate {
        guarded: Guarded::Flag,
        action: format!("flag {}", on_off(wanted)),
        target: flag.clone(),
        what: format!("turn {flag} {} (via {provider})", on_off(wanted)),
        then: Then::Flip {
            provider: provider.clone(),
            flag: flag.clone(),
            wanted,
        },
    };
    let approval = match state.gate(gate, now) {
        Passage::Go(approval) => approval.map(|a| format!("; {a}")).unwrap_or_default(),
        Passage::Wait(fx) => return fx,
    };
    state.flags.in_flight.insert(flag.clone());
    state.notify(
        Level::Info,
        format!("Turning {flag} {}...", on_off(wanted)),
        now,
    );
    vec![state.record_then(
        Event::ActionStarted {
            action: format!("flag {}", on_off(wanted)),
            target: flag.clone(),
            detail: format!("via {provider}{approval}"),
        },
        vec![Effect::FlipFlag {
            provider,
            flag,
            wanted,
        }],
    )]
}

/// Pick a flag by name (from the palette) and ask to flip it.
pub(crate) fn pick(state: &mut State, name: &str, now: DateTime<Utc>) -> Vec<Effect> {
    state.focus = Pane::Flags;
    state.flags.list.filter.clear();
    state.refilter_flags();
    if let Some(pos) = state
        .flags
        .list
        .view
        .iter()
        .position(|i| state.flags.items.get(*i).is_some_and(|f| f.name == name))
    {
        state.flags.list.selected = pos;
        state.flags.list.follow = false;
        return flag_action(state, None, now);
    }
    Vec::new()
}

/// Footer hints while the flags pane has focus.
pub(crate) fn hints(_state: &State) -> Vec<Action> {
    vec![
        Action::ToggleFlag,
        Action::FlagOff,
        Action::FlagOn,
        Action::Filter,
    ]
}
