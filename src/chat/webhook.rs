//! Posting to an incoming webhook: one POST per attempt with a timeout,
//! bounded retries with backoff, 429's `Retry-After` honoured, and no
//! retry that could post twice.
//!
//! Incoming webhooks have no idempotency key of their own, so the rule is
//! in what is retried: only what certainly did not post. A refused
//! connection never reached the server; a 429 or a 5xx is the server
//! saying it did not take the message. A timeout or a connection lost
//! after the request went out may have posted: that is reported as failed
//! with "may have been posted" and never retried here (the responder
//! looks, and resends if it did not arrive). Every attempt carries the
//! same `Idempotency-Key` header (incident, update, channel) for
//! receivers or relays that deduplicate on it. That an update already
//! sent to a channel is never sent there again is the journal's part
//! ([`crate::domain::updates`]).
//!
//! Errors name the channel and what happened, never the URL (it holds the
//! webhook's secret), and remote text in them is made visible.

use std::time::Duration;

use reqwest::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;

use super::{slack_payload, Channel, Kind, Message};

/// How hard one send tries.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Deadline of one attempt (connect, send, answer).
    pub timeout: Duration,
    /// Attempts in all (at least 1).
    pub attempts: u32,
    /// First backoff; doubles each retry, with jitter.
    pub backoff: Duration,
    /// The longest `Retry-After` waited for; a longer one fails the send.
    pub max_wait: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            timeout: Duration::from_secs(5),
            attempts: 3,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(30),
        }
    }
}

/// The client for webhooks: no redirects (a POST is not followed
/// elsewhere), a connect timeout.
pub fn client(policy: &Policy) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .connect_timeout(policy.timeout.min(Duration::from_secs(3)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("firebreak/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the webhook client: {}", e.without_url()))
}

/// What one attempt came to.
enum Attempt {
    Sent(u16),
    /// Did not post; worth another try after this long (None: backoff).
    Again(String, Option<Duration>),
    /// Did not post, and trying again will not help.
    Refused(String),
    /// May have posted: never retried.
    Unknown(String),
}

/// Post `m` to `channel`. Ok: what to record ("sent (HTTP 200)"); Err:
/// why not, in words.
pub async fn post(
    client: &reqwest::Client,
    channel: &Channel,
    m: &Message,
    policy: &Policy,
) -> Result<String, String> {
    let secret = channel
        .url
        .resolve(&format!("channel {} webhook URL", channel.name))?;
    let url = reqwest::Url::parse(secret.expose()).map_err(|_| {
        format!(
            "channel {}: the webhook URL is not a valid URL (it is not shown: it is a secret)",
            channel.name
        )
    })?;
    let payload = match channel.kind {
        Kind::Slack => slack_payload(m),
    };
    let body = serde_json::to_vec(&payload).map_err(|e| format!("payload: {e}"))?;
    let key = HeaderValue::from_str(&m.idempotency_key(&channel.name))
        .unwrap_or_else(|_| HeaderValue::from_static("firebreak"));
    let attempts = policy.attempts.max(1);
    let mut last = String::new();
    for attempt in 1..=attempts {
        let req = client
            .post(url.clone())
            .timeout(policy.timeout)
            .header(CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", key.clone())
            .body(body.clone());
        let outcome = match tokio::time::timeout(
            policy.timeout + Duration::from_millis(100),
            once(req),
        )
        .await
        {
            Ok(o) => o,
            Err(_) => Attempt::Unknown(no_answer(policy)),
        };
        let wait = match outcome {
            Attempt::Sent(code) => {
                return Ok(if attempt == 1 {
                    format!("sent (HTTP {code})")
                } else {
                    format!("sent (HTTP {code}, attempt {attempt} of {attempts})")
                })
            }
            Attempt::Refused(why) => return Err(with_attempts(why, attempt)),
            Attempt::Unknown(why) => return Err(with_attempts(why, attempt)),
            Attempt::Again(why, wait) => {
                last = why;
                wait
            }
        };
        if attempt == attempts {
            break;
        }
        let delay = match wait {
            Some(w) if w > policy.max_wait => {
                return Err(with_attempts(
                    format!(
                    "{last}; it asks to wait {}s, longer than firebreak waits ({}s): not retried",
                    w.as_secs(),
                    policy.max_wait.as_secs()
                ),
                    attempt,
                ))
            }
            Some(w) => w,
            None => crate::sources::http::backoff(policy.backoff, attempt),
        };
        tracing::debug!(channel = %channel.name, attempt, "webhook retry after {delay:?}: {last}");
        tokio::time::sleep(delay).await;
    }
    Err(with_attempts(last, attempts))
}

fn with_attempts(why: String, attempts: u32) -> String {
    if attempts > 1 {
        format!("{why} (after {attempts} attempts)")
    } else {
        why
    }
}

fn no_answer(policy: &Policy) -> String {
    format!(
        "no answer within {:.1}s: it may have been posted, so it is not retried (a retry could post it twice); look in the channel and resend if it is not there",
        policy.timeout.as_secs_f32()
    )
}

async fn once(req: reqwest::RequestBuilder) -> Attempt {
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) => return transport(e),
    };
    let status = resp.status();
    let retry_after = resp
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    // The body says why (Slack: `invalid_payload`, `no_text`...): a little
    // of it, made visible.
    let excerpt = match resp.bytes().await {
        Ok(b) => {
            let t = String::from_utf8_lossy(&b[..b.len().min(300)])
                .trim()
                .to_string();
            crate::text::visible(&t)
                .chars()
                .take(200)
                .collect::<String>()
        }
        Err(_) if status.is_success() => String::new(),
        Err(_) => String::new(),
    };
    let said = |s: StatusCode| {
        if excerpt.is_empty() {
            format!("HTTP {}", s.as_u16())
        } else {
            format!("HTTP {}: {excerpt}", s.as_u16())
        }
    };
    match status.as_u16() {
        200..=299 => Attempt::Sent(status.as_u16()),
        429 => Attempt::Again(format!("rate limited ({})", said(status)), retry_after),
        500 | 502 | 503 | 504 => Attempt::Again(said(status), None),
        _ => Attempt::Refused(said(status)),
    }
}

/// A failure before an answer: refused (never reached: retried), or
/// anything after the request may have gone out (not retried).
fn transport(e: reqwest::Error) -> Attempt {
    let e = e.without_url();
    if e.is_connect() {
        let mut chain = String::new();
        let mut src: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(s) = src {
            chain.push_str(&s.to_string().to_ascii_lowercase());
            src = s.source();
        }
        let why = if chain.contains("refused") {
            "connection refused"
        } else if chain.contains("dns") || chain.contains("resolve") || chain.contains("lookup") {
            "cannot resolve the host name"
        } else if chain.contains("certificate") || chain.contains("tls") {
            "TLS failure"
        } else {
            "cannot connect"
        };
        return Attempt::Again(why.to_string(), None);
    }
    if e.is_timeout() {
        return Attempt::Unknown(
            "no answer in time: it may have been posted, so it is not retried (a retry could post it twice); look in the channel and resend if it is not there".into(),
        );
    }
    Attempt::Unknown(
        "the connection broke before an answer: it may have been posted, so it is not retried (a retry could post it twice); look in the channel and resend if it is not there".into(),
    )
}
