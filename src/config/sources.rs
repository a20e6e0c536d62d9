//! `[alertmanager]` and `[prometheus]` (with `[[prometheus.panels]]`):
//! where alerts and metrics come from, how to authenticate, and timeouts.
//!
//! Secrets are never written in the config: a token or password is read
//! from an environment variable (`*_env`) or a file (`*_file`).
//!
//! Why one file of this length: the [alertmanager] and [prometheus] sections: fields, defaults and checks side by side with their tests.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::error::FileError;
use crate::sources::alertmanager::Alertmanager;
use crate::sources::http::{self, AuthRef, HttpClient, HttpSettings, SecretRef};
use crate::sources::matcher::{self, Matcher};
use crate::sources::prometheus::{PanelQuery, Prometheus};
use crate::sources::silence::parse_duration;
use crate::sources::PanelSpec;

/// Credentials, by reference. Either a bearer token or basic auth.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Environment variable holding a bearer token.
    #[serde(default)]
    pub bearer_token_env: Option<String>,
    /// File holding a bearer token (trailing newline ignored).
    #[serde(default)]
    pub bearer_token_file: Option<PathBuf>,
    /// Basic auth user name (with password_env or password_file).
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password_env: Option<String>,
    #[serde(default)]
    pub password_file: Option<PathBuf>,
}

impl AuthConfig {
    /// Check the combination; returns (field, message) on error.
    fn to_ref(&self) -> Result<Option<AuthRef>, (&'static str, String)> {
        let bearer = match (&self.bearer_token_env, &self.bearer_token_file) {
            (Some(_), Some(_)) => {
                return Err((
                    "bearer_token_file",
                    "set bearer_token_env or bearer_token_file, not both".into(),
                ))
            }
            (Some(v), None) => Some(SecretRef::Env(v.clone())),
            (None, Some(f)) => Some(SecretRef::File(f.clone())),
            (None, None) => None,
        };
        let password = match (&self.password_env, &self.password_file) {
            (Some(_), Some(_)) => {
                return Err((
                    "password_file",
                    "set password_env or password_file, not both".into(),
                ))
            }
            (Some(v), None) => Some(SecretRef::Env(v.clone())),
            (None, Some(f)) => Some(SecretRef::File(f.clone())),
            (None, None) => None,
        };
        match (bearer, &self.username, password) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err((
                "username",
                "use either a bearer token or basic auth (username + password), not both".into(),
            )),
            (Some(b), None, None) => Ok(Some(AuthRef::Bearer(b))),
            (None, Some(u), Some(p)) => Ok(Some(AuthRef::Basic {
                username: u.clone(),
                password: p,
            })),
            (None, Some(_), None) => Err((
                "username",
                "basic auth needs password_env or password_file".into(),
            )),
            (None, None, Some(_)) => Err((
                "username",
                "password_env/password_file need a username".into(),
            )),
            (None, None, None) => Ok(None),
        }
    }
}

/// TLS options.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Extra CA certificate(s) (PEM) to trust, e.g. a company CA.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Do not verify certificates. Test rigs only.
    #[serde(default)]
    pub insecure_skip_verify: bool,
}

/// `[alertmanager]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AlertmanagerConfig {
    /// One URL, or every member of an HA cluster.
    #[serde(default)]
    pub urls: Vec<String>,
    /// Shorthand for a single URL.
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub auth: AuthConfig,
    #[serde(default)]
    pub tls: TlsConfig,
    #[serde(default = "default_connect")]
    pub connect_timeout_secs: u64,
    /// Deadline of one call, retries included [default: the global
    /// request_timeout_secs].
    #[serde(default)]
    pub request_timeout_secs: Option<u64>,
    /// Retries of quick failures (connection refused, 502/503/504).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Matchers applied to every pull, e.g. ['env="prod"'].
    #[serde(default)]
    pub filter: Vec<String>,
    /// Labels that group alerts in the UI.
    #[serde(default = "default_group_by")]
    pub group_by: Vec<String>,
    /// Length of an ack (a short silence).
    #[serde(default = "default_ack")]
    pub ack_duration: String,
    /// Default length offered when silencing.
    #[serde(default = "default_silence")]
    pub silence_duration: String,
}

/// `[prometheus]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PrometheusConfig {
    pub url: String,
    #[serde(default)]
    pub auth: AuthConfig,
    #[serde(default)]
    pub tls: TlsConfig,
    #[serde(default = "default_connect")]
    pub connect_timeout_secs: u64,
    #[serde(default)]
    pub request_timeout_secs: Option<u64>,
    #[serde(default = "default_retries")]
    pub retries: u32,
    #[serde(default)]
    pub panels: Vec<PanelConfig>,
}

/// `[[prometheus.panels]]`: one chart.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PanelConfig {
    pub name: String,
    /// PromQL; should return one series (aggregate with sum/max). With
    /// several, the one with the highest last value is drawn.
    pub query: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub warning: Option<f64>,
    #[serde(default)]
    pub critical: Option<f64>,
}

fn default_connect() -> u64 {
    3
}
fn default_retries() -> u32 {
    2
}
fn default_group_by() -> Vec<String> {
    vec!["alertname".into(), "service".into()]
}
fn default_ack() -> String {
    "15m".into()
}
fn default_silence() -> String {
    "2h".into()
}

/// Largest accepted response (10,000 alerts are ~6 MiB).
const MAX_BODY: usize = 128 * 1024 * 1024;

fn settings(
    auth: &AuthConfig,
    tls: &TlsConfig,
    connect: u64,
    request: Option<u64>,
    retries: u32,
    global_timeout: u64,
) -> Result<HttpSettings, String> {
    let request = request.unwrap_or(global_timeout).max(1);
    Ok(HttpSettings {
        connect_timeout: Duration::from_secs(connect.clamp(1, request)),
        request_timeout: Duration::from_secs(request),
        retries,
        backoff: Duration::from_millis(200),
        auth: auth.to_ref().map_err(|(_, m)| m)?,
        ca_file: tls.ca_file.clone(),
        insecure_skip_verify: tls.insecure_skip_verify,
        max_body: MAX_BODY,
    })
}

impl AlertmanagerConfig {
    /// A section with just these URLs (command-line `--alertmanager`).
    pub fn with_urls(urls: Vec<String>) -> AlertmanagerConfig {
        AlertmanagerConfig {
            urls,
            url: None,
            auth: AuthConfig::default(),
            tls: TlsConfig::default(),
            connect_timeout_secs: default_connect(),
            request_timeout_secs: None,
            retries: default_retries(),
            filter: Vec::new(),
            group_by: default_group_by(),
            ack_duration: default_ack(),
            silence_duration: default_silence(),
        }
    }

    pub fn all_urls(&self) -> Vec<String> {
        self.url.iter().chain(&self.urls).cloned().collect()
    }

    pub fn http_settings(&self, global_timeout: u64) -> Result<HttpSettings, String> {
        settings(
            &self.auth,
            &self.tls,
            self.connect_timeout_secs,
            self.request_timeout_secs,
            self.retries,
            global_timeout,
        )
    }

    pub fn filter_matchers(&self) -> Result<Vec<Matcher>, String> {
        matcher::parse_args(&self.filter)
    }

    pub fn ack(&self) -> chrono::Duration {
        parse_duration(&self.ack_duration).unwrap_or(chrono::Duration::minutes(15))
    }

    pub fn silence_default(&self) -> chrono::Duration {
        parse_duration(&self.silence_duration).unwrap_or(chrono::Duration::hours(2))
    }

    /// Build the client (reads credentials now).
    pub fn build(&self, global_timeout: u64) -> Result<Alertmanager, String> {
        let http = HttpClient::new("alertmanager", self.http_settings(global_timeout)?)?;
        Alertmanager::new(&self.all_urls(), http, self.filter_matchers()?)
    }
}

impl PrometheusConfig {
    pub fn with_url(url: String) -> PrometheusConfig {
        PrometheusConfig {
            url,
            auth: AuthConfig::default(),
            tls: TlsConfig::default(),
            connect_timeout_secs: default_connect(),
            request_timeout_secs: None,
            retries: default_retries(),
            panels: Vec::new(),
        }
    }

    pub fn http_settings(&self, global_timeout: u64) -> Result<HttpSettings, String> {
        settings(
            &self.auth,
            &self.tls,
            self.connect_timeout_secs,
            self.request_timeout_secs,
            self.retries,
            global_timeout,
        )
    }

    pub fn panel_queries(&self) -> Vec<PanelQuery> {
        self.panels
            .iter()
            .map(|p| PanelQuery {
                spec: PanelSpec {
                    name: p.name.clone(),
                    unit: p.unit.clone(),
                    warning: p.warning,
                    critical: p.critical,
                },
                query: p.query.clone(),
            })
            .collect()
    }

    /// Build the client (reads credentials now).
    pub fn build(&self, global_timeout: u64) -> Result<Prometheus, String> {
        let http = HttpClient::new("prometheus", self.http_settings(global_timeout)?)?;
        Prometheus::new(&self.url, http, self.panel_queries())
    }
}

/// Check both sections; errors name file, line and field.
pub fn validate(
    file: &Path,
    src: &str,
    am: Option<&AlertmanagerConfig>,
    prom: Option<&PrometheusConfig>,
) -> Result<(), FileError> {
    if let Some(am) = am {
        let sec = "alertmanager";
        let err = |field: &str, msg: String| {
            FileError::new(file, line_in(src, sec, 0, field), Some(field), msg)
        };
        let urls = am.all_urls();
        if urls.is_empty() {
            return Err(FileError::new(
                file,
                line_in(src, sec, 0, ""),
                Some("urls"),
                "give at least one Alertmanager URL",
            ));
        }
        for u in &urls {
            if let Err(e) = http::parse_base_url(u) {
                let field = if am.url.as_deref() == Some(u.as_str()) {
                    "url"
                } else {
                    "urls"
                };
                return Err(err(field, e));
            }
        }
        check_common(
            file,
            src,
            sec,
            &am.auth,
            &am.tls,
            am.request_timeout_secs,
            am.connect_timeout_secs,
        )?;
        if let Err(e) = am.filter_matchers() {
            return Err(err("filter", e));
        }
        for (field, v) in [
            ("ack_duration", &am.ack_duration),
            ("silence_duration", &am.silence_duration),
        ] {
            if let Err(e) = parse_duration(v) {
                return Err(err(field, e));
            }
        }
        if am.group_by.iter().any(|l| l.trim().is_empty()) {
            return Err(err("group_by", "label names must not be empty".into()));
        }
    }
    if let Some(p) = prom {
        let sec = "prometheus";
        if let Err(e) = http::parse_base_url(&p.url) {
            return Err(FileError::new(
                file,
                line_in(src, sec, 0, "url"),
                Some("url"),
                e,
            ));
        }
        check_common(
            file,
            src,
            sec,
            &p.auth,
            &p.tls,
            p.request_timeout_secs,
            p.connect_timeout_secs,
        )?;
        let mut names = std::collections::BTreeSet::new();
        for (i, panel) in p.panels.iter().enumerate() {
            let err = |field: &str, msg: String| {
                FileError::new(
                    file,
                    line_in(src, "prometheus.panels", i, field),
                    Some(field),
                    msg,
                )
            };
            if panel.name.trim().is_empty() {
                return Err(err("name", "a panel needs a name".into()));
            }
            if panel.query.trim().is_empty() {
                return Err(err(
                    "query",
                    format!("panel `{}` needs a PromQL query", panel.name),
                ));
            }
            if !names.insert(panel.name.clone()) {
                return Err(err(
                    "name",
                    format!("two panels are named `{}`", panel.name),
                ));
            }
            for (field, v) in [("warning", panel.warning), ("critical", panel.critical)] {
                if v.is_some_and(|v| !v.is_finite()) {
                    return Err(err(field, "must be a finite number".into()));
                }
            }
        }
    }
    Ok(())
}

fn check_common(
    file: &Path,
    src: &str,
    sec: &str,
    auth: &AuthConfig,
    tls: &TlsConfig,
    request: Option<u64>,
    connect: u64,
) -> Result<(), FileError> {
    if let Err((field, msg)) = auth.to_ref() {
        let auth_sec = format!("{sec}.auth");
        let line = line_in(src, &auth_sec, 0, field).or_else(|| line_in(src, sec, 0, "auth"));
        return Err(FileError::new(file, line, Some(field), msg));
    }
    if let Some(ca) = &tls.ca_file {
        if let Err(e) = http::readable(ca) {
            let tls_sec = format!("{sec}.tls");
            let line = line_in(src, &tls_sec, 0, "ca_file").or_else(|| line_in(src, sec, 0, "tls"));
            return Err(FileError::new(
                file,
                line,
                Some("ca_file"),
                format!("cannot read the CA file: {e}"),
            ));
        }
    }
    for (field, v) in [
        ("request_timeout_secs", request),
        ("connect_timeout_secs", Some(connect)),
    ] {
        if v == Some(0) {
            return Err(FileError::new(
                file,
                line_in(src, sec, 0, field),
                Some(field),
                "must be at least 1",
            ));
        }
    }
    Ok(())
}

/// Line of `key` inside the `nth` table named `section` (`[a.b]` or
/// `[[a.b]]`); with an empty key, the line of the header. Inline and
/// dotted forms fall back to the first line mentioning the key.
fn line_in(src: &str, section: &str, nth: usize, key: &str) -> Option<usize> {
    let lines: Vec<&str> = src.lines().collect();
    let header = |l: &str| {
        let t = l.trim();
        t == format!("[{section}]") || t == format!("[[{section}]]")
    };
    let start = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| header(l))
        .nth(nth)
        .map(|(i, _)| i);
    if let Some(start) = start {
        if key.is_empty() {
            return Some(start + 1);
        }
        for (i, l) in lines.iter().enumerate().skip(start + 1) {
            let t = l.trim_start();
            if t.starts_with('[') {
                break;
            }
            if t.starts_with(key) && t[key.len()..].trim_start().starts_with('=') {
                return Some(i + 1);
            }
        }
        return Some(start + 1);
    }
    lines
        .iter()
        .position(|l| l.contains(key) && !key.is_empty())
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::*;

    #[test]
    fn sources_example_parses_and_builds() {
        let src = include_str!("../../assets/config.sources.example.toml");
        let c = Config::parse(Path::new("example"), src).unwrap();
        let am = c.alertmanager.as_ref().unwrap();
        assert_eq!(am.all_urls().len(), 2);
        let prom = c.prometheus.as_ref().unwrap();
        assert!(prom.panels.len() >= 3);
        assert_eq!(am.ack(), chrono::Duration::minutes(15));
    }

    #[test]
    fn unknown_keys_and_bad_values_name_line_and_field() {
        let src = "[alertmanager]\nurls = [\"http://am:9093\"]\ncolour = 1\n";
        let e = Config::parse(Path::new("c.toml"), src).unwrap_err();
        assert_eq!(
            (e.line, e.field.as_deref()),
            (Some(3), Some("colour")),
            "{e}"
        );

        let src = "[alertmanager]\nurls = [\"ftp://am\"]\n";
        let e = Config::parse(Path::new("c.toml"), src).unwrap_err();
        assert_eq!((e.line, e.field.as_deref()), (Some(2), Some("urls")), "{e}");

        let src = "[alertmanager]\nurls = [\"am:9093\"]\nfilter = ['severity=~\"(\"']\n";
        let e = Config::parse(Path::new("c.toml"), src).unwrap_err();
        assert_eq!(
            (e.line, e.field.as_deref()),
            (Some(3), Some("filter")),
            "{e}"
        );

        let src = "[prometheus]\nurl = \"http://p:9090\"\n[[prometheus.panels]]\nname = \"a\"\nquery = \"x\"\n[[prometheus.panels]]\nname = \"b\"\nquery = \"  \"\n";
        let e = Config::parse(Path::new("c.toml"), src).unwrap_err();
        assert_eq!(
            (e.line, e.field.as_deref()),
            (Some(8), Some("query")),
            "{e}"
        );
    }

    #[test]
    fn auth_must_be_one_kind() {
        let src = "[alertmanager]\nurl = \"am:9093\"\n[alertmanager.auth]\nbearer_token_env = \"T\"\nusername = \"bob\"\n";
        let e = Config::parse(Path::new("c.toml"), src).unwrap_err();
        assert!(e.message.contains("not both"), "{e}");
        assert_eq!(e.line, Some(5));
        let src = "[alertmanager]\nurl = \"am:9093\"\n[alertmanager.auth]\nusername = \"bob\"\n";
        let e = Config::parse(Path::new("c.toml"), src).unwrap_err();
        assert!(e.message.contains("password"), "{e}");
    }

    #[test]
    fn missing_secrets_are_named_not_shown() {
        let mut am = AlertmanagerConfig::with_urls(vec!["http://127.0.0.1:1".into()]);
        am.auth.bearer_token_env = Some("FIREBREAK_TEST_SURELY_UNSET_VAR".into());
        let e = am.build(5).unwrap_err();
        assert!(
            e.contains("FIREBREAK_TEST_SURELY_UNSET_VAR is not set"),
            "{e}"
        );
    }
}
