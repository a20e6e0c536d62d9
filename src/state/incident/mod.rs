//! The incident and its timeline: the entries of the journal as the
//! timeline pane shows them, chart markers for actions, journal problems,
//! and the entries whose write failed (kept, shown, retried, never
//! dropped). The incident itself is the domain fold
//! ([`crate::domain::Incident`]). Keys and messages in `update.rs`.

mod update;

pub(super) use update::{
    confirmed_resolve, declare, hints, on_action, on_changes_reported, on_exported,
    on_record_failed, on_recorded, retry_unsaved, set_severity, set_status, submit,
};

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::lists::ListView;
use super::State;
use crate::domain::incident::{Incident, Severity, Status};
use crate::domain::{Entry, Event};
use crate::timeline::journal::Problem;

/// A chart marker: an action that changed something.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub at: DateTime<Utc>,
    /// Its name on the chart (the flag, the action, the step).
    pub what: String,
    /// The action's entry: its evidence is found by it.
    pub hash: String,
}

#[derive(Debug, Clone)]
pub struct Timeline {
    pub entries: Vec<Entry>,
    /// Search text of each entry (cached: the journal may be long).
    pub text: Vec<String>,
    pub list: ListView,
    /// Chart markers: when actions happened.
    pub marks: Vec<Mark>,
    pub problems: Vec<Problem>,
    /// Events whose write failed: shown, retried, never dropped.
    pub unsaved: Vec<(String, Event)>,
    pub journal_error: Option<String>,
    /// Where the previous incident (resolved recently) and its exports
    /// are, to note on the fresh demo incident's timeline at start.
    pub previous: Option<String>,
    /// Hashes of the entries pinned now (the latest pin or unpin wins).
    pub pinned: HashSet<String>,
    /// The pane shows pinned entries only (`P`).
    pub pinned_only: bool,
}

impl Default for Timeline {
    fn default() -> Timeline {
        Timeline {
            entries: Vec::new(),
            text: Vec::new(),
            list: ListView::following(),
            marks: Vec::new(),
            problems: Vec::new(),
            unsaved: Vec::new(),
            journal_error: None,
            previous: None,
            pinned: HashSet::new(),
            pinned_only: false,
        }
    }
}

impl Timeline {
    /// Fold a journal entry in (live and replay).
    pub fn apply(&mut self, entry: Entry) {
        if let Event::IncidentDeclared { .. } = entry.event {
            self.entries.clear();
            self.text.clear();
            self.marks.clear();
            self.problems.clear();
            self.pinned.clear();
        }
        if let Event::Pinned { entry, pinned, .. } = &entry.event {
            if *pinned {
                self.pinned.insert(entry.clone());
            } else {
                self.pinned.remove(entry);
            }
        }
        if let Some(mark) = action_mark(&entry) {
            self.marks.push(mark);
        }
        self.text.push(search_text(&entry));
        self.entries.push(entry);
    }

    /// Show the newest entry in the filtered view without rescanning the
    /// whole journal (a backfilled note, or a pin while pinned entries
    /// are shown alone, rescans: both are rare).
    pub(crate) fn appended(&mut self) {
        let i = self.entries.len().saturating_sub(1);
        let Some(e) = self.entries.get(i) else {
            return;
        };
        let in_order = self
            .list
            .view
            .last()
            .and_then(|j| self.entries.get(*j))
            .is_none_or(|last| shown_at(last) <= shown_at(e));
        let pin = matches!(e.event, Event::Pinned { .. });
        if !in_order || (pin && self.pinned_only) {
            self.refilter();
            return;
        }
        if self.pinned_only && !self.pinned.contains(&e.hash) {
            return;
        }
        if let Some(text) = self.text.get(i) {
            self.list.push(i, text);
        }
    }

    /// Recompute the view: the filter, pinned only (`P`), and the order
    /// things happened in (a backfilled note where it belongs).
    pub fn refilter(&mut self) {
        self.list.refilter(&self.text);
        let (entries, pinned, only) = (&self.entries, &self.pinned, self.pinned_only);
        self.list.reorder(|view| {
            if only {
                view.retain(|i| entries.get(*i).is_some_and(|e| pinned.contains(&e.hash)));
            }
            view.sort_by_key(|i| entries.get(*i).map(shown_at));
        });
    }

    /// Is this entry pinned now?
    pub fn is_pinned(&self, e: &Entry) -> bool {
        self.pinned.contains(&e.hash)
    }
}

/// When the pane places an entry: when recorded, or for a backfilled note
/// when it says it happened.
pub fn shown_at(e: &Entry) -> DateTime<Utc> {
    e.backfilled().unwrap_or(e.ts)
}

impl State {
    pub fn refilter_timeline(&mut self) {
        self.timeline.refilter();
    }

    /// Show entry `i` of the timeline, selected and with focus (the
    /// filter and pinned-only view cleared if they hide it).
    pub fn show_timeline_entry(&mut self, i: usize) {
        if !self.timeline.list.view.contains(&i) {
            self.timeline.list.filter.clear();
            self.timeline.pinned_only = false;
            self.timeline.refilter();
        }
        if let Some(pos) = self.timeline.list.view.iter().position(|v| *v == i) {
            self.timeline.list.selected = pos;
            self.timeline.list.follow = false;
        }
        self.focus = super::Pane::Timeline;
    }

    /// Times at which actions happened (for chart markers).
    pub fn action_marks(&self) -> &[Mark] {
        &self.timeline.marks
    }

    pub fn incident_open(&self) -> bool {
        self.incident.as_ref().is_some_and(Incident::is_open)
    }

    /// Status and severity helpers for choosers.
    pub fn current_status(&self) -> Status {
        self.incident
            .as_ref()
            .map_or(Status::Investigating, |i| i.status)
    }

    pub fn current_severity(&self) -> Severity {
        self.incident
            .as_ref()
            .map_or(self.settings.default_severity, |i| i.severity)
    }
}

/// What the timeline filter matches an entry against.
fn search_text(e: &Entry) -> String {
    format!("{} {} {}", e.event.category(), e.actor, e.event.describe())
}

/// A chart marker for a successful action (flag flip, rollback, release
/// step), if the entry is one.
fn action_mark(e: &Entry) -> Option<Mark> {
    match &e.event {
        Event::FlagChanged { flag, ok: true, .. } => Some(mark(e, flag)),
        // Rollbacks, and commands marked as a mitigation.
        Event::StepFinished {
            step_kind,
            title,
            ok: true,
            changed,
            ..
        } if step_kind == "release" || (step_kind == "command" && *changed == Some(true)) => {
            Some(mark(e, title))
        }
        Event::ActionFinished {
            action, ok: true, ..
        } => Some(mark(e, action)),
        _ => None,
    }
}

fn mark(e: &Entry, what: &str) -> Mark {
    Mark {
        at: e.ts,
        what: what.to_string(),
        hash: e.hash.clone(),
    }
}
