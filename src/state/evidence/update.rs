//! Taking the readings: on every tick, each mitigation action of this
//! journal that has no reading at the action gets one (the panels' values
//! at that moment, from the series they hold), and each whose settling
//! time has passed, or whose verifying check passed, gets its
//! after-reading. Only the cockpit that writes the journal records them;
//! values it cannot know are recorded as unknown, with why.

use chrono::{DateTime, Duration, Utc};

use super::super::{Effect, State};
use crate::domain::evidence::{Phase, Reading};
use crate::domain::{fmt_duration, Event};
use crate::sources::Panel;
use crate::state::health::Freshness;

/// An action first seen later than this after it happened (a journal of
/// before evidence was kept, firebreak not running) gets no readings:
/// they would not be of its moment.
const TOO_LATE: Duration = Duration::minutes(10);

/// A reading owed to an action.
struct Owed {
    hash: String,
    what: String,
    phase: Phase,
    /// The moment its values are of, and the samples that count: later
    /// than `after`, not later than `at`.
    at: DateTime<Utc>,
    after: DateTime<Utc>,
    reason: String,
    /// For an after-reading: the readings at the action.
    before: Vec<Reading>,
}

pub(crate) fn on_tick(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    if state.access.read_only() || state.incident.is_none() || !state.settings.metrics_configured {
        return Vec::new();
    }
    let settle = state.settings.evidence_settle;
    let tol = tolerance(state);
    let mut due: Vec<Owed> = Vec::new();
    for a in &state.evidence.fold.actions {
        if state.evidence.theirs.contains(&a.hash) {
            continue;
        }
        let phase = if a.before.is_none() {
            Phase::Before
        } else if a.after.is_none() {
            Phase::After
        } else {
            continue;
        };
        if state.evidence.in_flight.contains(&(a.hash.clone(), phase)) {
            continue;
        }
        match phase {
            Phase::Before => {
                if now - a.at > TOO_LATE {
                    continue;
                }
                due.push(Owed {
                    hash: a.hash.clone(),
                    what: a.what.clone(),
                    phase,
                    at: a.at,
                    after: a.at - tol,
                    reason: "at the action".into(),
                    before: Vec::new(),
                });
            }
            Phase::After => {
                let settled = a.at + settle;
                let (at, reason) = match &a.verified {
                    Some((t, check)) if *t < settled => (
                        *t,
                        format!("{} after, verified: {check}", fmt_duration(*t - a.at)),
                    ),
                    _ => (settled, format!("{} after", fmt_duration(settle))),
                };
                if now < at || !ready(state, at, now, tol) {
                    continue;
                }
                let before = a.before.as_ref().map(|b| b.readings.clone());
                due.push(Owed {
                    hash: a.hash.clone(),
                    what: a.what.clone(),
                    phase,
                    at,
                    // A sample from before the action says nothing of after
                    // it (Prometheus went down meanwhile): unknown, not that.
                    after: (at - tol).max(a.at),
                    reason,
                    before: before.unwrap_or_default(),
                });
            }
        }
    }
    let mut fx = Vec::new();
    let fresh = state.metrics.health.freshness(now);
    for o in due {
        let mut reason = o.reason;
        if state.metrics.panels.is_empty() {
            // No panel has ever answered: say why there are no values.
            reason = format!(
                "{reason}; {}",
                unknown_why(&fresh).unwrap_or("no panels yet")
            );
        }
        let readings = readings_at(&state.metrics.panels, &fresh, o.after, o.at);
        state.evidence.in_flight.insert((o.hash.clone(), o.phase));
        fx.push(state.record(Event::EvidenceRecorded {
            action: o.hash,
            what: o.what,
            phase: o.phase,
            at: o.at,
            readings,
            before: o.before,
            reason,
        }));
    }
    fx
}

/// How far before a moment a sample may be and still be of it: two of
/// the panels' steps (a 6 h window has coarse points) and a poll (the
/// latest answer may be that old).
fn tolerance(state: &State) -> Duration {
    let step = state
        .metrics
        .panels
        .iter()
        .filter_map(|p| match (p.points.first(), p.points.last()) {
            (Some(a), Some(b)) if p.points.len() > 1 => {
                Some(((b.0 - a.0) / (p.points.len() - 1) as f64) as i64)
            }
            _ => None,
        })
        .max()
        .unwrap_or(0);
    Duration::seconds((step * 2).max(1)) + state.settings.poll_interval
}

/// Is there something to read at `at`: every panel that answers has a
/// sample at or after it, or the source has had time enough to bring one
/// (then what it is not known is recorded as such).
fn ready(state: &State, at: DateTime<Utc>, now: DateTime<Utc>, tol: Duration) -> bool {
    let t = unix(at);
    let answered = state
        .metrics
        .panels
        .iter()
        .filter(|p| p.error.is_none())
        .all(|p| p.points.iter().any(|(x, v)| *x >= t && v.is_finite()));
    (answered && !state.metrics.panels.is_empty()) || now - at >= tol
}

/// Unix seconds, as the panels' points have them.
fn unix(t: DateTime<Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

/// Each panel's value at `at`: its last finite sample at or before it and
/// later than `after`; or why it is not known.
pub fn readings_at(
    panels: &[Panel],
    fresh: &Freshness,
    after: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Vec<Reading> {
    let (oldest, t) = (unix(after), unix(at));
    let down = unknown_why(fresh);
    panels
        .iter()
        .map(|p| {
            let sample = p
                .points
                .iter()
                .rev()
                .find(|(x, v)| *x <= t && v.is_finite())
                .filter(|(x, _)| *x > oldest);
            let (value, unknown) = match (sample, &p.error) {
                (Some((_, v)), _) => (Some(*v), None),
                (None, Some(_)) => (None, Some("query failed".to_string())),
                (None, None) => (
                    None,
                    Some(down.unwrap_or("no sample from then").to_string()),
                ),
            };
            Reading {
                panel: p.spec.name.clone(),
                unit: p.spec.unit.clone(),
                value,
                unknown,
            }
        })
        .collect()
}

/// Why values are not known, from the metrics source's health.
fn unknown_why(fresh: &Freshness) -> Option<&'static str> {
    match fresh {
        Freshness::Down(_) => Some("prometheus down"),
        Freshness::Stale => Some("prometheus stale"),
        Freshness::Waiting => Some("no answer from prometheus yet"),
        _ => None,
    }
}
