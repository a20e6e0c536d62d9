//! Silences: what Alertmanager reports, and what we ask it to create.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::matcher::{quote, Matcher, Op};

/// A matcher as the Alertmanager API carries it (plain data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SilenceMatcher {
    pub name: String,
    pub value: String,
    #[serde(default)]
    pub is_regex: bool,
    /// Absent in Alertmanager < 0.22: means `true`.
    #[serde(default = "yes")]
    pub is_equal: bool,
}

fn yes() -> bool {
    true
}

impl SilenceMatcher {
    pub fn op(&self) -> Op {
        Op::from_flags(self.is_regex, self.is_equal)
    }

    /// Compile (regexes may be invalid when they come from elsewhere).
    pub fn compile(&self) -> Result<Matcher, String> {
        Matcher::new(&self.name, self.op(), &self.value)
    }
}

impl From<&Matcher> for SilenceMatcher {
    fn from(m: &Matcher) -> Self {
        SilenceMatcher {
            name: m.name.clone(),
            value: m.value.clone(),
            is_regex: m.op.is_regex(),
            is_equal: m.op.is_equal(),
        }
    }
}

impl std::fmt::Display for SilenceMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}{}{}",
            self.name,
            self.op().as_str(),
            quote(&self.value)
        )
    }
}

/// `{a="b", c=~"d"}`.
pub fn matchers_text(ms: &[SilenceMatcher]) -> String {
    let parts: Vec<String> = ms.iter().map(ToString::to_string).collect();
    format!("{{{}}}", parts.join(", "))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SilenceState {
    Active,
    Pending,
    Expired,
}

impl SilenceState {
    pub fn label(self) -> &'static str {
        match self {
            SilenceState::Active => "active",
            SilenceState::Pending => "pending",
            SilenceState::Expired => "expired",
        }
    }
}

/// A silence as reported by an alert source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Silence {
    pub id: String,
    pub matchers: Vec<SilenceMatcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub created_by: String,
    #[serde(default)]
    pub comment: String,
    pub state: SilenceState,
    /// Which instance reported it.
    #[serde(default)]
    pub source: String,
}

impl Silence {
    /// Does this silence cover an alert with these labels?
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matchers
            .iter()
            .all(|m| m.compile().is_ok_and(|c| c.matches(labels)))
    }

    /// Active and ending within `within` of `now`.
    pub fn expires_soon(&self, now: DateTime<Utc>, within: Duration) -> bool {
        self.state == SilenceState::Active && self.ends_at > now && self.ends_at - now <= within
    }

    /// Expired (or ended) within `within` before `now`.
    pub fn expired_recently(&self, now: DateTime<Utc>, within: Duration) -> bool {
        self.state == SilenceState::Expired && self.ends_at <= now && now - self.ends_at <= within
    }
}

/// What to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSilence {
    pub matchers: Vec<SilenceMatcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
}

impl NewSilence {
    /// The API body of `POST /api/v2/silences`.
    pub fn to_api(&self) -> serde_json::Value {
        serde_json::json!({
            "matchers": self.matchers,
            "startsAt": self.starts_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "endsAt": self.ends_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "createdBy": self.created_by,
            "comment": self.comment,
        })
    }
}

/// The comment of an ack, in karma's convention: it starts with `ACK!`,
/// so karma shows it as an ack and kthxbye would extend it.
pub fn ack_comment(author: &str, note: Option<&str>) -> String {
    let base = format!("ACK! This alert was acknowledged by {author} using firebreak");
    match note.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => format!("{base}: {n}"),
        None => base,
    }
}

/// Is this an ack's comment (karma's `ACK!` marker, or firebreak's
/// earlier "ACK by ... via firebreak")?
pub fn is_ack_comment(comment: &str) -> bool {
    comment.starts_with("ACK!") || comment.starts_with("ACK by ")
}

/// Is this an ack firebreak wrote (one firebreak may end when its alert
/// resolves)? karma's own acks are left to karma and their expiry.
pub fn is_firebreak_ack(comment: &str) -> bool {
    is_ack_comment(comment)
        && (comment.contains(" using firebreak") || comment.contains(" via firebreak"))
}

/// Parse a duration like `90s`, `15m`, `2h`, `1d`, `1h30m`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    let mut total = Duration::zero();
    let mut num = String::new();
    let mut any = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: i64 = num
            .parse()
            .map_err(|_| format!("`{s}`: expected a number before `{c}` (e.g. 15m, 2h, 1d)"))?;
        num.clear();
        let unit = match c {
            's' => Duration::seconds(n),
            'm' => Duration::minutes(n),
            'h' => Duration::hours(n),
            'd' => Duration::days(n),
            'w' => Duration::weeks(n),
            _ => return Err(format!("`{s}`: unknown unit `{c}` (use s, m, h, d or w)")),
        };
        total += unit;
        any = true;
    }
    if !num.is_empty() {
        return Err(format!("`{s}`: missing unit after {num} (e.g. {num}m)"));
    }
    if !any || total <= Duration::zero() {
        return Err(format!("`{s}`: must be longer than zero"));
    }
    Ok(total)
}

/// `2h`, `15m`, `1d3h` for display.
pub fn format_duration(d: Duration) -> String {
    let mut secs = d.num_seconds().max(0);
    let mut out = String::new();
    for (unit, n) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if secs >= n {
            out.push_str(&format!("{}{unit}", secs / n));
            secs %= n;
        }
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    out
}

/// Alert-related preferences (from `[alertmanager]`).
#[derive(Debug, Clone, PartialEq)]
pub struct AlertPrefs {
    /// The source that can silence (its name), if any.
    pub silence_source: Option<String>,
    pub ack: Duration,
    pub silence: Duration,
    pub group_by: Vec<String>,
}

impl Default for AlertPrefs {
    fn default() -> Self {
        AlertPrefs {
            silence_source: None,
            ack: Duration::minutes(15),
            silence: Duration::hours(2),
            group_by: vec!["alertname".into(), "service".into()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_print() {
        assert_eq!(parse_duration("15m").unwrap(), Duration::minutes(15));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::minutes(90));
        assert_eq!(parse_duration("2d").unwrap(), Duration::days(2));
        assert!(parse_duration("15").unwrap_err().contains("missing unit"));
        assert!(parse_duration("3y").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("0m").is_err());
        assert_eq!(format_duration(Duration::minutes(90)), "1h30m");
    }

    #[test]
    fn old_alertmanager_matchers_default_to_equal() {
        let m: SilenceMatcher =
            serde_json::from_str(r#"{"name":"a","value":"b","isRegex":false}"#).unwrap();
        assert!(m.is_equal);
        assert_eq!(m.to_string(), r#"a="b""#);
    }
}
