//! Release control: what is deployed (so the rollback confirmation can
//! name it), whether a rollback is running, and the rollback already
//! done in this incident (so a second `B` says so instead of offering
//! one that would do nothing). Keys and messages in `update.rs`.

mod update;

pub(super) use update::{confirmed_rollback, on_action, on_release, on_rollback_done};

use chrono::{DateTime, Utc};

use crate::domain::{Entry, Event};
use crate::playbook::exec::StepAction;
use crate::playbook::model::ReleaseOp;

#[derive(Debug, Clone, Default)]
pub struct Release {
    /// What is deployed, per the release control, and which one says so.
    pub current: Option<(String, String)>,
    /// A rollback is running: a second press does nothing.
    pub in_flight: bool,
    /// The rollback done in this incident (`B` or a playbook step): when,
    /// and what the release control said.
    pub done: Option<(DateTime<Utc>, String)>,
    /// Playbook steps rolling back, started and not finished: (run, step).
    rolling: Vec<(String, usize)>,
}

impl Release {
    /// Fold a journal entry in (live and replay).
    pub fn apply(&mut self, entry: &Entry) {
        match &entry.event {
            Event::IncidentDeclared { .. } => {
                *self = Release {
                    current: self.current.take(),
                    ..Release::default()
                }
            }
            Event::ActionFinished {
                action,
                ok: true,
                detail,
                ..
            } if action == "rollback" => self.done = Some((entry.ts, detail.clone())),
            Event::StepStarted {
                run_id,
                step,
                step_kind,
                detail,
                ..
            } if step_kind == "release"
                // "rollback release", perhaps "(approved by bob (alice/2))".
                && detail.starts_with(&StepAction::Release(ReleaseOp::Rollback).describe()) =>
            {
                self.rolling.push((run_id.clone(), *step));
            }
            Event::StepFinished {
                run_id,
                step,
                ok,
                detail,
                ..
            } => {
                let key = (run_id.clone(), *step);
                if let Some(i) = self.rolling.iter().position(|k| *k == key) {
                    self.rolling.remove(i);
                    if *ok {
                        self.done = Some((entry.ts, detail.clone()));
                    }
                }
            }
            _ => {}
        }
    }
}
