//! The parts of the postmortem firebreak can write from the journal: the
//! summary sentence, the trigger candidates, the detection, and facts to
//! start "what went well / wrong" from. Both formats use these, and both
//! mark them as filled automatically (Markdown: `_(auto)_`; JSON: the
//! `auto_filled` object), so an author can tell them from what they wrote.

use chrono::{DateTime, Duration, Utc};

use super::{durations, Durations};
use crate::domain::incident::{fmt_duration, signals_impact, Incident, MeasuredFrom};
use crate::domain::{Entry, Event};

/// A change made before the impact started: a candidate trigger.
#[derive(Debug, Clone)]
pub struct Trigger<'a> {
    /// The entry that says so: the change itself, or what a system
    /// reported (`Event::ChangesReported`).
    pub entry: &'a Entry,
    pub what: String,
    /// When the change was made.
    pub at: DateTime<Utc>,
    /// Who made it, when known.
    pub by: Option<String>,
    /// Where it is known from: `journal` (firebreak recorded it), or the
    /// release control's or flag provider's name.
    pub source: String,
    /// How long before the impact start.
    pub before: Duration,
}

/// The alert that detected the incident.
#[derive(Debug, Clone)]
pub struct Detection {
    pub alert: String,
    pub at: DateTime<Utc>,
    /// After the recorded impact start (`None`: no impact start recorded).
    pub after_impact: Option<Duration>,
}

#[derive(Debug, Clone)]
pub struct Auto<'a> {
    pub summary: String,
    pub triggers: Vec<Trigger<'a>>,
    pub detection: Option<Detection>,
    pub went_well: Vec<String>,
    pub went_wrong: Vec<String>,
}

/// How far before the impact start a change is still a candidate.
const TRIGGER_WINDOW_HOURS: i64 = crate::domain::event::CHANGES_WINDOW_HOURS;
/// Acknowledging within this is "went well"; later is "went wrong".
const PROMPT_ACK_MINUTES: i64 = 5;

/// A change to the world that succeeded, in words (a flag flip, a
/// rollback, a playbook step that changed something).
fn change(e: &Entry) -> Option<String> {
    match &e.event {
        Event::FlagChanged {
            flag,
            wanted,
            ok: true,
            ..
        } => Some(format!(
            "flag {flag} turned {}",
            if *wanted { "on" } else { "off" }
        )),
        Event::ActionFinished {
            action,
            target,
            ok: true,
            ..
        } => Some(format!("{action} {target}")),
        Event::StepFinished {
            title,
            ok: true,
            changed: Some(true),
            ..
        } => Some(format!("playbook step \"{title}\"")),
        _ => None,
    }
}

/// What the journal says, written up.
pub fn auto<'a>(inc: &Incident, entries: &'a [Entry]) -> Auto<'a> {
    let d = durations(inc);
    let mut fired: Vec<&str> = Vec::new();
    let mut first_alert: Option<(&str, DateTime<Utc>)> = None;
    for (ev, at) in entries.iter().flat_map(Entry::parts) {
        if let Event::AlertFiring { name, severity, .. } = ev {
            if signals_impact(severity) {
                if !fired.contains(&name.as_str()) {
                    fired.push(name);
                }
                if first_alert.is_none_or(|(_, t)| at < t) {
                    first_alert = Some((name, at));
                }
            }
        }
    }
    let mut done: Vec<String> = Vec::new();
    for e in entries {
        if let Some(c) = change(e) {
            if !done.contains(&c) {
                done.push(c);
            }
        }
    }
    Auto {
        summary: summary(inc, &d, &fired, &done),
        triggers: triggers(inc, entries),
        detection: first_alert.map(|(name, at)| Detection {
            alert: name.to_string(),
            at,
            after_impact: inc.impact_started.map(|s| at - s),
        }),
        went_well: went_well(&d, entries),
        went_wrong: went_wrong(&d, entries),
    }
}

fn list(items: &[impl AsRef<str>], most: usize) -> String {
    let mut shown: Vec<&str> = items.iter().take(most).map(AsRef::as_ref).collect();
    let more = items.len().saturating_sub(most);
    let tail = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    match shown.len() {
        0 => String::new(),
        1 => format!("{}{tail}", shown[0]),
        _ => {
            let last = shown.pop().unwrap_or_default();
            if more > 0 {
                format!("{}, {last}{tail}", shown.join(", "))
            } else {
                format!("{} and {last}", shown.join(", "))
            }
        }
    }
}

fn summary(inc: &Incident, d: &Durations, fired: &[&str], done: &[String]) -> String {
    let what = if fired.is_empty() {
        "No critical or warning alert fired".to_string()
    } else {
        format!("{} fired", list(fired, 3))
    };
    let acted = if done.is_empty() {
        "no change to flags or releases was recorded".to_string()
    } else {
        format!("the response {}", list(done, 4))
    };
    let how_long = match (d.mitigate, d.resolve) {
        (Some(m), Some(r)) => format!(
            "it was mitigated after {} and the impact lasted {}",
            fmt_duration(m.length),
            fmt_duration(r.length)
        ),
        (Some(m), None) => format!("it was mitigated after {}", fmt_duration(m.length)),
        (None, Some(r)) => format!("the impact lasted {}", fmt_duration(r.length)),
        (None, None) => "it was not mitigated when this was generated".to_string(),
    };
    format!(
        "{what}; {acted}; {how_long} (measured from {}). {} incident.",
        d.from.phrase(),
        inc.severity
    )
}

fn triggers<'a>(inc: &Incident, entries: &'a [Entry]) -> Vec<Trigger<'a>> {
    let (start, _) = inc.measured_from();
    let window =
        |at: DateTime<Utc>| at <= start && start - at <= Duration::hours(TRIGGER_WINDOW_HOURS);
    // What firebreak recorded itself.
    let mut out: Vec<Trigger> = entries
        .iter()
        .filter(|e| window(e.ts))
        .filter_map(|e| {
            change(e).map(|what| Trigger {
                entry: e,
                what,
                at: e.ts,
                by: Some(e.actor.clone()),
                source: "journal".into(),
                before: start - e.ts,
            })
        })
        .collect();
    // What release control and the flag services said had changed (asked
    // at the declaration): a deploy made before anyone opened firebreak.
    // A change firebreak recorded too (the same flip, seconds apart) is
    // listed once, as recorded.
    for e in entries {
        let Event::ChangesReported {
            source, changes, ..
        } = &e.event
        else {
            continue;
        };
        for c in changes.iter().filter(|c| window(c.at)) {
            let seen = out
                .iter()
                .any(|t| t.what == c.what && (t.at - c.at).num_seconds().abs() <= SAME_CHANGE_SECS);
            if !seen {
                out.push(Trigger {
                    entry: e,
                    what: c.what.clone(),
                    at: c.at,
                    by: c.by.clone(),
                    source: source.clone(),
                    before: start - c.at,
                });
            }
        }
    }
    // Closest to the impact start first.
    out.sort_by_key(|t| t.before);
    out
}

/// A reported change this close to a recorded one with the same words is
/// the same change.
const SAME_CHANGE_SECS: i64 = 60;

fn went_well(d: &Durations, entries: &[Entry]) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(a) = d
        .acknowledge
        .filter(|a| a.length <= Duration::minutes(PROMPT_ACK_MINUTES))
    {
        out.push(format!(
            "Time to acknowledge was {}.",
            fmt_duration(a.length)
        ));
    }
    if let (Some(s), false) = (d.detect, d.from == MeasuredFrom::FirstAlert) {
        if s.length <= Duration::minutes(PROMPT_ACK_MINUTES) {
            out.push(format!(
                "An alert fired {} after the impact started.",
                fmt_duration(s.length)
            ));
        }
    }
    let changes = entries.iter().filter(|e| change(e).is_some()).count();
    if changes > 0 && failures(entries).is_empty() {
        out.push(format!(
            "Every change made during the response succeeded ({changes})."
        ));
    }
    out
}

fn failures(entries: &[Entry]) -> Vec<String> {
    entries
        .iter()
        .filter_map(|e| match &e.event {
            Event::FlagChanged { ok: false, .. }
            | Event::ActionFinished { ok: false, .. }
            | Event::StepFinished { ok: false, .. } => Some(e.event.describe()),
            _ => None,
        })
        .collect()
}

fn went_wrong(d: &Durations, entries: &[Entry]) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(a) = d
        .acknowledge
        .filter(|a| a.length > Duration::minutes(PROMPT_ACK_MINUTES))
    {
        out.push(format!(
            "Time to acknowledge was {} (over {PROMPT_ACK_MINUTES}m).",
            fmt_duration(a.length)
        ));
    }
    if let (Some(s), false) = (d.detect, d.from == MeasuredFrom::FirstAlert) {
        if s.length > Duration::minutes(PROMPT_ACK_MINUTES) {
            out.push(format!(
                "The first alert fired {} after the impact started.",
                fmt_duration(s.length)
            ));
        }
    }
    for f in failures(entries).into_iter().take(5) {
        let f: String = f.chars().take(200).collect();
        out.push(format!("Failed: {f}."));
    }
    let mut down: Vec<&str> = Vec::new();
    for e in entries {
        if let Event::SourceHealth {
            source,
            healthy: false,
            ..
        } = &e.event
        {
            if !down.contains(&source.as_str()) {
                down.push(source);
            }
        }
    }
    if !down.is_empty() {
        out.push(format!(
            "Source(s) unreachable during the incident: {}.",
            list(&down, 4)
        ));
    }
    let extended = entries
        .iter()
        .filter(|e| matches!(e.event, Event::HypothesisExtended { .. }))
        .count();
    if extended > 0 {
        out.push(format!(
            "{extended} quick hypothesis time box(es) had to be extended."
        ));
    }
    out
}
