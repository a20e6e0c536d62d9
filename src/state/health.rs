//! Freshness of each source: "source down" must never look like "all quiet".

use chrono::{DateTime, Duration, Utc};

use super::{Effect, State};
use crate::domain::Event;
use crate::sources::poller::Polled;

/// What the UI says about a source.
#[derive(Debug, Clone, PartialEq)]
pub enum Freshness {
    /// No source of this kind is configured.
    NotConfigured,
    /// Configured, first answer not in yet.
    Waiting,
    Ok,
    /// Answers, but slowly.
    Slow,
    /// The last good answer is too old.
    Stale,
    /// The last attempt failed.
    Down(String),
}

impl Freshness {
    pub fn label(&self) -> &'static str {
        match self {
            Freshness::NotConfigured => "not configured",
            Freshness::Waiting => "connecting",
            Freshness::Ok => "ok",
            Freshness::Slow => "slow",
            Freshness::Stale => "STALE",
            Freshness::Down(_) => "DOWN",
        }
    }

    /// True when the data shown cannot be trusted as current.
    pub fn is_bad(&self) -> bool {
        matches!(self, Freshness::Stale | Freshness::Down(_))
    }
}

/// Health bookkeeping of one source.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub name: String,
    pub configured: bool,
    pub interval: Duration,
    pub last_ok: Option<DateTime<Utc>>,
    pub last_attempt: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub took: std::time::Duration,
    /// The source answered but some of its parts did not: (failed, total),
    /// e.g. metric panels whose query failed. `None` when all answered.
    pub partial: Option<(usize, usize)>,
}

impl Health {
    pub fn new(name: &str, configured: bool, interval: Duration) -> Health {
        Health {
            name: name.to_string(),
            configured,
            interval,
            last_ok: None,
            last_attempt: None,
            last_error: None,
            took: std::time::Duration::ZERO,
            partial: None,
        }
    }

    /// Record a poll. Returns Some(healthy) when the source changed between
    /// answering and failing (worth a timeline entry).
    pub fn record(
        &mut self,
        at: DateTime<Utc>,
        took: std::time::Duration,
        error: Option<String>,
    ) -> Option<bool> {
        let was_down = self.last_error.is_some();
        let had_attempt = self.last_attempt.is_some();
        self.last_attempt = Some(at);
        self.took = took;
        let now_down = error.is_some();
        match error {
            Some(e) => self.last_error = Some(e),
            None => {
                self.last_ok = Some(at);
                self.last_error = None;
            }
        }
        if now_down != was_down && (had_attempt || now_down) {
            Some(!now_down)
        } else {
            None
        }
    }

    pub fn freshness(&self, now: DateTime<Utc>) -> Freshness {
        if !self.configured {
            return Freshness::NotConfigured;
        }
        if let Some(e) = &self.last_error {
            return Freshness::Down(e.clone());
        }
        let Some(ok) = self.last_ok else {
            return Freshness::Waiting;
        };
        let interval = self.interval.max(Duration::seconds(1));
        if now - ok > interval * 3 + Duration::seconds(5) {
            Freshness::Stale
        } else if self.took > std::time::Duration::from_secs(2) {
            Freshness::Slow
        } else {
            Freshness::Ok
        }
    }

    /// Record how many parts of the last good answer failed (a partial
    /// failure: the source is up, but not everything it shows is current).
    pub fn record_parts(&mut self, failed: usize, total: usize) {
        self.partial = (failed > 0 && total > 0).then_some((failed, total));
    }

    /// `(failed, total)` when the source is up but some of its parts
    /// failed in the last poll; `None` when all answered or it is down.
    pub fn partial_failure(&self, now: DateTime<Utc>) -> Option<(usize, usize)> {
        match self.freshness(now) {
            Freshness::Ok | Freshness::Slow => self.partial,
            _ => None,
        }
    }

    /// Age of the last good answer.
    pub fn age(&self, now: DateTime<Utc>) -> Option<Duration> {
        self.last_ok.map(|t| now - t)
    }
}

/// Update a source's health; record it on the timeline when it changes.
pub(crate) fn health_change<T>(
    state: &mut State,
    pick: fn(&mut State) -> &mut Health,
    p: &Polled<T>,
) -> Vec<Effect> {
    let err = p.result.as_ref().err().cloned();
    let health = pick(state);
    let changed = health.record(p.at, p.took, err.clone());
    let name = format!("{} ({})", health.name, p.source);
    match changed {
        Some(healthy) if state.incident_open() && !state.access.read_only() => {
            vec![State::record_system(Event::SourceHealth {
                source: name,
                healthy,
                detail: err.unwrap_or_default(),
            })]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    #[test]
    fn down_is_never_quiet_and_recovery_is_reported() {
        let mut h = Health::new("am", true, Duration::seconds(5));
        assert_eq!(h.freshness(t(0)), Freshness::Waiting);
        assert_eq!(h.record(t(0), Default::default(), None), None);
        assert_eq!(h.freshness(t(1)), Freshness::Ok);
        assert_eq!(
            h.record(t(5), Default::default(), Some("refused".into())),
            Some(false)
        );
        assert_eq!(h.freshness(t(6)), Freshness::Down("refused".into()));
        assert_eq!(
            h.record(t(10), Default::default(), Some("refused".into())),
            None
        );
        assert_eq!(h.record(t(15), Default::default(), None), Some(true));
        assert_eq!(h.freshness(t(16)), Freshness::Ok);
        assert_eq!(h.freshness(t(40)), Freshness::Stale);
    }

    #[test]
    fn partial_failure_is_told_only_while_the_source_is_up() {
        let mut h = Health::new("metrics", true, Duration::seconds(5));
        h.record(t(0), Default::default(), None);
        h.record_parts(2, 5);
        assert_eq!(h.partial_failure(t(1)), Some((2, 5)));
        // Down says more than "2 of 5 failed".
        h.record(t(5), Default::default(), Some("refused".into()));
        assert_eq!(h.partial_failure(t(6)), None);
        h.record(t(10), Default::default(), None);
        h.record_parts(0, 5);
        assert_eq!(h.partial_failure(t(11)), None);
    }
}
