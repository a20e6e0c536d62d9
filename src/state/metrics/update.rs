//! Metric messages and keys: panel polls and the chart window.

use chrono::{DateTime, Utc};

use super::super::{health, playbooks, Effect, State};
use super::WINDOWS;
use crate::action::Action;
use crate::sources::poller::Polled;
use crate::sources::Panel;

pub(crate) fn on_metrics(
    state: &mut State,
    p: Polled<Vec<Panel>>,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let mut fx = health::health_change(state, |s| &mut s.metrics.health, &p);
    if let Ok(panels) = p.result {
        // Some queries failing while others answer is shown as such (the
        // header, the pane title, each failing panel says why).
        let failed = panels.iter().filter(|p| p.error.is_some()).count();
        state.metrics.health.record_parts(failed, panels.len());
        state.metrics.panels = panels;
        // Query steps of playbook runs look at the new values.
        fx.extend(playbooks::on_tick(state, now));
    }
    fx
}

pub(crate) fn on_action(
    state: &mut State,
    action: Action,
    _now: DateTime<Utc>,
) -> Option<Vec<Effect>> {
    match action {
        Action::CycleWindow => {
            state.metrics.window = (state.metrics.window + 1) % WINDOWS.len();
            Some(vec![Effect::SetWindow(state.metrics.window_duration())])
        }
        _ => None,
    }
}

/// Footer hints while the metrics pane has focus.
pub(crate) fn hints(_state: &State) -> Vec<Action> {
    vec![Action::CycleWindow, Action::Refresh]
}
