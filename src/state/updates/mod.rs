//! Status updates in the TUI: the domain fold
//! ([`crate::domain::updates::Updates`]: what was recorded, where it was
//! delivered, when the next is due), the draft being edited (kept when
//! the editor closes), the sends in flight and the reminder already
//! given. Keys, sends and ticks in `update.rs`; the editor's text in
//! `editor.rs`.

pub mod editor;
mod update;

pub(super) use update::{confirmed_resend, on_action, on_editor_key, on_paste, on_sent, on_tick};
pub use update::{due, reminded_here};

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::domain::updates::{Cadence, Updates};
use crate::domain::{Entry, Event};

/// Settings of status updates (from `[status_updates]`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UpdateSettings {
    pub cadence: Cadence,
    /// The configured channels' names, in order: each update goes to all.
    pub channels: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct UpdatesView {
    pub fold: Updates,
    /// The update being written (None: the next `u` pre-fills one).
    pub draft: Option<editor::Editor>,
    /// (update id, channel) being sent now: not sent again meanwhile.
    pub in_flight: BTreeSet<(String, String)>,
    /// The due time already announced (a toast once per due time).
    pub reminded: Option<DateTime<Utc>>,
    /// Undelivered updates found on resume were announced.
    pub resume_announced: bool,
}

impl UpdatesView {
    /// Fold a journal entry in (live and replay).
    pub fn apply(&mut self, entry: &Entry) {
        if let Event::IncidentDeclared { .. } = entry.event {
            self.fold = Updates::default();
            self.reminded = None;
        }
        self.fold.apply(entry);
    }

    /// Another responder's entry, merged from the team: an update the
    /// comms person wrote on their machine moves when the next is due
    /// here too.
    pub fn apply_theirs(&mut self, entry: &Entry) {
        if matches!(
            entry.event,
            Event::StatusUpdateRecorded { .. } | Event::StatusUpdateSent { .. }
        ) {
            self.fold.apply_theirs(entry);
        }
    }
}
