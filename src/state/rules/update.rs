//! The rules' messages and keys: a poll result, the "about to fire"
//! chooser, charting a rule's expression.

use chrono::{DateTime, Utc};

use super::super::{ChooseKind, Effect, Level, Mode, State};
use super::PendingChoice;
use crate::action::Action;
use crate::sources::poller::Polled;
use crate::sources::rules::{chart_query, rule_for, AlertRule};
use crate::sources::PanelSpec;

pub(crate) fn on_rules(state: &mut State, p: Polled<Vec<AlertRule>>) {
    state.rules.polled = true;
    match p.result {
        Ok(items) => {
            state.rules.items = items;
            state.rules.at = Some(p.at);
            state.rules.error = None;
        }
        Err(e) => {
            tracing::debug!("rules from {}: {e}", p.source);
            state.rules.error = Some(e);
        }
    }
}

pub(crate) fn on_action(
    state: &mut State,
    action: Action,
    now: DateTime<Utc>,
) -> Option<Vec<Effect>> {
    match action {
        Action::AboutToFire => {
            about_to_fire(state, now);
            Some(Vec::new())
        }
        _ => None,
    }
}

/// Open the chooser of pending alerts (Enter charts the rule), or say why
/// there is nothing to choose.
fn about_to_fire(state: &mut State, now: DateTime<Utc>) {
    let choices = state.rules.pending();
    if choices.is_empty() {
        let text = match (&state.rules.error, state.rules.polled) {
            (Some(e), _) => format!("Cannot tell what is about to fire: rules not read ({e})"),
            (None, false) => {
                "No Prometheus rules read (yet): nothing to tell about what is about to fire".into()
            }
            (None, true) => format!(
                "Nothing is about to fire: no pending alerts ({} alerting rules)",
                state.rules.items.len()
            ),
        };
        state.notify(Level::Info, text, now);
        return;
    }
    state.mode = Mode::Choose {
        kind: ChooseKind::AboutToFire { choices },
        selected: 0,
    };
}

/// Picked in the chooser: chart its rule.
pub(crate) fn chose(state: &mut State, p: &PendingChoice, now: DateTime<Utc>) -> Vec<Effect> {
    state.mode = Mode::Normal;
    chart_choice(state, &p.rule, &p.query, now)
}

/// Chart a rule's expression as the metrics pane's first panel (the same
/// rule again takes it away).
pub fn chart_choice(state: &mut State, rule: &str, query: &str, now: DateTime<Utc>) -> Vec<Effect> {
    if state.rules.charted.as_deref() == Some(rule) {
        state.rules.charted = None;
        state.notify(Level::Info, format!("{rule}: chart removed"), now);
        return vec![Effect::Chart { panel: None }];
    }
    let (expr, threshold) = chart_query(query);
    let spec = PanelSpec {
        name: format!("rule {rule}"),
        unit: String::new(),
        warning: None,
        critical: threshold,
    };
    state.rules.charted = Some(rule.to_string());
    state.notify(
        Level::Info,
        format!("Charting {rule}: {}", crate::text::visible(&expr)),
        now,
    );
    vec![Effect::Chart {
        panel: Some((spec, expr)),
    }]
}

/// The rule behind alert `fingerprint`, if Prometheus has it.
pub fn rule_of_alert<'a>(state: &'a State, fingerprint: &str) -> Option<&'a AlertRule> {
    let a = state.alerts.get(fingerprint)?;
    rule_for(&state.rules.items, &a.labels)
}
