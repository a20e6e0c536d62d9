//! The screen: panes and focus, notices, the smallest usable size, and
//! the keys that move around it (see `update.rs`).

mod update;

pub(super) use update::{confirmed_quit, hints, on_action, on_help_key, scrolled};

use chrono::{DateTime, Duration, Utc};

use super::State;

/// The panes, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Alerts,
    Metrics,
    Timeline,
    Flags,
    Playbooks,
}

impl Pane {
    pub const ORDER: [Pane; 5] = [
        Pane::Alerts,
        Pane::Metrics,
        Pane::Timeline,
        Pane::Flags,
        Pane::Playbooks,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Alerts => "Alerts",
            Pane::Metrics => "Metrics",
            Pane::Timeline => "Timeline",
            Pane::Flags => "Flags",
            Pane::Playbooks => "Playbooks",
        }
    }
}

/// How loud a notice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Success,
    Warning,
    Error,
}

/// A message in the status line.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub level: Level,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// Smallest screen the full layout is drawn in; on a smaller one keys do
/// not act (only quit), so nothing happens that the responder cannot see.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;

/// How long a notice stays (errors stay until replaced).
pub const NOTICE_SECS: i64 = 8;

impl State {
    pub(crate) fn notify(&mut self, level: Level, text: impl Into<String>, now: DateTime<Utc>) {
        self.notice = Some(Notice {
            level,
            text: text.into(),
            at: now,
        });
    }

    /// The notice to show at `now`, if it has not expired.
    pub fn visible_notice(&self, now: DateTime<Utc>) -> Option<&Notice> {
        self.notice
            .as_ref()
            .filter(|n| n.level == Level::Error || now - n.at < Duration::seconds(NOTICE_SECS))
    }

    /// The list shown in `pane`, if it has one.
    pub fn list_mut(&mut self, pane: Pane) -> Option<&mut super::lists::ListView> {
        match pane {
            Pane::Alerts => Some(&mut self.alerts.list),
            Pane::Timeline => Some(&mut self.timeline.list),
            Pane::Flags => Some(&mut self.flags.list),
            Pane::Playbooks => Some(&mut self.playbooks.list),
            Pane::Metrics => None,
        }
    }

    pub fn list(&self, pane: Pane) -> Option<&super::lists::ListView> {
        match pane {
            Pane::Alerts => Some(&self.alerts.list),
            Pane::Timeline => Some(&self.timeline.list),
            Pane::Flags => Some(&self.flags.list),
            Pane::Playbooks => Some(&self.playbooks.list),
            Pane::Metrics => None,
        }
    }

    /// Re-run the filter of `pane`'s list.
    pub(crate) fn refilter(&mut self, pane: Pane) {
        match pane {
            Pane::Alerts => self.refilter_alerts(),
            Pane::Timeline => self.refilter_timeline(),
            Pane::Flags => self.refilter_flags(),
            Pane::Playbooks => self.playbooks.refilter(),
            Pane::Metrics => {}
        }
    }
}
