//! Alert and metric sources. Each is a trait with one implementation per
//! system (the built-in demo now; Alertmanager and Prometheus next), polled
//! by [`poller`] tasks that report results as messages.

pub mod demo;
pub mod poller;

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
}

impl Alert {
    pub fn name(&self) -> &str {
        self.labels.get("alertname").map_or("(unnamed)", String::as_str)
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

    /// Sort rank: critical first.
    pub fn severity_rank(&self) -> u8 {
        match self.severity().to_ascii_lowercase().as_str() {
            "critical" | "page" | "error" => 0,
            "warning" | "warn" => 1,
            "info" => 2,
            _ => 3,
        }
    }

    /// Text the `/` filter and the palette match against.
    pub fn search_text(&self) -> String {
        let mut s = format!("{} {} {} {}", self.name(), self.severity(), self.service(), self.summary());
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
        self.points.iter().rev().map(|p| p.1).find(|v| v.is_finite())
    }
}

/// Where alerts come from.
#[async_trait]
pub trait AlertSource: Send + Sync {
    fn name(&self) -> &str;
    async fn alerts(&self) -> anyhow::Result<Vec<Alert>>;
}

/// Where metric panels come from.
#[async_trait]
pub trait MetricSource: Send + Sync {
    fn name(&self) -> &str;
    /// Query every panel over `window` ending now.
    async fn panels(&self, window: chrono::Duration) -> anyhow::Result<Vec<Panel>>;
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
