//! Carrying out steps: keys in the run view, confirmations, effect
//! results, timers (waits and queries), and settling a run.
//!
//! Why one file of this length: one flow, read top to bottom: the run view's keys, request, confirm, start, and settle a step.

use chrono::{DateTime, Utc};

use super::form::{open, start_playbook};
use crate::action::Action;
use crate::domain::approvals::{step_target, Guarded};
use crate::domain::Event;
use crate::playbook::exec::{StepAction, StepJob};
use crate::playbook::model::{ReleaseOp, StepKind};
use crate::playbook::{self, Confirm};
use crate::state::approvals::{Gate, Passage, Then};
use crate::state::playbooks::{applies_to_alert, suggestions, Row, StepStatus};
use crate::state::{ChooseKind, Effect, Level, Mode, Pane, Pending, State};

/// Actions while the playbooks pane has focus. None: not handled here.
pub fn on_action(state: &mut State, action: Action, now: DateTime<Utc>) -> Option<Vec<Effect>> {
    let open_idx = state
        .playbooks
        .open
        .as_deref()
        .and_then(|id| state.playbooks.run_index(id));
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
                        .filter(|a| {
                            applies_to_alert(
                                &state.playbooks.catalog[i],
                                &state.playbooks.catalog,
                                a,
                            )
                        })
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
        Action::Back => {
            // Back in the list, on the run just left (Enter opens it again).
            if let Some(id) = state.playbooks.open.take() {
                state.playbooks.select_run(&id);
            }
        }
        Action::Select => return Some(act(state, ri, now)),
        Action::FailStep | Action::SkipStep | Action::RerunStep => {
            return Some(step_command(state, ri, action, now))
        }
        Action::Filter => {
            state.notify(
                Level::Info,
                "Close the run view (Esc) to filter the playbooks",
                now,
            );
        }
        _ => return None,
    }
    if matches!(
        action,
        Action::Up | Action::Down | Action::Top | Action::Bottom
    ) {
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
            let key = state
                .keymap
                .hint(Action::FocusPlaybooks)
                .unwrap_or_else(|| "5".into());
            state.notify(
                Level::Info,
                format!("Open a playbook run first (playbooks pane: {key})"),
                now,
            );
            Vec::new()
        }
    }
}

/// Start a playbook suggested for an alert: the one, or when several
/// apply, the one the responder picks in a chooser.
pub fn start_suggested(state: &mut State, fingerprint: &str, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(alert) = state.alerts.get(fingerprint) else {
        return Vec::new();
    };
    let names: Vec<String> = suggestions(state, alert)
        .iter()
        .map(|p| p.name.clone())
        .collect();
    match names.as_slice() {
        [name] => start_playbook(state, name, Some(fingerprint), now),
        [_, _, ..] => {
            state.mode = Mode::Choose {
                kind: ChooseKind::Playbook {
                    fingerprint: fingerprint.to_string(),
                    names,
                },
                selected: 0,
            };
            Vec::new()
        }
        [] => {
            let key = state
                .keymap
                .hint(Action::FocusPlaybooks)
                .unwrap_or_else(|| "5".into());
            state.notify(
                Level::Info,
                format!(
                    "No playbook applies to this alert: pick one in the playbooks pane ({key})"
                ),
                now,
            );
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
    if !step.applies {
        state.notify(
            Level::Info,
            format!(
                "\"{}\" does not apply to this run: {}",
                step.title, step.detail
            ),
            now,
        );
        return Vec::new();
    }
    let rerun = state
        .keymap
        .hint(Action::RerunStep)
        .unwrap_or_else(|| "ctrl-r".into());
    match step.status {
        StepStatus::Pending => request(state, ri, si, now),
        StepStatus::Running => {
            state.notify(
                Level::Info,
                format!("\"{}\" is running; wait for its result", step.title),
                now,
            );
            Vec::new()
        }
        StepStatus::Interrupted => {
            let fail = state
                .keymap
                .hint(Action::FailStep)
                .unwrap_or_else(|| "F".into());
            let skip = state
                .keymap
                .hint(Action::SkipStep)
                .unwrap_or_else(|| "ctrl-s".into());
            state.notify(
                Level::Warning,
                format!("\"{}\" was running when firebreak stopped: check what happened, then {rerun} re-run, {fail} mark failed, or {skip} skip", step.title),
                now,
            );
            Vec::new()
        }
        _ => {
            state.notify(
                Level::Info,
                format!(
                    "\"{}\" is {}; {rerun} runs it again",
                    step.title,
                    step.status.label()
                ),
                now,
            );
            Vec::new()
        }
    }
}

/// Carry out a pending step (after its confirmation, if it needs one).
fn request(state: &mut State, ri: usize, si: usize, now: DateTime<Utc>) -> Vec<Effect> {
    let run = &state.playbooks.runs[ri];
    let Some(pb) = run.def.clone() else {
        let why = run.stale.clone().unwrap_or_default();
        state.notify(
            Level::Warning,
            format!("This run cannot carry out steps: {why}"),
            now,
        );
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
            state.notify(
                Level::Error,
                format!(
                    "Cannot prepare \"{}\": {e}",
                    playbook::show(&step.title, &vars)
                ),
                now,
            );
            return Vec::new();
        }
    };
    match (&step.kind, action) {
        (_, Some(action)) => {
            let flag_env = match &action {
                StepAction::SetFlag { flag, .. } => state
                    .flags
                    .items
                    .iter()
                    .find(|f| f.name == *flag)
                    .and_then(|f| f.env.clone()),
                _ => None,
            };
            if let StepAction::SetFlag { flag, wanted, .. } = &action {
                if state.flags.in_flight.contains(flag) {
                    state.notify(
                        Level::Info,
                        format!("{flag} is already being changed; wait for the result"),
                        now,
                    );
                    return Vec::new();
                }
                if let Some(f) = state.flags.items.iter().find(|f| f.name == *flag) {
                    // Read before write: show the state being changed.
                    let text = format!(
                        "{flag} is {} now; this turns it {}",
                        on_off(f.enabled),
                        on_off(*wanted)
                    );
                    state.notify(Level::Info, text, now);
                }
            }
            if matches!(action, StepAction::Release(ReleaseOp::Rollback)) && state.release.in_flight
            {
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
            let panel = q.panel.clone().unwrap_or_default();
            let detail = format!(
                "polling {panel} until {}",
                q.expect.describe_in(state.panel_unit(&panel))
            );
            begin_timer(state, ri, si, detail, now)
        }
        (StepKind::Query(_), None) => {
            finish_manual(state, ri, si, true, "confirmed met by the responder", now)
        }
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
    let pending = run
        .steps
        .get(step)
        .is_some_and(|s| s.status == StepStatus::Pending);
    if !pending
        || state
            .playbooks
            .in_flight
            .contains(&(run_id.to_string(), step))
    {
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
fn start_io(
    state: &mut State,
    ri: usize,
    si: usize,
    action: StepAction,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let run = &state.playbooks.runs[ri];
    let run_id = run.id.clone();
    if state.playbooks.in_flight.contains(&(run_id.clone(), si)) {
        return Vec::new();
    }
    // The two-person rule: a guarded step waits for a second responder.
    let dangerous = run
        .def
        .as_ref()
        .and_then(|d| d.steps.get(si))
        .is_some_and(|s| matches!(&s.kind, StepKind::Command(c) if c.dangerous));
    let guarded = match &action {
        StepAction::SetFlag { .. } => Some(Guarded::Flag),
        StepAction::Release(ReleaseOp::Rollback) => Some(Guarded::Rollback),
        StepAction::Command(_) if dangerous => Some(Guarded::Dangerous),
        _ => None,
    };
    let claim = match &action {
        StepAction::SetFlag { flag, .. } => Some(("flag", flag.clone())),
        StepAction::Release(ReleaseOp::Rollback) => Some(("rollback", "release".to_string())),
        StepAction::Command(c) if dangerous => Some(("command", c.display())),
        _ => None,
    };
    let mut approval = None;
    if let Some(guarded) = guarded {
        let gate = Gate {
            guarded,
            action: "step".into(),
            target: step_target(&run_id, si),
            what: format!(
                "\"{}\" of {}: {}",
                run.steps
                    .get(si)
                    .map(|s| s.title.as_str())
                    .unwrap_or_default(),
                run.title,
                action.describe()
            ),
            then: Then::Step {
                run_id: run_id.clone(),
                step: si,
            },
        };
        match state.gate(gate, now) {
            Passage::Go(a) => approval = a,
            Passage::Wait(fx) => return fx,
        }
    }
    let run = &mut state.playbooks.runs[ri];
    if !state.playbooks.in_flight.insert((run_id.clone(), si)) {
        return Vec::new();
    }
    let kind = run
        .def
        .as_ref()
        .and_then(|d| d.steps.get(si))
        .map_or("command", |s| s.kind_name());
    let s = &mut run.steps[si];
    s.status = StepStatus::Running;
    s.started = Some(now);
    s.finished = None;
    s.exit_code = None;
    s.duration_ms = None;
    s.output.clear();
    s.attempts += 1;
    s.detail = match &approval {
        Some(a) => format!("{} ({a})", action.describe()),
        None => action.describe(),
    };
    run.scroll = 0;
    let (title, attempt, detail) = (s.title.clone(), s.attempts, s.detail.clone());
    match &action {
        StepAction::SetFlag { flag, .. } => {
            state.flags.in_flight.insert(flag.clone());
        }
        StepAction::Release(ReleaseOp::Rollback) => state.release.in_flight = true,
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
            claim,
            action,
        })],
    }]
}

/// Waits and queries: recorded as started, finished by [`on_tick`].
fn begin_timer(
    state: &mut State,
    ri: usize,
    si: usize,
    detail: String,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let run = &mut state.playbooks.runs[ri];
    let kind = run
        .def
        .as_ref()
        .and_then(|d| d.steps.get(si))
        .map_or("wait", |s| s.kind_name());
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
    vec![state.record(ev)]
}

/// Settle a step firebreak does not run itself.
fn finish_manual(
    state: &mut State,
    ri: usize,
    si: usize,
    ok: bool,
    detail: &str,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let who = state.settings.responder.clone();
    let run = &mut state.playbooks.runs[ri];
    let kind = run
        .def
        .as_ref()
        .and_then(|d| d.steps.get(si))
        .map_or("check", |s| s.kind_name());
    let s = &mut run.steps[si];
    s.status = if ok {
        StepStatus::Done
    } else {
        StepStatus::Failed
    };
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
        changed: None,
    };
    let mut fx = vec![state.record(ev)];
    fx.extend(settled(state, ri, si, ok, now));
    fx
}

/// After a step settles: move on, say what to do on failure, finish the
/// run when everything is done or skipped.
pub(crate) fn settled(
    state: &mut State,
    ri: usize,
    si: usize,
    ok: bool,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let run_id = state.playbooks.runs[ri].id.clone();
    state.playbooks.advance(&run_id, si);
    let run = &state.playbooks.runs[ri];
    if !ok {
        let guidance = run
            .def
            .as_ref()
            .and_then(|d| d.steps.get(si))
            .and_then(|s| s.on_failure.clone())
            .map(|g| {
                format!(
                    " If this fails: {}",
                    playbook::show(&g, &run.vars(state.settings.demo))
                )
            })
            .unwrap_or_default();
        let text = format!(
            "Step \"{}\" failed: {}.{guidance}",
            run.steps[si].title, run.steps[si].detail
        );
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
        let text = format!(
            "Playbook {} finished: {done} done, {skipped} skipped",
            state.playbooks.runs[ri].playbook
        );
        if ok {
            state.notify(Level::Success, text, now);
        }
        return vec![state.record(ev)];
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
    let kind = run
        .def
        .as_ref()
        .and_then(|d| d.steps.get(si))
        .map(|s| s.kind.clone());
    let manual = matches!(
        kind,
        Some(StepKind::Check | StepKind::Note | StepKind::Link { .. })
    ) || matches!(&kind, Some(StepKind::Query(q)) if q.panel.is_none());
    let timer = matches!(kind, Some(StepKind::Wait { .. } | StepKind::Query(_)));
    if !step.applies {
        // Its `when` is false for this run's inputs: start a run with
        // other inputs to do it.
        state.notify(
            Level::Info,
            format!(
                "\"{}\" does not apply to this run: {}",
                step.title, step.detail
            ),
            now,
        );
        return Vec::new();
    }
    match action {
        Action::FailStep => match step.status {
            StepStatus::Pending if manual => {
                finish_manual(state, ri, si, false, "marked failed", now)
            }
            StepStatus::Running if timer => {
                finish_manual(state, ri, si, false, "stopped and marked failed", now)
            }
            StepStatus::Interrupted => {
                finish_manual(state, ri, si, false, "interrupted; marked failed", now)
            }
            _ => {
                state.notify(
                    Level::Info,
                    "Only checks, waits, queries and interrupted steps can be marked failed",
                    now,
                );
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
                let mut fx = vec![state.record(ev)];
                fx.extend(settled(state, ri, si, true, now));
                fx
            }
            StepStatus::Running => {
                state.notify(
                    Level::Info,
                    "A running step cannot be skipped; wait for its result",
                    now,
                );
                Vec::new()
            }
            _ => {
                state.notify(
                    Level::Info,
                    format!("\"{}\" is already {}", step.title, step.status.label()),
                    now,
                );
                Vec::new()
            }
        },
        _ => match step.status {
            StepStatus::Running => {
                state.notify(
                    Level::Info,
                    format!("\"{}\" is still running", step.title),
                    now,
                );
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
