//! `[status_updates]`: how often stakeholders hear from an incident, and
//! the chat webhooks updates are posted to.
//!
//! ```toml
//! [status_updates]
//! cadence_minutes = { sev1 = 15, sev2 = 30, sev3 = 60, sev4 = 120 }
//! first_due_minutes = 10        # first update after the declaration (default: one period)
//! timeout_secs = 5              # one attempt
//! attempts = 3                  # in all, per channel
//!
//! [[status_updates.channels]]
//! name = "incident-room"
//! kind = "slack"                # Slack-compatible JSON (Mattermost accepts it)
//! url_env = "SLACK_WEBHOOK_URL" # or url_file = "/run/secrets/webhook"
//! ```
//!
//! The webhook URL is a secret: it comes from the environment or a file,
//! and is never logged, journaled or exported.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::chat::webhook::Policy;
use crate::chat::{Channel, Kind};
use crate::domain::updates::Cadence;
use crate::sources::http::SecretRef;

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct StatusUpdatesConfig {
    #[serde(default)]
    pub cadence_minutes: CadenceMinutes,
    #[serde(default)]
    pub first_due_minutes: Option<u32>,
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    #[serde(default)]
    pub attempts: Option<u32>,
    #[serde(default)]
    pub channels: Vec<ChannelConfig>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CadenceMinutes {
    #[serde(default = "m15")]
    pub sev1: u32,
    #[serde(default = "m30")]
    pub sev2: u32,
    #[serde(default = "m60")]
    pub sev3: u32,
    #[serde(default = "m120")]
    pub sev4: u32,
}

fn m15() -> u32 {
    15
}
fn m30() -> u32 {
    30
}
fn m60() -> u32 {
    60
}
fn m120() -> u32 {
    120
}

impl Default for CadenceMinutes {
    fn default() -> Self {
        CadenceMinutes {
            sev1: m15(),
            sev2: m30(),
            sev3: m60(),
            sev4: m120(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    pub name: String,
    pub kind: Kind,
    #[serde(default)]
    pub url_env: Option<String>,
    #[serde(default)]
    pub url_file: Option<PathBuf>,
}

impl StatusUpdatesConfig {
    /// Check the combination: (field, message) on error.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let c = &self.cadence_minutes;
        for (field, v) in [
            ("sev1", c.sev1),
            ("sev2", c.sev2),
            ("sev3", c.sev3),
            ("sev4", c.sev4),
        ] {
            if v == 0 || v > 24 * 60 {
                return Err((field, "minutes between updates: 1 to 1440".into()));
            }
        }
        if self.attempts == Some(0) || self.attempts.is_some_and(|a| a > 10) {
            return Err(("attempts", "1 to 10".into()));
        }
        if self.timeout_secs == Some(0) {
            return Err(("timeout_secs", "must be at least 1".into()));
        }
        let mut seen = std::collections::BTreeSet::new();
        for ch in &self.channels {
            if ch.name.trim().is_empty() || ch.name.chars().any(crate::text::is_hazard) {
                return Err(("name", "a channel needs a plain name".into()));
            }
            if !seen.insert(ch.name.as_str()) {
                return Err(("name", format!("channel {} is configured twice", ch.name)));
            }
            match (&ch.url_env, &ch.url_file) {
                (Some(_), Some(_)) => {
                    return Err(("url_file", "set url_env or url_file, not both".into()))
                }
                (None, None) => {
                    return Err((
                        "url_env",
                        format!(
                            "channel {}: set url_env (an environment variable) or url_file: the webhook URL is a secret and is not written in the config",
                            ch.name
                        ),
                    ))
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The cadence; the demo's (first update after two minutes) when
    /// nothing is configured and the demo runs.
    pub fn cadence(&self, demo: bool) -> Cadence {
        let mins = |m: u32| chrono::Duration::minutes(i64::from(m));
        let c = &self.cadence_minutes;
        let first = self.first_due_minutes.map(mins);
        let first = if demo && first.is_none() {
            Cadence::demo().first
        } else {
            first
        };
        Cadence {
            sev1: mins(c.sev1),
            sev2: mins(c.sev2),
            sev3: mins(c.sev3),
            sev4: mins(c.sev4),
            first,
        }
    }

    pub fn policy(&self) -> Policy {
        let d = Policy::default();
        Policy {
            timeout: self.timeout_secs.map_or(d.timeout, Duration::from_secs),
            attempts: self.attempts.unwrap_or(d.attempts),
            ..d
        }
    }

    pub fn channels(&self) -> Vec<Channel> {
        self.channels
            .iter()
            .filter_map(|c| {
                let url = match (&c.url_env, &c.url_file) {
                    (Some(v), _) => SecretRef::Env(v.clone()),
                    (None, Some(f)) => SecretRef::File(f.clone()),
                    (None, None) => return None,
                };
                Some(Channel {
                    name: c.name.clone(),
                    kind: c.kind,
                    url,
                })
            })
            .collect()
    }
}
