//! The demo world seen through the same interfaces as real systems: an
//! alert source, a metric source, a flag provider and release control.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::World;
use crate::flags::{Flag, FlagProvider};
use crate::sources::{
    Alert, AlertSource, MetricSource, NewSilence, Panel, PanelSpec, ReleaseControl, Silence,
};

/// A clock, injectable for tests.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

/// Shared handle on the simulated world. Cloning shares the world.
#[derive(Clone)]
pub struct Demo {
    world: Arc<Mutex<World>>,
    /// Where changes are persisted (None: in memory only).
    data_dir: Option<PathBuf>,
    clock: Clock,
    /// When the saved world was last read or written by this process:
    /// a newer file is another process's change, taken in.
    seen: Arc<Mutex<Option<std::time::SystemTime>>>,
    /// The rule a responder charted: (panel, series name).
    charted: Arc<Mutex<Option<(PanelSpec, String)>>>,
}

impl Demo {
    pub fn new(world: World, data_dir: Option<PathBuf>, clock: Clock) -> Demo {
        let seen = data_dir.as_deref().and_then(crate::demo::saved_at);
        Demo {
            world: Arc::new(Mutex::new(world)),
            data_dir,
            clock,
            seen: Arc::new(Mutex::new(seen)),
            charted: Arc::new(Mutex::new(None)),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut World, DateTime<Utc>) -> T) -> anyhow::Result<T> {
        let now = (self.clock)();
        let mut w = self
            .world
            .lock()
            .map_err(|_| anyhow::anyhow!("demo world lock poisoned"))?;
        if let Some(dir) = &self.data_dir {
            if let Ok(mut seen) = self.seen.lock() {
                *seen = crate::demo::reload_if_changed(&mut w, dir, *seen);
            }
        }
        w.advance(now);
        Ok(f(&mut w, now))
    }

    fn persist(&self) -> anyhow::Result<()> {
        if let Some(dir) = &self.data_dir {
            let w = self
                .world
                .lock()
                .map_err(|_| anyhow::anyhow!("demo world lock poisoned"))?
                .clone();
            crate::demo::save(&w, dir)?;
            if let Ok(mut seen) = self.seen.lock() {
                *seen = crate::demo::saved_at(dir);
            }
        }
        Ok(())
    }
}

#[async_trait]
impl AlertSource for Demo {
    fn name(&self) -> &str {
        "demo"
    }

    async fn alerts(&self) -> anyhow::Result<Vec<Alert>> {
        self.with(|w, now| w.alerts(now))
    }

    /// The demo silences like an Alertmanager (in the simulated world),
    /// so ack and silence can be tried.
    fn can_silence(&self) -> bool {
        true
    }

    async fn silences(&self) -> anyhow::Result<Vec<Silence>> {
        self.with(|w, now| w.silences(now))
    }

    async fn create_silence(&self, silence: &NewSilence) -> anyhow::Result<(String, String)> {
        let id = self.with(|w, now| w.create_silence(silence, now))?;
        self.persist()?;
        Ok((id, crate::demo::SILENCES_WHERE.into()))
    }

    async fn expire_silence(&self, id: &str) -> anyhow::Result<String> {
        self.with(|w, now| w.expire_silence(id, now))??;
        self.persist()?;
        Ok(crate::demo::SILENCES_WHERE.into())
    }

    /// Its routing tree is assets/demo/alertmanager.yml.
    fn has_routing(&self) -> bool {
        true
    }

    async fn routing(&self) -> anyhow::Result<crate::sources::Routing> {
        match crate::demo::routing() {
            Some(tree) => Ok(crate::sources::Routing {
                tree: tree.clone(),
                from: "the demo".into(),
            }),
            None => anyhow::bail!("the demo's routing tree does not parse (a bug: see the log)"),
        }
    }
}

#[async_trait]
impl MetricSource for Demo {
    fn name(&self) -> &str {
        "demo"
    }

    async fn panels(&self, window: chrono::Duration) -> anyhow::Result<Vec<Panel>> {
        let charted = self.charted.lock().ok().and_then(|c| c.clone());
        self.with(|w, now| {
            let first = charted.and_then(|(spec, series)| w.charted(&spec, &series, window, now));
            first.into_iter().chain(w.panels(window, now)).collect()
        })
    }

    /// The demo evaluates its alerts as rules with `for`: some are
    /// pending before they fire.
    fn has_rules(&self) -> bool {
        true
    }

    async fn rules(&self) -> anyhow::Result<Vec<crate::sources::rules::AlertRule>> {
        self.with(|w, now| w.rules(now))
    }

    fn chart(&self, panel: Option<(PanelSpec, String)>) {
        if let Ok(mut c) = self.charted.lock() {
            *c = panel;
        }
    }

    async fn history(
        &self,
        alertname: &str,
        _labels: &std::collections::BTreeMap<String, String>,
    ) -> anyhow::Result<crate::sources::history::History> {
        self.with(|w, now| w.history(alertname, now))?
            .ok_or_else(|| anyhow::anyhow!("the demo has no history of {alertname}"))
    }
}

#[async_trait]
impl FlagProvider for Demo {
    fn name(&self) -> &str {
        "demo"
    }

    async fn list(&self) -> anyhow::Result<Vec<Flag>> {
        self.with(|w, _| {
            w.flags()
                .into_iter()
                .map(|(name, enabled, description, changed_at)| Flag {
                    name,
                    enabled,
                    description,
                    provider: "demo".into(),
                    env: Some("production".into()),
                    changed_at,
                })
                .collect()
        })
    }

    async fn set(&self, name: &str, enabled: bool) -> anyhow::Result<()> {
        self.with(|w, now| w.set_flag(name, enabled, now))??;
        self.persist()
    }
}

#[async_trait]
impl ReleaseControl for Demo {
    fn name(&self) -> &str {
        "demo"
    }

    async fn current(&self) -> anyhow::Result<String> {
        self.with(|w, now| format!("{} {}", w.scenario.release.service, w.version_at(now)))
    }

    async fn deploys_since(
        &self,
        since: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<Option<Vec<crate::domain::event::ReportedChange>>> {
        self.with(|w, _| Some(w.deploys_since(since)))
    }

    async fn rollback(&self) -> anyhow::Result<String> {
        let msg = self.with(|w, now| w.rollback(now))?;
        self.persist()?;
        Ok(msg)
    }
}
