//! The shared HTTP client of every remote source: connect and request
//! timeouts, bearer or basic auth read from an environment variable or a
//! file (never logged), a custom CA, a cap on response size, and bounded
//! retries with exponential backoff and jitter.
//!
//! Every call has one deadline (`request_timeout`): retries happen inside
//! it, so a call never takes longer than that, whatever the server does.
//! Only failures that are quick and safe to repeat are retried (connection
//! refused or reset, 429, 502, 503, 504); a timeout is not (its budget is
//! spent, and the next poll tries again).
//!
//! Why one file of this length: the rules of every remote call in one place: timeouts, retries with backoff and jitter, auth, TLS, body limits.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;

/// A secret (token or password). Its `Debug` never shows the value and it
/// has no `Display`, so it cannot end up in a log line or a format string
/// by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The value, for building a request header. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Where a secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    Env(String),
    File(PathBuf),
}

impl SecretRef {
    /// Read the secret. Errors say where it was looked for, never what it is.
    pub fn resolve(&self, what: &str) -> Result<Secret, String> {
        match self {
            SecretRef::Env(var) => match std::env::var(var) {
                Ok(v) if !v.trim().is_empty() => Ok(Secret(v.trim().to_string())),
                Ok(_) => Err(format!("{what}: environment variable {var} is empty")),
                Err(_) => Err(format!("{what}: environment variable {var} is not set")),
            },
            SecretRef::File(path) => match std::fs::read_to_string(path) {
                Ok(v) if !v.trim().is_empty() => Ok(Secret(v.trim().to_string())),
                Ok(_) => Err(format!("{what}: file {} is empty", path.display())),
                Err(e) => Err(format!("{what}: cannot read {}: {e}", path.display())),
            },
        }
    }
}

/// How to authenticate (references, not values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthRef {
    Bearer(SecretRef),
    /// The secret itself is the `Authorization` header value (Unleash
    /// admin tokens).
    Raw(SecretRef),
    Basic {
        username: String,
        password: SecretRef,
    },
}

/// Settings of one client.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpSettings {
    pub connect_timeout: Duration,
    /// Deadline of one call, retries included.
    pub request_timeout: Duration,
    /// Retries after the first attempt (0: none).
    pub retries: u32,
    /// First backoff; doubles each retry, with +-50% jitter.
    pub backoff: Duration,
    pub auth: Option<AuthRef>,
    /// Extra CA certificate(s), PEM.
    pub ca_file: Option<PathBuf>,
    /// Accept any certificate (for test rigs only; says so in errors).
    pub insecure_skip_verify: bool,
    /// Largest response body accepted, in bytes.
    pub max_body: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(5),
            retries: 2,
            backoff: Duration::from_millis(200),
            auth: None,
            ca_file: None,
            insecure_skip_verify: false,
            max_body: 64 * 1024 * 1024,
        }
    }
}

/// Why a call failed. `Display` names the method and the URL (with any
/// password removed) and says what happened in words a responder can act on.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpError {
    pub method: String,
    pub url: String,
    pub kind: ErrorKind,
    pub message: String,
    pub attempts: u32,
}

/// Broad classes of failure (tests and callers branch on these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Could not connect (refused, DNS, TLS handshake...).
    Connect,
    Timeout,
    /// The server answered with a non-success status.
    Status(u16),
    /// The body was not what we expected (HTML, truncated or bad JSON).
    Body,
    TooLarge,
    /// Anything else on the wire (reset mid-body...).
    Other,
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.method, self.url, self.message)?;
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

impl std::error::Error for HttpError {}

impl HttpError {
    pub fn is_transport(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::Other
        )
    }
}

/// A response that made it through: status and body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// A configured client. Cheap to clone (shares the connection pool).
#[derive(Clone)]
pub struct HttpClient {
    /// For http:// URLs: no trust roots loaded.
    plain: reqwest::Client,
    /// For https:// URLs (and http ones redirected there).
    tls: Arc<LazyTls>,
    settings: HttpSettings,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("settings", &self.settings)
            .finish()
    }
}

impl HttpClient {
    /// Build a client. `what` names it in errors ("alertmanager").
    pub fn new(what: &str, settings: HttpSettings) -> Result<HttpClient, String> {
        let mut headers = HeaderMap::new();
        match &settings.auth {
            None => {}
            Some(AuthRef::Bearer(r)) => {
                let token = r.resolve(&format!("{what} bearer token"))?;
                headers.insert(
                    AUTHORIZATION,
                    sensitive(&format!("Bearer {}", token.expose()), what)?,
                );
            }
            Some(AuthRef::Raw(r)) => {
                let token = r.resolve(&format!("{what} token"))?;
                headers.insert(AUTHORIZATION, sensitive(token.expose(), what)?);
            }
            Some(AuthRef::Basic { username, password }) => {
                let pw = password.resolve(&format!("{what} basic auth password"))?;
                let raw = format!("{username}:{}", pw.expose());
                headers.insert(
                    AUTHORIZATION,
                    sensitive(&format!("Basic {}", base64(raw.as_bytes())), what)?,
                );
            }
        }
        let certs = match &settings.ca_file {
            Some(ca) => read_ca(ca, what)?,
            None => Vec::new(),
        };
        // Plain http needs no trust roots, and loading the system's takes
        // longer than a whole request to a local Alertmanager (it reads
        // every file in /etc/ssl/certs): the http client never loads them,
        // and redirects to https come back to `attempt`, which repeats the
        // request with the TLS client.
        let connect_timeout = settings.connect_timeout;
        let plain = builder(&headers, connect_timeout)
            .tls_built_in_root_certs(false)
            .redirect(reqwest::redirect::Policy::custom(|a| {
                if a.url().scheme() == "https" {
                    a.stop()
                } else if a.previous().len() >= 5 {
                    a.error("too many redirects")
                } else {
                    a.follow()
                }
            }))
            .build()
            .map_err(|e| format!("{what}: cannot build HTTP client: {e}"))?;
        let tls = Arc::new(LazyTls {
            cell: OnceLock::new(),
            what: what.to_string(),
            headers,
            connect_timeout,
            certs,
            insecure: settings.insecure_skip_verify,
        });
        Ok(HttpClient {
            plain,
            tls,
            settings,
        })
    }

    pub fn settings(&self) -> &HttpSettings {
        &self.settings
    }

    /// GET and decode JSON.
    pub async fn get_json<T: DeserializeOwned>(&self, url: Url) -> Result<T, HttpError> {
        let resp = self.send(Method::GET, url.clone(), None).await?;
        decode_json(&resp, "GET", &url)
    }

    /// Send a request; the body (if any) is JSON. Returns any response
    /// with a 2xx status; other statuses become [`ErrorKind::Status`]
    /// errors carrying a readable excerpt of the body.
    pub async fn send(
        &self,
        method: Method,
        url: Url,
        json: Option<&serde_json::Value>,
    ) -> Result<Response, HttpError> {
        self.send_with(method, url, json, false).await
    }

    /// Like [`HttpClient::send`], but with `any_status` a non-2xx answer is
    /// returned as a response (for APIs whose errors are JSON documents,
    /// like Prometheus'); 429, 502, 503 and 504 are still retried.
    pub async fn send_with(
        &self,
        method: Method,
        url: Url,
        json: Option<&serde_json::Value>,
        any_status: bool,
    ) -> Result<Response, HttpError> {
        let started = Instant::now();
        let deadline = started + self.settings.request_timeout;
        // POST is not idempotent: retry it only when it never reached the
        // server (connection refused).
        let idempotent = method != Method::POST;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let remaining = deadline.saturating_duration_since(Instant::now());
            let result = if remaining.is_zero() {
                Err((ErrorKind::Timeout, self.timeout_text(), false))
            } else {
                self.attempt(method.clone(), url.clone(), json, remaining, any_status)
                    .await
            };
            let (kind, message, retryable) = match result {
                Ok(r) => return Ok(r),
                Err(e) => e,
            };
            let retry_ok = retryable && (idempotent || kind == ErrorKind::Connect);
            let delay = backoff(self.settings.backoff, attempt);
            let fits = Instant::now() + delay + Duration::from_millis(50) < deadline;
            if attempt > self.settings.retries || !retry_ok || !fits {
                return Err(HttpError {
                    method: method.to_string(),
                    url: redact(&url),
                    kind,
                    message,
                    attempts: attempt,
                });
            }
            tracing::debug!(url = %redact(&url), attempt, "retrying after {delay:?}: {message}");
            tokio::time::sleep(delay).await;
        }
    }

    fn timeout_text(&self) -> String {
        format!(
            "timed out after {:.1}s",
            self.settings.request_timeout.as_secs_f32()
        )
    }

    /// One attempt. Err: (kind, message, worth retrying).
    async fn attempt(
        &self,
        method: Method,
        url: Url,
        json: Option<&serde_json::Value>,
        remaining: Duration,
        any_status: bool,
    ) -> Result<Response, (ErrorKind, String, bool)> {
        let fut = async {
            let request = |client: &reqwest::Client| {
                let req = client
                    .request(method.clone(), url.clone())
                    .timeout(remaining);
                match json {
                    Some(body) => req
                        .header(CONTENT_TYPE, "application/json")
                        .body(serde_json::to_vec(body).unwrap_or_default()),
                    None => req,
                }
            };
            let tls = || {
                self.tls
                    .get()
                    .map_err(|e| (ErrorKind::Connect, e.clone(), false))
            };
            let client = if url.scheme() == "https" {
                tls()?
            } else {
                &self.plain
            };
            let mut resp = request(client).send().await.map_err(|e| self.classify(e))?;
            let to_https = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .is_some_and(|l| l.trim_start().starts_with("https:"));
            if resp.status().is_redirection() && to_https {
                // The plain client stops at a redirect to https (a proxy
                // in front of the source, redirecting every request).
                resp = request(tls()?).send().await.map_err(|e| self.classify(e))?;
            }
            let status = resp.status();
            let content_type = resp
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            if let Some(len) = resp.content_length() {
                if len as usize > self.settings.max_body {
                    return Err((ErrorKind::TooLarge, self.too_large(Some(len)), false));
                }
            }
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(|e| self.classify(e))? {
                if body.len() + chunk.len() > self.settings.max_body {
                    return Err((ErrorKind::TooLarge, self.too_large(None), false));
                }
                body.extend_from_slice(&chunk);
            }
            let retry = matches!(status.as_u16(), 429 | 502 | 503 | 504);
            if !status.is_success() && (!any_status || retry) {
                return Err((
                    ErrorKind::Status(status.as_u16()),
                    status_text(status, &content_type, &body),
                    retry,
                ));
            }
            Ok(Response {
                status,
                content_type,
                body,
            })
        };
        // reqwest's own timeout covers the body too; this is a backstop.
        match tokio::time::timeout(remaining + Duration::from_millis(100), fut).await {
            Ok(r) => r,
            Err(_) => Err((ErrorKind::Timeout, self.timeout_text(), false)),
        }
    }

    fn too_large(&self, len: Option<u64>) -> String {
        let cap = self.settings.max_body as f64 / 1_048_576.0;
        match len {
            Some(l) => format!(
                "response of {:.1} MiB is larger than the {cap:.0} MiB limit; refusing it",
                l as f64 / 1_048_576.0
            ),
            None => format!("response is larger than the {cap:.0} MiB limit; stopped reading it"),
        }
    }

    fn classify(&self, e: reqwest::Error) -> (ErrorKind, String, bool) {
        let e = e.without_url();
        if e.is_timeout() {
            return (ErrorKind::Timeout, self.timeout_text(), false);
        }
        let chain = error_chain(&e);
        if e.is_connect() {
            let lower = chain.to_ascii_lowercase();
            let text = if lower.contains("refused") {
                "connection refused (is it running? is the port right?)".to_string()
            } else if lower.contains("dns") || lower.contains("resolve") || lower.contains("lookup")
            {
                format!("cannot resolve the host name ({chain})")
            } else if lower.contains("certificate")
                || lower.contains("tls")
                || lower.contains("handshake")
            {
                format!("TLS failure: {chain} (set ca_file for a private CA)")
            } else {
                format!("cannot connect: {chain}")
            };
            // A connect timeout (inside the overall deadline) is retryable.
            return (ErrorKind::Connect, text, true);
        }
        if e.is_body() || e.is_decode() {
            return (
                ErrorKind::Other,
                format!("connection broke while reading the response: {chain}"),
                true,
            );
        }
        (ErrorKind::Other, chain, true)
    }
}

/// What both clients share: default headers (auth), timeouts, user agent.
fn builder(headers: &HeaderMap, connect_timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .default_headers(headers.clone())
        .connect_timeout(connect_timeout)
        .user_agent(concat!("firebreak/", env!("CARGO_PKG_VERSION")))
        .pool_idle_timeout(Duration::from_secs(30))
}

/// The certificates of a `ca_file`, checked when the client is built (a
/// wrong file is a configuration error, not a failure of the first call).
fn read_ca(ca: &Path, what: &str) -> Result<Vec<reqwest::Certificate>, String> {
    let pem = std::fs::read(ca).map_err(|e| format!("{what} ca_file {}: {e}", ca.display()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        format!(
            "{what} ca_file {}: not a PEM certificate: {e}",
            ca.display()
        )
    })?;
    if certs.is_empty() {
        return Err(format!(
            "{what} ca_file {}: no certificate found",
            ca.display()
        ));
    }
    Ok(certs)
}

/// The https client, built on first use (with the system's trust roots,
/// which take a while to load, and any `ca_file`).
struct LazyTls {
    cell: OnceLock<Result<reqwest::Client, String>>,
    what: String,
    headers: HeaderMap,
    connect_timeout: Duration,
    certs: Vec<reqwest::Certificate>,
    insecure: bool,
}

impl LazyTls {
    fn get(&self) -> Result<&reqwest::Client, String> {
        self.cell
            .get_or_init(|| {
                let mut b = builder(&self.headers, self.connect_timeout)
                    .redirect(reqwest::redirect::Policy::limited(5));
                for c in &self.certs {
                    b = b.add_root_certificate(c.clone());
                }
                if self.insecure {
                    b = b.danger_accept_invalid_certs(true);
                }
                b.build()
                    .map_err(|e| format!("{}: cannot build HTTPS client: {e}", self.what))
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

fn sensitive(v: &str, what: &str) -> Result<HeaderValue, String> {
    let mut h = HeaderValue::from_str(v).map_err(|_| {
        format!("{what}: the credential contains characters not allowed in an HTTP header")
    })?;
    h.set_sensitive(true);
    Ok(h)
}

/// Exponential backoff with +-50% jitter: base, 2*base, 4*base...
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(10));
    let jitter = rand::thread_rng().gen_range(0.5..1.5);
    exp.mul_f64(jitter).min(Duration::from_secs(10))
}

/// The error and its causes on one line.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut src = e.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        src = s.source();
    }
    parts.join(": ")
}

/// A URL fit for messages: no password, no query string secrets.
pub fn redact(url: &Url) -> String {
    let mut u = url.clone();
    if u.password().is_some() {
        let _ = u.set_password(Some("***"));
    }
    u.to_string()
}

/// Parse a configured base URL: scheme defaults to http, must have a host.
pub fn parse_base_url(s: &str) -> Result<Url, String> {
    let s = s.trim();
    let with_scheme = if s.contains("://") {
        s.to_string()
    } else {
        format!("http://{s}")
    };
    let mut u = Url::parse(&with_scheme).map_err(|e| format!("`{s}` is not a valid URL: {e}"))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(format!("`{s}`: only http and https URLs are supported"));
    }
    if u.host_str().unwrap_or("").is_empty() {
        return Err(format!("`{s}`: the URL has no host"));
    }
    // Make joining relative paths keep any prefix (https://x/alertmanager/).
    if !u.path().ends_with('/') {
        let p = format!("{}/", u.path());
        u.set_path(&p);
    }
    u.set_query(None);
    u.set_fragment(None);
    Ok(u)
}

/// `base` joined with a relative `path` ("api/v2/alerts").
pub fn join(base: &Url, path: &str) -> Url {
    base.join(path.trim_start_matches('/'))
        .unwrap_or_else(|_| base.clone())
}

/// Text for a non-2xx answer: status, plus what the body says.
fn status_text(status: StatusCode, content_type: &str, body: &[u8]) -> String {
    let reason = status.canonical_reason().unwrap_or("");
    let hint = match status.as_u16() {
        401 => " (check the credentials: token or username/password)",
        403 => " (the credentials are not allowed to do this)",
        404 => " (wrong URL or path prefix? e.g. a missing /alertmanager/ prefix)",
        _ => "",
    };
    let detail = body_excerpt(content_type, body);
    if detail.is_empty() {
        format!("HTTP {} {reason}{hint}", status.as_u16())
    } else {
        format!("HTTP {} {reason}{hint}: {detail}", status.as_u16())
    }
}

/// A short readable excerpt of a body: JSON error fields, an HTML title,
/// or the first line of text.
pub fn body_excerpt(content_type: &str, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return String::new();
    }
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        if let Some(e) = v.get("error").and_then(|e| e.as_str()) {
            return match v.get("errorType").and_then(|t| t.as_str()) {
                Some(t) => clip(&format!("{t}: {e}"), 300),
                None => clip(e, 300),
            };
        }
        if let Some(m) = v.get("message").and_then(|e| e.as_str()) {
            return clip(m, 300);
        }
        if let Some(s) = v.as_str() {
            return clip(s, 300);
        }
    }
    if looks_like_html(content_type, trimmed) {
        return match html_title(trimmed) {
            Some(t) => format!("an HTML page titled \"{}\"", clip(&t, 120)),
            None => "an HTML page".into(),
        };
    }
    clip(trimmed.lines().next().unwrap_or(""), 300)
}

fn looks_like_html(content_type: &str, text: &str) -> bool {
    let start: String = text
        .chars()
        .take(15)
        .collect::<String>()
        .to_ascii_lowercase();
    content_type.contains("html")
        || start.starts_with("<!doctype")
        || start.starts_with("<html")
        || start.starts_with("<head")
}

fn html_title(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let s = lower.find("<title")?;
    let open_end = s + lower[s..].find('>')? + 1;
    let e = open_end + lower[open_end..].find("</title")?;
    let t = text
        .get(open_end..e)?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (!t.is_empty()).then_some(t)
}

/// Decode a successful response as JSON, with errors that say what came
/// instead (an HTML login page, a truncated body...).
pub fn decode_json<T: DeserializeOwned>(
    resp: &Response,
    method: &str,
    url: &Url,
) -> Result<T, HttpError> {
    serde_json::from_slice(&resp.body).map_err(|e| HttpError {
        method: method.into(),
        url: redact(url),
        kind: ErrorKind::Body,
        message: json_error_text(&resp.content_type, &resp.body, &e),
        attempts: 1,
    })
}

/// Explain a JSON decoding failure.
pub fn json_error_text(content_type: &str, body: &[u8], e: &serde_json::Error) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(512)]);
    let trimmed = text.trim();
    if body.iter().all(u8::is_ascii_whitespace) {
        return "expected JSON but the response body was empty".into();
    }
    if looks_like_html(content_type, trimmed) {
        let what = match html_title(&String::from_utf8_lossy(&body[..body.len().min(8192)])) {
            Some(t) => format!("an HTML page titled \"{}\"", clip(&t, 120)),
            None => "an HTML page".into(),
        };
        return format!("expected JSON but got {what} (a proxy, login or error page?)");
    }
    if let Some(d) = crate::depth::json_too_deep(e) {
        return format!("the JSON response is {d}");
    }
    if e.is_eof() {
        return format!(
            "the JSON response is truncated ({} bytes, ends mid-document at line {} column {}): the connection was cut or a proxy limited the size",
            body.len(),
            e.line(),
            e.column()
        );
    }
    if e.is_syntax() {
        return format!(
            "the response is not valid JSON ({e}); it starts with: {}",
            clip(trimmed, 80)
        );
    }
    format!("unexpected JSON shape: {e}")
}

pub fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n).collect();
        out.push('…');
        out
    }
}

/// Standard base64 (for basic auth), without a dependency.
fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

/// Check that a path exists (for config validation messages).
pub fn readable(path: &Path) -> Result<(), String> {
    std::fs::metadata(path)
        .map(|_| ())
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"alice:s3cret"), "YWxpY2U6czNjcmV0");
    }

    #[test]
    fn secrets_do_not_debug_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(***)");
    }

    #[test]
    fn redact_hides_passwords_in_urls() {
        let u = Url::parse("https://bob:pw@am.example:9093/x").unwrap();
        let r = redact(&u);
        assert!(!r.contains("pw@"), "{r}");
        assert!(r.contains("bob:***@am.example"), "{r}");
    }

    #[test]
    fn base_urls_get_scheme_and_trailing_slash() {
        let u = parse_base_url("am.example:9093/alertmanager").unwrap();
        assert_eq!(u.as_str(), "http://am.example:9093/alertmanager/");
        assert_eq!(
            join(&u, "/api/v2/alerts").as_str(),
            "http://am.example:9093/alertmanager/api/v2/alerts"
        );
        assert!(parse_base_url("ftp://x").is_err());
        assert!(parse_base_url("http://").is_err());
    }

    #[test]
    fn backoff_grows_and_is_jittered_and_capped() {
        let base = Duration::from_millis(100);
        for _ in 0..50 {
            let d1 = backoff(base, 1);
            let d3 = backoff(base, 3);
            assert!(
                d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(150),
                "{d1:?}"
            );
            assert!(
                d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(600),
                "{d3:?}"
            );
            assert!(backoff(base, 30) <= Duration::from_secs(10));
        }
    }

    #[test]
    fn excerpts_explain_bodies() {
        assert_eq!(
            body_excerpt(
                "application/json",
                br#"{"status":"error","errorType":"bad_data","error":"parse error"}"#
            ),
            "bad_data: parse error"
        );
        assert_eq!(
            body_excerpt(
                "text/html",
                b"<html><head><title>502 Bad\n Gateway</title></head></html>"
            ),
            "an HTML page titled \"502 Bad Gateway\""
        );
        assert_eq!(body_excerpt("text/plain", b"no route\nmore"), "no route");
    }

    #[test]
    fn json_errors_say_truncated_or_html() {
        let body = br#"[{"a": 1}, {"b""#;
        let e = serde_json::from_slice::<serde_json::Value>(body).unwrap_err();
        assert!(json_error_text("application/json", body, &e).contains("truncated"));
        let body = b"<!DOCTYPE html><title>Sign in</title>";
        let e = serde_json::from_slice::<serde_json::Value>(body).unwrap_err();
        let t = json_error_text("text/html", body, &e);
        assert!(t.contains("HTML page titled \"Sign in\""), "{t}");
    }
}
