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
/// What a test's effect runner acts through: alice's journal under
/// `data`, no sources, no team (set `team` with struct update). Keep the
/// themes receiver alive while the runner runs.
pub fn runner_parts(
    tx: tokio::sync::mpsc::Sender<firebreak::state::Msg>,
    data: &std::path::Path,
    exports: &std::path::Path,
) -> (
    firebreak::effects::Parts,
    tokio::sync::mpsc::Receiver<firebreak::config::theme::Theme>,
) {
    let (themes, themes_rx) = tokio::sync::mpsc::channel(1);
    let parts = firebreak::effects::Parts {
        tx,
        journal: None,
        follower: None,
        holder: firebreak::timeline::journal::Holder {
            responder: "alice".into(),
            host: "laptop".into(),
            pid: std::process::id(),
            since: chrono::Utc::now(),
        },
        team: None,
        refresh: Vec::new(),
        flags_refresh: Vec::new(),
        window: tokio::sync::watch::channel(chrono::Duration::minutes(15)).0,
        providers: Vec::new(),
        release: None,
        alert_sources: Vec::new(),
        metric_sources: Vec::new(),
        data_dir: data.to_path_buf(),
        export_dir: exports.to_path_buf(),
        timeout: std::time::Duration::from_secs(5),
        screen: Default::default(),
        themes,
        themes_dir: None,
        no_color: true,
        chat: Default::default(),
    };
    (parts, themes_rx)
}

pub fn firebreak(config_home: &std::path::Path, data: &std::path::Path) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("firebreak").unwrap();
    c.env_remove("FIREBREAK_CONFIG")
        .env("XDG_CONFIG_HOME", config_home)
        .env("FIREBREAK_DATA_DIR", data)
        .env("NO_COLOR", "1");
    c
}
