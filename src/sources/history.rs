//! Has this fired before? An alert's history from Prometheus' own
//! `ALERTS_FOR_STATE` series: while an alert is pending or firing its rule
//! writes it every evaluation, valued the alert's `activeAt`, so each
//! activation is one change of value. Counted server-side over the raw
//! samples (`changes`, `count_over_time`), so a short episode is never
//! lost between the points of a chart; `ALERTS{alertstate="firing"}`
//! gives the time spent firing.
//!
//! The queries select by alertname only: Prometheus' series do not carry
//! the external labels Alertmanager's copy of the alert has, so the
//! alert's own series is picked on this side (its labels are a subset of
//! the alert's), and the rest are "other label sets" of the same alert.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::series::Series;

/// Days the daily chart covers (and the longest window counted).
pub const DAYS: usize = 30;

/// What Prometheus remembers of one alert.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct History {
    /// Activations in the last 7 and 30 days (a firing one included).
    pub fired_7d: u32,
    pub fired_30d: u32,
    /// When the latest activation began (it may be the current one).
    pub last_active_at: Option<DateTime<Utc>>,
    /// When the one before the current activation began.
    pub previous_active_at: Option<DateTime<Utc>>,
    /// Seconds spent firing in 30 days, and on average per activation.
    pub firing_secs_30d: f64,
    pub average_secs: Option<f64>,
    /// Activations per day, oldest first, today last.
    pub daily: Vec<u32>,
    /// Activations in 30 days of the same alertname with other labels.
    pub others_30d: u32,
}

impl History {
    /// `▁▂▅`: the daily activations as a one-line chart.
    pub fn sparkline(&self) -> String {
        const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
        let max = self.daily.iter().copied().max().unwrap_or(0);
        self.daily
            .iter()
            .map(|&n| {
                if n == 0 {
                    '·'
                } else if max <= 1 {
                    BARS[4]
                } else {
                    BARS[((n - 1) as usize * 7) / (max - 1) as usize]
                }
            })
            .collect()
    }
}

/// Is `series` this alert's own (its labels, less the name and state,
/// all the alert's)?
pub fn same_alert(series: &BTreeMap<String, String>, alert: &BTreeMap<String, String>) -> bool {
    series
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "__name__" | "alertstate"))
        .all(|(k, v)| alert.get(k) == Some(v))
}

/// `ALERTS_FOR_STATE{alertname="X"}` (and the firing `ALERTS`), quoted
/// for PromQL.
pub fn selectors(alertname: &str) -> (String, String) {
    let q = crate::sources::matcher::quote(alertname);
    (
        format!("ALERTS_FOR_STATE{{alertname={q}}}"),
        format!("ALERTS{{alertname={q},alertstate=\"firing\"}}"),
    )
}

/// The instant queries, in the order [`fold`] takes their answers.
pub fn queries(alertname: &str) -> [String; 6] {
    let (sel, firing) = selectors(alertname);
    [
        format!("changes({sel}[7d])"),
        format!("count_over_time({sel}[7d])"),
        format!("changes({sel}[{DAYS}d])"),
        format!("count_over_time({sel}[{DAYS}d])"),
        format!("last_over_time({sel}[{DAYS}d])"),
        format!("count_over_time({firing}[{DAYS}d])"),
    ]
}

/// The daily chart's range query (one point a day): activations each day.
pub fn daily_query(alertname: &str) -> String {
    let (sel, _) = selectors(alertname);
    format!("changes({sel}[1d]) + (count_over_time({sel}[1d]) > bool 0)")
}

/// The one before the current activation: the latest activeAt seen up
/// to just before `active_at` (an instant query at that time).
pub fn previous_query(alertname: &str) -> String {
    let (sel, _) = selectors(alertname);
    format!("last_over_time({sel}[{DAYS}d])")
}

/// Activations in a window from its `changes` and `count_over_time`: each
/// change of value is a new activation, plus the one its first sample
/// belongs to.
fn activations(changes: f64, count: f64) -> u32 {
    if count > 0.0 {
        changes.max(0.0) as u32 + 1
    } else {
        0
    }
}

fn value_of(r: &[Series], alert: &BTreeMap<String, String>, own: bool) -> Vec<f64> {
    r.iter()
        .filter(|s| same_alert(&s.metric, alert) == own)
        .filter_map(Series::last)
        .collect()
}

/// Put the answers together. `answers` are those of [`queries`];
/// `daily` the range query's; `previous` the instant query's at the
/// current activation; `interval` the rule's evaluation interval.
pub fn fold(
    alert: &BTreeMap<String, String>,
    answers: &[Vec<Series>; 6],
    daily: Option<&[Series]>,
    previous: Option<&[Series]>,
    interval_secs: f64,
    now: DateTime<Utc>,
) -> History {
    let own = |i: usize| value_of(&answers[i], alert, true).into_iter().next();
    let fired = |c: usize, n: usize| activations(own(c).unwrap_or(0.0), own(n).unwrap_or(0.0));
    let others: u32 = {
        let ch = value_of(&answers[2], alert, false);
        let n = value_of(&answers[3], alert, false);
        ch.iter().zip(&n).map(|(c, n)| activations(*c, *n)).sum()
    };
    let at = |v: f64| DateTime::from_timestamp(v as i64, 0);
    let last_active_at = own(4).and_then(at);
    let previous_active_at = previous
        .and_then(|r| value_of(r, alert, true).into_iter().next())
        .and_then(at)
        .filter(|p| Some(*p) != last_active_at);
    let fired_30d = fired(2, 3);
    let firing_secs_30d = own(5).unwrap_or(0.0) * interval_secs;
    // The daily chart: points at each day's end, today last.
    let mut days = vec![0u32; DAYS];
    if let Some(r) = daily {
        for s in r.iter().filter(|s| same_alert(&s.metric, alert)) {
            for (t, v) in &s.points {
                // The last point is "now", a fraction of a second off.
                let age_days = ((now.timestamp() as f64 - t).max(0.0) / 86_400.0).floor();
                if v.is_finite() && *v > 0.0 && (0.0..DAYS as f64).contains(&age_days) {
                    let i = DAYS - 1 - age_days as usize;
                    days[i] = days[i].max(*v as u32);
                }
            }
        }
    }
    History {
        fired_7d: fired(0, 1),
        fired_30d,
        last_active_at,
        previous_active_at,
        firing_secs_30d,
        average_secs: (fired_30d > 0 && firing_secs_30d > 0.0)
            .then(|| firing_secs_30d / f64::from(fired_30d)),
        daily: days,
        others_30d: others,
    }
}

/// "fired 3× in 7 d, 9× in 30 d · before this one: 2d ago · lasts 11m
/// on average", for people.
pub fn summary(h: &History, now: DateTime<Utc>) -> String {
    if h.fired_30d == 0 {
        let mut s = format!("never fired in {DAYS} days (as far as Prometheus keeps it)");
        if h.others_30d > 0 {
            s.push_str(&format!(" · {}× with other labels", h.others_30d));
        }
        return s;
    }
    let mut s = format!("fired {}× in 7 d, {}× in {DAYS} d", h.fired_7d, h.fired_30d);
    if let Some(p) = h.previous_active_at {
        s.push_str(&format!(" · the time before: {} ago", ago(now - p)));
    } else if let Some(l) = h.last_active_at {
        s.push_str(&format!(" · last began {} ago", ago(now - l)));
    }
    if let Some(a) = h.average_secs {
        s.push_str(&format!(
            " · fires for {} on average",
            ago(chrono::Duration::seconds(a as i64))
        ));
    }
    if h.others_30d > 0 {
        s.push_str(&format!(" · {}× with other labels", h.others_30d));
    }
    s
}

fn ago(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn vector(rows: &[(&[(&str, &str)], f64)]) -> Vec<Series> {
        rows.iter()
            .map(|(l, v)| Series {
                metric: labels(l),
                points: vec![(1.0, *v)],
            })
            .collect()
    }

    #[test]
    fn activations_are_counted_for_the_alerts_own_series() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        // The alert as Alertmanager has it: an external label too.
        let alert = labels(&[("alertname", "X"), ("instance", "a"), ("cluster", "eu")]);
        let own: &[(&str, &str)] = &[("alertname", "X"), ("instance", "a")];
        let other: &[(&str, &str)] = &[("alertname", "X"), ("instance", "b")];
        let answers = [
            vector(&[(own, 1.0), (other, 0.0)]),
            vector(&[(own, 30.0), (other, 5.0)]),
            vector(&[(own, 4.0), (other, 2.0)]),
            vector(&[(own, 90.0), (other, 9.0)]),
            vector(&[(own, 1_799_990_000.0)]),
            vector(&[(own, 60.0)]),
        ];
        let previous = vector(&[(own, 1_799_000_000.0)]);
        let h = fold(&alert, &answers, None, Some(previous.as_slice()), 15.0, now);
        assert_eq!(h.fired_7d, 2);
        assert_eq!(h.fired_30d, 5);
        assert_eq!(h.others_30d, 3);
        assert_eq!(h.firing_secs_30d, 900.0);
        assert_eq!(h.average_secs, Some(180.0));
        assert_eq!(h.previous_active_at.unwrap().timestamp(), 1_799_000_000);
        let s = summary(&h, now);
        assert!(s.starts_with("fired 2× in 7 d, 5× in 30 d · the time before: 11d ago · fires for 3m on average · 3× with other labels"), "{s}");
    }

    #[test]
    fn no_samples_is_never_fired() {
        let alert = labels(&[("alertname", "X")]);
        let empty = Vec::new;
        let answers = [empty(), empty(), empty(), empty(), empty(), empty()];
        let now = Utc::now();
        let h = fold(&alert, &answers, None, None, 15.0, now);
        assert_eq!(h.fired_30d, 0);
        assert!(summary(&h, now).starts_with("never fired in 30 days"));
    }

    #[test]
    fn the_daily_chart_puts_today_last() {
        let h = History {
            daily: {
                let mut d = vec![0; DAYS];
                d[DAYS - 1] = 3;
                d[0] = 1;
                d
            },
            ..Default::default()
        };
        let s: Vec<char> = h.sparkline().chars().collect();
        assert_eq!(s.len(), DAYS);
        assert_eq!(s[DAYS - 1], '█');
        assert_eq!(s[0], '▁');
        assert_eq!(s[1], '·');
    }
}
