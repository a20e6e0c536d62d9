//! Alert and metric sources from `[alertmanager]` and `[prometheus]`:
//! polled by the cockpit, or built once for a headless command with its
//! command-line overrides (`--alertmanager`, `--prometheus`, `--timeout`).

use std::sync::Arc;
use std::time::Duration;

use crate::config::sources::{AlertmanagerConfig, PrometheusConfig};
use crate::config::Config;
use crate::sources::alertmanager::Alertmanager;
use crate::sources::prometheus::Prometheus;
use crate::sources::{AlertPrefs, AlertSource, MetricSource, Unavailable};

/// The real sources a config asks for, ready to poll.
pub struct Polled {
    pub alerts: Option<Arc<dyn AlertSource>>,
    pub metrics: Option<Arc<dyn MetricSource>>,
    pub prefs: AlertPrefs,
    /// Longest per-call deadline of the sources (pollers must wait longer).
    pub max_timeout: Duration,
    /// Problems to show (a source that cannot be built is still wired, as
    /// one that is down with the reason, never as "not configured").
    pub notices: Vec<String>,
}

/// Build `[alertmanager]` and `[prometheus]` from the config, to poll.
pub fn polled(cfg: &Config) -> Polled {
    let mut w = Polled {
        alerts: None,
        metrics: None,
        prefs: Default::default(),
        max_timeout: Duration::from_secs(cfg.request_timeout_secs),
        notices: Vec::new(),
    };
    if let Some(am) = &cfg.alertmanager {
        w.max_timeout = w.max_timeout.max(Duration::from_secs(
            am.request_timeout_secs.unwrap_or(cfg.request_timeout_secs),
        ));
        w.prefs.ack = am.ack();
        w.prefs.silence = am.silence_default();
        w.prefs.group_by = am.group_by.clone();
        w.alerts = Some(match am.build(cfg.request_timeout_secs) {
            Ok(c) => {
                w.prefs.silence_source = Some(AlertSource::name(&c).to_string());
                Arc::new(c)
            }
            Err(e) => {
                w.notices.push(format!("alertmanager: {e}"));
                Arc::new(Unavailable::new("alertmanager", e))
            }
        });
    }
    if let Some(p) = &cfg.prometheus {
        w.max_timeout = w.max_timeout.max(Duration::from_secs(
            p.request_timeout_secs.unwrap_or(cfg.request_timeout_secs),
        ));
        w.metrics = Some(match p.build(cfg.request_timeout_secs) {
            Ok(c) => Arc::new(c),
            Err(e) => {
                w.notices.push(format!("prometheus: {e}"));
                Arc::new(Unavailable::new("prometheus", e))
            }
        });
    }
    w
}

/// The Alertmanager section to use: `urls` (from the command line)
/// override the config's, and credentials are only sent to configured
/// URLs; `timeout` (seconds) overrides the section's deadline.
pub fn alertmanager_config(
    cfg: &Config,
    urls: &[String],
    timeout: Option<u64>,
) -> anyhow::Result<AlertmanagerConfig> {
    let configured = cfg.alertmanager.clone();
    let mut section = match (configured, urls.is_empty()) {
        (Some(c), true) => c,
        (None, true) => anyhow::bail!(
            "no Alertmanager configured: pass --alertmanager URL or add an [alertmanager] section to the config (see README: Real alert and metric sources)"
        ),
        (Some(mut c), false) => {
            let known = c.all_urls();
            let same = urls.iter().all(|u| known.iter().any(|k| k.trim_end_matches('/') == u.trim_end_matches('/')));
            if !same {
                c.auth = Default::default();
            }
            c.url = None;
            c.urls = urls.to_vec();
            c
        }
        (None, false) => AlertmanagerConfig::with_urls(urls.to_vec()),
    };
    if let Some(t) = timeout {
        section.request_timeout_secs = Some(t.max(1));
    }
    Ok(section)
}

/// An Alertmanager client for one command (see [`alertmanager_config`]),
/// with the section it was built from.
pub fn alertmanager(
    cfg: &Config,
    urls: &[String],
    timeout: Option<u64>,
) -> anyhow::Result<(Alertmanager, AlertmanagerConfig)> {
    let section = alertmanager_config(cfg, urls, timeout)?;
    let am = section
        .build(cfg.request_timeout_secs)
        .map_err(anyhow::Error::msg)?;
    Ok((am, section))
}

/// A Prometheus client for one command: `url` overrides the config's
/// (credentials are only sent to the configured URL), `timeout`
/// (seconds) its deadline.
pub fn prometheus(
    cfg: &Config,
    url: Option<&str>,
    timeout: Option<u64>,
) -> anyhow::Result<Prometheus> {
    let mut section = match (cfg.prometheus.clone(), url) {
        (Some(c), None) => c,
        (None, None) => anyhow::bail!(
            "no Prometheus configured: pass --prometheus URL or add a [prometheus] section to the config (see README: Real alert and metric sources)"
        ),
        (Some(mut c), Some(u)) => {
            if c.url.trim_end_matches('/') != u.trim_end_matches('/') {
                c.auth = Default::default();
            }
            c.url = u.to_string();
            c
        }
        (None, Some(u)) => PrometheusConfig::with_url(u.to_string()),
    };
    if let Some(t) = timeout {
        section.request_timeout_secs = Some(t.max(1));
    }
    section
        .build(cfg.request_timeout_secs)
        .map_err(anyhow::Error::msg)
}
