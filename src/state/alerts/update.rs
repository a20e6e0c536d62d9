//! Alert messages and keys: polls (firing / resolved transitions are
//! recorded once each), the details overlay and its links.

use chrono::{DateTime, Utc};

use super::super::{health, screen, silences, Effect, Level, Mode, Pane, State};
use super::Recorded;
use crate::action::Action;
use crate::domain::{Event, ALERT_BATCH_MAX};
use crate::sources::poller::Polled;
use crate::sources::Alert;

pub(crate) fn on_alerts(state: &mut State, p: Polled<Vec<Alert>>) -> Vec<Effect> {
    let p = p.map(|a| super::prepare(a, &state.silences.prefs.group_by));
    on_prepared(state, p)
}

/// Alerts polled and prepared ([`super::prepare`]): health, the
/// transitions to record, and the pane.
pub(crate) fn on_prepared(state: &mut State, p: Polled<super::Prepared>) -> Vec<Effect> {
    let mut fx = health::health_change(state, |s| &mut s.alerts.health, &p);
    let Ok(mut prepared) = p.result else {
        // Keep the last known alerts; the pane marks them stale.
        return fx;
    };
    // Read-only: the cockpit that writes the incident records transitions.
    if state.incident_open() && !state.access.read_only() {
        let alerts = &prepared.alerts;
        state.alerts.polls += 1;
        let poll = state.alerts.polls;
        let recorded = &mut state.alerts.recorded_firing;
        recorded.reserve(alerts.len().saturating_sub(recorded.len()));
        let mut firing = Vec::new();
        let mut seen = 0;
        // The keys not moved into the recorded set are freed with the
        // replaced list, off the loop.
        let mut spare = Vec::with_capacity(prepared.keys.len());
        for (i, k) in std::mem::take(&mut prepared.keys).into_iter().enumerate() {
            if let Some(r) = recorded.get_mut(&k.fingerprint) {
                // A silenced or inhibited alert is still there (its
                // silence is recorded below), not resolved.
                if r.seen != poll {
                    r.seen = poll;
                    seen += 1;
                }
                spare.push(k);
            } else if k.active {
                recorded.insert(
                    k.fingerprint,
                    Recorded {
                        name: k.name,
                        seen: poll,
                    },
                );
                seen += 1;
                firing.push(i);
            } else {
                spare.push(k);
            }
        }
        prepared.keys = spare;
        // Resolved = no longer reported.
        let mut resolved: Vec<(String, String)> = Vec::new();
        if recorded.len() > seen {
            resolved = recorded
                .iter()
                .filter(|(_, r)| r.seen != poll)
                .map(|(fp, r)| (fp.clone(), r.name.to_string()))
                .collect();
            resolved.sort_unstable(); // the journal's order does not depend on a hash
            for (fingerprint, _) in &resolved {
                recorded.remove(fingerprint);
            }
        }
        fx.extend(
            AlertTransitions {
                alerts: alerts.clone(),
                firing,
                resolved,
            }
            .into_effects(),
        );
        fx.extend(silences::transitions(state, &prepared.alerts));
        fx.extend(silences::expire_spent_acks(
            state,
            &p.source,
            &prepared.alerts,
            p.at,
        ));
    }
    let old = state.set_alerts(prepared);
    if old.items.len() + old.keys.len() > BATCH_FROM {
        fx.push(Effect::Free(old));
    }
    fx
}

/// Up to this many transitions in one poll are recorded one entry each
/// (each its own row on the timeline, with its summary); more are a storm.
pub const BATCH_FROM: usize = 10;

/// The alert transitions of one poll, to be recorded: which of the polled
/// `alerts` started firing (their indices), and which recorded ones are
/// gone (fingerprint, name).
///
/// A few are recorded one entry each, built here. A storm (more than
/// [`BATCH_FROM`]) is [`Effect::RecordAlerts`]: the journal's thread
/// builds its `alert_batch` entries of up to [`ALERT_BATCH_MAX`] from the
/// shared alerts, so that the event loop does not copy 50,000 alerts' labels
/// (it stays live: a key or a note is not behind them), and 50,000 new
/// alerts are 50 entries, one timeline row each.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertTransitions {
    pub alerts: std::sync::Arc<Vec<Alert>>,
    pub firing: Vec<usize>,
    pub resolved: Vec<(String, String)>,
}

impl AlertTransitions {
    pub fn len(&self) -> usize {
        self.firing.len() + self.resolved.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn into_effects(self) -> Vec<Effect> {
        if self.len() <= BATCH_FROM {
            return self.into_records();
        }
        vec![Effect::RecordAlerts(self)]
    }

    /// What is recorded, an [`Effect::Record`] per entry: the events one
    /// by one for a few, in [`Event::AlertBatch`] entries for a storm.
    pub fn into_records(self) -> Vec<Effect> {
        self.into_entries()
            .into_iter()
            .map(State::record_system)
            .collect()
    }

    /// The events of the entries to record (see [`Self::into_records`]):
    /// firing first, in the poll's order, then resolved.
    pub fn into_entries(self) -> Vec<Event> {
        let batched = self.len() > BATCH_FROM;
        let firing = self
            .firing
            .iter()
            .filter_map(|&i| self.alerts.get(i))
            .map(|a| Event::AlertFiring {
                fingerprint: a.fingerprint.clone(),
                name: a.name().to_string(),
                severity: a.severity().to_string(),
                summary: a.summary().to_string(),
                labels: a.labels.clone(),
                since: Some(a.starts_at),
            });
        let resolved = self
            .resolved
            .into_iter()
            .map(|(fingerprint, name)| Event::AlertResolved { fingerprint, name });
        let mut events = firing.chain(resolved);
        if !batched {
            return events.collect();
        }
        // Each event is built once, into a batch of its exact size.
        let mut entries = Vec::new();
        loop {
            let batch: Vec<Event> = events.by_ref().take(ALERT_BATCH_MAX).collect();
            if batch.is_empty() {
                return entries;
            }
            entries.push(Event::AlertBatch { events: batch });
        }
    }
}

/// Alerts a poll replaced, freed by the effect runner off the event loop.
#[derive(Debug, Clone, PartialEq)]
pub struct OldAlerts {
    pub items: std::sync::Arc<Vec<Alert>>,
    pub text: Vec<String>,
    pub group: Vec<(String, usize)>,
    pub keys: Vec<super::Key>,
}

/// Open or copy a link of an alert (the runbook, else the generator URL;
/// or the generator URL). Only http(s) links are opened.
fn alert_link(
    state: &mut State,
    fingerprint: &str,
    link: Action,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let Some(a) = state.alerts.get(fingerprint) else {
        return Vec::new();
    };
    let runbook = a
        .annotations
        .get("runbook_url")
        .or_else(|| a.annotations.get("runbook"))
        .cloned();
    let generator = a.generator_url.clone();
    let url = match link {
        Action::OpenLink | Action::CopyLink => runbook.or(generator),
        _ => generator,
    };
    let Some(url) = url.filter(|u| !u.trim().is_empty()) else {
        state.notify(Level::Info, "This alert has no such link", now);
        return Vec::new();
    };
    if matches!(link, Action::CopyLink | Action::CopyGeneratorLink) {
        state.notify(
            Level::Success,
            format!("Copied to the clipboard: {url}"),
            now,
        );
        return vec![Effect::Copy(url)];
    }
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        state.notify(
            Level::Warning,
            format!("Not opening {url}: only http(s) links are opened (y copies it)"),
            now,
        );
        return Vec::new();
    }
    state.notify(Level::Info, format!("Opening {url}"), now);
    vec![Effect::OpenUrl(url)]
}

/// Actions the alerts pane owns.
pub(crate) fn on_action(
    state: &mut State,
    action: Action,
    _now: DateTime<Utc>,
) -> Option<Vec<Effect>> {
    match action {
        Action::Select if state.focus == Pane::Alerts => {
            if let Some(a) = state.selected_alert() {
                state.mode = Mode::AlertDetail {
                    fingerprint: a.fingerprint.clone(),
                    scroll: 0,
                };
            }
            Some(Vec::new())
        }
        _ => None,
    }
}

/// Keys of the alert details (their keymap layer).
pub(crate) fn on_detail_key(
    state: &mut State,
    fingerprint: String,
    scroll: u16,
    action: Option<Action>,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let scroll = match action {
        // The suggested playbook starts from the detail view.
        Some(Action::OpenPlaybook) => {
            return super::super::playbooks::start_suggested(state, &fingerprint, now)
        }
        Some(
            a @ (Action::OpenLink
            | Action::OpenGeneratorLink
            | Action::CopyLink
            | Action::CopyGeneratorLink),
        ) => {
            let fx = alert_link(state, &fingerprint, a, now);
            state.mode = Mode::AlertDetail {
                fingerprint,
                scroll,
            };
            return fx;
        }
        // Silence, ack and expire work from the detail view too.
        Some(a @ (Action::SilenceAlert | Action::AckAlert | Action::ExpireSilence)) => {
            return silences::on_action(state, a, now).unwrap_or_default()
        }
        // Why it is muted: the alert that inhibits it, one key away.
        Some(Action::ShowInhibitor) => {
            let first = inhibitors(state, &fingerprint)
                .first()
                .map(|(fp, a)| (fp.to_string(), a.is_some()));
            match first {
                Some((fp, true)) => return show_detail(state, fp),
                Some((fp, false)) => state.notify(
                    Level::Warning,
                    format!(
                        "The alert inhibiting it ({}) is not among the alerts shown",
                        fp.get(..8).unwrap_or(&fp)
                    ),
                    now,
                ),
                None => state.notify(Level::Info, "This alert is not inhibited", now),
            }
            scroll
        }
        // The rule behind it, charted in the metrics pane.
        Some(Action::ChartRule) => {
            let rule = super::super::rules::rule_of_alert(state, &fingerprint)
                .map(|r| (r.name.clone(), r.query.clone()));
            match rule {
                Some((name, query)) => {
                    let fx = super::super::rules::chart_choice(state, &name, &query, now);
                    state.mode = Mode::AlertDetail {
                        fingerprint,
                        scroll,
                    };
                    return fx;
                }
                None => state.notify(
                    Level::Info,
                    "No Prometheus rule found behind this alert (is [prometheus] configured? does the alert come from it?)",
                    now,
                ),
            }
            scroll
        }
        Some(Action::Cancel) => return Vec::new(),
        _ => screen::scrolled(scroll, action).min(detail_last(state, &fingerprint)),
    };
    state.mode = Mode::AlertDetail {
        fingerprint,
        scroll,
    };
    Vec::new()
}

/// The alerts that inhibit alert `fingerprint` (Alertmanager's
/// `inhibitedBy`): each fingerprint with the alert, or None when it is not
/// among the alerts shown (filtered out, from another source).
pub fn inhibitors<'a>(state: &'a State, fingerprint: &str) -> Vec<(&'a str, Option<&'a Alert>)> {
    state.alerts.get(fingerprint).map_or(Vec::new(), |a| {
        a.detail
            .inhibited_by
            .iter()
            .map(|fp| (fp.as_str(), state.alerts.get(fp)))
            .collect()
    })
}

/// How long a history answer is good for (it moves by the day).
const HISTORY_FRESH_MINUTES: i64 = 5;

/// With an alert's details open and a metric source that keeps alert
/// history (one that answered for its rules), ask for the alert's
/// history unless it was asked lately.
pub(crate) fn wants_history(state: &mut State, now: DateTime<Utc>) -> Option<Effect> {
    let Mode::AlertDetail { fingerprint, .. } = &state.mode else {
        return None;
    };
    if !state.rules.polled {
        return None;
    }
    let fresh = state
        .alerts
        .history
        .get(fingerprint)
        .is_some_and(|h| now - h.at < chrono::Duration::minutes(HISTORY_FRESH_MINUTES));
    if fresh {
        return None;
    }
    let a = state.alerts.get(fingerprint)?;
    let fx = Effect::FetchHistory {
        fingerprint: fingerprint.clone(),
        alertname: a.name().to_string(),
        labels: a.labels.clone(),
    };
    // Kept while asked: the answer (or a failure) replaces it; an old
    // answer stays on screen meanwhile.
    let previous = state
        .alerts
        .history
        .get(fingerprint)
        .and_then(|h| h.result.clone());
    state.alerts.history.insert(
        fingerprint.clone(),
        super::Asked {
            at: now,
            result: previous,
        },
    );
    Some(fx)
}

pub(crate) fn on_history(
    state: &mut State,
    fingerprint: String,
    result: Result<crate::sources::history::History, String>,
    now: DateTime<Utc>,
) {
    // Many alerts over a long shift: keep the histories of the alerts
    // still reported.
    if state.alerts.history.len() > 256 {
        let alive: std::collections::HashSet<&str> = state
            .alerts
            .items
            .iter()
            .map(|a| a.fingerprint.as_str())
            .collect();
        state
            .alerts
            .history
            .retain(|fp, _| alive.contains(fp.as_str()));
    }
    state.alerts.history.insert(
        fingerprint,
        super::Asked {
            at: now,
            result: Some(result),
        },
    );
}

/// A routing tree arrived (or could not be read).
pub(crate) fn on_routing(state: &mut State, p: Polled<crate::sources::Routing>) {
    match p.result {
        Ok(r) => {
            state.alerts.routing = Some(r);
            state.alerts.routing_error = None;
        }
        Err(e) => {
            tracing::debug!("routing tree from {}: {e}", p.source);
            state.alerts.routing_error = Some(e);
        }
    }
}

/// Who an alert is sent to, as the details show it.
#[derive(Debug, Clone, PartialEq)]
pub enum Paging {
    /// No source reports a routing tree: only what Alertmanager says.
    Reported(Vec<String>),
    /// By the routing tree read from `from`; `reported`: Alertmanager's own
    /// answer when it differs (its config changed since, or firebreak reads
    /// the tree wrong: either way, worth a look).
    Routed {
        routes: Vec<crate::sources::alertmanager::routing::Paged>,
        from: String,
        reported: Option<Vec<String>>,
        stale: Option<String>,
    },
    /// The tree could not be read yet.
    Unread {
        error: String,
        reported: Vec<String>,
    },
}

/// Evaluate the routing tree for `a` (cheap: a tree is a few dozen
/// routes; done when the details are drawn).
pub fn paged(state: &State, a: &Alert) -> Paging {
    let reported = a.detail.receivers.clone();
    match (&state.alerts.routing, &state.alerts.routing_error) {
        (Some(r), stale) => {
            let routes = r.tree.route(&a.labels);
            let mut ours: Vec<&str> = routes.iter().map(|p| p.receiver.as_str()).collect();
            ours.sort_unstable();
            ours.dedup();
            let mut theirs: Vec<&str> = reported.iter().map(String::as_str).collect();
            theirs.sort_unstable();
            theirs.dedup();
            let differs = !theirs.is_empty() && ours != theirs;
            Paging::Routed {
                routes,
                from: r.from.clone(),
                reported: differs.then_some(reported),
                stale: stale.clone(),
            }
        }
        (None, Some(e)) => Paging::Unread {
            error: e.clone(),
            reported,
        },
        (None, None) => Paging::Reported(reported),
    }
}

/// How far the alert details scroll: their rows less the rows shown, so
/// that `G` and `j` stop at the end and `k` moves at once. The rows are
/// counted from the alert's texts (ui/overlays.rs draws them), generous
/// where a line wraps; the view clamps to the exact count.
fn detail_last(state: &State, fingerprint: &str) -> u16 {
    let Some(a) = state.alerts.get(fingerprint) else {
        return 0;
    };
    let (w, h) = state.viewport;
    // The box: at most 100 wide, the screen's height less four, borders.
    let inner_w = usize::from(w.saturating_sub(2).min(100).saturating_sub(2));
    let shown = usize::from(h.saturating_sub(6));
    // A line that wraps may waste part of each row: its rows are counted
    // a little short.
    let per_row = inner_w.saturating_sub(8).max(8);
    let rows = |len: usize| {
        if len <= inner_w {
            1
        } else {
            len.div_ceil(per_row)
        }
    };
    let d = &a.detail;
    // "Suggested playbook: <name> (the alert's runbook) — press p ...".
    let suggested = super::super::playbooks::suggestions(state, a)
        .first()
        .map_or(0, |p| rows(90 + p.name.len()));
    let since = 70 + a.source.len() + a.fingerprint.len();
    let mut lines = 1 + rows(a.summary().len()) + rows(since) + suggested;
    lines += 2 + a.labels.values().map(|v| rows(22 + v.len())).sum::<usize>();
    lines += 2 + a
        .annotations
        .values()
        .map(|v| rows(22 + v.len()))
        .sum::<usize>();
    lines += a.generator_url.as_ref().map_or(0, |u| rows(22 + u.len()));
    if !d.silenced_by.is_empty() {
        lines += 2 + d.silenced_by.len() * rows(150);
    }
    lines += usize::from(!d.muted_by.is_empty());
    if state.alerts.history.contains_key(fingerprint) {
        lines += 2 + rows(150);
    }
    if let Some(r) = super::super::rules::rule_of_alert(state, fingerprint) {
        lines += 3 + rows(22 + r.query.len()) + usize::from(r.last_error.is_some());
    }
    lines += match paged(state, a) {
        Paging::Reported(r) => usize::from(!r.is_empty()),
        Paging::Unread { .. } => 3,
        Paging::Routed {
            routes,
            reported,
            stale,
            ..
        } => {
            2 + routes
                .iter()
                .map(|p| rows(22 + p.via().len()) + rows(22 + p.how().chars().count()))
                .sum::<usize>()
                + usize::from(reported.is_some())
                + usize::from(stale.is_some())
        }
    };
    if !d.inhibited_by.is_empty() {
        lines += 2 + d.inhibited_by.len() * rows(150);
    }
    if state.silences.prefs.silence_source.is_some() {
        lines += 2;
    }
    u16::try_from(lines.saturating_sub(shown)).unwrap_or(u16::MAX)
}

/// Open an alert's details from the palette.
pub(crate) fn show_detail(state: &mut State, fp: String) -> Vec<Effect> {
    state.focus = Pane::Alerts;
    state.alerts.list.filter.clear();
    state.refilter_alerts();
    if let Some(pos) = state.alerts.list.view.iter().position(|i| {
        state
            .alerts
            .items
            .get(*i)
            .is_some_and(|a| a.fingerprint == fp)
    }) {
        state.alerts.list.selected = pos;
        state.alerts.list.follow = false;
        state.mode = Mode::AlertDetail {
            fingerprint: fp,
            scroll: 0,
        };
    }
    Vec::new()
}

/// Footer hints while the alerts pane has focus, or its details are open.
pub(crate) fn hints(state: &State) -> Vec<Action> {
    match state.mode {
        Mode::AlertDetail {
            ref fingerprint, ..
        } if !inhibitors(state, fingerprint).is_empty() => {
            vec![
                Action::ShowInhibitor,
                Action::OpenLink,
                Action::AckAlert,
                Action::SilenceAlert,
                Action::Cancel,
            ]
        }
        Mode::AlertDetail { .. } => vec![
            Action::OpenLink,
            Action::CopyLink,
            Action::OpenPlaybook,
            Action::AckAlert,
            Action::SilenceAlert,
            Action::Cancel,
        ],
        _ => vec![Action::Select, Action::Filter, Action::Rollback],
    }
}
