//! Headless subcommands whose logic is bigger than a match arm in main.rs.

pub mod alerts;
pub mod flag;
pub mod playbook;
pub mod query;
pub mod silence;
