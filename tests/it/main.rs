//! The integration tests, in one test binary (`cargo test --test it`).
//!
//! One binary links the firebreak library and the dev-dependencies once
//! instead of once per test file, which is what a developer waits for after
//! every change. Each former `tests/<name>.rs` is a module here; run one
//! with `cargo test --test it <name>::` (e.g. `ui::`). Helpers shared by
//! the modules live in [`support`]; the real servers there (Prometheus,
//! Alertmanager, Unleash) are started once per binary, lazily, by the
//! first test that needs them, and stopped when the binary exits. Tests
//! run on parallel threads of this one process: none may change
//! process-wide state (current dir, shared env vars) another test reads.

mod support;

mod alertmanager;
mod app;
mod approvals;
mod cli;
mod depth;
mod evidence;
mod export;
mod faults;
mod flags_flagd;
mod flags_unleash;
mod followups;
mod fuzz;
mod hypotheses;
mod journal;
mod playbooks;
mod prometheus;
mod roles;
mod routing;
mod rules;
mod runbooks;
mod storm;
mod team;
mod ui;
mod updates;
mod writers;
