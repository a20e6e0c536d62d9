//! The commands: one module each (clap arguments and what they do);
//! `tui` is the interactive cockpit. main.rs parses and dispatches.

pub mod alerts;
pub mod approve;
pub mod check;
pub mod flag;
pub mod incident;
pub mod keys;
pub mod playbook;
pub mod query;
pub mod record;
pub mod silence;
pub mod team;
pub mod timeline;
pub mod update;
