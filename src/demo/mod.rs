//! The simulated world behind the demo incident. Pure: every value is a
//! function of the scenario (assets/demo/scenario.toml), the world's
//! history (when the fault came and went) and the time asked about.
//!
//! The world's state is persisted like a real service's would be
//! (`demo-world.json` in the data dir), so restarting firebreak resumes
//! the same world.
//!
//! [`systems`] shows this world through the same interfaces as real
//! systems (alert source, metric source, flag provider, release control).
//!
//! Why one file of this length: one world model; past 500 lines only because of its tests.

mod silences;
pub mod systems;

pub use silences::WHERE as SILENCES_WHERE;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::incident::Severity;
use crate::sources::{fingerprint, Alert, AlertState, Panel, PanelSpec};

pub const SCENARIO: &str = include_str!("../../assets/demo/scenario.toml");

/// The demo's Alertmanager routing tree (who gets paged for what).
pub const ROUTING: &str = include_str!("../../assets/demo/alertmanager.yml");

/// The series name the demo's rules use for a metric: "Error ratio" is
/// `demo:error_ratio`.
pub fn series_name(metric: &str) -> String {
    let mut s = String::from("demo:");
    for c in metric.chars() {
        s.push(if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '_'
        });
    }
    s
}

/// The demo's routing tree, read once.
pub fn routing(
) -> Option<&'static std::sync::Arc<crate::sources::alertmanager::routing::RoutingTree>> {
    static TREE: std::sync::OnceLock<
        Option<std::sync::Arc<crate::sources::alertmanager::routing::RoutingTree>>,
    > = std::sync::OnceLock::new();
    TREE.get_or_init(|| {
        crate::sources::alertmanager::routing::RoutingTree::from_yaml(ROUTING)
            .map_err(|e| tracing::error!("the demo's routing tree: {e}"))
            .ok()
            .map(std::sync::Arc::new)
    })
    .as_ref()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub incident: ScenarioIncident,
    pub release: Release,
    pub dynamics: Dynamics,
    pub flags: Vec<ScenarioFlag>,
    pub metrics: Vec<ScenarioMetric>,
    pub alerts: Vec<ScenarioAlert>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioIncident {
    pub title: String,
    pub severity: Severity,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    pub service: String,
    pub current: String,
    pub previous: String,
    pub deployed_minutes_ago: i64,
    pub rollback_seconds: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dynamics {
    pub ramp_minutes: f64,
    pub recovery_seconds: f64,
    pub step_seconds: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFlag {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub enabled: bool,
    #[serde(default)]
    pub guilty: bool,
    /// The service mode this flag switches while on: "read_only" or
    /// "maintenance" (the header shows it, as `[service_modes]` does).
    #[serde(default)]
    pub service_mode: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioMetric {
    pub name: String,
    pub unit: String,
    pub baseline: f64,
    pub incident: f64,
    #[serde(default)]
    pub noise: f64,
    #[serde(default)]
    pub warning: Option<f64>,
    #[serde(default)]
    pub critical: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioAlert {
    pub name: String,
    pub severity: String,
    #[serde(default)]
    pub metric: Option<String>,
    #[serde(default)]
    pub above: Option<f64>,
    #[serde(default)]
    pub for_seconds: i64,
    pub summary: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub always_minutes_ago: Option<i64>,
    /// Times it fired before: [days ago, minutes it lasted] each.
    #[serde(default)]
    pub history: Vec<[i64; 2]>,
}

impl Scenario {
    pub fn builtin() -> anyhow::Result<Scenario> {
        Scenario::parse(Path::new("assets/demo/scenario.toml"), SCENARIO)
    }

    pub fn parse(file: &Path, src: &str) -> anyhow::Result<Scenario> {
        let s: Scenario = crate::error::parse_toml(file, src)?;
        for f in &s.flags {
            if let Some(m) = &f.service_mode {
                if !matches!(m.as_str(), "read_only" | "maintenance") {
                    anyhow::bail!(
                        "{}: flag {}: service_mode `{m}` is not read_only or maintenance",
                        file.display(),
                        f.name
                    );
                }
            }
        }
        for a in &s.alerts {
            if let Some(m) = &a.metric {
                if !s.metrics.iter().any(|x| &x.name == m) {
                    anyhow::bail!(
                        "{}: alert {} names unknown metric `{m}`",
                        file.display(),
                        a.name
                    );
                }
            }
        }
        Ok(s)
    }
}

impl Scenario {
    /// The service modes its flags switch, as `[service_modes]` would bind
    /// them to the demo's flag provider.
    pub fn service_modes(&self) -> crate::config::flags::ServiceModes {
        use crate::config::flags::{ActiveWhen, ModeBinding, ServiceModes};
        let bind = |mode: &str| {
            self.flags
                .iter()
                .find(|f| f.service_mode.as_deref() == Some(mode))
                .map(|f| ModeBinding {
                    provider: "demo".into(),
                    flag: f.name.clone(),
                    active_when: ActiveWhen::On,
                })
        };
        ServiceModes {
            read_only: bind("read_only"),
            maintenance: bind("maintenance"),
        }
    }
}

/// The world's mutable state, persisted between runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorldState {
    pub started_at: DateTime<Utc>,
    pub flags: BTreeMap<String, bool>,
    pub flags_changed: BTreeMap<String, DateTime<Utc>>,
    /// When a rollback was requested; it completes `rollback_seconds` later.
    pub rollback_at: Option<DateTime<Utc>>,
    /// (time, fault active) transitions, in order. The first is the deploy.
    pub fault: Vec<(DateTime<Utc>, bool)>,
    /// Silences and acks made in the demo (its Alertmanager side).
    #[serde(default)]
    pub silences: Vec<crate::sources::Silence>,
}

/// The simulated world: a scenario and its state.
#[derive(Debug, Clone)]
pub struct World {
    pub scenario: Scenario,
    pub state: WorldState,
}

impl World {
    /// A fresh world whose deploy happened `deployed_minutes_ago` before `now`.
    pub fn new(scenario: Scenario, now: DateTime<Utc>) -> World {
        let deploy = now - Duration::minutes(scenario.release.deployed_minutes_ago);
        let flags = scenario
            .flags
            .iter()
            .map(|f| (f.name.clone(), f.enabled))
            .collect();
        let mut w = World {
            state: WorldState {
                started_at: now,
                flags,
                flags_changed: BTreeMap::new(),
                rollback_at: None,
                fault: Vec::new(),
                silences: Vec::new(),
            },
            scenario,
        };
        if w.fault_condition(deploy) {
            w.state.fault.push((deploy, true));
        }
        w
    }

    /// The deploys since `since`: the scenario's release (and its
    /// rollback, once done), as a deploy tool would list them.
    pub fn deploys_since(&self, since: DateTime<Utc>) -> Vec<crate::domain::event::ReportedChange> {
        let r = &self.scenario.release;
        let deployed = self.state.started_at - Duration::minutes(r.deployed_minutes_ago);
        let mut out = vec![crate::domain::event::ReportedChange {
            what: format!("deploy {} {} (from {})", r.service, r.current, r.previous),
            at: deployed,
            by: Some("ci-bot (demo)".into()),
        }];
        if let Some(at) = self.state.rollback_at {
            out.push(crate::domain::event::ReportedChange {
                what: format!("rollback {} to {}", r.service, r.previous),
                at,
                by: None,
            });
        }
        out.retain(|c| c.at >= since);
        out
    }

    /// The release currently serving traffic at `t`.
    pub fn version_at(&self, t: DateTime<Utc>) -> &str {
        if self.rolled_back_at(t) {
            &self.scenario.release.previous
        } else {
            &self.scenario.release.current
        }
    }

    fn rolled_back_at(&self, t: DateTime<Utc>) -> bool {
        self.rollback_done_at().is_some_and(|d| d <= t)
    }

    pub fn rollback_done_at(&self) -> Option<DateTime<Utc>> {
        self.state
            .rollback_at
            .map(|r| r + Duration::seconds(self.scenario.release.rollback_seconds))
    }

    /// Is the faulty code path live at `t`, given the current flag states?
    fn fault_condition(&self, t: DateTime<Utc>) -> bool {
        let guilty_on = self
            .scenario
            .flags
            .iter()
            .filter(|f| f.guilty)
            .any(|f| self.state.flags.get(&f.name).copied().unwrap_or(f.enabled));
        guilty_on && !self.rolled_back_at(t)
    }

    fn fault_now(&self) -> bool {
        self.state.fault.last().is_some_and(|(_, on)| *on)
    }

    /// Bring the fault history up to date at `now` (a rollback completes).
    pub fn advance(&mut self, now: DateTime<Utc>) {
        if let Some(done) = self.rollback_done_at() {
            if done <= now && self.fault_now() && !self.fault_condition(done) {
                self.state.fault.push((done, false));
            }
        }
    }

    pub fn set_flag(
        &mut self,
        name: &str,
        enabled: bool,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        self.advance(now);
        match self.state.flags.get_mut(name) {
            Some(v) => *v = enabled,
            None => anyhow::bail!("no flag named `{name}` in the demo"),
        }
        self.state.flags_changed.insert(name.to_string(), now);
        let cond = self.fault_condition(now);
        if cond != self.fault_now() {
            self.state.fault.push((now, cond));
        }
        Ok(())
    }

    /// Start a rollback; idempotent (a second request changes nothing).
    pub fn rollback(&mut self, now: DateTime<Utc>) -> String {
        self.advance(now);
        let r = &self.scenario.release;
        if self.state.rollback_at.is_some() {
            return format!("{} already rolled back to {}", r.service, r.previous);
        }
        self.state.rollback_at = Some(now);
        format!(
            "{} rolling back {} -> {} (takes ~{}s)",
            r.service, r.current, r.previous, r.rollback_seconds
        )
    }

    /// Level of metric `m` at `t`, without noise.
    pub fn level(&self, m: &ScenarioMetric, t: DateTime<Utc>) -> f64 {
        let d = &self.scenario.dynamics;
        let span = m.incident - m.baseline;
        let rate_per_sec = span / (d.ramp_minutes.max(0.01) * 60.0);
        let mut level = m.baseline;
        let mut seg_start: Option<(DateTime<Utc>, bool)> = None;
        let advance = |level: f64, from: DateTime<Utc>, on: bool, to: DateTime<Utc>| -> f64 {
            let dt = (to - from).num_milliseconds() as f64 / 1000.0;
            if dt <= 0.0 {
                return level;
            }
            if on {
                let l = level + rate_per_sec * dt;
                if span >= 0.0 {
                    l.min(m.incident)
                } else {
                    l.max(m.incident)
                }
            } else {
                m.baseline + (level - m.baseline) * (-dt / d.recovery_seconds.max(0.01)).exp()
            }
        };
        for (at, on) in &self.state.fault {
            if *at > t {
                break;
            }
            if let Some((from, was_on)) = seg_start {
                level = advance(level, from, was_on, *at);
            }
            seg_start = Some((*at, *on));
        }
        if let Some((from, on)) = seg_start {
            level = advance(level, from, on, t);
        }
        level
    }

    /// Level plus deterministic noise (same t, same value).
    pub fn value(&self, idx: usize, t: DateTime<Utc>) -> f64 {
        let Some(m) = self.scenario.metrics.get(idx) else {
            return f64::NAN;
        };
        let secs = t.timestamp();
        let x = (secs as f64 * 0.37 + idx as f64 * 1.7).sin() * 0.6
            + (secs as f64 * 0.113 + idx as f64).sin() * 0.4;
        (self.level(m, t) + x * m.noise).max(0.0)
    }

    /// Metric panels over `[now - window, now]`.
    pub fn panels(&self, window: Duration, now: DateTime<Utc>) -> Vec<Panel> {
        let step = self.scenario.dynamics.step_seconds.max(1);
        let start = now - window;
        let first = start.timestamp() - start.timestamp().rem_euclid(step);
        self.scenario
            .metrics
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let mut points = Vec::new();
                let mut t = first;
                while t <= now.timestamp() {
                    if let Some(at) = DateTime::from_timestamp(t, 0) {
                        points.push((t as f64, self.value(i, at)));
                    }
                    t += step;
                }
                if let Some(v) = Some(self.value(i, now)) {
                    points.push((now.timestamp() as f64, v));
                }
                Panel {
                    spec: PanelSpec {
                        name: m.name.clone(),
                        unit: m.unit.clone(),
                        warning: m.warning,
                        critical: m.critical,
                    },
                    points,
                    error: None,
                }
            })
            .collect()
    }

    /// Alerts firing at `now`, evaluated like Prometheus rules with `for`.
    pub fn alerts(&self, now: DateTime<Utc>) -> Vec<Alert> {
        let mut out = Vec::new();
        for a in &self.scenario.alerts {
            let starts_at = if let Some(ago) = a.always_minutes_ago {
                Some(self.state.started_at - Duration::minutes(ago))
            } else {
                self.firing_since(a, now)
            };
            let Some(starts_at) = starts_at else { continue };
            let mut labels = a.labels.clone();
            labels.insert("alertname".into(), a.name.clone());
            labels.insert("severity".into(), a.severity.clone());
            let mut annotations = a.annotations.clone();
            annotations.insert("summary".into(), a.summary.clone());
            // Like Alertmanager, each alert names the receivers it goes to.
            let detail = crate::sources::AlertDetail {
                receivers: routing().map_or_else(Vec::new, |t| t.receivers_for(&labels)),
                ..Default::default()
            };
            out.push(Alert {
                fingerprint: fingerprint(&labels),
                labels,
                annotations,
                state: AlertState::Active,
                starts_at,
                generator_url: None,
                source: "demo".into(),
                detail,
            });
        }
        self.mute(&mut out, now);
        out
    }

    /// When the alert started firing (threshold crossed + `for`), if it is.
    fn firing_since(&self, a: &ScenarioAlert, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let since = self.active_since(a, now)? + Duration::seconds(a.for_seconds);
        (since <= now).then_some(since)
    }

    /// The demo's alerting rules, evaluated like Prometheus: a rule whose
    /// threshold is crossed is pending until it held for its `for`.
    pub fn rules(&self, now: DateTime<Utc>) -> Vec<crate::sources::rules::AlertRule> {
        use crate::sources::rules::{AlertRule, RuleAlert, RuleState};
        self.scenario
            .alerts
            .iter()
            .filter_map(|a| {
                let metric = a.metric.as_ref()?;
                let above = a.above?;
                let mut labels = a.labels.clone();
                labels.insert("severity".into(), a.severity.clone());
                let rule_labels: BTreeMap<String, String> =
                    [("severity".to_string(), a.severity.clone())].into();
                let mut alert_labels = labels.clone();
                alert_labels.insert("alertname".into(), a.name.clone());
                let active = self.active_since(a, now);
                let state = match active {
                    None => RuleState::Inactive,
                    Some(t) if t + Duration::seconds(a.for_seconds) <= now => RuleState::Firing,
                    Some(_) => RuleState::Pending,
                };
                Some(AlertRule {
                    name: a.name.clone(),
                    group: "demo".into(),
                    file: "assets/demo/scenario.toml".into(),
                    interval_secs: 1.0,
                    query: format!("{} > {}", series_name(metric), above),
                    for_secs: a.for_seconds as f64,
                    labels: rule_labels,
                    annotations: BTreeMap::new(),
                    state,
                    health: "ok".into(),
                    last_error: None,
                    alerts: active
                        .map(|t| RuleAlert {
                            labels: alert_labels,
                            annotations: BTreeMap::new(),
                            state,
                            active_at: Some(t),
                            value: String::new(),
                        })
                        .into_iter()
                        .collect(),
                })
            })
            .collect()
    }

    /// What the demo's Prometheus remembers of an alert: its scenario's
    /// `history`, and the current activation if it fires.
    pub fn history(
        &self,
        alertname: &str,
        now: DateTime<Utc>,
    ) -> Option<crate::sources::history::History> {
        use crate::sources::history::{History, DAYS};
        let a = self.scenario.alerts.iter().find(|a| a.name == alertname)?;
        let current = if let Some(ago) = a.always_minutes_ago {
            Some(self.state.started_at - Duration::minutes(ago))
        } else {
            self.active_since(a, now)
        };
        let mut starts: Vec<(DateTime<Utc>, i64)> = a
            .history
            .iter()
            .map(|[days, minutes]| (now - Duration::days(*days), *minutes * 60))
            .collect();
        starts.sort();
        let previous = starts.last().map(|s| s.0);
        if let Some(c) = current {
            starts.push((c, (now - c).num_seconds()));
        }
        let within = |d: i64| {
            starts
                .iter()
                .filter(|s| now - s.0 < Duration::days(d))
                .count() as u32
        };
        let mut daily = vec![0u32; DAYS];
        for (t, _) in &starts {
            let age = (now - *t).num_days();
            if (0..DAYS as i64).contains(&age) {
                daily[DAYS - 1 - age as usize] += 1;
            }
        }
        let fired_30d = within(DAYS as i64);
        let firing: i64 = starts.iter().map(|s| s.1).sum();
        Some(History {
            fired_7d: within(7),
            fired_30d,
            last_active_at: starts.last().map(|s| s.0),
            previous_active_at: if current.is_some() {
                previous
            } else {
                starts.iter().rev().nth(1).map(|s| s.0)
            },
            firing_secs_30d: firing as f64,
            average_secs: (fired_30d > 0).then(|| firing as f64 / f64::from(fired_30d)),
            daily,
            others_30d: 0,
        })
    }

    /// One metric's panel under another name (a charted rule), by the
    /// series name its rules use.
    pub fn charted(
        &self,
        spec: &PanelSpec,
        series: &str,
        window: Duration,
        now: DateTime<Utc>,
    ) -> Option<Panel> {
        let i = self
            .scenario
            .metrics
            .iter()
            .position(|m| series_name(&m.name) == series)?;
        let mut p = self.panels(window, now).into_iter().nth(i)?;
        p.spec = PanelSpec {
            unit: p.spec.unit,
            ..spec.clone()
        };
        Some(p)
    }

    /// When the alert's threshold was crossed, if it is crossed now.
    fn active_since(&self, a: &ScenarioAlert, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let (idx, m) = self
            .scenario
            .metrics
            .iter()
            .enumerate()
            .find(|(_, m)| Some(&m.name) == a.metric.as_ref())?;
        let above = a.above?;
        if self.value(idx, now) <= above || self.level(m, now) <= above {
            return None;
        }
        // When the (noise-free) level crossed: a function of the world's
        // history only, never of when it is asked, so "firing since"
        // stays put from one poll to the next. Walk back on a fixed 5 s
        // grid, then narrow the last step down to the second.
        let step = Duration::seconds(5);
        let limit = self.state.started_at - Duration::hours(6);
        let mut lo = DateTime::from_timestamp(now.timestamp() - now.timestamp().rem_euclid(5), 0)
            .unwrap_or(now);
        while lo > limit && self.level(m, lo) > above {
            lo -= step;
        }
        let mut hi = (lo + step).min(now);
        while hi - lo > Duration::milliseconds(100) {
            let mid = lo + (hi - lo) / 2;
            if self.level(m, mid) > above {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Some(DateTime::from_timestamp(hi.timestamp(), 0).unwrap_or(hi))
    }

    /// Flags as (name, enabled, description, changed).
    pub fn flags(&self) -> Vec<(String, bool, String, Option<DateTime<Utc>>)> {
        self.scenario
            .flags
            .iter()
            .map(|f| {
                (
                    f.name.clone(),
                    self.state.flags.get(&f.name).copied().unwrap_or(f.enabled),
                    f.description.clone(),
                    self.state.flags_changed.get(&f.name).copied(),
                )
            })
            .collect()
    }
}

/// Where the demo world is persisted.
pub fn world_path(data_dir: &Path) -> PathBuf {
    data_dir.join("demo-world.json")
}

/// Load the persisted world, or start a new one.
pub fn load_or_new(scenario: Scenario, data_dir: &Path, fresh: bool, now: DateTime<Utc>) -> World {
    if !fresh {
        if let Ok(src) = std::fs::read_to_string(world_path(data_dir)) {
            match serde_json::from_str::<WorldState>(&src) {
                Ok(state) => return World { scenario, state },
                Err(e) => {
                    let why =
                        crate::depth::json_too_deep(&e).map_or(e.to_string(), |d| d.to_string());
                    tracing::warn!(
                        "demo world state {} unreadable, starting fresh: {why}",
                        world_path(data_dir).display()
                    )
                }
            }
        }
    }
    World::new(scenario, now)
}

/// Another process (a headless `firebreak flag off` in the demo, a second
/// cockpit) saved the world since `seen` (the file's modification time
/// when this one last read or wrote it): take its state, so the demo
/// world is one world, as a real flag service would be. Returns the
/// file's time now.
pub fn reload_if_changed(
    world: &mut World,
    data_dir: &Path,
    seen: Option<std::time::SystemTime>,
) -> Option<std::time::SystemTime> {
    let path = world_path(data_dir);
    let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
    if modified.is_some() && modified != seen {
        if let Some(state) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|src| serde_json::from_str::<WorldState>(&src).ok())
        {
            world.state = state;
        }
    }
    modified.or(seen)
}

/// The modification time of the saved world, if there is one.
pub fn saved_at(data_dir: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(world_path(data_dir))
        .and_then(|m| m.modified())
        .ok()
}

/// Persist atomically (temp file + rename).
pub fn save(world: &World, data_dir: &Path) -> anyhow::Result<()> {
    let path = world_path(data_dir);
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&world.state)?)?;
    std::fs::rename(&tmp, &path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-27T14:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn world() -> World {
        World::new(Scenario::builtin().unwrap(), t0())
    }

    fn names(alerts: &[Alert]) -> Vec<String> {
        let mut v: Vec<String> = alerts.iter().map(|a| a.name().to_string()).collect();
        v.sort();
        v
    }

    #[test]
    fn the_demo_alerts_are_routed_by_its_routing_tree() {
        let w = world();
        let alerts = w.alerts(t0());
        let to = |name: &str| {
            alerts
                .iter()
                .find(|a| a.name() == name)
                .map(|a| a.detail.receivers.clone())
                .unwrap_or_default()
        };
        // The critical one pages the team and the SRE; the warning tells
        // the team's channel; search's disk waits for office hours.
        assert_eq!(to("HighErrorRate"), ["payments-pagerduty", "sre-oncall"]);
        assert_eq!(to("LatencyHigh"), ["payments-slack", "sre-oncall"]);
        assert_eq!(to("DiskSpaceLow"), ["search-tickets"]);
    }

    #[test]
    fn the_deploy_causes_errors_and_alerts() {
        let w = world();
        let err = &w.scenario.metrics[0];
        assert!(
            w.level(err, t0() - Duration::minutes(7)) < 1.0,
            "before deploy: baseline"
        );
        assert!(w.level(err, t0()) > 10.0, "six minutes after deploy: high");
        assert_eq!(
            names(&w.alerts(t0())),
            ["DiskSpaceLow", "HighErrorRate", "LatencyHigh"]
        );
    }

    #[test]
    fn turning_the_guilty_flag_off_recovers_and_resolves() {
        let mut w = world();
        let t = t0() + Duration::seconds(30);
        w.set_flag("new-checkout-flow", false, t).unwrap();
        let err = w.scenario.metrics[0].clone();
        assert!(w.level(&err, t + Duration::seconds(5)) > 5.0, "not instant");
        assert!(w.level(&err, t + Duration::minutes(3)) < 1.0, "recovered");
        assert_eq!(names(&w.alerts(t + Duration::minutes(3))), ["DiskSpaceLow"]);
        // Turning it back on brings the fault back.
        let t2 = t + Duration::minutes(4);
        w.set_flag("new-checkout-flow", true, t2).unwrap();
        assert!(w.level(&err, t2 + Duration::minutes(4)) > 10.0);
    }

    #[test]
    fn an_unrelated_flag_changes_nothing() {
        let mut w = world();
        w.set_flag("recommendations-v2", false, t0()).unwrap();
        let err = w.scenario.metrics[0].clone();
        assert!(w.level(&err, t0() + Duration::minutes(5)) > 10.0);
        assert!(w.set_flag("nope", false, t0()).is_err());
    }

    #[test]
    fn rollback_takes_effect_after_its_duration_and_is_idempotent() {
        let mut w = world();
        let msg = w.rollback(t0());
        assert!(msg.contains("v2.13.2"));
        assert!(w.rollback(t0() + Duration::seconds(1)).contains("already"));
        assert_eq!(w.version_at(t0()), "v2.14.0");
        assert_eq!(w.version_at(t0() + Duration::seconds(9)), "v2.13.2");
        w.advance(t0() + Duration::seconds(20));
        let err = w.scenario.metrics[0].clone();
        assert!(w.level(&err, t0() + Duration::minutes(4)) < 1.0);
        assert_eq!(
            names(&w.alerts(t0() + Duration::minutes(4))),
            ["DiskSpaceLow"]
        );
    }

    #[test]
    fn firing_since_does_not_move_between_polls() {
        let w = world();
        let since = |t: DateTime<Utc>| -> Vec<(String, DateTime<Utc>)> {
            w.alerts(t)
                .into_iter()
                .map(|a| (a.name().to_string(), a.starts_at))
                .collect()
        };
        let first = since(t0());
        assert_eq!(first.len(), 3);
        // Polls every second or two, for a few minutes: always the same.
        for s in (1..240).step_by(3) {
            let t = t0() + Duration::milliseconds(s * 1000 + 337 * (s % 3));
            assert_eq!(since(t), first, "{s}s later");
        }
    }

    #[test]
    fn silences_mute_the_alerts_they_match_until_they_expire() {
        use crate::sources::silence::{NewSilence, SilenceMatcher, SilenceState};
        use crate::sources::AlertState;
        let dir = tempfile::tempdir().unwrap();
        let mut w = world();
        let new = NewSilence {
            matchers: vec![SilenceMatcher {
                name: "alertname".into(),
                value: "HighErrorRate".into(),
                is_regex: false,
                is_equal: true,
            }],
            starts_at: t0(),
            ends_at: t0() + Duration::minutes(15),
            created_by: "alice".into(),
            comment: "ACK by alice via firebreak".into(),
        };
        let id = w.create_silence(&new, t0());
        let muted = |w: &World, t: DateTime<Utc>| -> Vec<String> {
            w.alerts(t)
                .into_iter()
                .filter(|a| a.state == AlertState::Suppressed)
                .map(|a| {
                    assert_eq!(a.detail.silenced_by, vec![id.clone()]);
                    a.name().to_string()
                })
                .collect()
        };
        assert_eq!(muted(&w, t0() + Duration::seconds(1)), ["HighErrorRate"]);
        assert_eq!(w.silences(t0())[0].state, SilenceState::Active);
        // Kept with the world, like Alertmanager's.
        save(&w, dir.path()).unwrap();
        let mut w = load_or_new(Scenario::builtin().unwrap(), dir.path(), false, t0());
        assert_eq!(muted(&w, t0() + Duration::seconds(2)), ["HighErrorRate"]);
        // Expired: it fires again; an unknown id is an error.
        w.expire_silence(&id, t0() + Duration::minutes(1)).unwrap();
        assert!(muted(&w, t0() + Duration::minutes(2)).is_empty());
        assert_eq!(
            w.silences(t0() + Duration::minutes(2))[0].state,
            SilenceState::Expired
        );
        assert!(w.expire_silence("nope", t0()).is_err());
        // An ack runs out by itself.
        let id2 = w.create_silence(&new, t0() + Duration::minutes(3));
        assert_ne!(id2, id);
        assert!(muted(&w, t0() + Duration::minutes(20)).is_empty());
    }

    #[test]
    fn the_read_only_and_maintenance_flags_are_service_modes() {
        let modes = Scenario::builtin().unwrap().service_modes();
        let ro = modes.read_only.unwrap();
        assert_eq!(
            (ro.provider.as_str(), ro.flag.as_str()),
            ("demo", "checkout-read-only")
        );
        assert_eq!(modes.maintenance.unwrap().flag, "maintenance-page");
        let bad = SCENARIO.replace(
            "service_mode = \"maintenance\"",
            "service_mode = \"offline\"",
        );
        assert!(Scenario::parse(Path::new("s.toml"), &bad).is_err());
    }

    #[test]
    fn world_state_survives_a_save_and_load() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = world();
        w.set_flag("new-checkout-flow", false, t0()).unwrap();
        save(&w, dir.path()).unwrap();
        let back = load_or_new(Scenario::builtin().unwrap(), dir.path(), false, t0());
        assert_eq!(back.state, w.state);
        let fresh = load_or_new(Scenario::builtin().unwrap(), dir.path(), true, t0());
        assert_ne!(fresh.state, w.state);
    }
}
