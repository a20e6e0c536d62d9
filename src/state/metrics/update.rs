//! Metric messages and keys: panel polls and the chart window.

use chrono::{DateTime, Utc};

use super::super::{health, playbooks, Effect, Level, Pane, State};
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
    now: DateTime<Utc>,
) -> Option<Vec<Effect>> {
    match action {
        Action::CycleWindow => {
            state.metrics.window = (state.metrics.window + 1) % WINDOWS.len();
            Some(vec![Effect::SetWindow(state.metrics.window_duration())])
        }
        // The chart markers: up/down choose one, enter shows its evidence
        // on the timeline.
        Action::Up | Action::Down | Action::Top | Action::Bottom
            if state.focus == Pane::Metrics =>
        {
            let (shown, chosen) = state.marks_shown(now);
            let at = chosen.and_then(|c| shown.iter().position(|m| m.hash == c.hash));
            let last = shown.len().saturating_sub(1);
            let i = match (action, at) {
                (_, None) => None,
                (Action::Up, Some(i)) => Some(i.saturating_sub(1)),
                (Action::Down, Some(i)) => Some((i + 1).min(last)),
                (Action::Top, _) => Some(0),
                _ => Some(last),
            };
            state.metrics.mark = i.and_then(|i| shown.get(i)).map(|m| m.hash.clone());
            Some(Vec::new())
        }
        Action::Select if state.focus == Pane::Metrics => {
            let (_, chosen) = state.marks_shown(now);
            let Some(hash) = chosen.map(|m| m.hash.clone()) else {
                state.notify(
                    Level::Info,
                    "No action marker in this window (w widens it)",
                    now,
                );
                return Some(Vec::new());
            };
            // Its newest evidence entry, or the action itself (by hash:
            // seqs repeat across a team's feeds).
            let target = state
                .evidence
                .of(&hash)
                .and_then(|a| a.after.as_ref().or(a.before.as_ref()))
                .map_or(hash, |s| s.hash.clone());
            if let Some(i) = state.timeline.entries.iter().position(|e| e.hash == target) {
                state.show_timeline_entry(i);
            }
            Some(Vec::new())
        }
        _ => None,
    }
}

/// Footer hints while the metrics pane has focus.
pub(crate) fn hints(state: &State) -> Vec<Action> {
    if state.action_marks().is_empty() {
        vec![Action::CycleWindow, Action::Refresh]
    } else {
        vec![
            Action::CycleWindow,
            Action::Up,
            Action::Select,
            Action::Refresh,
        ]
    }
}
