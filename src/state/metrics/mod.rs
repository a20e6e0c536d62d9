//! Metrics: the panels the metric sources return, their health, and the
//! window the charts cover. Keys and messages in `update.rs`.

mod update;

pub(super) use update::{hints, on_action, on_metrics};

use chrono::Duration;

use super::health::Health;
use crate::sources::Panel;

/// The metrics windows `w` cycles through.
pub const WINDOWS: [(&str, i64); 3] = [("15m", 15), ("1h", 60), ("6h", 360)];

#[derive(Debug, Clone)]
pub struct Metrics {
    pub panels: Vec<Panel>,
    pub health: Health,
    /// Index into [`WINDOWS`].
    pub window: usize,
}

impl Metrics {
    pub fn new(health: Health) -> Metrics {
        Metrics {
            panels: Vec::new(),
            health,
            window: 0,
        }
    }

    pub fn window_duration(&self) -> Duration {
        Duration::minutes(WINDOWS[self.window % WINDOWS.len()].1)
    }

    pub fn window_label(&self) -> &'static str {
        WINDOWS[self.window % WINDOWS.len()].0
    }
}

impl super::State {
    /// The unit of a metric panel (`%`, `ms`), empty when unknown.
    pub fn panel_unit(&self, name: &str) -> &str {
        self.metrics
            .panels
            .iter()
            .find(|p| p.spec.name == name)
            .map_or("", |p| p.spec.unit.as_str())
    }
}
