//! Who writes the incident: this cockpit, or another one it follows
//! read-only (one writer per incident, enforced by the journal's writer
//! lock). Messages and keys in `update.rs`.

mod update;

pub(super) use update::{
    guard, observer_refuses, on_action, on_follow_failed, on_followed, on_took_over,
    on_writer_seen, refuse,
};

use crate::timeline::journal::Holder;

#[derive(Debug, Clone, Default)]
pub struct Access {
    /// Another cockpit writes the incident; this one follows its journal.
    pub following: Option<Following>,
    /// `--readonly`: watch and add notes, never act on flags, silences,
    /// releases or playbook steps (as k9s's `--readonly`).
    pub readonly: bool,
}

/// Following another cockpit's incident, read-only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Following {
    /// Who holds the writer lock, if its lock file says.
    pub holder: Option<Holder>,
    /// The writer has quit: this cockpit may take over.
    pub writer_gone: bool,
    /// Following stopped (the journal shrank, a line that does not
    /// continue the chain): why.
    pub error: Option<String>,
    /// A take-over has been asked for and is not done yet.
    pub taking_over: bool,
}

impl Access {
    /// Read-only: another cockpit writes this incident.
    pub fn read_only(&self) -> bool {
        self.following.is_some()
    }
}

impl crate::state::State {
    /// May this cockpit act on the world? Not with `--readonly`, nor while
    /// its responder holds the observer role.
    pub fn observer(&self) -> bool {
        self.access.readonly
            || self.incident.as_ref().is_some_and(|i| {
                i.roles.holds(
                    &self.settings.responder,
                    crate::domain::roles::Role::Observer,
                )
            })
    }
}

impl Following {
    /// The banner: who writes, and what this cockpit can do.
    pub fn banner(&self, take_over_key: &str) -> String {
        let who = self
            .holder
            .as_ref()
            .map_or_else(|| "another firebreak".to_string(), |h| h.to_string());
        if let Some(e) = &self.error {
            return format!("VIEW ONLY · following stopped: {e}");
        }
        if self.taking_over {
            return "VIEW ONLY · taking over...".to_string();
        }
        if self.writer_gone {
            format!("VIEW ONLY · {who} has quit · {take_over_key} takes over")
        } else {
            format!("VIEW ONLY · {who} writes this incident · following live")
        }
    }
}
