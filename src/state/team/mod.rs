//! The team database as the cockpit sees it: online or not, how many of
//! this responder's entries wait to be sent, who else writes the
//! incident, and their entries merged in. Messages in `update.rs`.

mod update;

pub(super) use update::on_msg;

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
}
