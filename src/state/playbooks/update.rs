//! Playbook messages and keys: the pane and its run view, the input
//! form, step results and timers. The work is split by what it is about:
//! [`form`] (starting a run), [`steps`] (carrying out steps, the run
//! view's keys, confirmations) and [`results`] (step output, results,
//! waits and queries on the clock).

mod form;
mod results;
mod steps;

use chrono::{DateTime, Utc};

pub use form::{on_form_key, start_playbook, start_without_form, Form};
pub use results::{not_recorded, on_msg, on_tick};
pub use steps::{confirmed, open_from_palette, start_suggested};

use crate::action::Action;
use crate::state::{Effect, Pane, State};

/// Actions of the playbooks pane (when it has focus) and the playbook
/// actions that work from anywhere.
pub(crate) fn on_action(
    state: &mut State,
    action: Action,
    now: DateTime<Utc>,
) -> Option<Vec<Effect>> {
    if state.focus == Pane::Playbooks {
        if let Some(fx) = steps::on_action(state, action, now) {
            return Some(fx);
        }
    }
    match action {
        Action::FocusPlaybooks
        | Action::OpenPlaybook
        | Action::FailStep
        | Action::SkipStep
        | Action::RerunStep => Some(steps::on_global_action(state, action, now)),
        _ => None,
    }
}

/// Start a playbook chosen in the palette (for the selected alert when
/// it applies to it).
pub(crate) fn start_from_palette(state: &mut State, name: &str, now: DateTime<Utc>) -> Vec<Effect> {
    let fp = state
        .selected_alert()
        .filter(|a| {
            state
                .playbooks
                .get(name)
                .is_some_and(|p| super::applies_to_alert(p, &state.playbooks.catalog, a))
        })
        .map(|a| a.fingerprint.clone());
    start_playbook(state, name, fp.as_deref(), now)
}

/// Is a run open in the focused playbooks pane (its keymap layer is
/// then consulted first)?
pub(crate) fn run_view_shown(state: &State) -> bool {
    state.focus == Pane::Playbooks && state.playbooks.open_run().is_some()
}

/// Footer hints while the playbooks pane has focus.
pub(crate) fn hints(state: &State) -> Vec<Action> {
    if state.playbooks.open.is_some() {
        vec![
            Action::Select,
            Action::FailStep,
            Action::SkipStep,
            Action::RerunStep,
            Action::Back,
        ]
    } else {
        vec![Action::Select, Action::Filter]
    }
}

/// What a key does in the playbooks pane, where it differs from the
/// action's footer label: Enter carries out a step in the run view,
/// opens a run or starts a playbook in the list.
pub(crate) fn hint_label(state: &State, action: Action) -> Option<&'static str> {
    use crate::state::playbooks::Row;
    match action {
        Action::Select if state.playbooks.open.is_some() => Some(RUN_SELECT),
        Action::Select => match state.playbooks.selected_row() {
            Some(Row::Run(_)) => Some("open"),
            Some(Row::Playbook(_)) => Some("start"),
            None => None,
        },
        _ => None,
    }
}

/// What Enter does in the run view (its border and the footer say it).
pub(crate) const RUN_SELECT: &str = "run/confirm";
