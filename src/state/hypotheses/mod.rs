//! Quick hypotheses in the TUI: the domain fold
//! ([`crate::domain::Hypotheses`]: time boxes, budget, the systematic
//! path) plus what is being typed in and what was already announced.
//! Keys, choosers and ticks in `update.rs`.

mod update;

pub(super) use update::{
    chose_outcome, confirmed_override, confirmed_systematic, on_action, on_tick, submit,
};
pub use update::{outcome_rows, SYSTEMATIC_PLAYBOOK};

use crate::domain::hypotheses::{Hypotheses, Outcome};
use crate::domain::{Entry, Event};

#[derive(Debug, Clone, Default)]
pub struct HypothesesView {
    /// The hypotheses and the phase (replayed from the journal).
    pub fold: Hypotheses,
    /// A hypothesis being typed in: (text, planned action, override reason).
    pub draft: Option<(String, String, Option<String>)>,
    /// The outcome chosen, waiting for its note.
    pub outcome: Option<Outcome>,
    /// A switch to the systematic path has been recorded but not confirmed
    /// by the journal yet (do not ask twice).
    pub switch_pending: bool,
    /// Hypothesis whose expiry was already announced (by, id).
    pub expiry_announced: Option<(String, u32)>,
    /// The systematic-diagnosis checklist was opened this session.
    pub checklist_opened: bool,
}

impl HypothesesView {
    /// Fold a journal entry in (live and replay).
    pub fn apply(&mut self, entry: &Entry) {
        match &entry.event {
            Event::IncidentDeclared { .. } => self.fold = Hypotheses::default(),
            Event::SystematicPath { .. } => self.switch_pending = false,
            _ => {}
        }
        self.fold.apply(entry);
    }
}
