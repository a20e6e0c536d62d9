//! Release control: what is deployed (so the rollback confirmation can
//! name it) and whether a rollback is running. Keys and messages in
//! `update.rs`.

mod update;

pub(super) use update::{confirmed_rollback, on_action, on_release, on_rollback_done};

#[derive(Debug, Clone, Default)]
pub struct Release {
    /// What is deployed, per the release control, and which one says so.
    pub current: Option<(String, String)>,
    /// A rollback is running: a second press does nothing.
    pub in_flight: bool,
}
