//! Role keys: the chooser (`set_role`), a pick from it or the palette,
//! and the confirmed handoff of the incident commander.

use chrono::{DateTime, Utc};

use super::super::{ChooseKind, Effect, Level, Mode, Pending, State};
use super::{choices, RoleChoice};
use crate::action::Action;
use crate::domain::roles::Role;
use crate::domain::Event;

/// `set_role` opens the chooser.
pub(crate) fn on_action(
    state: &mut State,
    action: Action,
    now: DateTime<Utc>,
) -> Option<Vec<Effect>> {
    if action != Action::SetRole {
        return None;
    }
    if state.require_incident(now) {
        state.mode = Mode::Choose {
            kind: ChooseKind::Role {
                choices: choices(state),
            },
            selected: 0,
        };
    }
    Some(Vec::new())
}

/// A role choice was picked (chooser or palette). Taking or handing on
/// the incident commander asks first; the other roles are recorded.
pub(crate) fn chose(state: &mut State, choice: &RoleChoice, now: DateTime<Utc>) -> Vec<Effect> {
    if !state.require_incident(now) {
        return Vec::new();
    }
    let me = state.settings.responder.clone();
    let Some(roles) = state.roles() else {
        return Vec::new();
    };
    let commander = roles.commander().map(str::to_string);
    let single = |role: Role| {
        roles
            .holders(role)
            .first()
            .filter(|_| !role.shared())
            .map(|h| h.name.clone())
    };
    let (role, from, to) = match choice {
        RoleChoice::Take(role) if roles.holds(&me, *role) => {
            let text = format!("You are already {}", role.label().to_lowercase());
            state.notify(Level::Info, text, now);
            return Vec::new();
        }
        RoleChoice::Take(role) => (*role, single(*role), Some(me.clone())),
        RoleChoice::Release(Role::IncidentCommander) => {
            state.notify(
                Level::Warning,
                "The incident commander is handed on, never released: pick who takes it",
                now,
            );
            return Vec::new();
        }
        RoleChoice::Release(role) if !roles.holds(&me, *role) => {
            let text = format!("You do not hold {}", role.label().to_lowercase());
            state.notify(Level::Info, text, now);
            return Vec::new();
        }
        RoleChoice::Release(role) => (*role, Some(me.clone()), None),
        RoleChoice::HandCommand(name) if commander.as_deref() == Some(name.as_str()) => {
            state.notify(Level::Info, format!("{name} is already the IC"), now);
            return Vec::new();
        }
        RoleChoice::HandCommand(name) => (
            Role::IncidentCommander,
            commander.clone(),
            Some(name.clone()),
        ),
    };
    if role == Role::IncidentCommander {
        let from_text = from.as_deref().unwrap_or("nobody");
        let to_text = to.as_deref().unwrap_or_default();
        let question = if to_text == me {
            format!(
                "Take over as incident commander from {from_text}? The timeline records {from_text} → {me}"
            )
        } else {
            format!(
                "Hand incident commander to {to_text}? They run the response from now; the timeline records {from_text} → {to_text}"
            )
        };
        state.confirm(question, Pending::Role { role, from, to });
        return Vec::new();
    }
    vec![state.record(Event::RoleChanged { role, from, to })]
}

/// The handoff was confirmed: record it.
pub(crate) fn confirmed(
    state: &mut State,
    role: Role,
    from: Option<String>,
    to: Option<String>,
) -> Vec<Effect> {
    vec![state.record(Event::RoleChanged { role, from, to })]
}
