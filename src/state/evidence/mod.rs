//! Evidence in the TUI: the domain fold
//! ([`crate::domain::evidence::Evidence`]: every mitigation action of this
//! journal and the readings recorded for it), the readings being recorded
//! now, and the actions learned from other responders (their cockpits
//! take their readings). Ticks take the readings in `update.rs`.

mod update;

pub(super) use update::on_tick;
pub use update::readings_at;

use std::collections::{BTreeSet, HashSet};

use crate::domain::evidence::{ActionEvidence, Evidence, Phase};
use crate::domain::{Entry, Event};

#[derive(Debug, Clone, Default)]
pub struct EvidenceView {
    pub fold: Evidence,
    /// (action hash, phase) recorded and not back from the journal yet:
    /// not taken twice meanwhile.
    pub in_flight: BTreeSet<(String, Phase)>,
    /// Actions other responders took (from the team database): their own
    /// cockpits take the readings, this one only shows them.
    pub theirs: HashSet<String>,
}

impl EvidenceView {
    /// Fold a journal entry in (live and replay).
    pub fn apply(&mut self, entry: &Entry) {
        if let Event::IncidentDeclared { .. } = entry.event {
            *self = EvidenceView::default();
        }
        if let Event::EvidenceRecorded { action, phase, .. } = &entry.event {
            self.in_flight.remove(&(action.clone(), *phase));
        }
        self.fold.apply(entry);
    }

    /// Fold another responder's entry (a team merge): shown, never taken
    /// here.
    pub fn apply_theirs(&mut self, entry: &Entry) {
        if crate::domain::evidence::mitigation(entry).is_some() {
            self.theirs.insert(entry.hash.clone());
        }
        self.fold.apply(entry);
    }

    /// The evidence of the action recorded by entry `hash`.
    pub fn of(&self, hash: &str) -> Option<&ActionEvidence> {
        self.fold.of(hash)
    }
}
