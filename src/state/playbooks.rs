//! Playbook runs in the TUI, kept pure like the rest of `update`.
//!
//! A run is built from journal entries (the same path live and on
//! replay): `PlaybookStarted` creates it, `StepStarted`/`StepFinished`/
//! `StepSkipped` move its steps, `PlaybookFinished` closes it. Steps that
//! touch the world are recorded before they run (write-ahead): the key
//! press sets the step running and returns `Record{StepStarted, then:
//! [PlaybookStep]}`. A step that was running when firebreak stopped
//! comes back as Interrupted: its outcome is unknown, and the responder
//! decides (re-run, mark failed, skip).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::{DateTime, Duration, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::lists::ListView;
use super::palette::{Command, Item};
use super::update::record;
use super::{Effect, Level, Mode, Pane, Pending, State};
use crate::action::Action;
use crate::playbook::exec::{StepAction, StepJob, StepOutcome};
use crate::playbook::model::{ReleaseOp, StepKind};
use crate::playbook::template::Vars;
use crate::playbook::{self, Catalog, Confirm, Playbook};
use crate::timeline::{Entry, Event};

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
        match &self.def {
            Some(pb) => playbook::vars(pb, &self.inputs, &self.labels, demo),
            None => Vars {
                inputs: self.inputs.clone(),
                labels: self.labels.clone(),
                argv_inputs: Vec::new(),
                demo,
            },
        }
    }

    /// (done, failed, skipped, total)
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let c = |s: StepStatus| self.steps.iter().filter(|x| x.status == s).count();
        (c(StepStatus::Done), c(StepStatus::Failed) + c(StepStatus::Interrupted), c(StepStatus::Skipped), self.steps.len())
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
}

/// The input form shown before a run starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    pub playbook: String,
    pub alert: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub fields: Vec<(String, String)>,
    pub selected: usize,
    pub error: Option<String>,
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
        let mut rows: Vec<Row> = (0..self.runs.len()).rev().filter(|i| self.runs[*i].is_active()).map(Row::Run).collect();
        rows.extend((0..self.catalog.len()).map(Row::Playbook));
        rows.extend((0..self.runs.len()).rev().filter(|i| !self.runs[*i].is_active()).map(Row::Run));
        rows
    }

    pub fn refilter(&mut self) {
        let texts: Vec<String> = self
            .rows()
            .into_iter()
            .map(|r| match r {
                Row::Run(i) => format!("{} {} {}", self.runs[i].id, self.runs[i].playbook, self.runs[i].title),
                Row::Playbook(i) => {
                    let p = &self.catalog[i];
                    format!("{} {} {} {}", p.name, p.title, p.tags.join(" "), p.description)
                }
            })
            .collect();
        self.list.refilter(&texts);
    }

    pub fn selected_row(&self) -> Option<Row> {
        let rows = self.rows();
        self.list.selected_index().and_then(|i| rows.get(i).copied())
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
                    Some(_) => (None, Some("the playbook's steps changed since this run started: start a new run".to_string())),
                    None => (None, Some(format!("playbook `{playbook}` is not loaded any more"))),
                };
                let mut run = Run {
                    id: run_id.clone(),
                    playbook: playbook.clone(),
                    title: if title.is_empty() { playbook.clone() } else { title.clone() },
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
                for i in not_applicable {
                    if let Some(s) = run.steps.get_mut(*i) {
                        s.status = StepStatus::Skipped;
                        s.detail = "not applicable to this run".into();
                    }
                }
                run.selected = run.next_open(0).unwrap_or(0);
                self.runs.push(run);
                self.refilter();
            }
            Event::StepStarted {
                run_id, step, attempt, detail, ..
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
                    s.status = if *ok { StepStatus::Done } else { StepStatus::Failed };
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
                run_id, step, reason, ..
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
                    .is_some_and(|st| matches!(st.kind, StepKind::Wait { .. } | StepKind::Query(_)));
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
        self.runs.iter_mut().find(|r| r.id == run_id).and_then(|r| r.steps.get_mut(step))
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

/// Playbooks that apply to an alert with these labels.
pub fn suggestions<'a>(state: &'a State, labels: &BTreeMap<String, String>) -> Vec<&'a Playbook> {
    state.playbooks.catalog.iter().filter(|p| p.applies(labels)).collect()
}

/// Palette items: every playbook, every run.
pub fn palette_items(state: &State) -> Vec<Item> {
    let labels = state.selected_alert().map(|a| a.labels.clone()).unwrap_or_default();
    let mut out = Vec::new();
    for p in &state.playbooks.catalog {
        out.push(Item {
            kind: "playbook",
            label: format!("Run playbook {}: {}", p.name, p.title),
            hint: if p.applies(&labels) { "suggested".into() } else { p.tags.join(" ") },
            command: Command::Playbook(p.name.clone()),
        });
    }
    for r in state.playbooks.runs.iter().rev() {
        let (done, _, skipped, total) = r.counts();
        out.push(Item {
            kind: "run",
            label: format!("Open run {} of {} ({}/{total} steps settled)", r.id, r.playbook, done + skipped),
            hint: if r.is_active() { "in progress".into() } else { "finished".into() },
            command: Command::PlaybookRun(r.id.clone()),
        });
    }
    out
}

fn require_incident(state: &mut State, now: DateTime<Utc>) -> bool {
    if state.incident.is_some() {
        return true;
    }
    let key = state.keymap.hint(Action::DeclareIncident).unwrap_or_else(|| "D".into());
    state.notify(Level::Warning, format!("No incident yet: declare one first ({key}); playbook runs are recorded in it"), now);
    false
}

/// Start playbook `name` (for the alert `fingerprint`, if given): show
/// the input form, or start at once when it has no inputs. An
/// unfinished run of the same playbook for the same alert is reopened
/// instead of starting a second one.
pub fn start_playbook(state: &mut State, name: &str, fingerprint: Option<&str>, now: DateTime<Utc>) -> Vec<Effect> {
    if !require_incident(state, now) {
        return Vec::new();
    }
    let Some(pb) = state.playbooks.get(name).cloned() else {
        state.notify(Level::Error, format!("No playbook named {name}"), now);
        return Vec::new();
    };
    let alert = fingerprint.and_then(|f| state.alerts.iter().find(|a| a.fingerprint == f));
    let alert_name = alert.map(|a| a.name().to_string());
    let labels = alert.map(|a| a.labels.clone()).unwrap_or_default();
    if let Some(r) = state.playbooks.runs.iter().rev().find(|r| r.is_active() && r.playbook == name && r.alert == alert_name) {
        let id = r.id.clone();
        open(state, &id);
        state.notify(Level::Info, format!("Continuing run {id} of {name} (finish or skip its steps to start anew)"), now);
        return Vec::new();
    }
    let values = playbook::prefill(&pb, &BTreeMap::new(), &labels, state.settings.demo);
    let form = Form {
        playbook: name.to_string(),
        alert: alert_name,
        labels,
        fields: pb.inputs.iter().map(|i| (i.name.clone(), values.get(&i.name).cloned().unwrap_or_default())).collect(),
        selected: 0,
        error: None,
    };
    if pb.inputs.is_empty() {
        return begin_run(state, form, now);
    }
    state.mode = Mode::PlaybookForm(form);
    Vec::new()
}

/// Record the start of a run from a filled form.
fn begin_run(state: &mut State, form: Form, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(pb) = state.playbooks.get(&form.playbook).cloned() else {
        return Vec::new();
    };
    let inputs: BTreeMap<String, String> = form.fields.into_iter().collect();
    let vars = playbook::vars(&pb, &inputs, &form.labels, state.settings.demo);
    let mut n = state.playbooks.runs.len() + 1;
    while state.playbooks.run(&format!("run-{n}")).is_some() {
        n += 1;
    }
    let run_id = format!("run-{n}");
    state.playbooks.open = Some(run_id.clone());
    state.focus = Pane::Playbooks;
    let enter = state.keymap.hint(Action::Select).unwrap_or_else(|| "enter".into());
    state.notify(Level::Info, format!("Playbook {} started: {enter} on a step carries it out", pb.name), now);
    vec![record(
        state,
        Event::PlaybookStarted {
            run_id,
            playbook: pb.name.clone(),
            title: pb.title.clone(),
            inputs,
            alert: form.alert,
            labels: form.labels,
            steps: pb.step_titles(),
            not_applicable: playbook::not_applicable_steps(&pb, &vars),
        },
    )]
}

fn open(state: &mut State, id: &str) {
    state.playbooks.open = Some(id.to_string());
    state.focus = Pane::Playbooks;
}

/// Keys of the input form.
pub fn on_form_key(state: &mut State, mut form: Form, key: KeyEvent, now: DateTime<Utc>) -> Vec<Effect> {
    let n = form.fields.len();
    let input = state.playbooks.get(&form.playbook).and_then(|p| p.inputs.get(form.selected)).cloned();
    match key.code {
        KeyCode::Esc => return Vec::new(),
        KeyCode::Enter => {
            let values: BTreeMap<String, String> = form.fields.iter().cloned().collect();
            let Some(pb) = state.playbooks.get(&form.playbook) else {
                return Vec::new();
            };
            match playbook::check_inputs(pb, &values) {
                Ok(()) => return begin_run(state, form, now),
                Err((name, e)) => {
                    form.selected = form.fields.iter().position(|(k, _)| *k == name).unwrap_or(form.selected);
                    form.error = Some(e);
                }
            }
        }
        KeyCode::Up | KeyCode::BackTab => form.selected = form.selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Tab => form.selected = (form.selected + 1).min(n.saturating_sub(1)),
        KeyCode::Left | KeyCode::Right => {
            if let (Some(i), Some((_, v))) = (input, form.fields.get_mut(form.selected)) {
                let opts: Vec<String> = match i.ty {
                    crate::playbook::model::InputType::Choice => i.choices.clone(),
                    crate::playbook::model::InputType::Bool => vec!["false".into(), "true".into()],
                    _ => Vec::new(),
                };
                if !opts.is_empty() {
                    let cur = opts.iter().position(|o| o == v);
                    let next = match (cur, key.code == KeyCode::Right) {
                        (Some(c), true) => (c + 1) % opts.len(),
                        (Some(c), false) => (c + opts.len() - 1) % opts.len(),
                        (None, _) => 0,
                    };
                    *v = opts[next].clone();
                    form.error = None;
                }
            }
        }
        _ => {
            if let Some((_, v)) = form.fields.get_mut(form.selected) {
                if super::input::edit(v, &key) {
                    form.error = None;
                }
            }
        }
    }
    state.mode = Mode::PlaybookForm(form);
    Vec::new()
}

/// Actions while the playbooks pane has focus. None: not handled here.
pub fn on_action(state: &mut State, action: Action, now: DateTime<Utc>) -> Option<Vec<Effect>> {
    let open_idx = state.playbooks.open.as_deref().and_then(|id| state.playbooks.run_index(id));
    let Some(ri) = open_idx else {
        // The list.
        return match action {
            Action::Select => Some(match state.playbooks.selected_row() {
                Some(Row::Run(i)) => {
                    let id = state.playbooks.runs[i].id.clone();
                    open(state, &id);
                    Vec::new()
                }
                Some(Row::Playbook(i)) => {
                    let name = state.playbooks.catalog[i].name.clone();
                    let fp = state
                        .selected_alert()
                        .filter(|a| state.playbooks.catalog[i].applies(&a.labels))
                        .map(|a| a.fingerprint.clone());
                    start_playbook(state, &name, fp.as_deref(), now)
                }
                None => Vec::new(),
            }),
            _ => None,
        };
    };
    let run = &mut state.playbooks.runs[ri];
    let last = run.steps.len().saturating_sub(1);
    match action {
        Action::Up => run.selected = run.selected.saturating_sub(1),
        Action::Down => run.selected = (run.selected + 1).min(last),
        Action::Top => run.selected = 0,
        Action::Bottom => run.selected = last,
        Action::PageUp => run.scroll = run.scroll.saturating_add(10),
        Action::PageDown => run.scroll = run.scroll.saturating_sub(10),
        Action::Back => state.playbooks.open = None,
        Action::Select => return Some(act(state, ri, now)),
        Action::FailStep | Action::SkipStep | Action::RerunStep => return Some(step_command(state, ri, action, now)),
        Action::Filter => {
            state.notify(Level::Info, "Close the run view (Esc) to filter the playbooks", now);
        }
        _ => return None,
    }
    if matches!(action, Action::Up | Action::Down | Action::Top | Action::Bottom) {
        state.playbooks.runs[ri].scroll = 0;
    }
    Some(Vec::new())
}

/// The playbook actions outside the pane.
pub fn on_global_action(state: &mut State, action: Action, now: DateTime<Utc>) -> Vec<Effect> {
    match action {
        Action::FocusPlaybooks => {
            state.focus = Pane::Playbooks;
            Vec::new()
        }
        Action::OpenPlaybook => {
            if state.focus == Pane::Alerts {
                if let Some(fp) = state.selected_alert().map(|a| a.fingerprint.clone()) {
                    return start_suggested(state, &fp, now);
                }
            }
            state.focus = Pane::Playbooks;
            Vec::new()
        }
        _ => {
            let key = state.keymap.hint(Action::FocusPlaybooks).unwrap_or_else(|| "5".into());
            state.notify(Level::Info, format!("Open a playbook run first (playbooks pane: {key})"), now);
            Vec::new()
        }
    }
}

/// Start the first playbook suggested for an alert.
pub fn start_suggested(state: &mut State, fingerprint: &str, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(alert) = state.alerts.iter().find(|a| a.fingerprint == fingerprint) else {
        return Vec::new();
    };
    let first = suggestions(state, &alert.labels).first().map(|p| p.name.clone());
    match first {
        Some(name) => start_playbook(state, &name, Some(fingerprint), now),
        None => {
            let key = state.keymap.hint(Action::FocusPlaybooks).unwrap_or_else(|| "5".into());
            state.notify(Level::Info, format!("No playbook applies to this alert: pick one in the playbooks pane ({key})"), now);
            Vec::new()
        }
    }
}

/// Open a run (palette).
pub fn open_from_palette(state: &mut State, id: &str) -> Vec<Effect> {
    if state.playbooks.run(id).is_some() {
        open(state, id);
    }
    Vec::new()
}

/// Enter on a step.
fn act(state: &mut State, ri: usize, now: DateTime<Utc>) -> Vec<Effect> {
    let run = &state.playbooks.runs[ri];
    let si = run.selected;
    let Some(step) = run.steps.get(si) else {
        return Vec::new();
    };
    let rerun = state.keymap.hint(Action::RerunStep).unwrap_or_else(|| "ctrl-r".into());
    match step.status {
        StepStatus::Pending => request(state, ri, si, now),
        StepStatus::Running => {
            state.notify(Level::Info, format!("\"{}\" is running; wait for its result", step.title), now);
            Vec::new()
        }
        StepStatus::Interrupted => {
            let fail = state.keymap.hint(Action::FailStep).unwrap_or_else(|| "F".into());
            let skip = state.keymap.hint(Action::SkipStep).unwrap_or_else(|| "ctrl-s".into());
            state.notify(
                Level::Warning,
                format!("\"{}\" was running when firebreak stopped: check what happened, then {rerun} re-run, {fail} mark failed, or {skip} skip", step.title),
                now,
            );
            Vec::new()
        }
        _ => {
            state.notify(Level::Info, format!("\"{}\" is {}; {rerun} runs it again", step.title, step.status.label()), now);
            Vec::new()
        }
    }
}

/// Carry out a pending step (after its confirmation, if it needs one).
fn request(state: &mut State, ri: usize, si: usize, now: DateTime<Utc>) -> Vec<Effect> {
    let run = &state.playbooks.runs[ri];
    let Some(pb) = run.def.clone() else {
        let why = run.stale.clone().unwrap_or_default();
        state.notify(Level::Warning, format!("This run cannot carry out steps: {why}"), now);
        return Vec::new();
    };
    let Some(step) = pb.steps.get(si).cloned() else {
        return Vec::new();
    };
    let run_id = run.id.clone();
    if state.playbooks.in_flight.contains(&(run_id.clone(), si)) {
        return Vec::new();
    }
    let vars = run.vars(state.settings.demo);
    let action = match playbook::action(&step, &vars) {
        Ok(a) => a,
        Err(e) => {
            state.notify(Level::Error, format!("Cannot prepare \"{}\": {e}", step.title), now);
            return Vec::new();
        }
    };
    match (&step.kind, action) {
        (_, Some(action)) => {
            let flag_env = match &action {
                StepAction::SetFlag { flag, .. } => state.flags.iter().find(|f| f.name == *flag).and_then(|f| f.env.clone()),
                _ => None,
            };
            if let StepAction::SetFlag { flag, wanted, .. } = &action {
                if state.flips_in_flight.contains(flag) {
                    state.notify(Level::Info, format!("{flag} is already being changed; wait for the result"), now);
                    return Vec::new();
                }
                if let Some(f) = state.flags.iter().find(|f| f.name == *flag) {
                    // Read before write: show the state being changed.
                    let text = format!("{flag} is {} now; this turns it {}", on_off(f.enabled), on_off(*wanted));
                    state.notify(Level::Info, text, now);
                }
            }
            if matches!(action, StepAction::Release(ReleaseOp::Rollback)) && state.rollback_in_flight {
                state.notify(Level::Info, "A rollback is already running", now);
                return Vec::new();
            }
            let pending = Pending::PlaybookStep { run_id, step: si };
            match playbook::confirmation(&pb, &step, &vars, flag_env.as_deref()) {
                Confirm::None => start_io(state, ri, si, action, now),
                Confirm::YesNo(question) => {
                    state.mode = Mode::Confirm { question, pending };
                    Vec::new()
                }
                Confirm::Typed { question, expect } => {
                    state.mode = Mode::TypedConfirm {
                        question,
                        expect,
                        input: String::new(),
                        pending,
                        error: None,
                    };
                    Vec::new()
                }
            }
        }
        (StepKind::Wait { .. }, None) => begin_timer(state, ri, si, "waiting".into(), now),
        (StepKind::Query(q), None) if q.panel.is_some() => {
            let detail = format!("polling {} until {}", q.panel.clone().unwrap_or_default(), q.expect.describe());
            begin_timer(state, ri, si, detail, now)
        }
        (StepKind::Query(_), None) => finish_manual(state, ri, si, true, "confirmed met by the responder", now),
        (StepKind::Check, None) => finish_manual(state, ri, si, true, "confirmed", now),
        (_, None) => finish_manual(state, ri, si, true, "read", now),
    }
}

fn on_off(v: bool) -> &'static str {
    if v {
        "on"
    } else {
        "off"
    }
}

/// The user confirmed a step.
pub fn confirmed(state: &mut State, run_id: &str, step: usize, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(ri) = state.playbooks.run_index(run_id) else {
        return Vec::new();
    };
    let run = &state.playbooks.runs[ri];
    let pending = run.steps.get(step).is_some_and(|s| s.status == StepStatus::Pending);
    if !pending || state.playbooks.in_flight.contains(&(run_id.to_string(), step)) {
        return Vec::new();
    }
    let (Some(pb), vars) = (run.def.clone(), run.vars(state.settings.demo)) else {
        return Vec::new();
    };
    match pb.steps.get(step).map(|s| playbook::action(s, &vars)) {
        Some(Ok(Some(action))) => start_io(state, ri, step, action, now),
        Some(Err(e)) => {
            state.notify(Level::Error, format!("Cannot prepare the step: {e}"), now);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Mark running and record, then run the effect (write-ahead).
fn start_io(state: &mut State, ri: usize, si: usize, action: StepAction, now: DateTime<Utc>) -> Vec<Effect> {
    let run = &mut state.playbooks.runs[ri];
    let run_id = run.id.clone();
    if !state.playbooks.in_flight.insert((run_id.clone(), si)) {
        return Vec::new();
    }
    let kind = run.def.as_ref().and_then(|d| d.steps.get(si)).map_or("command", |s| s.kind_name());
    let s = &mut run.steps[si];
    s.status = StepStatus::Running;
    s.started = Some(now);
    s.finished = None;
    s.exit_code = None;
    s.duration_ms = None;
    s.output.clear();
    s.attempts += 1;
    s.detail = action.describe();
    run.scroll = 0;
    let (title, attempt, detail) = (s.title.clone(), s.attempts, s.detail.clone());
    match &action {
        StepAction::SetFlag { flag, .. } => {
            state.flips_in_flight.insert(flag.clone());
        }
        StepAction::Release(ReleaseOp::Rollback) => state.rollback_in_flight = true,
        _ => {}
    }
    state.notify(Level::Info, format!("Running \"{title}\"…"), now);
    vec![Effect::Record {
        actor: state.settings.responder.clone(),
        event: Event::StepStarted {
            run_id: run_id.clone(),
            step: si,
            title,
            step_kind: kind.to_string(),
            attempt,
            detail,
        },
        then: vec![Effect::PlaybookStep(StepJob {
            run_id,
            step: si,
            attempt,
            action,
        })],
    }]
}

/// Waits and queries: recorded as started, finished by [`on_tick`].
fn begin_timer(state: &mut State, ri: usize, si: usize, detail: String, now: DateTime<Utc>) -> Vec<Effect> {
    let run = &mut state.playbooks.runs[ri];
    let kind = run.def.as_ref().and_then(|d| d.steps.get(si)).map_or("wait", |s| s.kind_name());
    let s = &mut run.steps[si];
    s.status = StepStatus::Running;
    s.started = Some(now);
    s.finished = None;
    s.attempts += 1;
    s.last_value = None;
    s.detail = detail.clone();
    let ev = Event::StepStarted {
        run_id: run.id.clone(),
        step: si,
        title: s.title.clone(),
        step_kind: kind.to_string(),
        attempt: s.attempts,
        detail,
    };
    vec![record(state, ev)]
}

/// Settle a step firebreak does not run itself.
fn finish_manual(state: &mut State, ri: usize, si: usize, ok: bool, detail: &str, now: DateTime<Utc>) -> Vec<Effect> {
    let who = state.settings.responder.clone();
    let run = &mut state.playbooks.runs[ri];
    let kind = run.def.as_ref().and_then(|d| d.steps.get(si)).map_or("check", |s| s.kind_name());
    let s = &mut run.steps[si];
    s.status = if ok { StepStatus::Done } else { StepStatus::Failed };
    s.finished = Some(now);
    s.detail = format!("{detail} by {who}");
    let ev = Event::StepFinished {
        run_id: run.id.clone(),
        step: si,
        title: s.title.clone(),
        step_kind: kind.to_string(),
        ok,
        exit_code: None,
        duration_ms: 0,
        output_tail: String::new(),
        detail: s.detail.clone(),
    };
    let mut fx = vec![record(state, ev)];
    fx.extend(settled(state, ri, si, ok, now));
    fx
}

/// After a step settles: move on, say what to do on failure, finish the
/// run when everything is done or skipped.
fn settled(state: &mut State, ri: usize, si: usize, ok: bool, now: DateTime<Utc>) -> Vec<Effect> {
    let run_id = state.playbooks.runs[ri].id.clone();
    state.playbooks.advance(&run_id, si);
    let run = &state.playbooks.runs[ri];
    if !ok {
        let guidance = run
            .def
            .as_ref()
            .and_then(|d| d.steps.get(si))
            .and_then(|s| s.on_failure.clone())
            .map(|g| format!(" If this fails: {}", playbook::show(&g, &run.vars(state.settings.demo))))
            .unwrap_or_default();
        let text = format!("Step \"{}\" failed: {}.{guidance}", run.steps[si].title, run.steps[si].detail);
        state.notify(Level::Error, text, now);
    }
    let run = &state.playbooks.runs[ri];
    if run.is_active() && run.steps.iter().all(|s| s.status.settled()) {
        let (done, _, skipped, _) = run.counts();
        let ev = Event::PlaybookFinished {
            run_id,
            playbook: run.playbook.clone(),
            ok: true,
            summary: format!("{done} done, {skipped} skipped"),
        };
        state.playbooks.runs[ri].finished = Some(true);
        let text = format!("Playbook {} finished: {done} done, {skipped} skipped", state.playbooks.runs[ri].playbook);
        if ok {
            state.notify(Level::Success, text, now);
        }
        return vec![record(state, ev)];
    }
    Vec::new()
}

/// F, ctrl-s, ctrl-r in the run view.
fn step_command(state: &mut State, ri: usize, action: Action, now: DateTime<Utc>) -> Vec<Effect> {
    let run = &state.playbooks.runs[ri];
    let si = run.selected;
    let Some(step) = run.steps.get(si).cloned() else {
        return Vec::new();
    };
    let kind = run.def.as_ref().and_then(|d| d.steps.get(si)).map(|s| s.kind.clone());
    let manual = matches!(kind, Some(StepKind::Check | StepKind::Note | StepKind::Link { .. }))
        || matches!(&kind, Some(StepKind::Query(q)) if q.panel.is_none());
    let timer = matches!(kind, Some(StepKind::Wait { .. } | StepKind::Query(_)));
    match action {
        Action::FailStep => match step.status {
            StepStatus::Pending if manual => finish_manual(state, ri, si, false, "marked failed", now),
            StepStatus::Running if timer => finish_manual(state, ri, si, false, "stopped and marked failed", now),
            StepStatus::Interrupted => finish_manual(state, ri, si, false, "interrupted; marked failed", now),
            _ => {
                state.notify(Level::Info, "Only checks, waits, queries and interrupted steps can be marked failed", now);
                Vec::new()
            }
        },
        Action::SkipStep => match step.status {
            StepStatus::Pending | StepStatus::Failed | StepStatus::Interrupted => {
                let who = state.settings.responder.clone();
                let run = &mut state.playbooks.runs[ri];
                let s = &mut run.steps[si];
                s.status = StepStatus::Skipped;
                s.finished = Some(now);
                s.detail = format!("skipped by {who}");
                let ev = Event::StepSkipped {
                    run_id: run.id.clone(),
                    step: si,
                    title: s.title.clone(),
                    reason: s.detail.clone(),
                };
                let mut fx = vec![record(state, ev)];
                fx.extend(settled(state, ri, si, true, now));
                fx
            }
            StepStatus::Running => {
                state.notify(Level::Info, "A running step cannot be skipped; wait for its result", now);
                Vec::new()
            }
            _ => {
                state.notify(Level::Info, format!("\"{}\" is already {}", step.title, step.status.label()), now);
                Vec::new()
            }
        },
        _ => match step.status {
            StepStatus::Running => {
                state.notify(Level::Info, format!("\"{}\" is still running", step.title), now);
                Vec::new()
            }
            _ => {
                let run = &mut state.playbooks.runs[ri];
                if run.finished.is_some() {
                    // Re-running a step reopens the run.
                    run.finished = None;
                }
                // If a confirmation is then declined, the step stays
                // pending, which is what it is until it runs again.
                run.steps[si].status = StepStatus::Pending;
                request(state, ri, si, now)
            }
        },
    }
}

/// Results of step effects.
pub fn on_msg(state: &mut State, msg: PlaybookMsg, now: DateTime<Utc>) -> Vec<Effect> {
    match msg {
        PlaybookMsg::Output {
            run_id,
            step,
            attempt,
            lines,
        } => {
            if let Some(s) = state.playbooks.step_mut(&run_id, step) {
                if s.attempts == attempt && s.status == StepStatus::Running {
                    s.push_output(lines);
                }
            }
            Vec::new()
        }
        PlaybookMsg::StepDone {
            run_id,
            step,
            attempt,
            outcome,
        } => {
            state.playbooks.in_flight.remove(&(run_id.clone(), step));
            let mut fx = Vec::new();
            if let Some(f) = &outcome.flag {
                state.flips_in_flight.remove(&f.flag);
                fx.push(record(
                    state,
                    Event::FlagChanged {
                        provider: f.provider.clone(),
                        flag: f.flag.clone(),
                        before: f.before,
                        after: f.after,
                        wanted: f.wanted,
                        ok: f.ok,
                        detail: if f.ok && !f.changed { "no-op: already in that state".into() } else { format!("playbook run {run_id}") },
                    },
                ));
                fx.push(Effect::RefreshFlags);
            }
            let Some(ri) = state.playbooks.run_index(&run_id) else {
                return fx;
            };
            let kind = state.playbooks.runs[ri]
                .def
                .as_ref()
                .and_then(|d| d.steps.get(step))
                .map_or("command", |s| s.kind_name());
            if kind == "release" {
                state.rollback_in_flight = false;
                fx.push(Effect::RefreshAll);
            }
            let run = &mut state.playbooks.runs[ri];
            let Some(s) = run.steps.get_mut(step) else {
                return fx;
            };
            if s.attempts != attempt {
                return fx;
            }
            s.status = if outcome.ok { StepStatus::Done } else { StepStatus::Failed };
            s.exit_code = outcome.exit_code;
            s.duration_ms = Some(outcome.duration_ms);
            s.detail = outcome.detail.clone();
            s.finished = Some(now);
            if s.output.is_empty() {
                s.push_output(outcome.output.iter().cloned());
            }
            let ev = Event::StepFinished {
                run_id,
                step,
                title: s.title.clone(),
                step_kind: kind.to_string(),
                ok: outcome.ok,
                exit_code: outcome.exit_code,
                duration_ms: outcome.duration_ms,
                output_tail: crate::playbook::runner::tail_text(&outcome.output, TAIL_LINES, TAIL_BYTES),
                detail: outcome.detail.clone(),
            };
            if outcome.ok {
                let title = s.title.clone();
                state.notify(Level::Success, format!("\"{title}\": {}", outcome.detail), now);
            }
            fx.insert(0, record(state, ev));
            fx.extend(settled(state, ri, step, outcome.ok, now));
            fx
        }
    }
}

/// Finish waits whose time is up and queries that are met or timed out.
/// Called on ticks and whenever new metrics arrive.
pub fn on_tick(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    let mut due: Vec<(usize, usize, bool, String)> = Vec::new();
    for (ri, run) in state.playbooks.runs.iter_mut().enumerate() {
        let Some(def) = &run.def else { continue };
        for (si, s) in run.steps.iter_mut().enumerate() {
            if s.status != StepStatus::Running {
                continue;
            }
            let Some(started) = s.started else { continue };
            let elapsed = now - started;
            match def.steps.get(si).map(|d| &d.kind) {
                Some(StepKind::Wait { duration })
                    if elapsed >= Duration::from_std(*duration).unwrap_or(Duration::zero()) =>
                {
                    due.push((ri, si, true, format!("waited {}s", duration.as_secs())));
                }
                Some(StepKind::Query(q)) => {
                    let Some(name) = &q.panel else { continue };
                    let panel = state.panels.iter().find(|p| p.spec.name == *name);
                    let fresh = panel.and_then(|p| {
                        let (t, v) = p.points.iter().rev().find(|(_, v)| v.is_finite()).copied()?;
                        (t >= started.timestamp() as f64).then_some(v)
                    });
                    let unit = panel.map(|p| p.spec.unit.clone()).unwrap_or_default();
                    if let Some(v) = fresh {
                        s.last_value = Some(v);
                        if q.expect.met(v) {
                            due.push((ri, si, true, format!("{name} = {v:.2}{unit} ({})", q.expect.describe())));
                            continue;
                        }
                    }
                    if elapsed >= Duration::from_std(q.within).unwrap_or(Duration::zero()) {
                        let last = s.last_value.map_or("no data".to_string(), |v| format!("{v:.2}{unit}"));
                        due.push((
                            ri,
                            si,
                            false,
                            format!("{name} still {last} after {}s (expected {})", q.within.as_secs(), q.expect.describe()),
                        ));
                    }
                }
                _ => {}
            }
        }
    }
    let mut fx = Vec::new();
    for (ri, si, ok, detail) in due {
        let run = &mut state.playbooks.runs[ri];
        let kind = run.def.as_ref().and_then(|d| d.steps.get(si)).map_or("wait", |s| s.kind_name());
        let s = &mut run.steps[si];
        let ms = s.started.map_or(0, |t| (now - t).num_milliseconds().max(0) as u64);
        s.status = if ok { StepStatus::Done } else { StepStatus::Failed };
        s.finished = Some(now);
        s.duration_ms = Some(ms);
        s.detail = detail.clone();
        let ev = Event::StepFinished {
            run_id: run.id.clone(),
            step: si,
            title: s.title.clone(),
            step_kind: kind.to_string(),
            ok,
            exit_code: None,
            duration_ms: ms,
            output_tail: String::new(),
            detail,
        };
        fx.push(record(state, ev));
        fx.extend(settled(state, ri, si, ok, now));
    }
    fx
}

/// A step effect was not recorded, so it was not run: release it.
pub fn not_recorded(state: &mut State, effect: &Effect) {
    if let Effect::PlaybookStep(job) = effect {
        state.playbooks.in_flight.remove(&(job.run_id.clone(), job.step));
        match &job.action {
            StepAction::SetFlag { flag, .. } => {
                state.flips_in_flight.remove(flag);
            }
            StepAction::Release(ReleaseOp::Rollback) => state.rollback_in_flight = false,
            _ => {}
        }
        if let Some(s) = state.playbooks.step_mut(&job.run_id, job.step) {
            s.status = StepStatus::Pending;
            s.detail = "not run: it could not be recorded".into();
        }
    }
}

/// Keys of the typed confirmation.
pub fn on_typed_key(state: &mut State, mode: Mode, key: KeyEvent, now: DateTime<Utc>) -> Vec<Effect> {
    let Mode::TypedConfirm {
        question,
        expect,
        mut input,
        pending,
        error,
    } = mode
    else {
        return Vec::new();
    };
    match key.code {
        KeyCode::Esc => {
            state.notify(Level::Info, "Not confirmed: nothing was done", now);
            Vec::new()
        }
        KeyCode::Enter if input.trim() == expect => super::update::confirmed(state, pending, now),
        KeyCode::Enter => {
            state.mode = Mode::TypedConfirm {
                question,
                error: Some(format!("That is not `{expect}`: type it exactly, or Esc to cancel")),
                expect,
                input,
                pending,
            };
            Vec::new()
        }
        _ => {
            let changed = !(key.modifiers.contains(KeyModifiers::ALT)) && super::input::edit(&mut input, &key);
            state.mode = Mode::TypedConfirm {
                question,
                expect,
                input,
                pending,
                error: if changed { None } else { error },
            };
            Vec::new()
        }
    }
}
