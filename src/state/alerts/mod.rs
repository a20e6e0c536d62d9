//! Alerts: what the alert sources report, grouped and filtered for the
//! alerts pane, and which firing alerts the timeline already recorded.
//! The keys and messages that change them are in `update.rs`.

mod update;

pub(crate) use update::on_prepared;
pub(super) use update::{
    hints, on_action, on_alerts, on_detail_key, on_history, on_routing, show_detail, wants_history,
};
pub use update::{inhibitors, paged, Paging};
pub use update::{AlertTransitions, OldAlerts};

use std::collections::HashMap;
use std::sync::Arc;

use super::health::Health;
use super::lists::ListView;
use super::State;
use crate::domain::{Entry, Event};
use crate::sources::matcher;
use crate::sources::Alert;

/// Everything the alerts pane shows.
#[derive(Debug, Clone)]
pub struct Alerts {
    /// Shared with the journal's thread, which builds a storm's entries
    /// from them ([`AlertTransitions`]).
    pub items: Arc<Vec<Alert>>,
    /// Search text of each alert (cached for the per-keystroke filter).
    pub text: Vec<String>,
    /// Each alert's group (by the silences' `group_by`) and the group's size.
    pub group: Vec<(String, usize)>,
    pub health: Health,
    pub list: ListView,
    /// Alerts recorded as firing on the timeline, by fingerprint. Hashed:
    /// a storm looks each of 50,000 alerts up in it.
    pub recorded_firing: HashMap<String, Recorded>,
    /// Polls seen (see [`Recorded::seen`]).
    pub polls: u64,
    /// The routing tree last read (who gets paged), and why the last read
    /// failed, if it did (the tree read before stays: configs change
    /// rarely, and an old answer marked as such beats none).
    pub routing: Option<crate::sources::Routing>,
    pub routing_error: Option<String>,
    /// Each alert's history (by fingerprint), when it was asked and what
    /// came back (None: not yet).
    pub history: HashMap<String, Asked>,
}

/// An alert recorded as firing.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Its name (shared: a storm has thousands of alerts of a few names).
    pub name: Arc<str>,
    /// The last poll that reported it ([`Alerts::polls`]): one not seen
    /// by the latest poll is gone, without a set of what that poll holds.
    pub seen: u64,
}

/// A history asked of the metric source.
#[derive(Debug, Clone)]
pub struct Asked {
    pub at: chrono::DateTime<chrono::Utc>,
    pub result: Option<Result<crate::sources::history::History, String>>,
}

impl Alerts {
    /// The alert with this fingerprint, if a source still reports it.
    pub fn get(&self, fingerprint: &str) -> Option<&Alert> {
        self.items.iter().find(|a| a.fingerprint == fingerprint)
    }

    pub fn new(health: Health) -> Alerts {
        Alerts {
            items: Arc::default(),
            text: Vec::new(),
            group: Vec::new(),
            health,
            list: ListView::default(),
            recorded_firing: HashMap::new(),
            polls: 0,
            routing: None,
            routing_error: None,
            history: HashMap::new(),
        }
    }

    /// Fold a journal entry in (live and replay).
    pub fn apply(&mut self, entry: &Entry) {
        for (event, _) in entry.parts() {
            match event {
                Event::IncidentDeclared { .. } => self.recorded_firing.clear(),
                // Recorded live, it is known already (by the poll).
                Event::AlertFiring {
                    fingerprint, name, ..
                } if !self.recorded_firing.contains_key(fingerprint) => {
                    self.recorded_firing.insert(
                        fingerprint.clone(),
                        Recorded {
                            name: name.as_str().into(),
                            seen: self.polls,
                        },
                    );
                }
                Event::AlertResolved { fingerprint, .. } => {
                    self.recorded_firing.remove(fingerprint);
                }
                _ => {}
            }
        }
    }
}

/// Alerts ready to show: sorted into their groups, with their search
/// texts and group keys. The cockpit prepares them where they were polled
/// (off the event loop: for 50,000 alerts this is most of the work), then
/// sends [`super::Msg::AlertsReady`].
#[derive(Debug, Default)]
pub struct Prepared {
    pub alerts: Arc<Vec<Alert>>,
    text: Vec<String>,
    group: Vec<(String, usize)>,
    /// What recording a transition needs of each alert, copied here, off
    /// the event loop: a storm's 50,000 new alerts are then recorded as
    /// firing without an allocation (or a cache miss into each alert) on it.
    keys: Vec<Key>,
}

/// An alert's fingerprint, name (shared by the alerts of that name) and
/// whether it is active (see [`Prepared`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    fingerprint: String,
    name: Arc<str>,
    active: bool,
}

/// Sort `alerts` into groups by `group_by` and build what the pane and
/// its filter need.
pub fn prepare(mut alerts: Vec<Alert>, group_by: &[String]) -> Prepared {
    super::silences::sort_grouped(&mut alerts, group_by);
    let text = alerts.iter().map(Alert::search_text).collect();
    let group_keys: Vec<String> = alerts.iter().map(|a| a.group_key(group_by)).collect();
    let mut sizes: HashMap<&str, usize> = HashMap::new();
    for k in &group_keys {
        *sizes.entry(k.as_str()).or_default() += 1;
    }
    let sizes: Vec<usize> = group_keys
        .iter()
        .map(|k| sizes.get(k.as_str()).copied().unwrap_or(1))
        .collect();
    let group = group_keys.into_iter().zip(sizes).collect();
    let mut names: HashMap<&str, Arc<str>> = HashMap::new();
    let keys = alerts
        .iter()
        .map(|a| Key {
            fingerprint: a.fingerprint.clone(),
            name: names
                .entry(a.name())
                .or_insert_with(|| a.name().into())
                .clone(),
            active: a.state == crate::sources::AlertState::Active,
        })
        .collect();
    Prepared {
        alerts: Arc::new(alerts),
        text,
        group,
        keys,
    }
}

impl State {
    /// Replace the alerts and their cached search texts; what they
    /// replace is returned, to be freed off the event loop (50,000 alerts
    /// are a million allocations).
    pub(crate) fn set_alerts(&mut self, p: Prepared) -> OldAlerts {
        let old = OldAlerts {
            text: std::mem::replace(&mut self.alerts.text, p.text),
            group: std::mem::replace(&mut self.alerts.group, p.group),
            items: std::mem::replace(&mut self.alerts.items, p.alerts),
            keys: p.keys,
        };
        self.refilter_alerts();
        old
    }

    /// The alert under the cursor in the alerts pane.
    pub fn selected_alert(&self) -> Option<&Alert> {
        self.alerts
            .list
            .selected_index()
            .and_then(|i| self.alerts.items.get(i))
    }

    /// The alerts filter is fuzzy text, Alertmanager matchers
    /// (`severity="critical" service=~"check.*"`), or both.
    pub fn refilter_alerts(&mut self) {
        let a = &mut self.alerts;
        let full = std::mem::take(&mut a.list.filter);
        let (matchers, rest, _) = matcher::split_filter(&full);
        if matchers.is_empty() {
            a.list.filter = full;
            a.list.refilter(&a.text);
            return;
        }
        a.list.filter = rest;
        a.list.refilter(&a.text);
        a.list.filter = full;
        let items = &a.items;
        let keep = a.list.selected_index();
        a.list.view.retain(|i| {
            items
                .get(*i)
                .is_some_and(|x| matcher::all_match(&matchers, &x.labels))
        });
        let last = a.list.view.len().saturating_sub(1);
        a.list.selected = keep
            .and_then(|k| a.list.view.iter().position(|i| *i == k))
            .unwrap_or(a.list.selected.min(last));
    }
}
