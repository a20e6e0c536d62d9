//! Feature flags: the provider interface and the safe flip procedure
//! (read before write, no-op when already there, read back after).

pub mod flagd;
pub mod unleash;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::deadline::within;
use crate::domain::event::ReportedChange;

/// A feature flag as a provider reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    pub name: String,
    pub enabled: bool,
    #[serde(default)]
    pub description: String,
    /// The provider's name (which configured provider holds it).
    pub provider: String,
    /// Environment, for providers that have them (Unleash).
    #[serde(default)]
    pub env: Option<String>,
    /// Last change, when the provider says.
    #[serde(default)]
    pub changed_at: Option<DateTime<Utc>>,
}

/// A flag service: Unleash, a flagd file, the demo.
#[async_trait]
pub trait FlagProvider: Send + Sync {
    fn name(&self) -> &str;
    async fn list(&self) -> anyhow::Result<Vec<Flag>>;
    async fn get(&self, name: &str) -> anyhow::Result<Flag> {
        self.list()
            .await?
            .into_iter()
            .find(|f| f.name == name)
            .ok_or_else(|| anyhow::anyhow!("no flag named `{name}` in {}", self.name()))
    }
    /// Set the flag; callers use [`flip`], which reads before and after.
    async fn set(&self, name: &str, enabled: bool) -> anyhow::Result<()>;
    /// The flag's state in every environment, for providers that have
    /// them (Unleash); empty for the others.
    async fn environments(&self, name: &str) -> anyhow::Result<Vec<EnvState>> {
        let _ = name;
        Ok(Vec::new())
    }
    /// The flags turned on or off since `since`, from the provider's
    /// history (the postmortem's trigger candidates). `None`: it keeps no
    /// history (a flagd file). By default, each flag's last change, for
    /// providers whose list says when.
    async fn changes_since(
        &self,
        since: DateTime<Utc>,
    ) -> anyhow::Result<Option<Vec<ReportedChange>>> {
        let flags = self.list().await?;
        if flags.iter().all(|f| f.changed_at.is_none()) {
            return Ok(None);
        }
        Ok(Some(
            flags
                .into_iter()
                .filter_map(|f| {
                    let at = f.changed_at.filter(|t| *t >= since)?;
                    Some(ReportedChange {
                        what: format!("flag {} turned {}", f.name, on_off(f.enabled)),
                        at,
                        by: None,
                    })
                })
                .collect(),
        ))
    }
}

/// A flag state in words.
pub(crate) fn on_off(v: bool) -> &'static str {
    if v {
        "on"
    } else {
        "off"
    }
}

/// A flag's state in one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvState {
    pub name: String,
    pub enabled: bool,
}

/// What a flip did.
#[derive(Debug, Clone, PartialEq)]
pub struct FlipOutcome {
    pub before: bool,
    pub after: bool,
    /// False when the flag was already in the wanted state (no-op).
    pub changed: bool,
}

/// Errors of a flip, carrying what is known of the flag's state.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct FlipError {
    pub before: Option<bool>,
    pub after: Option<bool>,
    pub message: String,
}

/// Turn `name` on or off safely: read, skip if already there, write, read
/// back and verify. Every call is bounded by `timeout`.
pub async fn flip(
    provider: &dyn FlagProvider,
    name: &str,
    wanted: bool,
    timeout: Duration,
) -> Result<FlipOutcome, FlipError> {
    let err = |before, after, message: String| FlipError {
        before,
        after,
        message,
    };
    let before = within(timeout, provider.get(name), |t| {
        format!("timed out after {t:?}")
    })
    .await
    .map_err(|e| err(None, None, format!("reading {name}: {e}")))?
    .enabled;
    if before == wanted {
        return Ok(FlipOutcome {
            before,
            after: before,
            changed: false,
        });
    }
    within(timeout, provider.set(name, wanted), |t| {
        format!("timed out after {t:?}; state unknown, read it back before retrying")
    })
    .await
    .map_err(|e| err(Some(before), None, format!("changing {name}: {e}")))?;
    let after = within(timeout, provider.get(name), |_| "timed out".to_string())
        .await
        .map_err(|e| err(Some(before), None, format!("reading back {name}: {e}")))?
        .enabled;
    if after != wanted {
        return Err(err(
            Some(before),
            Some(after),
            format!(
                "read back {name}: still {}",
                if after { "on" } else { "off" }
            ),
        ));
    }
    Ok(FlipOutcome {
        before,
        after,
        changed: true,
    })
}
