//! Results: live output and outcomes of step effects, timers (waits and
//! queries polled against the metric panels), and releasing a step whose
//! start could not be recorded.

use chrono::{DateTime, Duration, Utc};

use super::steps::settled;
use crate::domain::Event;
use crate::playbook::exec::StepAction;
use crate::playbook::model::{ReleaseOp, StepKind};
use crate::state::playbooks::{PlaybookMsg, StepStatus, TAIL_BYTES, TAIL_LINES};
use crate::state::{Effect, Level, State};

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
                state.flags.in_flight.remove(&f.flag);
                fx.push(state.record(Event::FlagChanged {
                    provider: f.provider.clone(),
                    flag: f.flag.clone(),
                    before: f.before,
                    after: f.after,
                    wanted: f.wanted,
                    ok: f.ok,
                    detail: if f.ok && !f.changed {
                        "no-op: already in that state".into()
                    } else {
                        format!("playbook run {run_id}")
                    },
                }));
                fx.push(Effect::RefreshFlags);
            }
            let Some(ri) = state.playbooks.run_index(&run_id) else {
                return fx;
            };
            let def = state.playbooks.runs[ri]
                .def
                .as_ref()
                .and_then(|d| d.steps.get(step));
            let kind = def.map_or("command", |s| s.kind_name());
            let changed = def.map_or(outcome.changed, |s| outcome.changed_by(s));
            if kind == "release" {
                state.release.in_flight = false;
                fx.push(Effect::RefreshAll);
            }
            let run = &mut state.playbooks.runs[ri];
            let Some(s) = run.steps.get_mut(step) else {
                return fx;
            };
            if s.attempts != attempt {
                return fx;
            }
            s.status = if outcome.ok {
                StepStatus::Done
            } else {
                StepStatus::Failed
            };
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
                output_tail: crate::playbook::runner::tail_text(
                    &outcome.output,
                    TAIL_LINES,
                    TAIL_BYTES,
                ),
                detail: outcome.detail.clone(),
                changed: Some(changed),
            };
            if outcome.ok {
                let title = s.title.clone();
                state.notify(
                    Level::Success,
                    format!("\"{title}\": {}", outcome.detail),
                    now,
                );
            }
            fx.insert(0, state.record(ev));
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
                    let panel = state.metrics.panels.iter().find(|p| p.spec.name == *name);
                    let fresh = panel.and_then(|p| {
                        let (t, v) = p
                            .points
                            .iter()
                            .rev()
                            .find(|(_, v)| v.is_finite())
                            .copied()?;
                        (t >= started.timestamp() as f64).then_some(v)
                    });
                    let unit = panel.map(|p| p.spec.unit.clone()).unwrap_or_default();
                    if let Some(v) = fresh {
                        s.last_value = Some(v);
                        if q.expect.met(v) {
                            due.push((
                                ri,
                                si,
                                true,
                                format!("{name} = {v:.2}{unit} ({})", q.expect.describe_in(&unit)),
                            ));
                            continue;
                        }
                    }
                    if elapsed >= Duration::from_std(q.within).unwrap_or(Duration::zero()) {
                        let last = s
                            .last_value
                            .map_or("no data".to_string(), |v| format!("{v:.2}{unit}"));
                        due.push((
                            ri,
                            si,
                            false,
                            format!(
                                "{name} still {last} after {}s (expected {})",
                                q.within.as_secs(),
                                q.expect.describe_in(&unit)
                            ),
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
        let kind = run
            .def
            .as_ref()
            .and_then(|d| d.steps.get(si))
            .map_or("wait", |s| s.kind_name());
        let s = &mut run.steps[si];
        let ms = s
            .started
            .map_or(0, |t| (now - t).num_milliseconds().max(0) as u64);
        s.status = if ok {
            StepStatus::Done
        } else {
            StepStatus::Failed
        };
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
            changed: None,
        };
        fx.push(state.record(ev));
        fx.extend(settled(state, ri, si, ok, now));
    }
    fx
}

/// A step effect was not recorded, so it was not run: release it.
pub fn not_recorded(state: &mut State, effect: &Effect) {
    if let Effect::PlaybookStep(job) = effect {
        state
            .playbooks
            .in_flight
            .remove(&(job.run_id.clone(), job.step));
        match &job.action {
            StepAction::SetFlag { flag, .. } => {
                state.flags.in_flight.remove(flag);
            }
            StepAction::Release(ReleaseOp::Rollback) => state.release.in_flight = false,
            _ => {}
        }
        if let Some(s) = state.playbooks.step_mut(&job.run_id, job.step) {
            s.status = StepStatus::Pending;
            s.detail = "not run: it could not be recorded".into();
        }
    }
}
