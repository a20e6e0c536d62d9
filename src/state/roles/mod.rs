//! Roles as the cockpit offers them: the chooser's rows (take a role,
//! release it, hand the incident commander on) for this responder and
//! the team's others. Who holds what is the domain's fold
//! ([`crate::domain::Incident::roles`]), so the team's order decides it
//! the same on every screen. Keys in `update.rs`.

mod update;

pub(super) use update::{chose, confirmed, on_action};

use super::State;
use crate::domain::roles::{Role, Roles};

/// One row of the roles chooser (and one palette command).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleChoice {
    /// Take `role` yourself (from its holder, for one-holder roles; the
    /// incident commander asks first).
    Take(Role),
    /// Give up a role you hold (never the incident commander: hand it on).
    Release(Role),
    /// Hand the incident commander to this responder (asks first).
    HandCommand(String),
}

impl State {
    /// The incident's roles, if there is an incident.
    pub fn roles(&self) -> Option<&Roles> {
        self.incident.as_ref().map(|i| &i.roles)
    }

    /// Everyone on the incident: this responder, then the team's others.
    pub fn responder_names(&self) -> Vec<String> {
        let me = &self.settings.responder;
        let mut out = vec![me.clone()];
        for (name, _) in &self.team.responders {
            if !out.contains(name) {
                out.push(name.clone());
            }
        }
        out
    }
}

/// What this responder can do with roles now, in the chooser's order:
/// the commander first (hand it to each other responder, or take it),
/// then every other role (take or release).
pub fn choices(state: &State) -> Vec<RoleChoice> {
    let Some(roles) = state.roles() else {
        return Vec::new();
    };
    let me = state.settings.responder.as_str();
    let mut out = Vec::new();
    if roles.holds(me, Role::IncidentCommander) {
        for name in state.responder_names().into_iter().skip(1) {
            out.push(RoleChoice::HandCommand(name));
        }
    } else {
        out.push(RoleChoice::Take(Role::IncidentCommander));
    }
    for role in &Role::ALL[1..] {
        out.push(if roles.holds(me, *role) {
            RoleChoice::Release(*role)
        } else {
            RoleChoice::Take(*role)
        });
    }
    out
}

/// A choice as the chooser shows it: a short label and what it means.
pub fn describe_choice(state: &State, choice: &RoleChoice) -> (String, String) {
    let holder = |role: Role| {
        state
            .roles()
            .map(|r| r.summary_of(&[role]))
            .and_then(|s| s.split_once(' ').map(|(_, names)| names.to_string()))
    };
    match choice {
        RoleChoice::Take(Role::IncidentCommander) => (
            "Take IC".into(),
            match holder(Role::IncidentCommander) {
                Some(h) => format!("take over from {h} (asks first)"),
                None => "run the response (asks first)".into(),
            },
        ),
        RoleChoice::HandCommand(name) => (
            format!("Hand IC to {name}"),
            "they run the response from now (asks first)".into(),
        ),
        RoleChoice::Take(role) if role.shared() => {
            let with = holder(*role)
                .map(|h| format!(" (with {h})"))
                .unwrap_or_default();
            (
                format!("Join {}", role.short()),
                format!("{}{with}", role.meaning()),
            )
        }
        RoleChoice::Take(role) => (
            format!("Take {}", role.short()),
            match holder(*role) {
                Some(h) => format!("from {h}: {}", role.meaning()),
                None => role.meaning().to_string(),
            },
        ),
        RoleChoice::Release(role) if role.shared() => (
            format!("Leave {}", role.short()),
            "you are in it".to_string(),
        ),
        RoleChoice::Release(role) => (
            format!("Release {}", role.short()),
            "you hold it; nobody will".to_string(),
        ),
    }
}
