//! Unleash (admin API, tested against Unleash 7.5.1) as a flag provider.
//!
//! - list: `GET /api/admin/projects/{project}/features` (every flag of the
//!   project with its per-environment state);
//! - get: `GET /api/admin/projects/{project}/features/{name}`, plus the
//!   flag's recent events for "last changed" (best effort);
//! - set: `POST .../features/{name}/environments/{env}/on|off`.
//!
//! The `Authorization` header carries the raw admin token, read from an
//! environment variable or a file; it is never logged or put in an error.
//! Every call has a deadline; reads are retried with backoff inside it,
//! the POST only when the connection was refused (it never arrived).
//! Reading back after a change is [`crate::flags::flip`]'s job.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::{Method, Url};
use serde::Deserialize;

use super::{EnvState, Flag, FlagProvider};
use crate::sources::http::{
    self, AuthRef, ErrorKind, HttpClient, HttpError, HttpSettings, Response, SecretRef,
};

/// What it takes to talk to one Unleash project/environment.
#[derive(Debug, Clone)]
pub struct UnleashSettings {
    /// Provider name (from the config).
    pub name: String,
    /// Base URL of the Unleash server (`https://unleash.example.com`, or
    /// with a path prefix).
    pub url: String,
    pub project: String,
    pub environment: String,
    pub token: SecretRef,
    /// Deadline of each call, retries included.
    pub timeout: Duration,
    /// Retries of a failed read.
    pub retries: u32,
}

/// An Unleash project in one environment.
#[derive(Debug, Clone)]
pub struct Unleash {
    name: String,
    base: Url,
    project: String,
    env: String,
    /// Where the token came from, for error messages (never the token).
    token_source: String,
    client: HttpClient,
    /// Budget of the best-effort "last change" lookup.
    events_budget: Duration,
}

#[derive(Debug, Deserialize)]
struct FeatureList {
    features: Vec<Feature>,
}

#[derive(Debug, Deserialize)]
struct Feature {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    archived: bool,
    #[serde(default)]
    environments: Vec<FeatureEnv>,
}

#[derive(Debug, Deserialize)]
struct FeatureEnv {
    name: String,
    enabled: bool,
}

#[derive(Debug, Deserialize)]
struct Events {
    #[serde(default)]
    events: Vec<Event>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    environment: Option<String>,
    created_at: DateTime<Utc>,
    #[serde(default)]
    feature_name: Option<String>,
    #[serde(default)]
    created_by: Option<String>,
}

impl Event {
    /// Turned on or off in `env`: Some(true/false); anything else None.
    fn toggled_in(&self, env: &str) -> Option<bool> {
        if self.environment.as_deref() != Some(env) {
            return None;
        }
        match self.kind.as_str() {
            "feature-environment-enabled" => Some(true),
            "feature-environment-disabled" => Some(false),
            _ => None,
        }
    }
}

impl Unleash {
    /// Build the client; reads the token now. Errors say where the token
    /// was looked for, never what it is.
    pub fn new(s: UnleashSettings) -> Result<Unleash, String> {
        let what = format!("flag provider `{}`", s.name);
        let base = http::parse_base_url(&s.url).map_err(|e| format!("{what}: url {e}"))?;
        let token_source = match &s.token {
            SecretRef::Env(v) => format!("environment variable {v}"),
            SecretRef::File(p) => format!("token file {}", p.display()),
        };
        let settings = HttpSettings {
            request_timeout: s.timeout,
            connect_timeout: s.timeout.min(Duration::from_secs(3)),
            retries: s.retries,
            auth: Some(AuthRef::Raw(s.token)),
            max_body: 32 * 1024 * 1024,
            ..HttpSettings::default()
        };
        let client = HttpClient::new(&what, settings)?;
        Ok(Unleash {
            name: s.name,
            base,
            project: s.project,
            env: s.environment,
            token_source,
            client,
            events_budget: (s.timeout / 4)
                .clamp(Duration::from_millis(300), Duration::from_secs(1)),
        })
    }

    pub fn project(&self) -> &str {
        &self.project
    }

    pub fn environment(&self) -> &str {
        &self.env
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// `base` + `api/admin/...segments`, each segment percent-encoded.
    fn url(&self, segments: &[&str]) -> anyhow::Result<Url> {
        let mut u = self.base.clone();
        u.path_segments_mut()
            .map_err(|_| anyhow::anyhow!("{}: not a base URL", self.base))?
            .pop_if_empty()
            .extend(["api", "admin"])
            .extend(segments);
        Ok(u)
    }

    fn feature_url(&self, name: &str) -> anyhow::Result<Url> {
        self.url(&["projects", &self.project, "features", name])
    }

    /// Turn an HTTP failure into words a responder can act on.
    fn explain(&self, e: HttpError, flag: Option<&str>) -> anyhow::Error {
        let at = format!("{} {}", e.method, e.url);
        let msg = match e.kind {
            ErrorKind::Status(401) => format!(
                "{at}: token rejected (HTTP 401): check the admin API token in {}",
                self.token_source
            ),
            ErrorKind::Status(403) => format!(
                "{at}: the token is not allowed to do this (HTTP 403): it must be an admin token, or have the update-feature-environment permission in project `{}`",
                self.project
            ),
            ErrorKind::Status(404) => match flag {
                Some(f) => format!(
                    "{at}: no flag `{f}` in project `{}`{} (HTTP 404{})",
                    self.project,
                    if e.method == "POST" { format!(", or no environment `{}` in it", self.env) } else { String::new() },
                    detail(&e.message).map(|d| format!(": {d}")).unwrap_or_default()
                ),
                None => format!(
                    "{at}: no project `{}` on this Unleash, or the URL is wrong (HTTP 404{})",
                    self.project,
                    detail(&e.message).map(|d| format!(": {d}")).unwrap_or_default()
                ),
            },
            ErrorKind::Connect => format!("cannot reach Unleash: {e}"),
            _ => e.to_string(),
        };
        anyhow::anyhow!(msg)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: Url,
        flag: Option<&str>,
    ) -> anyhow::Result<T> {
        self.client
            .get_json(url)
            .await
            .map_err(|e| self.explain(e, flag))
    }

    async fn feature(&self, name: &str) -> anyhow::Result<Feature> {
        let f: Feature = self.get_json(self.feature_url(name)?, Some(name)).await?;
        if f.archived {
            anyhow::bail!("flag `{name}` in project `{}` is archived", self.project);
        }
        Ok(f)
    }

    /// When the flag was last turned on/off in our environment, if the
    /// event log says (best effort: errors give None).
    async fn last_change(&self, name: &str) -> Option<DateTime<Utc>> {
        let url = self.url(&["events", name]).ok()?;
        let ev: Events =
            crate::deadline::within(self.events_budget, self.client.get_json(url), |_| {
                String::new()
            })
            .await
            .ok()?;
        ev.events
            .into_iter()
            .filter(|e| e.toggled_in(&self.env).is_some())
            .map(|e| e.created_at)
            .max()
    }

    /// The flags (archived ones left out) in an answer from `url` to
    /// `GET /api/admin/projects/{project}/features`.
    pub fn decode_list(&self, resp: &Response, url: &Url) -> anyhow::Result<Vec<Flag>> {
        let list: FeatureList =
            http::decode_json(resp, "GET", url).map_err(|e| self.explain(e, None))?;
        Ok(list
            .features
            .iter()
            .filter(|f| !f.archived)
            .map(|f| {
                self.to_flag(f).unwrap_or_else(|_| Flag {
                    name: f.name.clone(),
                    enabled: false,
                    description: format!("(no environment `{}` for this flag)", self.env),
                    provider: self.name.clone(),
                    env: Some(self.env.clone()),
                    changed_at: None,
                })
            })
            .collect())
    }

    fn to_flag(&self, f: &Feature) -> anyhow::Result<Flag> {
        let env = f
            .environments
            .iter()
            .find(|e| e.name == self.env)
            .ok_or_else(|| {
                let have: Vec<&str> = f.environments.iter().map(|e| e.name.as_str()).collect();
                anyhow::anyhow!(
                    "flag `{}` has no environment `{}` in project `{}` (it has: {})",
                    f.name,
                    self.env,
                    self.project,
                    if have.is_empty() {
                        "none".to_string()
                    } else {
                        have.join(", ")
                    }
                )
            })?;
        Ok(Flag {
            name: f.name.clone(),
            enabled: env.enabled,
            description: f.description.clone().unwrap_or_default(),
            provider: self.name.clone(),
            env: Some(self.env.clone()),
            changed_at: None,
        })
    }
}

/// The server's own words from an HttpError message
/// ("HTTP 404 Not Found (hint): the words").
fn detail(message: &str) -> Option<&str> {
    let rest = match message.find(" (") {
        Some(i) if message[i..].contains("): ") => {
            let j = i + message[i..].find("): ")?;
            &message[j + 3..]
        }
        _ => message.split_once(": ")?.1,
    };
    let rest = rest.trim();
    (!rest.is_empty()).then_some(rest)
}

#[async_trait]
impl FlagProvider for Unleash {
    fn name(&self) -> &str {
        &self.name
    }

    async fn list(&self) -> anyhow::Result<Vec<Flag>> {
        let url = self.url(&["projects", &self.project, "features"])?;
        let resp = self
            .client
            .send(Method::GET, url.clone(), None)
            .await
            .map_err(|e| self.explain(e, None))?;
        let flags = self.decode_list(&resp, &url)?;
        if flags.is_empty() {
            // Unleash lists an unknown project as empty; say so instead.
            let url = self.url(&["projects", &self.project, "overview"])?;
            if let Err(e) = self.client.send(Method::GET, url, None).await {
                if e.kind == ErrorKind::Status(404) {
                    return Err(self.explain(e, None));
                }
            }
        }
        Ok(flags)
    }

    async fn get(&self, name: &str) -> anyhow::Result<Flag> {
        let f = self.feature(name).await?;
        let mut flag = self.to_flag(&f)?;
        flag.changed_at = self.last_change(name).await;
        Ok(flag)
    }

    /// From the project's event log (`GET /api/admin/events?project=`,
    /// its 50 newest events; it needs an admin token): each flag turned
    /// on or off in this environment since `since`, and by whom.
    async fn changes_since(
        &self,
        since: DateTime<Utc>,
    ) -> anyhow::Result<Option<Vec<crate::domain::event::ReportedChange>>> {
        let mut url = self.url(&["events"])?;
        url.query_pairs_mut().append_pair("project", &self.project);
        let ev: Events = self
            .client
            .get_json(url)
            .await
            .map_err(|e| self.explain(e, None))?;
        let mut changes: Vec<crate::domain::event::ReportedChange> = ev
            .events
            .into_iter()
            .filter(|e| e.created_at >= since)
            .filter_map(|e| {
                let on = e.toggled_in(&self.env)?;
                Some(crate::domain::event::ReportedChange {
                    what: format!(
                        "flag {} turned {}",
                        e.feature_name.as_deref().unwrap_or("(unnamed)"),
                        super::on_off(on)
                    ),
                    at: e.created_at,
                    by: e.created_by.filter(|b| !b.is_empty()),
                })
            })
            .collect();
        changes.sort_by_key(|c| c.at);
        Ok(Some(changes))
    }

    async fn set(&self, name: &str, enabled: bool) -> anyhow::Result<()> {
        let url = self.url(&[
            "projects",
            &self.project,
            "features",
            name,
            "environments",
            &self.env,
            if enabled { "on" } else { "off" },
        ])?;
        self.client
            .send(Method::POST, url, None)
            .await
            .map(|_| ())
            .map_err(|e| self.explain(e, Some(name)))
    }

    async fn environments(&self, name: &str) -> anyhow::Result<Vec<EnvState>> {
        let f = self.feature(name).await?;
        Ok(f.environments
            .into_iter()
            .map(|e| EnvState {
                name: e.name,
                enabled: e.enabled,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(url: &str) -> Unleash {
        std::env::set_var("FIREBREAK_TEST_UNLEASH_TOKEN_UNIT", "*:*.unit-test-secret");
        Unleash::new(UnleashSettings {
            name: "u".into(),
            url: url.into(),
            project: "my proj".into(),
            environment: "production".into(),
            token: SecretRef::Env("FIREBREAK_TEST_UNLEASH_TOKEN_UNIT".into()),
            timeout: Duration::from_secs(1),
            retries: 0,
        })
        .unwrap()
    }

    #[test]
    fn urls_are_built_segment_by_segment() {
        let u = provider("https://unleash.example/prefix");
        let url = u
            .url(&[
                "projects",
                "my proj",
                "features",
                "a/b?c",
                "environments",
                "production",
                "off",
            ])
            .unwrap();
        assert_eq!(
            url.as_str(),
            "https://unleash.example/prefix/api/admin/projects/my%20proj/features/a%2Fb%3Fc/environments/production/off"
        );
        let u = provider("http://127.0.0.1:4242/");
        assert_eq!(
            u.url(&["events", "x"]).unwrap().as_str(),
            "http://127.0.0.1:4242/api/admin/events/x"
        );
    }

    #[test]
    fn token_never_in_debug() {
        let u = provider("http://127.0.0.1:1");
        let dbg = format!("{u:?}");
        assert!(!dbg.contains("unit-test-secret"), "{dbg}");
    }

    #[test]
    fn detail_extracts_server_words() {
        assert_eq!(
            detail("HTTP 404 Not Found (wrong URL?): Could not find x"),
            Some("Could not find x")
        );
        assert_eq!(detail("HTTP 400 Bad Request: bad thing"), Some("bad thing"));
        assert_eq!(detail("HTTP 404 Not Found (wrong URL?)"), None);
    }

    #[test]
    fn list_payload_parses() {
        let body = r#"{"version":2,"features":[{"type":"kill-switch","description":null,"favorite":false,
            "name":"checkout-kill","createdAt":"2026-01-01T00:00:00.000Z","stale":false,"impressionData":false,
            "lastSeenAt":null,"environments":[{"name":"development","enabled":true,"type":"development",
            "sortOrder":2,"variantCount":0,"lastSeenAt":null,"hasStrategies":true,"hasEnabledStrategies":true},
            {"name":"production","enabled":false,"type":"production","sortOrder":3}]}]}"#;
        let l: FeatureList = serde_json::from_str(body).unwrap();
        let u = provider("http://127.0.0.1:1");
        let f = u.to_flag(&l.features[0]).unwrap();
        assert!(!f.enabled);
        assert_eq!(f.env.as_deref(), Some("production"));
        assert_eq!(f.description, "");
    }
}
