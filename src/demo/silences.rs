//! The demo's Alertmanager side: silences (and acks, which are short
//! silences) created, listed and expired in the simulated world, and the
//! alerts they mute. Kept in the world's state, so they survive a restart
//! like Alertmanager's would; the TUI records them exactly as it does a
//! real Alertmanager's.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::World;
use crate::sources::silence::{matchers_text, NewSilence, Silence, SilenceState};
use crate::sources::{Alert, AlertState};

/// What the demo's silences are called where they are made.
pub const WHERE: &str = "the demo's Alertmanager (simulated)";

impl World {
    /// Every silence, its state as of `now`.
    pub fn silences(&self, now: DateTime<Utc>) -> Vec<Silence> {
        self.state
            .silences
            .iter()
            .cloned()
            .map(|mut s| {
                s.state = state_at(&s, now);
                s
            })
            .collect()
    }

    /// Create a silence; its id.
    pub fn create_silence(&mut self, new: &NewSilence, now: DateTime<Utc>) -> String {
        let n = self.state.silences.len();
        let digest = Sha256::digest(format!(
            "{n} {} {} {}",
            now.to_rfc3339(),
            matchers_text(&new.matchers),
            new.comment
        ));
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let id = format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        );
        let mut s = Silence {
            id: id.clone(),
            matchers: new.matchers.clone(),
            starts_at: new.starts_at,
            ends_at: new.ends_at,
            updated_at: Some(now),
            created_by: new.created_by.clone(),
            comment: new.comment.clone(),
            state: SilenceState::Active,
            source: "demo".into(),
        };
        s.state = state_at(&s, now);
        self.state.silences.push(s);
        id
    }

    /// Expire silence `id` now (one already over stays as it was).
    pub fn expire_silence(&mut self, id: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
        let Some(s) = self.state.silences.iter_mut().find(|s| s.id == id) else {
            anyhow::bail!("no silence {id} in the demo");
        };
        if s.ends_at > now {
            s.ends_at = now;
            s.updated_at = Some(now);
        }
        s.state = SilenceState::Expired;
        Ok(())
    }

    /// Mark the alerts that an active silence covers as silenced.
    pub(super) fn mute(&self, alerts: &mut [Alert], now: DateTime<Utc>) {
        for a in alerts {
            let by: Vec<String> = self
                .state
                .silences
                .iter()
                .filter(|s| state_at(s, now) == SilenceState::Active && s.matches(&a.labels))
                .map(|s| s.id.clone())
                .collect();
            if !by.is_empty() {
                a.state = AlertState::Suppressed;
                a.detail.silenced_by = by;
            }
        }
    }
}

fn state_at(s: &Silence, now: DateTime<Utc>) -> SilenceState {
    if s.ends_at <= now {
        SilenceState::Expired
    } else if s.starts_at > now {
        SilenceState::Pending
    } else {
        SilenceState::Active
    }
}
