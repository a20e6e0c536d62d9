//! Chat: status updates posted through incoming webhooks.
//!
//! A [`Channel`] is a configured webhook (`[[status_updates.channels]]`):
//! a name, a kind and where its URL comes from (an environment variable
//! or a file: the URL is the secret, so it is never logged, journaled or
//! exported; errors name the channel, never the URL).
//!
//! [`slack_payload`] builds Slack's incoming-webhook JSON, `{"text",
//! "blocks"}` with `section` blocks of `mrkdwn` text, which Mattermost's
//! incoming webhooks accept too (they read `text`). Every piece of text
//! (typed by the responder, or from alerts) goes through
//! [`crate::text::visible_lines`] (escape sequences and invisible
//! characters are shown, never sent) and then [`mrkdwn`] (`&`, `<`, `>`
//! escaped as Slack asks, so no text can mention `<!channel>` or forge a
//! link). [`webhook`] sends, with a timeout, bounded retries and the
//! idempotency rules.

pub mod webhook;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::sources::http::SecretRef;

/// The message formats firebreak posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Slack-compatible incoming webhook JSON (Slack, Mattermost, and
    /// others that accept Slack's format).
    Slack,
}

/// A webhook to post status updates to.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    pub name: String,
    pub kind: Kind,
    /// Where the webhook URL is read from (never the URL itself).
    pub url: SecretRef,
}

/// One status update, ready to post.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub incident: String,
    /// The update's id (`u3`).
    pub id: String,
    pub headline: String,
    pub conditions: String,
    pub actions: String,
    pub needs: String,
    pub next_update_at: Option<DateTime<Utc>>,
    pub by: String,
}

impl Message {
    /// The key a receiver may deduplicate on: the same for every attempt
    /// of one update to one channel, and different for any other. It is
    /// a header value, so anything but printable ASCII (a responder's
    /// name in an id: `jörg/u1`) and `%` is percent-encoded rather than
    /// left to make the header invalid.
    pub fn idempotency_key(&self, channel: &str) -> String {
        let raw = format!("firebreak:{}:{}:{channel}", self.incident, self.id);
        let mut out = String::with_capacity(raw.len());
        for b in raw.bytes() {
            if b.is_ascii_graphic() && b != b'%' {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }
}

/// The most Slack shows of one section's text.
const SECTION_MAX: usize = 3000;

/// Slack's escaping of text in `mrkdwn` (and `text`): `&`, `<`, `>`.
pub fn mrkdwn(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Text fit to post: hazards made visible, then escaped for mrkdwn.
fn safe(s: &str) -> String {
    mrkdwn(&crate::text::visible_lines(s.trim()))
}

fn clip(s: String, n: usize) -> String {
    if s.chars().count() <= n {
        return s;
    }
    let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn next_line(m: &Message) -> String {
    match m.next_update_at {
        Some(t) => format!("Next update by {}", t.format("%H:%M UTC")),
        None => "Next update: when there is news".into(),
    }
}

fn section(title: &str, body: &str) -> Value {
    let body = if body.trim().is_empty() {
        "—".to_string()
    } else {
        safe(body)
    };
    json!({
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": clip(format!("*{title}*\n{body}"), SECTION_MAX),
        }
    })
}

/// The Slack-compatible payload: `text` (the notification and fallback)
/// and `blocks`.
pub fn slack_payload(m: &Message) -> Value {
    let head = format!(
        "Status update {} on {}: {}",
        safe(&m.id),
        safe(&m.incident),
        safe(&m.headline)
    );
    let text = format!(
        "{head}\nConditions: {}\nActions: {}\nNeeds: {}\n{}",
        safe(&m.conditions),
        safe(&m.actions),
        safe(&m.needs),
        next_line(m)
    );
    json!({
        "text": clip(text, 3 * SECTION_MAX),
        "blocks": [
            {
                "type": "section",
                "text": { "type": "mrkdwn", "text": clip(format!("*{head}*"), SECTION_MAX) }
            },
            section("Conditions", &m.conditions),
            section("Actions", &m.actions),
            section("Needs", &m.needs),
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": format!("_{} · posted by {} with firebreak_", next_line(m), safe(&m.by)),
                }
            }
        ]
    })
}

/// The update as plain text, for the clipboard (channels firebreak
/// cannot reach) and `firebreak update --prefill`. Hazards are shown as
/// visible escapes.
pub fn plain(m: &Message) -> String {
    let v = |s: &str| crate::text::visible_lines(s.trim()).into_owned();
    format!(
        "Status update {} on {}: {}\n\nConditions:\n{}\n\nActions:\n{}\n\nNeeds:\n{}\n\n{}\n",
        v(&m.id),
        v(&m.incident),
        v(&m.headline),
        v(&m.conditions),
        v(&m.actions),
        v(&m.needs),
        next_line(m)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> Message {
        Message {
            incident: "inc-1".into(),
            id: "u2".into(),
            headline: "SEV2 · Investigating · Checkout <errors> & more".into(),
            conditions: "Alert \x1b]52;c;cm0=\x07 <!channel> firing".into(),
            actions: "- 14:04 flag off".into(),
            needs: String::new(),
            next_update_at: DateTime::parse_from_rfc3339("2026-03-01T14:30:00Z")
                .ok()
                .map(|t| t.with_timezone(&Utc)),
            by: "alice".into(),
        }
    }

    #[test]
    fn the_payload_is_text_and_section_blocks_of_mrkdwn() {
        let p = slack_payload(&message());
        let text = p["text"].as_str().unwrap_or_default();
        assert!(
            text.starts_with("Status update u2 on inc-1: SEV2"),
            "{text}"
        );
        let blocks = p["blocks"].as_array().cloned().unwrap_or_default();
        assert_eq!(blocks.len(), 5);
        for b in &blocks {
            assert_eq!(b["type"], "section");
            assert_eq!(b["text"]["type"], "mrkdwn");
            assert!(b["text"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        }
        assert_eq!(
            blocks[1]["text"]["text"]
                .as_str()
                .map(|t| t.starts_with("*Conditions*\n")),
            Some(true)
        );
        assert_eq!(blocks[3]["text"]["text"], "*Needs*\n—");
        assert!(blocks[4]["text"]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("Next update by 14:30 UTC"));
    }

    #[test]
    fn text_is_escaped_and_escape_sequences_never_pass() {
        let p = slack_payload(&message());
        let all = p.to_string();
        assert!(!all.contains('\u{1b}') && !all.contains('\u{7}'), "{all}");
        assert!(all.contains("\\\\x1b]52"), "{all}");
        assert!(all.contains("&lt;!channel&gt;"), "{all}");
        assert!(all.contains("Checkout &lt;errors&gt; &amp; more"), "{all}");
        assert!(!all.contains("<!channel>"), "{all}");
        assert_eq!(mrkdwn("a<b>&c"), "a&lt;b&gt;&amp;c");
        assert!(!plain(&message()).contains('\u{1b}'));
    }

    #[test]
    fn the_idempotency_key_is_a_valid_header_and_names_the_author() {
        let mut m = message();
        assert_eq!(m.idempotency_key("room"), "firebreak:inc-1:u2:room");
        m.id = "jörg/u1".into();
        let key = m.idempotency_key("incident room");
        assert_eq!(key, "firebreak:inc-1:j%C3%B6rg/u1:incident%20room");
        assert!(reqwest::header::HeaderValue::from_str(&key).is_ok());
        let joerg = m.idempotency_key("room");
        m.id = "bob/u1".into();
        assert_ne!(m.idempotency_key("room"), joerg, "another author's u1");
    }

    #[test]
    fn a_long_section_is_cut_to_what_slack_shows() {
        let mut m = message();
        m.actions = "x".repeat(10_000);
        let p = slack_payload(&m);
        let t = p["blocks"][2]["text"]["text"].as_str().unwrap_or_default();
        assert_eq!(t.chars().count(), SECTION_MAX);
        assert!(t.ends_with('…'));
    }
}
