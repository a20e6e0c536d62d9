//! One series of Prometheus data: its labels and (time, value) points.
//! Shared by the client (`prometheus.rs`) and what reads its answers
//! (`history.rs`), so neither imports the other.

use std::collections::BTreeMap;

use serde::Serialize;

/// One series of a range query (or one sample of an instant query, as a
/// series of one point).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub metric: BTreeMap<String, String>,
    /// (unix seconds, value).
    pub points: Vec<(f64, f64)>,
}

impl Series {
    pub fn last(&self) -> Option<f64> {
        self.points.last().map(|p| p.1)
    }

    /// `name{a="b"}` for display.
    pub fn label(&self) -> String {
        let name = self.metric.get("__name__").cloned().unwrap_or_default();
        let rest: Vec<String> = self
            .metric
            .iter()
            .filter(|(k, _)| *k != "__name__")
            .map(|(k, v)| format!("{k}={}", super::matcher::quote(v)))
            .collect();
        if rest.is_empty() && name.is_empty() {
            "{}".into()
        } else if rest.is_empty() {
            name
        } else {
            format!("{name}{{{}}}", rest.join(", "))
        }
    }
}
