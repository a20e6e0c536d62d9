//! Starting a run: the input form, and the typed confirmation used for
//! steps against production.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use crate::action::Action;
use crate::domain::Event;
use crate::playbook;
use crate::state::{Effect, Level, Mode, Pane, State};

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

impl Form {
    /// A form for `pb` with every input prefilled (explicit values, alert
    /// labels, demo defaults, defaults).
    fn prefilled(
        pb: &playbook::Playbook,
        alert: Option<String>,
        labels: BTreeMap<String, String>,
        demo: bool,
    ) -> Form {
        let values = playbook::prefill(pb, &BTreeMap::new(), &labels, demo);
        Form {
            playbook: pb.name.clone(),
            alert,
            labels,
            fields: pb
                .inputs
                .iter()
                .map(|i| {
                    (
                        i.name.clone(),
                        values.get(&i.name).cloned().unwrap_or_default(),
                    )
                })
                .collect(),
            selected: 0,
            error: None,
        }
    }
}

/// Start playbook `name` (for the alert `fingerprint`, if given): show
/// the input form, or start at once when it has no inputs. An
/// unfinished run of the same playbook for the same alert is reopened
/// instead of starting a second one.
pub fn start_playbook(
    state: &mut State,
    name: &str,
    fingerprint: Option<&str>,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    if !state.require_incident(now) {
        return Vec::new();
    }
    let Some(pb) = state.playbooks.get(name).cloned() else {
        state.notify(Level::Error, format!("No playbook named {name}"), now);
        return Vec::new();
    };
    let alert = fingerprint.and_then(|f| state.alerts.get(f));
    let alert_name = alert.map(|a| a.name().to_string());
    let labels = alert.map(|a| a.labels.clone()).unwrap_or_default();
    if let Some(r) = state
        .playbooks
        .runs
        .iter()
        .rev()
        .find(|r| r.is_active() && r.playbook == name && r.alert == alert_name)
    {
        let id = r.id.clone();
        open(state, &id);
        state.notify(
            Level::Info,
            format!("Continuing run {id} of {name} (finish or skip its steps to start anew)"),
            now,
        );
        return Vec::new();
    }
    let form = Form::prefilled(&pb, alert_name, labels, state.settings.demo);
    if pb.inputs.is_empty() {
        return begin_run(state, form, now);
    }
    state.mode = Mode::PlaybookForm(form);
    Vec::new()
}

/// Start playbook `name` without the input form (inputs prefilled from
/// the worst firing alert's labels and defaults): used when firebreak
/// itself opens a checklist, which must never pop up a modal.
pub fn start_without_form(state: &mut State, name: &str, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(pb) = state.playbooks.get(name).cloned() else {
        return Vec::new();
    };
    let alert = state.alerts.items.first();
    let alert_name = alert.map(|a| a.name().to_string());
    let labels = alert.map(|a| a.labels.clone()).unwrap_or_default();
    let form = Form::prefilled(&pb, alert_name, labels, state.settings.demo);
    begin_run(state, form, now)
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
    let enter = state
        .keymap
        .hint(Action::Select)
        .unwrap_or_else(|| "enter".into());
    state.notify(
        Level::Info,
        format!(
            "Playbook {} started: {enter} on a step carries it out",
            pb.name
        ),
        now,
    );
    vec![state.record(Event::PlaybookStarted {
        run_id,
        playbook: pb.name.clone(),
        title: pb.title.clone(),
        inputs,
        alert: form.alert,
        labels: form.labels,
        steps: pb.step_titles(),
        not_applicable: playbook::not_applicable_steps(&pb, &vars),
    })]
}

pub(crate) fn open(state: &mut State, id: &str) {
    state.playbooks.open = Some(id.to_string());
    state.focus = Pane::Playbooks;
}

/// Keys of the input form.
pub fn on_form_key(
    state: &mut State,
    mut form: Form,
    action: Option<Action>,
    key: &KeyEvent,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let n = form.fields.len();
    let input = state
        .playbooks
        .get(&form.playbook)
        .and_then(|p| p.inputs.get(form.selected))
        .cloned();
    match action {
        Some(Action::Cancel) => return Vec::new(),
        Some(Action::Submit) => {
            let values: BTreeMap<String, String> = form.fields.iter().cloned().collect();
            let Some(pb) = state.playbooks.get(&form.playbook) else {
                return Vec::new();
            };
            match playbook::check_inputs(pb, &values) {
                Ok(()) => return begin_run(state, form, now),
                Err((name, e)) => {
                    form.selected = form
                        .fields
                        .iter()
                        .position(|(k, _)| *k == name)
                        .unwrap_or(form.selected);
                    form.error = Some(e);
                }
            }
        }
        Some(Action::PrevField) => form.selected = form.selected.saturating_sub(1),
        Some(Action::NextField) => form.selected = (form.selected + 1).min(n.saturating_sub(1)),
        Some(a @ (Action::PrevChoice | Action::NextChoice)) => {
            if let (Some(i), Some((_, v))) = (input, form.fields.get_mut(form.selected)) {
                let opts: Vec<String> = match i.ty {
                    crate::playbook::model::InputType::Choice => i.choices.clone(),
                    crate::playbook::model::InputType::Bool => vec!["false".into(), "true".into()],
                    _ => Vec::new(),
                };
                if !opts.is_empty() {
                    let cur = opts.iter().position(|o| o == v);
                    let next = match (cur, a == Action::NextChoice) {
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
                if crate::state::keys::edit(v, action, key) {
                    form.error = None;
                }
            }
        }
    }
    state.mode = Mode::PlaybookForm(form);
    Vec::new()
}
