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
    /// The chart marker chosen with up/down while the pane has focus (an
    /// action's entry hash); None: the latest.
    pub mark: Option<String>,
}

impl Metrics {
    pub fn new(health: Health) -> Metrics {
        Metrics {
            panels: Vec::new(),
            health,
            window: 0,
            mark: None,
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
    /// The markers in the window shown (oldest first), and the chosen one
    /// (the latest unless up/down chose another).
    pub fn marks_shown(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> (Vec<&super::incident::Mark>, Option<&super::incident::Mark>) {
        let from = now - self.metrics.window_duration();
        let shown: Vec<&super::incident::Mark> = self
            .action_marks()
            .iter()
            .filter(|m| m.at >= from && m.at <= now)
            .collect();
        let chosen = self
            .metrics
            .mark
            .as_ref()
            .and_then(|h| shown.iter().find(|m| m.hash == *h).copied())
            .or_else(|| shown.last().copied());
        (shown, chosen)
    }

    /// The unit of a metric panel (`%`, `ms`), empty when unknown.
    pub fn panel_unit(&self, name: &str) -> &str {
        self.metrics
            .panels
            .iter()
            .find(|p| p.spec.name == name)
            .map_or("", |p| p.spec.unit.as_str())
    }
}
