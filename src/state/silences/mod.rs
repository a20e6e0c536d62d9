//! Silences: what the alert source reports, the silencing and grouping
//! preferences, and which alerts the timeline recorded as silenced; the
//! pure helpers the alerts pane and the silence prompt share. Keys and
//! messages (silence, ack, expire, each confirmed and recorded before it
//! runs) are in `update.rs`.

mod update;

pub(super) use update::{
    confirmed, done, expire_spent_acks, on_action, on_silences, submit, transitions,
};

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};

use super::State;
use crate::domain::{Entry, Event};
use crate::sources::matcher;
use crate::sources::silence::{parse_duration, Silence, SilenceMatcher};
use crate::sources::{Alert, AlertPrefs};

#[derive(Debug, Clone, Default)]
pub struct Silences {
    /// Silences reported by the alert source.
    pub items: Vec<Silence>,
    /// Silencing and grouping preferences (from `[alertmanager]`).
    pub prefs: AlertPrefs,
    /// Alerts recorded as silenced (until they fire again or resolve).
    pub recorded: BTreeSet<String>,
    /// This responder's acks seen covering an alert shown here: only
    /// those end when their alert resolves (one whose alert this cockpit
    /// never saw, filtered out say, is not judged).
    pub covering: BTreeSet<String>,
    /// Acks firebreak is ending (their alert resolved): asked once.
    pub ending: BTreeSet<String>,
}

impl Silences {
    /// Fold a journal entry in (live and replay).
    pub fn apply(&mut self, entry: &Entry) {
        for (event, _) in entry.parts() {
            match event {
                Event::IncidentDeclared { .. } => self.recorded.clear(),
                Event::AlertResolved { fingerprint, .. } => {
                    self.recorded.remove(fingerprint);
                }
                Event::AlertSilenced { fingerprint, .. } => {
                    self.recorded.insert(fingerprint.clone());
                }
                _ => {}
            }
        }
    }
}

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
        .items
        .iter()
        .filter(|s| a.detail.silenced_by.contains(&s.id))
        .collect()
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
