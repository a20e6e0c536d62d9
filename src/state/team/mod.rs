//! The team database as the cockpit sees it: online or not, how many of
//! this responder's entries wait to be sent, who else writes the
//! incident, and their entries merged in. Messages in `update.rs`.

mod update;

pub(super) use update::{chose_join, confirmed_leave, left, on_action, on_msg};

use std::collections::HashSet;

use crate::domain::Entry;

/// What the sync task reports.
#[derive(Debug, Clone, PartialEq)]
pub enum TeamMsg {
    /// After each try: reachable or not, and what waits to be sent.
    Status {
        online: bool,
        detail: String,
        unsent: usize,
        /// Other responders looking at the incident now.
        present: Vec<String>,
    },
    /// The incident as the team knows it: every believed entry in the
    /// database's order (the same on every client), then this responder's
    /// unsent ones; and each responder with whether their feed verified.
    Merged {
        canonical: Vec<Entry>,
        responders: Vec<(String, bool)>,
    },
    /// The team database's incidents this responder has not joined yet
    /// (asked at start with no incident open, and by `J`), or why not.
    Shared(Result<Vec<Joinable>, String>),
}

/// An incident another responder shared, not joined here yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joinable {
    pub id: String,
    pub title: String,
    pub declared_by: String,
    pub declared_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct TeamView {
    /// `[team]` is configured: open incidents are shared.
    pub configured: bool,
    /// `None` until the first try.
    pub online: Option<bool>,
    pub detail: String,
    pub unsent: usize,
    /// Other responders (name, feed verified).
    pub responders: Vec<(String, bool)>,
    /// Other responders looking at the incident now (their heartbeat is
    /// fresh).
    pub present: Vec<String>,
    /// Hashes of other responders' entries already on the timeline.
    pub shown: HashSet<String>,
    /// Shared incidents not joined here (the last answer).
    pub joinable: Vec<Joinable>,
    /// The responder asked (`J`): say what came back, even "none".
    pub asked: bool,
    /// The picker opened by itself once already (at start).
    pub picked: bool,
}
