//! Playbook runs in the TUI: the loaded playbooks, their runs folded from
//! the journal, and the pane's cursor. What changes them is in
//! `update.rs` (and its parts `update/{form,steps,results}.rs`).
//!
//! A run is built from journal entries (the same path live and on
//! replay): `PlaybookStarted` creates it, `StepStarted`/`StepFinished`/
//! `StepSkipped` move its steps, `PlaybookFinished` closes it. Steps that
//! touch the world are recorded before they run (write-ahead): the key
//! press sets the step running and returns `Record{StepStarted, then:
//! [PlaybookStep]}`. A step that was running when firebreak stopped
//! comes back as Interrupted: its outcome is unknown, and the responder
//! decides (re-run, mark failed, skip).

mod update;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::{DateTime, Utc};

pub use update::{
    confirmed, not_recorded, on_form_key, on_msg, on_tick, open_from_palette, start_playbook,
    start_suggested, start_without_form, Form,
};
pub(crate) use update::{
    hint_label, hints, on_action, run_view_shown, start_from_palette, RUN_SELECT,
};

use super::lists::ListView;
use super::State;
use crate::domain::{Entry, Event};
use crate::playbook::exec::StepOutcome;
use crate::playbook::model::StepKind;
use crate::playbook::template::Vars;
use crate::playbook::{self, Catalog, Playbook};
use crate::sources::Alert;

/// Lines of live output kept per step.
pub const OUTPUT_LINES: usize = 500;
/// Lines / bytes of output written to the journal per step.
pub const TAIL_LINES: usize = 20;
pub const TAIL_BYTES: usize = 2000;

/// Results of step effects.
#[derive(Debug, Clone, PartialEq)]
pub enum PlaybookMsg {
    Output {
        run_id: String,
        step: usize,
        attempt: u32,
        lines: Vec<String>,
    },
    StepDone {
        run_id: String,
        step: usize,
        attempt: u32,
        outcome: StepOutcome,
    },
}

/// Where a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    Pending,
    Running,
    Done,
    Failed,
    Skipped,
    /// Was running when firebreak stopped: outcome unknown.
    Interrupted,
}

impl StepStatus {
    pub fn label(self) -> &'static str {
        match self {
            StepStatus::Pending => "pending",
            StepStatus::Running => "running",
            StepStatus::Done => "done",
            StepStatus::Failed => "failed",
            StepStatus::Skipped => "skipped",
            StepStatus::Interrupted => "interrupted",
        }
    }

    fn settled(self) -> bool {
        matches!(self, StepStatus::Done | StepStatus::Skipped)
    }
}

/// One step of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRun {
    pub title: String,
    pub status: StepStatus,
    pub started: Option<DateTime<Utc>>,
    pub finished: Option<DateTime<Utc>>,
    pub exit_code: Option<i32>,
    pub duration_ms: Option<u64>,
    pub output: VecDeque<String>,
    pub detail: String,
    pub attempts: u32,
    /// Last value a query step saw.
    pub last_value: Option<f64>,
    /// False when the step's `when` is false for this run: it is not
    /// counted in the run's progress and is not carried out.
    pub applies: bool,
}

impl StepRun {
    fn new(title: String) -> StepRun {
        StepRun {
            title,
            status: StepStatus::Pending,
            started: None,
            finished: None,
            exit_code: None,
            duration_ms: None,
            output: VecDeque::new(),
            detail: String::new(),
            attempts: 0,
            last_value: None,
            applies: true,
        }
    }

    fn push_output(&mut self, lines: impl IntoIterator<Item = String>) {
        for l in lines {
            self.output.push_back(l);
        }
        while self.output.len() > OUTPUT_LINES {
            self.output.pop_front();
        }
    }
}

/// A playbook run.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub id: String,
    pub playbook: String,
    pub title: String,
    pub inputs: BTreeMap<String, String>,
    pub alert: Option<String>,
    pub labels: BTreeMap<String, String>,
    /// The definition; None when the playbook is gone or changed since
    /// the run started (`stale` says why): the run is shown, not run.
    pub def: Option<Playbook>,
    pub stale: Option<String>,
    pub steps: Vec<StepRun>,
    /// Cursor in the run view.
    pub selected: usize,
    /// Output lines scrolled back from the newest.
    pub scroll: usize,
    pub started_at: DateTime<Utc>,
    /// Some(ok) once finished.
    pub finished: Option<bool>,
}

impl Run {
    pub fn vars(&self, demo: bool) -> Vars {
        let mut vars = match &self.def {
            Some(pb) => playbook::vars(pb, &self.inputs, &self.labels, demo),
            None => Vars {
                inputs: self.inputs.clone(),
                labels: self.labels.clone(),
                argv_inputs: Vec::new(),
                demo,
                finished: BTreeMap::new(),
            },
        };
        vars.finished = self
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.status == StepStatus::Done)
            .filter_map(|(i, s)| s.finished.map(|t| (i, t)))
            .collect();
        vars
    }

    /// (done, failed, skipped, total) of the steps that apply to this run
    /// (a step whose `when` is false is not progress, nor work left).
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let applying = || self.steps.iter().filter(|x| x.applies);
        let c = |s: StepStatus| applying().filter(|x| x.status == s).count();
        (
            c(StepStatus::Done),
            c(StepStatus::Failed) + c(StepStatus::Interrupted),
            c(StepStatus::Skipped),
            applying().count(),
        )
    }

    pub fn is_active(&self) -> bool {
        self.finished.is_none()
    }

    fn next_open(&self, from: usize) -> Option<usize> {
        (from..self.steps.len())
            .chain(0..from)
            .find(|i| !self.steps[*i].status.settled())
    }
}

/// A row of the playbooks pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Run(usize),
    Playbook(usize),
}

/// Everything about playbooks in the TUI.
#[derive(Debug, Clone, Default)]
pub struct Playbooks {
    pub catalog: Vec<Playbook>,
    /// Problems loading playbook files (shown in the pane).
    pub errors: Vec<String>,
    pub list: ListView,
    pub runs: Vec<Run>,
    /// The run shown in the run view.
    pub open: Option<String>,
    /// Steps whose effect is running: (run id, step).
    pub in_flight: BTreeSet<(String, usize)>,
    /// The rows as the pane last showed them (the cursor follows its row,
    /// not its position, when a run is added above it).
    shown: Vec<Row>,
}

impl Playbooks {
    /// Use these playbooks (from the loader).
    pub fn load(&mut self, catalog: Catalog) {
        self.catalog = catalog.playbooks;
        self.errors = catalog.errors.iter().map(ToString::to_string).collect();
        self.refilter();
    }

    pub fn get(&self, name: &str) -> Option<&Playbook> {
        self.catalog.iter().find(|p| p.name == name)
    }

    pub fn run(&self, id: &str) -> Option<&Run> {
        self.runs.iter().find(|r| r.id == id)
    }

    fn run_index(&self, id: &str) -> Option<usize> {
        self.runs.iter().position(|r| r.id == id)
    }

    pub fn open_run(&self) -> Option<&Run> {
        self.open.as_deref().and_then(|id| self.run(id))
    }

    pub fn any_active(&self) -> bool {
        self.runs.iter().any(Run::is_active)
    }

    /// Rows of the pane: active runs (newest first), the playbooks, then
    /// finished runs.
    pub fn rows(&self) -> Vec<Row> {
        let mut rows: Vec<Row> = (0..self.runs.len())
            .rev()
            .filter(|i| self.runs[*i].is_active())
            .map(Row::Run)
            .collect();
        rows.extend((0..self.catalog.len()).map(Row::Playbook));
        rows.extend(
            (0..self.runs.len())
                .rev()
                .filter(|i| !self.runs[*i].is_active())
                .map(Row::Run),
        );
        rows
    }

    pub fn refilter(&mut self) {
        let keep = self
            .list
            .selected_index()
            .and_then(|i| self.shown.get(i).copied());
        let rows = self.rows();
        let texts: Vec<String> = rows
            .iter()
            .copied()
            .map(|r| match r {
                Row::Run(i) => format!(
                    "{} {} {}",
                    self.runs[i].id, self.runs[i].playbook, self.runs[i].title
                ),
                Row::Playbook(i) => {
                    let p = &self.catalog[i];
                    format!(
                        "{} {} {} {}",
                        p.name,
                        p.title,
                        p.tags.join(" "),
                        p.description
                    )
                }
            })
            .collect();
        self.list.refilter(&texts);
        // The same row stays selected, wherever it moved: Enter must open
        // what the responder was looking at.
        if let Some(at) = keep
            .and_then(|k| rows.iter().position(|r| *r == k))
            .and_then(|ri| self.list.view.iter().position(|i| *i == ri))
        {
            self.list.selected = at;
        }
        self.shown = rows;
    }

    /// Put the list's cursor on a run's row (when the filter shows it).
    pub fn select_run(&mut self, id: &str) {
        let Some(ri) = self.run_index(id) else {
            return;
        };
        let rows = self.rows();
        if let Some(at) = rows
            .iter()
            .position(|r| *r == Row::Run(ri))
            .and_then(|p| self.list.view.iter().position(|i| *i == p))
        {
            self.list.selected = at;
            self.list.follow = false;
        }
    }

    pub fn selected_row(&self) -> Option<Row> {
        let rows = self.rows();
        self.list
            .selected_index()
            .and_then(|i| rows.get(i).copied())
    }

    /// Fold a journal entry in (live and replay).
    pub fn apply(&mut self, entry: &Entry) {
        match &entry.event {
            Event::IncidentDeclared { .. } => {
                self.runs.clear();
                self.open = None;
                self.in_flight.clear();
            }
            Event::PlaybookStarted {
                run_id,
                playbook,
                title,
                inputs,
                alert,
                labels,
                steps,
                not_applicable,
            } => {
                if self.run(run_id).is_some() {
                    return;
                }
                let (def, stale) = match self.get(playbook) {
                    Some(p) if p.step_titles() == *steps => (Some(p.clone()), None),
                    Some(_) => (
                        None,
                        Some(
                            "the playbook's steps changed since this run started: start a new run"
                                .to_string(),
                        ),
                    ),
                    None => (
                        None,
                        Some(format!("playbook `{playbook}` is not loaded any more")),
                    ),
                };
                let mut run = Run {
                    id: run_id.clone(),
                    playbook: playbook.clone(),
                    title: if title.is_empty() {
                        playbook.clone()
                    } else {
                        title.clone()
                    },
                    inputs: inputs.clone(),
                    alert: alert.clone(),
                    labels: labels.clone(),
                    def,
                    stale,
                    steps: steps.iter().cloned().map(StepRun::new).collect(),
                    selected: 0,
                    scroll: 0,
                    started_at: entry.ts,
                    finished: None,
                };
                // Titles may use templates (`Silence {{labels.alertname}}`):
                // shown filled in. The event keeps them as written, which
                // is what ties the run to its definition.
                let vars = run.vars(false);
                for s in &mut run.steps {
                    s.title = playbook::show(&s.title, &vars);
                }
                for i in not_applicable {
                    // Which condition is false, when that does not depend
                    // on `demo` (not known here).
                    let why = run
                        .def
                        .as_ref()
                        .and_then(|d| d.steps.get(*i))
                        .filter(|st| st.when.iter().all(|c| c.var != "demo"))
                        .and_then(|st| playbook::not_applicable(st, &vars));
                    if let Some(s) = run.steps.get_mut(*i) {
                        s.status = StepStatus::Skipped;
                        s.applies = false;
                        s.detail = why.unwrap_or_else(|| "not applicable to this run".into());
                    }
                }
                run.selected = run.next_open(0).unwrap_or(0);
                self.runs.push(run);
                self.refilter();
            }
            Event::StepStarted {
                run_id,
                step,
                attempt,
                detail,
                ..
            } => {
                if let Some(s) = self.step_mut(run_id, *step) {
                    if s.status != StepStatus::Running {
                        s.status = StepStatus::Running;
                        s.output.clear();
                        s.exit_code = None;
                        s.duration_ms = None;
                        s.finished = None;
                    }
                    s.started = Some(entry.ts);
                    s.attempts = *attempt;
                    s.detail = detail.clone();
                }
            }
            Event::StepFinished {
                run_id,
                step,
                ok,
                exit_code,
                duration_ms,
                output_tail,
                detail,
                ..
            } => {
                if let Some(s) = self.step_mut(run_id, *step) {
                    s.status = if *ok {
                        StepStatus::Done
                    } else {
                        StepStatus::Failed
                    };
                    s.exit_code = *exit_code;
                    s.duration_ms = Some(*duration_ms);
                    s.detail = detail.clone();
                    s.finished = Some(entry.ts);
                    if s.output.is_empty() && !output_tail.is_empty() {
                        s.push_output(output_tail.lines().map(str::to_owned));
                    }
                }
                self.advance(run_id, *step);
            }
            Event::StepSkipped {
                run_id,
                step,
                reason,
                ..
            } => {
                if let Some(s) = self.step_mut(run_id, *step) {
                    s.status = StepStatus::Skipped;
                    s.detail = reason.clone();
                    s.finished = Some(entry.ts);
                }
                self.advance(run_id, *step);
            }
            Event::PlaybookFinished { run_id, ok, .. } => {
                if let Some(i) = self.run_index(run_id) {
                    self.runs[i].finished = Some(*ok);
                    self.refilter();
                }
            }
            _ => {}
        }
    }

    /// Another responder's playbook entry: their runs are watched here,
    /// under their name (`bob/run-1`, so that their run-1 is not yours),
    /// shown step by step as they carry them out, never run from here.
    pub fn apply_theirs(&mut self, entry: &Entry) {
        let mut e = entry.clone();
        let started = match &mut e.event {
            Event::PlaybookStarted { run_id, .. } => {
                *run_id = format!("{}/{run_id}", entry.actor);
                true
            }
            Event::StepStarted { run_id, .. }
            | Event::StepFinished { run_id, .. }
            | Event::StepSkipped { run_id, .. }
            | Event::PlaybookFinished { run_id, .. } => {
                *run_id = format!("{}/{run_id}", entry.actor);
                false
            }
            _ => return,
        };
        let fresh = started && self.run(&run_id_of(&e)).is_none();
        self.apply(&e);
        if let (true, Some(run)) = (fresh, self.runs.last_mut()) {
            run.title = format!("{} ({})", run.title, entry.actor);
            run.def = None;
            run.stale = Some(format!(
                "{}'s run: watched here, carried out in their cockpit",
                entry.actor
            ));
            self.refilter();
        }
    }

    /// After a replay: steps that were carried out by firebreak and have
    /// no result are Interrupted (waits and queries just carry on).
    pub fn after_replay(&mut self) {
        for r in &mut self.runs {
            for (i, s) in r.steps.iter_mut().enumerate() {
                if s.status != StepStatus::Running || self.in_flight.contains(&(r.id.clone(), i)) {
                    continue;
                }
                let resumable = r
                    .def
                    .as_ref()
                    .and_then(|d| d.steps.get(i))
                    .is_some_and(|st| {
                        matches!(st.kind, StepKind::Wait { .. } | StepKind::Query(_))
                    });
                if !resumable {
                    s.status = StepStatus::Interrupted;
                    s.detail = "was running when firebreak stopped: outcome unknown".into();
                }
            }
            r.selected = r.next_open(0).unwrap_or(r.selected);
        }
        self.refilter();
    }

    fn step_mut(&mut self, run_id: &str, step: usize) -> Option<&mut StepRun> {
        self.runs
            .iter_mut()
            .find(|r| r.id == run_id)
            .and_then(|r| r.steps.get_mut(step))
    }

    /// Move the cursor past a step that just settled.
    fn advance(&mut self, run_id: &str, step: usize) {
        if let Some(r) = self.runs.iter_mut().find(|r| r.id == run_id) {
            if r.selected == step && r.steps.get(step).is_some_and(|s| s.status.settled()) {
                r.selected = r.next_open(step).unwrap_or(step);
                r.scroll = 0;
            }
        }
    }
}

/// Playbooks for an alert: the runbook its `runbook_url` points at
/// first, then those whose `applies_to` matches its labels.
pub fn suggestions<'a>(state: &'a State, alert: &Alert) -> Vec<&'a Playbook> {
    let catalog = &state.playbooks.catalog;
    let linked = linked_runbook(catalog, alert);
    linked
        .into_iter()
        .chain(
            catalog
                .iter()
                .filter(|p| p.applies(&alert.labels) && linked.is_none_or(|l| l.name != p.name)),
        )
        .collect()
}

/// The Markdown runbook an alert's `runbook_url` points at, if loaded.
pub fn linked_runbook<'a>(catalog: &'a [Playbook], alert: &Alert) -> Option<&'a Playbook> {
    alert
        .runbook_url()
        .and_then(|u| crate::playbook::link::linked(catalog, u))
}

/// Is the playbook for this alert (its runbook link, or `applies_to`)?
pub fn applies_to_alert(p: &Playbook, catalog: &[Playbook], alert: &Alert) -> bool {
    p.applies(&alert.labels) || linked_runbook(catalog, alert).is_some_and(|l| l.name == p.name)
}

/// The run an entry of a run is about.
fn run_id_of(e: &Entry) -> String {
    match &e.event {
        Event::PlaybookStarted { run_id, .. }
        | Event::StepStarted { run_id, .. }
        | Event::StepFinished { run_id, .. }
        | Event::StepSkipped { run_id, .. }
        | Event::PlaybookFinished { run_id, .. } => run_id.clone(),
        _ => String::new(),
    }
}
