//! Alertmanager API v2 client: alerts and silences from one instance or an
//! HA cluster.
//!
//! With several URLs every instance is asked (concurrently) and the answers
//! are merged by fingerprint; each alert's `source` names the instance(s)
//! that reported it. When some instances fail the others still count, and
//! the failure shows as a warning alert from firebreak itself, so a broken
//! HA member is visible without hiding the alerts. Silences are created on
//! (and expired via) the instance that last answered, falling over to the
//! next one when it cannot be reached; the cluster gossips them.

pub mod parse;
pub mod routing;

use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::future::join_all;
use reqwest::{Method, Url};

use super::http::{self, ErrorKind, HttpClient, HttpError};
use super::matcher::Matcher;
use super::silence::{NewSilence, Silence};
use super::{fingerprint, Alert, AlertDetail, AlertSource, AlertState};
pub use parse::{parse_alerts, parse_silences, Parsed};

/// One Alertmanager instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// Short name for the UI: host:port (and path prefix, if any).
    pub name: String,
    pub url: Url,
}

impl Instance {
    pub fn parse(s: &str) -> Result<Instance, String> {
        let url = http::parse_base_url(s)?;
        let mut name = url.host_str().unwrap_or("?").to_string();
        if let Some(p) = url.port() {
            name.push_str(&format!(":{p}"));
        }
        let path = url.path().trim_end_matches('/');
        if !path.is_empty() {
            name.push_str(path);
        }
        Ok(Instance { name, url })
    }
}

/// Alerts from all instances, merged.
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    pub alerts: Vec<Alert>,
    /// Instances that answered.
    pub answered: Vec<String>,
    /// Instances that did not, and why.
    pub failures: Vec<(String, HttpError)>,
    /// Oddities found while parsing (lenient fixes), per instance.
    pub notes: Vec<String>,
}

/// An Alertmanager (or HA set of them).
pub struct Alertmanager {
    name: String,
    instances: Vec<Instance>,
    http: HttpClient,
    /// Applied to every pull (server-side and again locally).
    filter: Vec<Matcher>,
    /// Index of the instance that answered last (preferred for writes).
    preferred: Mutex<usize>,
    /// Last parse notes logged (so the log is not flooded every poll).
    last_notes: Mutex<Vec<String>>,
}

impl std::fmt::Debug for Alertmanager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alertmanager")
            .field("instances", &self.instances)
            .finish()
    }
}

impl Alertmanager {
    pub fn new(
        urls: &[String],
        http: HttpClient,
        filter: Vec<Matcher>,
    ) -> Result<Alertmanager, String> {
        if urls.is_empty() {
            return Err("no Alertmanager URL given (set [alertmanager] urls in the config, or --alertmanager URL)".into());
        }
        let instances = urls
            .iter()
            .map(|u| Instance::parse(u).map_err(|e| format!("alertmanager URL {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Alertmanager {
            name: "alertmanager".into(),
            instances,
            http,
            filter,
            preferred: Mutex::new(0),
            last_notes: Mutex::new(Vec::new()),
        })
    }

    pub fn instances(&self) -> &[Instance] {
        &self.instances
    }

    fn alerts_url(&self, inst: &Instance, filter: &[Matcher]) -> Url {
        let mut url = http::join(&inst.url, "api/v2/alerts");
        if !filter.is_empty() {
            let mut q = url.query_pairs_mut();
            for m in filter {
                q.append_pair("filter", &m.to_string());
            }
        }
        url
    }

    /// GET /api/v2/alerts from every instance; merge by fingerprint.
    /// Errors only when no instance answered.
    pub async fn fetch_alerts(&self, extra: &[Matcher]) -> anyhow::Result<Fetched> {
        let filter: Vec<Matcher> = self.filter.iter().chain(extra).cloned().collect();
        let now = Utc::now();
        let calls = self.instances.iter().map(|inst| {
            let url = self.alerts_url(inst, &filter);
            async move {
                let resp = self.http.send(Method::GET, url.clone(), None).await?;
                parse_alerts(&resp.body, &inst.name, now)
                    .map_err(|e| body_error("GET", &url, &resp, e))
            }
        });
        let results = join_all(calls).await;
        let mut out = Fetched::default();
        let mut seen = std::collections::HashMap::new();
        for (i, (inst, r)) in self.instances.iter().zip(results).enumerate() {
            match r {
                Ok(parsed) => {
                    if out.answered.is_empty() {
                        if let Ok(mut p) = self.preferred.lock() {
                            *p = i;
                        }
                    }
                    out.answered.push(inst.name.clone());
                    out.notes.extend(
                        parsed
                            .notes
                            .into_iter()
                            .map(|n| format!("{}: {n}", inst.name)),
                    );
                    let mut alerts = parsed.alerts;
                    if !filter.is_empty() {
                        alerts.retain(|a| super::matcher::all_match(&filter, &a.labels));
                    }
                    if out.alerts.is_empty() {
                        // The first answer is deduplicated already.
                        out.alerts = alerts;
                        continue;
                    }
                    if seen.is_empty() {
                        seen = out
                            .alerts
                            .iter()
                            .enumerate()
                            .map(|(j, a)| (a.fingerprint.clone(), j))
                            .collect();
                    }
                    for a in alerts {
                        match seen.get(&a.fingerprint) {
                            Some(&j) => parse::merge(&mut out.alerts[j], a),
                            None => {
                                seen.insert(a.fingerprint.clone(), out.alerts.len());
                                out.alerts.push(a);
                            }
                        }
                    }
                }
                Err(e) => out.failures.push((inst.name.clone(), e)),
            }
        }
        if out.answered.is_empty() {
            let all: Vec<String> = out.failures.iter().map(|(_, e)| e.to_string()).collect();
            anyhow::bail!("{}", all.join("; "));
        }
        Ok(out)
    }

    /// Instances in the order to try for a single request: the one that
    /// answered last first.
    fn order(&self) -> Vec<usize> {
        let first = self
            .preferred
            .lock()
            .map(|p| *p)
            .unwrap_or(0)
            .min(self.instances.len() - 1);
        std::iter::once(first)
            .chain((0..self.instances.len()).filter(|i| *i != first))
            .collect()
    }

    /// Run `f` against instances in order until one is reachable. Only
    /// connection failures move on to the next instance (anything else
    /// means the request arrived and got an answer).
    async fn first_reachable<T, F, Fut>(&self, f: F) -> anyhow::Result<(T, String)>
    where
        F: Fn(Url) -> Fut,
        Fut: std::future::Future<Output = Result<T, HttpError>>,
    {
        let mut errors = Vec::new();
        for i in self.order() {
            let inst = &self.instances[i];
            match f(inst.url.clone()).await {
                Ok(v) => {
                    if let Ok(mut p) = self.preferred.lock() {
                        *p = i;
                    }
                    return Ok((v, inst.name.clone()));
                }
                Err(e) if e.kind == ErrorKind::Connect => errors.push(e.to_string()),
                Err(e) => return Err(e.into()),
            }
        }
        anyhow::bail!("{}", errors.join("; "))
    }

    /// GET /api/v2/silences (from one instance: the cluster shares them).
    pub async fn fetch_silences(&self) -> anyhow::Result<(Vec<Silence>, String)> {
        let ((silences, notes), inst) = self
            .first_reachable(|base| async move {
                let url = http::join(&base, "api/v2/silences");
                let resp = self.http.send(Method::GET, url.clone(), None).await?;
                let name = Instance::parse(base.as_str())
                    .map(|i| i.name)
                    .unwrap_or_default();
                parse_silences(&resp.body, &name).map_err(|e| body_error("GET", &url, &resp, e))
            })
            .await?;
        for n in notes {
            tracing::warn!("alertmanager {inst}: {n}");
        }
        Ok((silences, inst))
    }

    /// GET /api/v2/status: the routing tree of the running configuration
    /// (from one instance: HA members run the same one), and who answered.
    pub async fn fetch_routing(&self) -> anyhow::Result<(routing::RoutingTree, String)> {
        self.first_reachable(|base| async move {
            let url = http::join(&base, "api/v2/status");
            let resp = self.http.send(Method::GET, url.clone(), None).await?;
            routing::RoutingTree::from_status(&resp.body)
                .map_err(|e| body_error("GET", &url, &resp, e))
        })
        .await
    }

    /// POST /api/v2/silences. Returns (silence id, instance).
    pub async fn post_silence(&self, s: &NewSilence) -> anyhow::Result<(String, String)> {
        if s.matchers.is_empty() {
            anyhow::bail!(
                "refusing to create a silence without matchers (it would silence everything)"
            );
        }
        if s.comment.trim().is_empty() {
            anyhow::bail!("a silence needs a comment (why, and for how long?)");
        }
        let body = s.to_api();
        self.first_reachable(|base| {
            let body = body.clone();
            async move {
                let url = http::join(&base, "api/v2/silences");
                let resp = self
                    .http
                    .send(Method::POST, url.clone(), Some(&body))
                    .await?;
                let v: serde_json::Value = http::decode_json(&resp, "POST", &url)?;
                match v
                    .get("silenceID")
                    .or_else(|| v.get("silenceId"))
                    .and_then(|s| s.as_str())
                {
                    Some(id) if !id.is_empty() => Ok(id.to_string()),
                    _ => Err(body_error(
                        "POST",
                        &url,
                        &resp,
                        "the answer has no silenceID".into(),
                    )),
                }
            }
        })
        .await
    }

    /// DELETE /api/v2/silence/{id}. Returns the instance.
    pub async fn delete_silence(&self, id: &str) -> anyhow::Result<String> {
        let id = id.trim();
        if id.is_empty() || id.contains('/') {
            anyhow::bail!("`{id}` is not a silence id");
        }
        let ((), inst) = self
            .first_reachable(|base| async move {
                let url = http::join(&base, &format!("api/v2/silence/{id}"));
                self.http.send(Method::DELETE, url, None).await.map(|_| ())
            })
            .await?;
        Ok(inst)
    }

    fn log_notes(&self, notes: &[String]) {
        if let Ok(mut last) = self.last_notes.lock() {
            if *last != notes {
                for n in notes {
                    tracing::warn!("{n}");
                }
                *last = notes.to_vec();
            }
        }
    }
}

fn body_error(method: &str, url: &Url, resp: &http::Response, msg: String) -> HttpError {
    let message =
        if resp.content_type.contains("html") || resp.body.trim_ascii_start().starts_with(b"<") {
            // An HTML page with a 200: say so, with its title.
            match serde_json::from_slice::<serde_json::Value>(&resp.body) {
                Ok(_) => msg,
                Err(e) => http::json_error_text(&resp.content_type, &resp.body, &e),
            }
        } else if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&resp.body) {
            http::json_error_text(&resp.content_type, &resp.body, &e)
        } else {
            msg
        };
    HttpError {
        method: method.into(),
        url: http::redact(url),
        kind: ErrorKind::Body,
        message,
        attempts: 1,
    }
}

/// A warning alert that stands for an HA member that did not answer.
pub fn instance_down_alert(instance: &str, error: &HttpError, now: DateTime<Utc>) -> Alert {
    let labels: std::collections::BTreeMap<String, String> = [
        ("alertname", "AlertmanagerInstanceUnreachable"),
        ("severity", "warning"),
        ("service", "firebreak"),
        ("instance", instance),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let annotations = [(
        "summary".to_string(),
        format!("HA member {instance} did not answer ({error}); alerts shown come from the other member(s)"),
    )]
    .into_iter()
    .collect();
    Alert {
        fingerprint: fingerprint(&labels),
        labels,
        annotations,
        state: AlertState::Active,
        starts_at: now,
        generator_url: None,
        source: "firebreak".into(),
        detail: AlertDetail::default(),
    }
}

#[async_trait]
impl AlertSource for Alertmanager {
    fn name(&self) -> &str {
        &self.name
    }

    async fn alerts(&self) -> anyhow::Result<Vec<Alert>> {
        let mut f = self.fetch_alerts(&[]).await?;
        self.log_notes(&f.notes);
        let now = Utc::now();
        for (inst, e) in &f.failures {
            tracing::warn!("alertmanager {inst} unreachable: {e}");
            f.alerts.push(instance_down_alert(inst, e, now));
        }
        Ok(f.alerts)
    }

    fn can_silence(&self) -> bool {
        true
    }

    async fn silences(&self) -> anyhow::Result<Vec<Silence>> {
        Ok(self.fetch_silences().await?.0)
    }

    async fn create_silence(&self, silence: &NewSilence) -> anyhow::Result<(String, String)> {
        self.post_silence(silence).await
    }

    async fn expire_silence(&self, id: &str) -> anyhow::Result<String> {
        self.delete_silence(id).await
    }

    fn has_routing(&self) -> bool {
        true
    }

    async fn routing(&self) -> anyhow::Result<super::Routing> {
        let (tree, from) = self.fetch_routing().await?;
        Ok(super::Routing {
            tree: std::sync::Arc::new(tree),
            from,
        })
    }
}

/// Sort as the UI does: severity, then oldest first, then fingerprint.
pub fn sort_alerts(alerts: &mut [Alert]) {
    // The keys are computed once per alert, not per comparison (looking
    // the severity label up in each comparison was most of the sort).
    alerts.sort_by_cached_key(|a| (a.severity_rank(), a.starts_at, a.fingerprint.clone()));
}
