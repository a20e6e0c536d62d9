//! The messages that drive `update`, and the effects it asks for.
//!
//! A [`Msg`] is everything that can happen to the app: a key, a tick, a
//! poll result, the result of an effect. An [`Effect`] is work for the
//! effect runner (`crate::effects`), where all I/O happens; its results
//! come back as messages.

use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use crossterm::event::KeyEvent;

use super::playbooks::PlaybookMsg;
use super::screen::Level;
use super::team::TeamMsg;
use crate::domain::{Entry, Event};
use crate::flags::{Flag, FlipError, FlipOutcome};
use crate::sources::poller::Polled;
use crate::sources::{Alert, Panel};
use crate::timeline::export::Format;
use crate::timeline::journal::Holder;

/// Everything that can happen to the app.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// Text pasted into the terminal (bracketed paste): it is text, never
    /// keys, so it can only ever be typed into a text field.
    Paste(String),
    /// The terminal's size (at start and on every resize).
    Resize(u16, u16),
    /// A clock tick (visible clocks advance).
    Tick,
    Alerts(Polled<Vec<Alert>>),
    /// Alerts prepared where they were polled (sorted, search texts):
    /// what the cockpit's pollers send; [`Msg::Alerts`] prepares them in
    /// the update.
    AlertsReady(Polled<super::alerts::Prepared>),
    Metrics(Polled<Vec<Panel>>),
    Flags(Polled<Vec<Flag>>),
    FlipDone {
        provider: String,
        flag: String,
        wanted: bool,
        result: Result<FlipOutcome, FlipError>,
    },
    /// An entry is durably in the journal; run `then` now.
    Recorded {
        entry: Entry,
        then: Vec<Effect>,
    },
    /// Writing to the journal failed; `then` was NOT run.
    RecordFailed {
        actor: String,
        event: Event,
        error: String,
        then: Vec<Effect>,
    },
    RollbackDone(Result<String, String>),
    /// Feedback from an effect that has nothing to record.
    Notice(Level, String),
    /// What the release control says is deployed ("checkout v2.14.0").
    Release(Polled<String>),
    /// What one system said had changed (see [`Effect::AskChanges`]);
    /// `Ok(None)`: it keeps no history.
    ChangesReported {
        source: String,
        since: DateTime<Utc>,
        result: Result<Option<Vec<crate::domain::event::ReportedChange>>, String>,
    },
    Exported(Result<(Format, PathBuf), String>),
    /// Live output and results of playbook steps.
    Playbook(PlaybookMsg),
    /// The team database's sync: status, and the incident as the team
    /// knows it.
    Team(TeamMsg),
    /// Silences from an alert source (Alertmanager).
    Silences(Polled<Vec<crate::sources::Silence>>),
    /// The routing tree an alert source runs (Alertmanager's config).
    Routing(Polled<crate::sources::Routing>),
    /// The alerting rules a metric source evaluates (Prometheus).
    Rules(Polled<Vec<crate::sources::rules::AlertRule>>),
    /// How often an alert fired before (asked when its details opened).
    History {
        fingerprint: String,
        result: Result<crate::sources::history::History, String>,
    },
    /// Entries another process appended to the incident's journal: the
    /// cockpit that writes it (when this one follows) or a headless
    /// command (`firebreak note`, `silence`, `flag`).
    Followed(Vec<Entry>),
    /// Following the journal stopped: why.
    FollowFailed(String),
    /// The follower looked at the writer lock: `Some` while it is held (by
    /// whom, if the lock file says), `None` once its holder exited.
    WriterSeen(Option<Option<Holder>>),
    /// Taking over finished: every entry of the journal, or why not.
    TookOver(Result<Vec<Entry>, String>),
    /// A silence, ack or expiry finished: a description, or the error.
    SilenceDone {
        action: String,
        target: String,
        result: Result<String, String>,
    },
    /// Sending status update `id` to `channel` finished: what to record
    /// ("sent (HTTP 200)"), or why not.
    UpdateSent {
        id: String,
        channel: String,
        result: Result<String, String>,
    },
}

/// Work for the effect runner (all I/O happens there).
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Append to the journal (fsync'd), then run `then`. An
    /// `IncidentDeclared` event starts a new journal.
    Record {
        actor: String,
        event: Event,
        then: Vec<Effect>,
    },
    /// Record a storm's alert transitions: their `alert_batch` entries are
    /// built on the journal's thread and appended with one fsync
    /// ([`super::alerts::AlertTransitions::into_records`] is what it means).
    RecordAlerts(super::alerts::AlertTransitions),
    /// Free what a poll replaced, off the event loop.
    Free(super::alerts::OldAlerts),
    /// Become the writer of incident `id` (its writer has quit): take its
    /// writer lock and open its journal for appending.
    TakeOver {
        id: String,
    },
    /// Share incident `id` through the team database (it was just
    /// declared): start its sync.
    ShareIncident {
        id: String,
    },
    /// Ask the team database which incidents others shared that this
    /// responder has not joined (answered as `TeamMsg::Shared`).
    ListShared,
    /// Draw this query as the metrics pane's first panel (`None`: stop),
    /// then poll the metrics.
    Chart {
        panel: Option<(crate::sources::PanelSpec, String)>,
    },
    /// Ask the metric source how often this alert fired before.
    FetchHistory {
        fingerprint: String,
        alertname: String,
        labels: std::collections::BTreeMap<String, String>,
    },
    /// Poll every source now.
    RefreshAll,
    /// Re-read the flags (after a flip).
    RefreshFlags,
    FlipFlag {
        provider: String,
        flag: String,
        wanted: bool,
    },
    Rollback,
    /// Ask release control and every flag provider what changed since
    /// `since` (answered per source as [`Msg::ChangesReported`]).
    AskChanges {
        since: DateTime<Utc>,
    },
    Export {
        format: Format,
        id: String,
    },
    /// Open a web link in the desktop's browser (argv, never a shell).
    OpenUrl(String),
    /// Put text on the clipboard (OSC 52, through the terminal).
    Copy(String),
    /// Change the metrics window.
    SetWindow(Duration),
    /// Carry out a playbook step (command, flag, release control).
    PlaybookStep(crate::playbook::exec::StepJob),
    /// Create a silence (or an ack) on the alert source named `source`.
    CreateSilence {
        source: String,
        silence: crate::sources::NewSilence,
        action: String,
        target: String,
    },
    /// Expire silences on the alert source named `source`.
    ExpireSilence {
        source: String,
        ids: Vec<String>,
        target: String,
        /// As recorded: "expire silence", or "expire ack" when firebreak
        /// ends an ack whose alert resolved.
        action: String,
    },
    /// Post a recorded status update to the chat channel of this name
    /// (answered as `Msg::UpdateSent`).
    SendUpdate {
        channel: String,
        message: crate::chat::Message,
    },
    /// Load the theme of this name and draw with it (app::run).
    SetTheme(String),
    Quit,
}
