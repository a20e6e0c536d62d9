//! Keys, prompts, choosers and ticks of quick hypotheses (the fold is
//! `crate::domain::hypotheses`).

use chrono::{DateTime, Utc};

use super::super::timeparse::parse_duration;
use super::super::{ChooseKind, Effect, Level, Mode, Pending, PromptKind, State};
use crate::action::Action;
use crate::domain::hypotheses::Outcome;
use crate::domain::incident::fmt_duration;
use crate::domain::Event;

/// The playbook that becomes the checklist on the systematic path.
pub const SYSTEMATIC_PLAYBOOK: &str = "systematic-diagnosis";

/// Actions of quick hypotheses.
pub(crate) fn on_action(
    state: &mut State,
    action: Action,
    now: DateTime<Utc>,
) -> Option<Vec<Effect>> {
    match action {
        Action::Hypothesis => Some(on_hypothesis_key(state, now)),
        Action::SystematicPath => Some(on_systematic_key(state, now)),
        _ => None,
    }
}

/// `h`: start a hypothesis, or (one is active) choose its outcome.
fn on_hypothesis_key(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    if !state.require_incident(now) {
        return Vec::new();
    }
    if state.hyp.fold.active().is_some() {
        state.mode = Mode::Choose {
            kind: ChooseKind::Outcome,
            selected: 0,
        };
        return Vec::new();
    }
    let spent = state.hyp.fold.budget_spent(&state.settings.timebox, now);
    if state.hyp.fold.systematic.is_some() || state.hyp.switch_pending || spent.is_some() {
        state.mode = Mode::Confirm {
            question:
                "You are on the systematic path (reproduce, find the cause, fix, test, roll out). \
                       Start another quick hypothesis anyway? The override is recorded."
                    .into(),
            pending: Pending::QuickOverride,
        };
        return Vec::new();
    }
    state.hyp.draft = Some((String::new(), String::new(), None));
    prompt(state, PromptKind::HypothesisText, String::new());
    Vec::new()
}

/// `H`: leave the quick phase.
fn on_systematic_key(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    if !state.require_incident(now) {
        return Vec::new();
    }
    if state.hyp.fold.systematic.is_some() || state.hyp.switch_pending {
        state.notify(Level::Info, "Already on the systematic path", now);
        return Vec::new();
    }
    state.mode = Mode::Confirm {
        question: "Leave quick fixes and switch to the systematic path (reproduce, find the cause, fix, write a test, roll out)?".into(),
        pending: Pending::Systematic,
    };
    Vec::new()
}

pub(crate) fn confirmed_override(state: &mut State) -> Vec<Effect> {
    prompt(state, PromptKind::OverrideReason, String::new());
    Vec::new()
}

pub(crate) fn confirmed_systematic(state: &mut State) -> Vec<Effect> {
    // A hypothesis still being tested ends here, on the record.
    let mut fx = Vec::new();
    if let Some(h) = state.hyp.fold.active() {
        let (id, by) = (h.id, h.whose(&state.settings.responder));
        fx.push(state.record(Event::HypothesisClosed {
            id,
            outcome: Outcome::Abandoned,
            note: "left for the systematic path".into(),
            by,
        }));
    }
    fx.extend(switch(state, "chosen by the responder".into()));
    fx
}

fn switch(state: &mut State, reason: String) -> Vec<Effect> {
    state.hyp.switch_pending = true;
    vec![state.record(Event::SystematicPath { reason })]
}

fn prompt(state: &mut State, kind: PromptKind, input: String) {
    state.mode = Mode::Prompt {
        kind,
        input,
        error: None,
    };
}

/// Enter in one of the hypothesis prompts.
pub(crate) fn submit(
    state: &mut State,
    kind: PromptKind,
    input: String,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let text = input.trim().to_string();
    let retry = |state: &mut State, err: &str| {
        state.mode = Mode::Prompt {
            kind,
            input: input.clone(),
            error: Some(err.to_string()),
        };
        Vec::new()
    };
    match kind {
        PromptKind::OverrideReason => {
            if text.is_empty() {
                return retry(state, "A reason, please: it goes on the record");
            }
            state.hyp.draft = Some((String::new(), String::new(), Some(text)));
            prompt(state, PromptKind::HypothesisText, String::new());
            Vec::new()
        }
        PromptKind::HypothesisText => {
            if text.is_empty() {
                return retry(state, "One line: what do you think is wrong?");
            }
            if let Some(d) = &mut state.hyp.draft {
                d.0 = text;
            }
            prompt(state, PromptKind::HypothesisAction, String::new());
            Vec::new()
        }
        PromptKind::HypothesisAction => {
            if let Some(d) = &mut state.hyp.draft {
                d.1 = text;
            }
            // Never offer more than what is left of the quick-phase budget.
            let rules = &state.settings.timebox;
            let left = rules.budget - state.hyp.fold.quick_spent(now);
            let suggested =
                if state.hyp.fold.systematic.is_none() && left > chrono::Duration::zero() {
                    rules.default_box.min(left)
                } else {
                    rules.default_box
                };
            let default = fmt_duration(suggested);
            prompt(state, PromptKind::HypothesisBox, default);
            Vec::new()
        }
        PromptKind::HypothesisBox => {
            let d = match parse_duration(&text) {
                Ok(d) if d > chrono::Duration::zero() => d,
                Ok(_) => return retry(state, "The time box must be longer than zero"),
                Err(e) => return retry(state, &e),
            };
            let Some((text, planned, override_reason)) = state.hyp.draft.take() else {
                return Vec::new();
            };
            let id = state.hyp.fold.next_id();
            if state.settings.demo {
                let rules = &state.settings.timebox;
                let note = format!(
                    "Demo boxes are short: {} each, {} tries, {} in all",
                    fmt_duration(rules.default_box),
                    rules.max_quick,
                    fmt_duration(rules.budget)
                );
                state.notify(Level::Info, note, now);
            }
            vec![state.record(Event::HypothesisStarted {
                id,
                text,
                planned,
                box_secs: d.num_seconds(),
                override_reason,
            })]
        }
        PromptKind::HypothesisLearned => {
            let (Some(outcome), Some(h)) = (state.hyp.outcome.take(), state.hyp.fold.active())
            else {
                return Vec::new();
            };
            let (id, by) = (h.id, h.whose(&state.settings.responder));
            vec![state.record(Event::HypothesisClosed {
                id,
                outcome,
                note: text,
                by,
            })]
        }
        PromptKind::HypothesisExtend => {
            if text.is_empty() {
                return retry(
                    state,
                    "Say why: an extension is an exception and goes on the record",
                );
            }
            let Some(h) = state.hyp.fold.active() else {
                return Vec::new();
            };
            let (id, by) = (h.id, h.whose(&state.settings.responder));
            let extra = state.settings.timebox.extension.num_seconds();
            vec![state.record(Event::HypothesisExtended {
                id,
                extra_secs: extra,
                reason: text,
                by,
            })]
        }
        _ => Vec::new(),
    }
}

/// Rows of the outcome chooser: the outcomes, then "extend" when allowed.
pub fn outcome_rows(state: &State) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = Outcome::ALL
        .iter()
        .map(|o| (o.label().to_string(), o.meaning().to_string()))
        .collect();
    let can_extend = state
        .hyp
        .fold
        .active()
        .is_some_and(|h| h.extension.is_none());
    if can_extend {
        rows.push((
            "extend once".into(),
            format!(
                "{} more, with a reason (an exception)",
                fmt_duration(state.settings.timebox.extension)
            ),
        ));
    }
    rows
}

/// A row of the outcome chooser was picked.
pub(crate) fn chose_outcome(state: &mut State, row: usize) -> Vec<Effect> {
    let Some(h) = state.hyp.fold.active() else {
        return Vec::new();
    };
    match Outcome::ALL.get(row) {
        Some(outcome) => {
            // Refuted ideas are knowledge: ask what was learned (optional).
            state.hyp.outcome = Some(*outcome);
            prompt(state, PromptKind::HypothesisLearned, String::new());
            Vec::new()
        }
        None if h.extension.is_none() => {
            prompt(state, PromptKind::HypothesisExtend, String::new());
            Vec::new()
        }
        None => Vec::new(),
    }
}

/// Every second: announce an expired box once; switch to the systematic
/// path when the quick-phase budget is spent.
pub(crate) fn on_tick(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    if !state.incident_open() {
        return Vec::new();
    }
    // On the systematic path, its playbook is the working checklist: open
    // it once (a run already in the journal, finished or not, counts).
    if state.hyp.fold.systematic.is_some() && !state.hyp.checklist_opened {
        state.hyp.checklist_opened = true;
        let exists = state
            .playbooks
            .runs
            .iter()
            .any(|r| r.playbook == SYSTEMATIC_PLAYBOOK);
        if !exists && state.playbooks.get(SYSTEMATIC_PLAYBOOK).is_some() {
            return super::super::playbooks::start_without_form(state, SYSTEMATIC_PLAYBOOK, now);
        }
    }
    if let Some(h) = state.hyp.fold.active() {
        let key = (h.by.clone(), h.id);
        if h.expired(now) && state.hyp.expiry_announced.as_ref() != Some(&key) {
            let text = format!(
                "Time box for {} is spent: record the outcome (h): supported, refuted{}",
                h.label(&state.settings.responder),
                if h.extension.is_none() {
                    ", or extend once"
                } else {
                    ""
                }
            );
            state.hyp.expiry_announced = Some(key);
            state.notify(Level::Warning, text, now);
        }
        return Vec::new();
    }
    if state.hyp.switch_pending {
        return Vec::new();
    }
    // One budget per incident: with other responders on it, the incident
    // commander's cockpit records the switch (once, not once per screen);
    // the others show it when that entry arrives.
    let me = &state.settings.responder;
    let commander = state.incident.as_ref().and_then(|i| i.roles.commander());
    if !state.team.responders.is_empty() && commander.is_some_and(|ic| ic != me) {
        return Vec::new();
    }
    match state.hyp.fold.budget_spent(&state.settings.timebox, now) {
        Some(reason) => {
            state.notify(
                Level::Warning,
                format!("Switching to the SYSTEMATIC path: {reason}"),
                now,
            );
            switch(state, reason)
        }
        None => Vec::new(),
    }
}
