//! Shared helpers of the integration tests (`crate::support::…`).
//!
//! - [`servers`]: real Prometheus and Alertmanager, started on 127.0.0.1
//!   high ports in temp dirs, shared by the whole test binary (started by
//!   the first test that needs one), killed when it ends.
//! - [`exporter`]: a gauge exporter the shared Prometheus scrapes
//!   every second (a service's metric a test controls).
//! - [`fault`]: a tiny HTTP server that misbehaves on purpose.
//! - [`unleash`]: a real Unleash 7.5.1 on PostgreSQL 15, shared by the
//!   whole test binary, stopped when it ends (run tests/setup.sh first).
//! - [`postgres`]: a PostgreSQL 15 of a test's own (start, crash,
//!   restart), and the helpers the Unleash harness starts its own with.
//! - [`proxy`]: a TCP proxy in front of a real server that can stop
//!   forwarding (sockets kept open) and resume: a stalled connection.
//! - [`webhook`]: a chat incoming-webhook receiver that keeps what it
//!   gets and answers as scripted (200, 5xx, 429 + Retry-After, hang,
//!   drop the answer).
//! - [`state`]: the app's state driven headless (keys, [`state::Driver`],
//!   the demo world).
//! - [`firebreak`]: the binary, run as a user would, with its config and
//!   data where the test says (never the developer's own).

pub mod exporter;
pub mod fault;
pub mod postgres;
pub mod proxy;
pub mod servers;
pub mod state;
pub mod unleash;
pub mod webhook;

/// The firebreak binary with its config under `config_home`
/// (`XDG_CONFIG_HOME`: `firebreak/config.toml` there is read) and its
/// data in `data`, without colour.
pub fn firebreak(config_home: &std::path::Path, data: &std::path::Path) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("firebreak").unwrap();
    c.env_remove("FIREBREAK_CONFIG")
        .env("XDG_CONFIG_HOME", config_home)
        .env("FIREBREAK_DATA_DIR", data)
        .env("NO_COLOR", "1");
    c
}
