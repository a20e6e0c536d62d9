//! Silences from the TUI: silence (prompt: matchers, duration, comment),
//! ack (a short silence) and expire, each confirmed, recorded before it
//! runs and recorded again with its result. Also the "silenced" alert
//! transition, recorded once, and alert grouping.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};

use super::update::{record, require_incident};
use super::{Effect, Level, Mode, Pane, Pending, PromptKind, State};
use crate::domain::Event;
use crate::domain::SYSTEM_ACTOR;
use crate::sources::matcher;
use crate::sources::poller::Polled;
use crate::sources::silence::{
    format_duration, matchers_text, parse_duration, NewSilence, Silence, SilenceMatcher,
};
use crate::sources::Alert;

/// How far ahead "expires soon" looks, and how far back "expired recently".
pub const SOON: i64 = 15;
pub const RECENT: i64 = 60;

/// Matchers that select the alert's group: its `group_by` labels (those it
/// has), or every label when it has none of them.
pub fn default_matchers(a: &Alert, group_by: &[String]) -> Vec<SilenceMatcher> {
    let pick: Vec<SilenceMatcher> = group_by
        .iter()
        .filter_map(|l| a.labels.get(l).map(|v| (l, v)))
        .map(|(l, v)| SilenceMatcher {
            name: l.clone(),
            value: v.clone(),
            is_regex: false,
            is_equal: true,
        })
        .collect();
    if !pick.is_empty() {
        return pick;
    }
    a.labels
        .iter()
        .map(|(l, v)| SilenceMatcher {
            name: l.clone(),
            value: v.clone(),
            is_regex: false,
            is_equal: true,
        })
        .collect()
}

/// Sort alerts into groups (by `group_by` labels): groups by their worst
/// severity then oldest alert; inside a group by severity then age.
pub fn sort_grouped(alerts: &mut [Alert], group_by: &[String]) {
    use std::collections::HashMap;
    let mut groups: HashMap<String, (u8, DateTime<Utc>)> = HashMap::new();
    for a in alerts.iter() {
        let e = groups
            .entry(a.group_key(group_by))
            .or_insert((u8::MAX, a.starts_at));
        e.0 = e.0.min(a.severity_rank());
        e.1 = e.1.min(a.starts_at);
    }
    alerts.sort_by_cached_key(|a| {
        let k = a.group_key(group_by);
        let (rank, oldest) = groups.get(&k).copied().unwrap_or((u8::MAX, a.starts_at));
        (
            rank,
            oldest,
            k,
            a.severity_rank(),
            a.starts_at,
            a.fingerprint.clone(),
        )
    });
}

/// Silences worth showing: (expiring within SOON minutes, expired within
/// RECENT minutes).
pub fn notable(silences: &[Silence], now: DateTime<Utc>) -> (Vec<&Silence>, Vec<&Silence>) {
    let soon = silences
        .iter()
        .filter(|s| s.expires_soon(now, Duration::minutes(SOON)))
        .collect();
    let recent = silences
        .iter()
        .filter(|s| s.expired_recently(now, Duration::minutes(RECENT)))
        .collect();
    (soon, recent)
}

/// The silences that silence this alert.
pub fn silencing<'a>(state: &'a State, a: &Alert) -> Vec<&'a Silence> {
    state
        .silences
        .iter()
        .filter(|s| a.detail.silenced_by.contains(&s.id))
        .collect()
}

/// The selected alert, when silencing is possible; otherwise explain.
fn target(state: &mut State, now: DateTime<Utc>) -> Option<(Alert, String)> {
    let Some(source) = state.alert_prefs.silence_source.clone() else {
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
    require_incident(state, now).then_some((a, source))
}

/// `silence_alert`: ask for matchers, duration and comment.
pub(super) fn silence_action(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    if let Some((a, _)) = target(state, now) {
        let ms = default_matchers(&a, &state.alert_prefs.group_by);
        state.mode = Mode::Prompt {
            kind: PromptKind::Silence,
            input: format!(
                "{} {} ",
                matchers_text(&ms),
                format_duration(state.alert_prefs.silence)
            ),
            error: None,
        };
    }
    Vec::new()
}

/// Parse `{matchers} DURATION comment...` and ask for confirmation.
pub(super) fn submit(state: &mut State, input: String, now: DateTime<Utc>) -> Vec<Effect> {
    match parse_prompt(&input) {
        Ok((matchers, duration, comment)) => {
            let Some(source) = state.alert_prefs.silence_source.clone() else {
                return Vec::new();
            };
            let compiled: Vec<_> = matchers.iter().filter_map(|m| m.compile().ok()).collect();
            let n = state
                .alerts
                .iter()
                .filter(|a| matcher::all_match(&compiled, &a.labels))
                .count();
            let silence = NewSilence {
                matchers,
                starts_at: now,
                ends_at: now + duration,
                created_by: state.settings.responder.clone(),
                comment,
            };
            state.mode = Mode::Confirm {
                question: format!(
                    "Silence {n} alert(s) matching {} for {} (until {})? Comment: \"{}\"",
                    matchers_text(&silence.matchers),
                    format_duration(duration),
                    local(state, silence.ends_at),
                    silence.comment
                ),
                pending: Pending::Silence {
                    source,
                    silence,
                    ack: false,
                },
            };
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

/// `{a="b"} 2h comment words` -> (matchers, duration, comment).
pub fn parse_prompt(input: &str) -> Result<(Vec<SilenceMatcher>, Duration, String), String> {
    let input = input.trim();
    let (head, rest) = match input
        .strip_prefix('{')
        .and_then(|s| s.find('}').map(|i| (&input[..i + 2], &s[i + 1..])))
    {
        Some(x) => x,
        None => return Err("Start with the matchers in braces: {alertname=\"X\"} 2h why".into()),
    };
    let ms = matcher::parse(head).map_err(|e| e.to_string())?;
    if ms.is_empty() {
        return Err("At least one matcher, please (an empty silence would mute everything)".into());
    }
    let rest = rest.trim();
    let (dur, comment) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    if dur.is_empty() {
        return Err("After the matchers: a duration (15m, 2h, 1d), then a comment".into());
    }
    let d = parse_duration(dur)?;
    let comment = comment.trim();
    if comment.is_empty() {
        return Err("Add a comment after the duration: why is it silenced?".into());
    }
    Ok((
        ms.iter().map(SilenceMatcher::from).collect(),
        d,
        comment.to_string(),
    ))
}

/// `ack_alert`: a short silence of the selected alert's group.
pub(super) fn ack_action(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    if let Some((a, source)) = target(state, now) {
        let ms = default_matchers(&a, &state.alert_prefs.group_by);
        let d = state.alert_prefs.ack;
        let who = state.settings.responder.clone();
        let silence = NewSilence {
            matchers: ms,
            starts_at: now,
            ends_at: now + d,
            created_by: who.clone(),
            comment: crate::sources::silence::ack_comment(&who, None),
        };
        state.mode = Mode::Confirm {
            question: format!(
                "Ack {}: silence {} for {} (until {})?",
                a.name(),
                matchers_text(&silence.matchers),
                format_duration(d),
                local(state, silence.ends_at)
            ),
            pending: Pending::Silence {
                source,
                silence,
                ack: true,
            },
        };
    }
    Vec::new()
}

/// `expire_silence`: expire the silence(s) silencing the selected alert.
pub(super) fn expire_action(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
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
        .map(|id| match state.silences.iter().find(|s| &s.id == id) {
            Some(s) => format!(
                "{} by {} ({})",
                matchers_text(&s.matchers),
                s.created_by,
                short(id)
            ),
            None => short(id).to_string(),
        })
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
pub(super) fn confirmed(state: &mut State, pending: Pending, now: DateTime<Utc>) -> Vec<Effect> {
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
                }],
            }]
        }
        _ => Vec::new(),
    }
}

/// A silence action finished: say so, record the result, refresh.
pub(super) fn done(
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
        record(
            state,
            Event::ActionFinished {
                action,
                target,
                ok,
                detail,
            },
        ),
        Effect::RefreshAll,
    ]
}

/// New silences from the source (errors keep the last known list).
pub(super) fn on_silences(state: &mut State, p: Polled<Vec<Silence>>) {
    match p.result {
        Ok(list) => state.silences = list,
        Err(e) => tracing::debug!("silences from {}: {e}", p.source),
    }
}

/// Record "silenced" once for alerts recorded as firing that a silence now
/// mutes; forget it when they fire again (so a new silence is recorded).
pub(super) fn transitions(state: &mut State, alerts: &[Alert]) -> Vec<Effect> {
    let mut fx = Vec::new();
    let mut now_silenced = BTreeSet::new();
    for a in alerts.iter().filter(|a| a.is_silenced()) {
        now_silenced.insert(a.fingerprint.clone());
        if state.recorded_firing.contains_key(&a.fingerprint)
            && !state.recorded_silenced.contains(&a.fingerprint)
        {
            state.recorded_silenced.insert(a.fingerprint.clone());
            // Silences not loaded yet are named by id.
            let comment = a
                .detail
                .silenced_by
                .iter()
                .map(|id| match state.silences.iter().find(|s| &s.id == id) {
                    Some(s) => format!("{} by {}", s.comment, s.created_by),
                    None => format!("silence {}", short(id)),
                })
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
        .recorded_silenced
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
