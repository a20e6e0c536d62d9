//! Silences from the TUI: silence (prompt: matchers, duration, comment),
//! ack (a short silence) and expire, each confirmed, recorded before it
//! runs and recorded again with its result. Also the "silenced" alert
//! transition, recorded once, and alert grouping.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::super::{Effect, Level, Mode, Pane, Pending, PromptKind, State};
use super::{default_matchers, parse_prompt};
use crate::action::Action;
use crate::domain::Event;
use crate::domain::SYSTEM_ACTOR;
use crate::sources::matcher;
use crate::sources::poller::Polled;
use crate::sources::silence::{format_duration, matchers_text, NewSilence, Silence};
use crate::sources::Alert;

/// The selected alert, when silencing is possible; otherwise explain.
fn target(state: &mut State, now: DateTime<Utc>) -> Option<(Alert, String)> {
    let Some(source) = state.silences.prefs.silence_source.clone() else {
        state.notify(
            Level::Warning,
            "Silences need an Alertmanager source ([alertmanager] in the config)",
            now,
        );
        return None;
    };
    if state.focus != Pane::Alerts {
        state.focus = Pane::Alerts;
        state.notify(
            Level::Info,
            "Pick an alert in the alerts pane, then press the key again",
            now,
        );
        return None;
    }
    let Some(a) = state.selected_alert().cloned() else {
        state.notify(Level::Info, "No alert selected", now);
        return None;
    };
    if a.source == "firebreak" {
        state.notify(
            Level::Info,
            "That alert is firebreak's own: fix the source instead",
            now,
        );
        return None;
    }
    state.require_incident(now).then_some((a, source))
}

/// Actions on silences (from the alerts pane or the alert details).
pub(crate) fn on_action(
    state: &mut State,
    action: Action,
    now: DateTime<Utc>,
) -> Option<Vec<Effect>> {
    Some(match action {
        Action::SilenceAlert => silence_action(state, now),
        Action::AckAlert => ack_action(state, now),
        Action::ExpireSilence => expire_action(state, now),
        _ => return None,
    })
}

/// `silence_alert`: ask for matchers, duration and comment.
fn silence_action(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    if let Some((a, _)) = target(state, now) {
        let ms = default_matchers(&a, &state.silences.prefs.group_by);
        state.mode = Mode::Prompt {
            kind: PromptKind::Silence,
            input: format!(
                "{} {} ",
                matchers_text(&ms),
                format_duration(state.silences.prefs.silence)
            ),
            error: None,
        };
    }
    Vec::new()
}

/// Parse `{matchers} DURATION comment...` and ask for confirmation.
pub(crate) fn submit(state: &mut State, input: String, now: DateTime<Utc>) -> Vec<Effect> {
    match parse_prompt(&input) {
        Ok((matchers, duration, comment)) => {
            let Some(source) = state.silences.prefs.silence_source.clone() else {
                return Vec::new();
            };
            let compiled: Vec<_> = matchers.iter().filter_map(|m| m.compile().ok()).collect();
            let matched: Vec<&Alert> = state
                .alerts
                .items
                .iter()
                .filter(|a| matcher::all_match(&compiled, &a.labels))
                .collect();
            let n = matched.len();
            // Silencing a critical alert is a change to production: the
            // responder types its name.
            let critical = matched
                .iter()
                .find(|a| a.severity_rank() == 0)
                .map(|a| a.name().to_string());
            let silence = NewSilence {
                matchers,
                starts_at: now,
                ends_at: now + duration,
                created_by: state.settings.responder.clone(),
                comment,
            };
            let question = format!(
                "Silence {n} alert(s) matching {} for {} (until {})? Comment: \"{}\"",
                matchers_text(&silence.matchers),
                format_duration(duration),
                local(state, silence.ends_at),
                silence.comment
            );
            let pending = Pending::Silence {
                source,
                silence,
                ack: false,
            };
            match critical {
                Some(name) => state.confirm_typed(question, name, pending),
                None => state.confirm(question, pending),
            }
        }
        Err(e) => {
            state.mode = Mode::Prompt {
                kind: PromptKind::Silence,
                input,
                error: Some(e),
            };
        }
    }
    Vec::new()
}

/// `ack_alert`: a short silence of the selected alert's group.
fn ack_action(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    if let Some((a, source)) = target(state, now) {
        let ms = default_matchers(&a, &state.silences.prefs.group_by);
        let d = state.silences.prefs.ack;
        let who = state.settings.responder.clone();
        let silence = NewSilence {
            matchers: ms,
            starts_at: now,
            ends_at: now + d,
            created_by: who.clone(),
            comment: crate::sources::silence::ack_comment(&who, None),
        };
        let question = format!(
            "Ack {}: silence {} for {} (until {}, or until it resolves)?",
            a.name(),
            matchers_text(&silence.matchers),
            format_duration(d),
            local(state, silence.ends_at)
        );
        let pending = Pending::Silence {
            source,
            silence,
            ack: true,
        };
        if a.severity_rank() == 0 {
            state.confirm_typed(question, a.name().to_string(), pending);
        } else {
            state.confirm(question, pending);
        }
    }
    Vec::new()
}

/// `expire_silence`: expire the silence(s) silencing the selected alert.
fn expire_action(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    let Some((a, source)) = target(state, now) else {
        return Vec::new();
    };
    let ids = a.detail.silenced_by.clone();
    if ids.is_empty() {
        state.notify(
            Level::Info,
            format!("{} is not silenced: nothing to expire", a.name()),
            now,
        );
        return Vec::new();
    }
    let what: Vec<String> = ids
        .iter()
        .map(
            |id| match state.silences.items.iter().find(|s| &s.id == id) {
                Some(s) => format!(
                    "{} by {} ({})",
                    matchers_text(&s.matchers),
                    s.created_by,
                    short(id)
                ),
                None => short(id).to_string(),
            },
        )
        .collect();
    state.mode = Mode::Confirm {
        question: format!(
            "Expire {} now? {} will notify again. {}",
            plural(ids.len(), "silence"),
            a.name(),
            what.join("; ")
        ),
        pending: Pending::ExpireSilence {
            source,
            ids,
            target: a.name().to_string(),
        },
    };
    Vec::new()
}

/// The user confirmed a silence, ack or expiry: record, then do it.
pub(crate) fn confirmed(state: &mut State, pending: Pending, now: DateTime<Utc>) -> Vec<Effect> {
    let actor = state.settings.responder.clone();
    match pending {
        Pending::Silence {
            source,
            silence,
            ack,
        } => {
            let action = if ack { "ack" } else { "silence" };
            let target = matchers_text(&silence.matchers);
            // The clock restarts now: the confirm dialog may have waited.
            let len = silence.ends_at - silence.starts_at;
            let silence = NewSilence {
                starts_at: now,
                ends_at: now + len,
                ..silence
            };
            state.notify(
                Level::Info,
                format!("Creating {action} for {target}..."),
                now,
            );
            vec![Effect::Record {
                actor,
                event: Event::ActionStarted {
                    action: action.into(),
                    target: target.clone(),
                    detail: format!("for {}: {}", format_duration(len), silence.comment),
                },
                then: vec![Effect::CreateSilence {
                    source,
                    silence,
                    action: action.into(),
                    target,
                }],
            }]
        }
        Pending::ExpireSilence {
            source,
            ids,
            target,
        } => {
            state.notify(
                Level::Info,
                format!("Expiring {}...", plural(ids.len(), "silence")),
                now,
            );
            let target = format!(
                "{target} ({})",
                ids.iter().map(|i| short(i)).collect::<Vec<_>>().join(", ")
            );
            vec![Effect::Record {
                actor,
                event: Event::ActionStarted {
                    action: "expire silence".into(),
                    target: target.clone(),
                    detail: String::new(),
                },
                then: vec![Effect::ExpireSilence {
                    source,
                    ids,
                    target,
                    action: "expire silence".into(),
                }],
            }]
        }
        _ => Vec::new(),
    }
}

/// A silence action finished: say so, record the result, refresh.
pub(crate) fn done(
    state: &mut State,
    action: String,
    target: String,
    result: Result<String, String>,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let (ok, detail) = match result {
        Ok(d) => {
            state.notify(
                Level::Success,
                format!("{}: {target}: {d}", capitalize(&action)),
                now,
            );
            (true, d)
        }
        Err(e) => {
            state.notify(
                Level::Error,
                format!("{} FAILED: {target}: {e}", capitalize(&action)),
                now,
            );
            (false, e)
        }
    };
    vec![
        state.record(Event::ActionFinished {
            action,
            target,
            ok,
            detail,
        }),
        Effect::RefreshAll,
    ]
}

/// An ack never outlives its reason: once no alert the source reports
/// (firing, silenced or inhibited) is covered by one of this responder's
/// firebreak acks, the ack is expired, recorded first like every action
/// on the world. Only from a fresh answer of the source that holds the
/// silences, only acks (never a silence someone wrote a reason for), only
/// this responder's (a teammate's cockpit ends theirs), each once.
pub(crate) fn expire_spent_acks(
    state: &mut State,
    source: &str,
    alerts: &[Alert],
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let Some(silence_source) = state.silences.prefs.silence_source.clone() else {
        return Vec::new();
    };
    if silence_source != source {
        return Vec::new();
    }
    let me = state.settings.responder.clone();
    let mine: Vec<&Silence> = state
        .silences
        .items
        .iter()
        .filter(|s| {
            s.state == crate::sources::silence::SilenceState::Active
                && crate::sources::silence::is_firebreak_ack(&s.comment)
                && s.created_by == me
        })
        .collect();
    let mut spent = Vec::new();
    let mut covering = Vec::new();
    for s in mine {
        if alerts.iter().any(|a| s.matches(&a.labels)) {
            covering.push(s.id.clone());
        } else if state.silences.covering.contains(&s.id) && !state.silences.ending.contains(&s.id)
        {
            spent.push(s.clone());
        }
    }
    state.silences.covering.extend(covering);
    let mut fx = Vec::new();
    for s in spent {
        state.silences.ending.insert(s.id.clone());
        let target = format!("{} ({})", matchers_text(&s.matchers), short(&s.id));
        state.notify(
            Level::Info,
            format!("The alert acked by {target} resolved: ending the ack"),
            now,
        );
        fx.push(Effect::Record {
            actor: me.clone(),
            event: Event::ActionStarted {
                action: "expire ack".into(),
                target: target.clone(),
                detail: "its alert resolved: an ack ends with its reason".into(),
            },
            then: vec![Effect::ExpireSilence {
                source: silence_source.clone(),
                ids: vec![s.id.clone()],
                target,
                action: "expire ack".into(),
            }],
        });
    }
    fx
}

/// New silences from the source (errors keep the last known list).
pub(crate) fn on_silences(state: &mut State, p: Polled<Vec<Silence>>) {
    match p.result {
        Ok(list) => state.silences.items = list,
        Err(e) => tracing::debug!("silences from {}: {e}", p.source),
    }
}

/// Record "silenced" once for alerts recorded as firing that a silence now
/// mutes; forget it when they fire again (so a new silence is recorded).
pub(crate) fn transitions(state: &mut State, alerts: &[Alert]) -> Vec<Effect> {
    let mut fx = Vec::new();
    let mut now_silenced = BTreeSet::new();
    for a in alerts.iter().filter(|a| a.is_silenced()) {
        now_silenced.insert(a.fingerprint.clone());
        if state.alerts.recorded_firing.contains_key(&a.fingerprint)
            && !state.silences.recorded.contains(&a.fingerprint)
        {
            state.silences.recorded.insert(a.fingerprint.clone());
            // Silences not loaded yet are named by id.
            let comment = a
                .detail
                .silenced_by
                .iter()
                .map(
                    |id| match state.silences.items.iter().find(|s| &s.id == id) {
                        // An ack's comment names its author already.
                        Some(s) if s.comment.contains(&s.created_by) => s.comment.clone(),
                        Some(s) => format!("{} by {}", s.comment, s.created_by),
                        None => format!("silence {}", short(id)),
                    },
                )
                .collect::<Vec<_>>()
                .join("; ");
            fx.push(Effect::Record {
                actor: SYSTEM_ACTOR.into(),
                event: Event::AlertSilenced {
                    fingerprint: a.fingerprint.clone(),
                    name: a.name().to_string(),
                    silenced_by: a.detail.silenced_by.clone(),
                    comment,
                },
                then: Vec::new(),
            });
        }
    }
    state
        .silences
        .recorded
        .retain(|fp| now_silenced.contains(fp));
    fx
}

fn local(state: &State, t: DateTime<Utc>) -> String {
    t.with_timezone(&state.settings.local_offset)
        .format("%H:%M")
        .to_string()
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn prompt_needs_matchers_duration_and_comment() {
        let (m, d, c) = parse_prompt(
            r#"{alertname="HighErrorRate", service="checkout"} 2h deploy rollback in progress"#,
        )
        .unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(d, Duration::hours(2));
        assert_eq!(c, "deploy rollback in progress");
        assert!(parse_prompt("2h why").unwrap_err().contains("braces"));
        assert!(parse_prompt("{} 2h why")
            .unwrap_err()
            .contains("At least one matcher"));
        assert!(parse_prompt(r#"{a="b"} 2h"#)
            .unwrap_err()
            .contains("comment"));
        assert!(parse_prompt(r#"{a="b"} soon why"#).is_err());
        assert!(parse_prompt(r#"{a=~"("} 2h why"#)
            .unwrap_err()
            .contains("regular expression"));
    }
}
