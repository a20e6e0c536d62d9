//! Alert and metric sources. Each is a trait with one implementation per
//! system (the built-in demo, Alertmanager, Prometheus), polled by
//! [`poller`] tasks that report results as messages.

pub mod alertmanager;
pub mod history;
pub mod http;
pub mod matcher;
pub mod poller;
pub mod prometheus;
pub mod rules;
pub mod series;
pub mod silence;

pub use silence::{AlertPrefs, NewSilence, Silence};

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Alertmanager's notion of an alert's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    Active,
    Suppressed,
    Unprocessed,
}

/// One alert, as any source reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub fingerprint: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub state: AlertState,
    pub starts_at: DateTime<Utc>,
    #[serde(default)]
    pub generator_url: Option<String>,
    /// Which source (or instance) reported it.
    pub source: String,
    /// What Alertmanager adds: silences, inhibitions, receivers...
    #[serde(default)]
    pub detail: AlertDetail,
}

/// Alertmanager's extra facts about an alert (empty for other sources).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertDetail {
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub silenced_by: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inhibited_by: Vec<String>,
    /// Muted by a time interval (Alertmanager >= 0.27).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub muted_by: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub receivers: Vec<String>,
}

pub use crate::domain::incident::severity_rank;

impl Alert {
    pub fn name(&self) -> &str {
        self.labels
            .get("alertname")
            .map_or("(unnamed)", String::as_str)
    }

    pub fn severity(&self) -> &str {
        self.labels.get("severity").map_or("none", String::as_str)
    }

    pub fn service(&self) -> &str {
        self.labels
            .get("service")
            .or_else(|| self.labels.get("job"))
            .map_or("", String::as_str)
    }

    pub fn summary(&self) -> &str {
        self.annotations
            .get("summary")
            .or_else(|| self.annotations.get("description"))
            .or_else(|| self.annotations.get("message"))
            .map_or("", String::as_str)
    }

    /// State in words: active, silenced, inhibited, muted, suppressed,
    /// unprocessed.
    pub fn state_label(&self) -> &'static str {
        match self.state {
            AlertState::Active => "active",
            AlertState::Unprocessed => "unprocessed",
            AlertState::Suppressed if !self.detail.silenced_by.is_empty() => "silenced",
            AlertState::Suppressed if !self.detail.inhibited_by.is_empty() => "inhibited",
            AlertState::Suppressed if !self.detail.muted_by.is_empty() => "muted",
            AlertState::Suppressed => "suppressed",
        }
    }

    /// Suppressed because of a silence (not an inhibition).
    pub fn is_silenced(&self) -> bool {
        self.state == AlertState::Suppressed && !self.detail.silenced_by.is_empty()
    }

    /// The runbook link, from the usual annotation names.
    pub fn runbook_url(&self) -> Option<&str> {
        ["runbook_url", "runbook", "runbookUrl", "playbook"]
            .iter()
            .find_map(|k| self.annotations.get(*k))
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    /// Values of `labels` joined, to group alerts (e.g. alertname+service).
    pub fn group_key(&self, labels: &[String]) -> String {
        labels
            .iter()
            .map(|l| self.labels.get(l).map_or("", String::as_str))
            .collect::<Vec<_>>()
            .join("/")
    }

    /// Sort rank: critical first.
    pub fn severity_rank(&self) -> u8 {
        severity_rank(self.severity())
    }

    /// Text the `/` filter and the palette match against.
    pub fn search_text(&self) -> String {
        let mut s = format!(
            "{} {} {} {}",
            self.name(),
            self.severity(),
            self.service(),
            self.summary()
        );
        for (k, v) in &self.labels {
            if k != "alertname" && k != "severity" && k != "service" {
                s.push(' ');
                s.push_str(v);
            }
        }
        s
    }
}

/// A metric panel's definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelSpec {
    pub name: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub warning: Option<f64>,
    #[serde(default)]
    pub critical: Option<f64>,
}

/// A metric panel with its data (or the error that prevented it).
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    pub spec: PanelSpec,
    /// (unix seconds, value); NaN and infinities are kept as they came.
    pub points: Vec<(f64, f64)>,
    pub error: Option<String>,
}

impl Panel {
    pub fn last(&self) -> Option<f64> {
        self.points
            .iter()
            .rev()
            .map(|p| p.1)
            .find(|v| v.is_finite())
    }
}

/// Where alerts come from. Sources that can silence (Alertmanager) also
/// implement the silence methods; the defaults say they cannot.
#[async_trait]
pub trait AlertSource: Send + Sync {
    fn name(&self) -> &str;
    async fn alerts(&self) -> anyhow::Result<Vec<Alert>>;

    /// Can this source list, create and expire silences?
    fn can_silence(&self) -> bool {
        false
    }

    /// Current silences (active, pending and recently expired).
    async fn silences(&self) -> anyhow::Result<Vec<Silence>> {
        Ok(Vec::new())
    }

    /// Create a silence; returns its id and a description of where.
    async fn create_silence(&self, silence: &NewSilence) -> anyhow::Result<(String, String)> {
        let _ = silence;
        anyhow::bail!("{} cannot silence alerts", self.name())
    }

    /// Expire a silence now; returns a description of where.
    async fn expire_silence(&self, id: &str) -> anyhow::Result<String> {
        let _ = id;
        anyhow::bail!("{} has no silences to expire", self.name())
    }

    /// Does this source route alerts to receivers (Alertmanager)?
    fn has_routing(&self) -> bool {
        false
    }

    /// The routing tree it runs now, and where it was read.
    async fn routing(&self) -> anyhow::Result<Routing> {
        anyhow::bail!("{} does not route alerts", self.name())
    }
}

/// A routing tree and where it came from (shared: the UI evaluates it for
/// the alert on screen).
#[derive(Debug, Clone)]
pub struct Routing {
    pub tree: std::sync::Arc<alertmanager::routing::RoutingTree>,
    /// The instance (or file) it was read from.
    pub from: String,
}

/// Where metric panels come from.
#[async_trait]
pub trait MetricSource: Send + Sync {
    fn name(&self) -> &str;
    /// Query every panel over `window` ending now.
    async fn panels(&self, window: chrono::Duration) -> anyhow::Result<Vec<Panel>>;

    /// Does it evaluate alerting rules (Prometheus)?
    fn has_rules(&self) -> bool {
        false
    }

    /// Its alerting rules with their alerts (pending and firing).
    async fn rules(&self) -> anyhow::Result<Vec<rules::AlertRule>> {
        anyhow::bail!("{} has no alerting rules", self.name())
    }

    /// What it remembers of an alert: how often it fired before.
    async fn history(
        &self,
        alertname: &str,
        labels: &BTreeMap<String, String>,
    ) -> anyhow::Result<history::History> {
        let _ = (alertname, labels);
        anyhow::bail!("{} keeps no alert history", self.name())
    }

    /// Draw this query as the first panel from the next poll on (`None`
    /// takes it away): the rule behind an alert, one key away.
    fn chart(&self, panel: Option<(PanelSpec, String)>) {
        let _ = panel;
    }
}

/// Something that can roll back the last release (the demo; later a
/// configured deploy command through the rollback playbook).
#[async_trait]
pub trait ReleaseControl: Send + Sync {
    fn name(&self) -> &str;
    /// What is deployed now, e.g. "checkout v2.14.0".
    async fn current(&self) -> anyhow::Result<String>;
    /// Roll back; returns a description of the result.
    async fn rollback(&self) -> anyhow::Result<String>;
    /// The deploys since `since` ("deploy checkout v2.14.0"), when it
    /// knows them (the postmortem's trigger candidates); `None`: it keeps
    /// no history.
    async fn deploys_since(
        &self,
        since: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<Option<Vec<crate::domain::event::ReportedChange>>> {
        let _ = since;
        Ok(None)
    }
}

/// A configured source that could not be built (a missing token, a bad
/// CA file): it is "down" with the reason on every poll, so the UI says so
/// instead of pretending nothing is configured.
pub struct Unavailable {
    name: String,
    reason: String,
}

impl Unavailable {
    pub fn new(name: &str, reason: impl Into<String>) -> Unavailable {
        Unavailable {
            name: name.to_string(),
            reason: reason.into(),
        }
    }
}

#[async_trait]
impl AlertSource for Unavailable {
    fn name(&self) -> &str {
        &self.name
    }

    async fn alerts(&self) -> anyhow::Result<Vec<Alert>> {
        anyhow::bail!("not started: {}", self.reason)
    }
}

#[async_trait]
impl MetricSource for Unavailable {
    fn name(&self) -> &str {
        &self.name
    }

    async fn panels(&self, _window: chrono::Duration) -> anyhow::Result<Vec<Panel>> {
        anyhow::bail!("not started: {}", self.reason)
    }
}

/// Fingerprint for sources that do not supply one: stable hash of labels.
pub fn fingerprint(labels: &BTreeMap<String, String>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for (k, v) in labels {
        h.update(k.as_bytes());
        h.update([0]);
        h.update(v.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..8])
}
