//! firebreak: a terminal cockpit for the on-call engineer in an outage.
//!
//! The shape (see ARCHITECTURE.md): sources and effects do the I/O and send
//! [`state::Msg`]s; [`state::update`] is pure and returns
//! [`state::Effect`]s; [`ui::draw`] renders the state.

pub mod action;
pub mod app;
pub mod chat;
pub mod cli;
pub mod config;
pub mod deadline;
pub mod demo;
pub mod depth;
pub mod domain;
pub mod effects;
pub mod error;
pub mod flags;
pub mod playbook;
pub mod sources;
pub mod state;
pub mod team;
pub mod text;
pub mod timeline;
pub mod tui;
pub mod ui;
pub mod wiring;
