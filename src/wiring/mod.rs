//! Building the world from the configuration: the one place that turns
//! config sections into alert and metric sources, flag providers, release
//! control, the journal and the demo, for the TUI and every headless
//! command alike.

pub mod flags;
pub mod previous;
pub mod sources;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::flags::ProviderKind;
use crate::config::{Config, Dirs, Loaded};
use crate::demo::systems::{system_clock, Demo};
use crate::demo::Scenario;
use crate::flags::FlagProvider;
use crate::sources::{AlertPrefs, AlertSource, MetricSource, ReleaseControl};
use crate::timeline::journal::{self, Follower, Holder, IncidentSummary, Journal, Replay};

/// Where and how firebreak runs: the config and the places it points at,
/// resolved once from the command line, the config file and XDG.
pub struct Setup<'a> {
    pub config: &'a Config,
    /// The config file read; None: none, the built-in demo defaults.
    pub config_path: Option<&'a Path>,
    /// Relative paths in the config are relative to this.
    pub config_dir: PathBuf,
    /// Journals, logs, exports and the demo world.
    pub data_dir: PathBuf,
    /// The built-in demo instead of real systems (--demo, `demo = true`,
    /// or no config file).
    pub demo_mode: bool,
}

impl<'a> Setup<'a> {
    /// `data_dir` and `demo` come from the command line.
    pub fn new(loaded: &'a Loaded, data_dir: Option<PathBuf>, demo: bool, dirs: &Dirs) -> Self {
        let config = &loaded.config;
        Setup {
            config,
            config_path: loaded.path.as_deref(),
            config_dir: loaded
                .path
                .as_deref()
                .and_then(Path::parent)
                .map(Path::to_path_buf)
                .unwrap_or_else(|| dirs.config_dir.clone()),
            data_dir: data_dir
                .or_else(|| config.data_dir.clone())
                .unwrap_or_else(|| dirs.state_dir.clone()),
            demo_mode: demo || loaded.path.is_none() || config.demo,
        }
    }

    /// The keymap overlay: `keymap` in the config, else `keymap.toml`
    /// next to it.
    pub fn keymap_path(&self) -> PathBuf {
        self.config
            .keymap
            .clone()
            .unwrap_or_else(|| self.config_dir.join("keymap.toml"))
    }

    /// The user's themes.
    pub fn themes_dir(&self) -> PathBuf {
        self.config_dir.join("themes")
    }

    /// The playbook directories: `<config dir>/playbooks` and the config's
    /// `playbook_dirs` (relative to the config dir).
    pub fn playbook_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = vec![self.config_dir.join("playbooks")];
        dirs.extend(self.config.playbook_dirs.iter().map(|d| self.dir(d)));
        dirs
    }

    /// The runbook directories (`runbooks`, relative to the config dir;
    /// `~/` is the home directory).
    pub fn runbook_dirs(&self) -> Vec<PathBuf> {
        self.config.runbooks.iter().map(|d| self.dir(d)).collect()
    }

    fn dir(&self, d: &Path) -> PathBuf {
        match (d.strip_prefix("~"), std::env::var_os("HOME")) {
            (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
            _ if d.is_absolute() => d.to_path_buf(),
            _ => self.config_dir.join(d),
        }
    }

    /// Where the cockpit writes exports: `export_dir`, else
    /// `<data dir>/exports`.
    pub fn export_dir(&self) -> PathBuf {
        self.config
            .export_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("exports"))
    }

    /// Deadline of one remote call (`request_timeout_secs`).
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.config.request_timeout_secs.max(1))
    }
}

/// Create `dir` (0700) or explain why not.
pub fn ensure_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| anyhow::anyhow!("cannot create the data directory: {e}: {}", dir.display()))
}

/// The demo world, persisted in `data_dir` like a real service's state:
/// the saved one, or (`fresh`, or none saved) a new one. The second value
/// says why it could not be saved, if it could not (it still runs).
pub fn demo(
    data_dir: &Path,
    fresh: bool,
    now: DateTime<Utc>,
) -> anyhow::Result<(Demo, Option<String>)> {
    ensure_dir(data_dir)?;
    let world = crate::demo::load_or_new(Scenario::builtin()?, data_dir, fresh, now);
    let unsaved = crate::demo::save(&world, data_dir)
        .err()
        .map(|e| format!("demo world not saved: {e}"));
    let d = Demo::new(world, Some(data_dir.to_path_buf()), system_clock());
    Ok((d, unsaved))
}

/// The open incident of this mode, its journal open for appending.
pub struct Resumed {
    pub summary: IncidentSummary,
    pub journal: Journal,
    pub replay: Replay,
    /// What happened on opening (a repaired journal), to show.
    pub notices: Vec<String>,
}

/// Open the most recently active open incident of this mode (a demo never
/// resumes a real incident, nor the other way round), to append to it
/// (headless writers: each append goes through the journal's append lock,
/// so it lands on the timeline of a cockpit that has it open). A torn last
/// line (a crash) is set aside, and that repair recorded in the journal.
pub fn resume(setup: &Setup<'_>, now: DateTime<Utc>) -> anyhow::Result<Option<Resumed>> {
    let Some(path) = open_journal(setup)? else {
        return Ok(None);
    };
    let (journal, replay) = Journal::open(&path)?;
    let summary = summary_of(&path, &replay)?;
    Ok(Some(repaired(summary, journal, replay, now)))
}

/// The most recently active open incident of this mode.
pub fn open_incident(setup: &Setup<'_>) -> anyhow::Result<Option<IncidentSummary>> {
    match open_journal(setup)? {
        Some(path) => Ok(Some(summary_of(&path, &journal::read(&path)?)?)),
        None => Ok(None),
    }
}

/// The journal of the most recently active open incident of this mode,
/// chosen with a glance at each journal ([`journal::glance`]), not a
/// full read of every one.
fn open_journal(setup: &Setup<'_>) -> anyhow::Result<Option<std::path::PathBuf>> {
    // Not one this responder left (others may still be working it).
    let me = responder_or_unnamed(setup.config);
    Ok(journal::glance::glance_all(&setup.data_dir)?
        .into_iter()
        .find(|g| g.open && g.demo == setup.demo_mode && !g.left.contains(&me))
        .map(|g| g.path))
}

fn summary_of(path: &std::path::Path, replay: &Replay) -> anyhow::Result<IncidentSummary> {
    IncidentSummary::of(path, replay).ok_or_else(|| {
        anyhow::anyhow!(
            "{}: does not start with an incident declaration",
            path.display()
        )
    })
}

fn repaired(
    summary: IncidentSummary,
    mut journal: Journal,
    mut replay: Replay,
    now: DateTime<Utc>,
) -> Resumed {
    let mut notices = Vec::new();
    if let Some(aside) = &replay.set_aside {
        let text = format!(
            "journal repaired on start: a torn last line (crash?) was set aside in {}",
            aside.display()
        );
        notices.push(text.clone());
        // The repair is evidence too: record it in the journal itself.
        match journal.append(
            now,
            crate::domain::SYSTEM_ACTOR,
            crate::domain::Event::Note { text, at: None },
        ) {
            Ok(entry) => {
                replay.entries.extend(journal.take_foreign());
                replay.entries.push(entry);
            }
            Err(e) => notices.push(format!("could not record the repair: {e}")),
        }
    }
    Resumed {
        summary,
        journal,
        replay,
        notices,
    }
}

/// How the cockpit has the open incident.
pub enum Access {
    /// It writes it: the journal, with its writer lock held.
    Writer(Resumed),
    /// Another cockpit writes it: follow it read-only.
    Follower {
        summary: IncidentSummary,
        follower: Follower,
        replay: Replay,
        /// Who writes it, if their lock file says.
        holder: Option<Holder>,
    },
}

/// Tries at the writer lock before following: a follower that just let go
/// of it after looking ([`journal::lock::holder`]) must not make a
/// starting cockpit a follower.
const CLAIM_TRIES: u32 = 3;

/// Open the open incident of this mode for the cockpit: as its one writer
/// when nobody else writes it, else read-only, following the writer.
pub fn resume_cockpit(
    setup: &Setup<'_>,
    me: &Holder,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Access>> {
    let Some(path) = open_journal(setup)? else {
        return Ok(None);
    };
    let mut held = None;
    for attempt in 0..CLAIM_TRIES {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(50));
        }
        let (mut journal, replay) = Journal::open(&path)?;
        match journal.hold(me)? {
            None => {
                let summary = summary_of(&path, &replay)?;
                return Ok(Some(Access::Writer(repaired(
                    summary, journal, replay, now,
                ))));
            }
            Some(h) => held = Some(h),
        }
    }
    let (follower, replay) = Follower::open(&path)?;
    let summary = summary_of(&path, &replay)?;
    Ok(Some(Access::Follower {
        summary,
        follower,
        replay,
        holder: held.flatten(),
    }))
}

/// The team database's connection settings from `[team]` (the password
/// read now, from where the config points).
pub fn team_settings(
    cfg: &crate::config::team::TeamConfig,
) -> Result<crate::team::db::Settings, crate::team::db::TeamError> {
    use crate::team::db::{Settings, TeamError};
    let password = cfg
        .password()
        .map(|r| r.resolve("[team] password"))
        .transpose()
        .map_err(TeamError::Config)?;
    Ok(Settings {
        url: cfg.url.clone(),
        password,
        sslmode: cfg.sslmode,
        ca_file: cfg.ca_file.clone(),
        timeout: Duration::from_secs(cfg.connect_timeout_secs.max(1)),
    })
}

/// The team part of an export: the journal merged with what was received
/// from the team database (its mirror), if the incident was shared.
pub fn shared_part(
    journal: &Path,
    id: &str,
) -> Result<Option<crate::timeline::export::Shared>, String> {
    use crate::timeline::export::{FeedSummary, Shared};
    Ok(crate::team::sync::merged(journal, id)?.map(|m| Shared {
        entries: m.entries,
        feeds: m
            .feeds
            .into_iter()
            .map(|f| FeedSummary {
                responder: f.responder,
                author: f.author,
                entries: f.entries,
                rejected: f.rejected,
            })
            .collect(),
    }))
}

/// The responder's signing key for the team database:
/// `<config dir>/team.key`, made on first use.
pub fn team_identity(setup: &Setup<'_>) -> Result<crate::team::keys::Identity, String> {
    crate::team::keys::Identity::load_or_create(&setup.config_dir.join("team.key")).map(|(i, _)| i)
}

/// Who this process is, for the writer lock: the responder, this host and
/// pid.
pub fn holder(setup: &Setup<'_>, now: DateTime<Utc>) -> Holder {
    Holder {
        responder: responder_or_unnamed(setup.config),
        host: hostname(),
        pid: std::process::id(),
        since: now,
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown host".into())
}

/// What to build.
#[derive(Debug, Clone, Copy)]
pub struct Want {
    /// Start the demo scenario over instead of loading the saved world.
    pub fresh_demo: bool,
    /// The configured Alertmanager and Prometheus, to poll (the cockpit;
    /// headless commands build their own clients with [`sources`]).
    pub polled_sources: bool,
}

/// The systems firebreak watches and acts on.
pub struct World {
    pub alert_sources: Vec<Arc<dyn AlertSource>>,
    pub metric_sources: Vec<Arc<dyn MetricSource>>,
    /// The demo's first, then the configured `[[flags]]`.
    pub flag_providers: Vec<Arc<dyn FlagProvider>>,
    pub release: Option<Arc<dyn ReleaseControl>>,
    /// From `[alertmanager]`: ack and silence durations, grouping.
    pub alert_prefs: AlertPrefs,
    /// Deadline of one remote call, as the clients have it.
    pub request_timeout: Duration,
    /// Deadline of polls and effects: a little longer than the clients'
    /// own, so that their clearer errors (naming the URL) win.
    pub timeout: Duration,
    /// What could not be built, and why; the rest runs.
    pub notices: Vec<String>,
}

impl World {
    /// Build what `setup` asks for: in demo mode the demo world (alerts,
    /// metrics, flags, release control), then the configured flag
    /// providers, then (`want.polled_sources`, real mode) Alertmanager and
    /// Prometheus.
    pub fn build(setup: &Setup<'_>, want: Want, now: DateTime<Utc>) -> anyhow::Result<World> {
        let cfg = setup.config;
        let request_timeout = setup.request_timeout();
        let mut w = World {
            alert_sources: Vec::new(),
            metric_sources: Vec::new(),
            flag_providers: Vec::new(),
            release: None,
            alert_prefs: AlertPrefs::default(),
            request_timeout,
            timeout: request_timeout,
            notices: Vec::new(),
        };
        if setup.demo_mode {
            let (d, unsaved) = demo(&setup.data_dir, want.fresh_demo, now)?;
            w.notices.extend(unsaved);
            // The demo silences like an Alertmanager: ack and silence work
            // on its alerts, with Alertmanager's default lengths.
            w.alert_prefs.silence_source = Some(AlertSource::name(&d).to_string());
            w.alert_sources.push(Arc::new(d.clone()));
            w.metric_sources.push(Arc::new(d.clone()));
            w.flag_providers.push(Arc::new(d.clone()));
            w.release = Some(Arc::new(d));
        }
        // Configured flag providers ([[flags]]); the demo one is already in.
        let ctx = flags::Context {
            config_dir: &setup.config_dir,
            timeout: request_timeout,
            env_override: None,
            demo: None,
        };
        let configs: Vec<_> = cfg
            .flags
            .iter()
            .filter(|c| !(setup.demo_mode && c.kind == ProviderKind::Demo))
            .cloned()
            .collect();
        let (providers, errors) = flags::providers(&configs, &ctx);
        if !providers.is_empty() {
            // Flips and polls wait a little longer than the providers' own
            // deadlines (a read is a flag plus its last change).
            w.timeout = w.timeout.max(request_timeout + Duration::from_secs(2));
        }
        w.flag_providers.extend(providers);
        w.notices.extend(errors);
        if !want.polled_sources {
            return Ok(w);
        }
        // Real alert and metric sources ([alertmanager], [prometheus]).
        if setup.demo_mode {
            if cfg.alertmanager.is_some() || cfg.prometheus.is_some() {
                w.notices.push(
                    "Demo mode: [alertmanager] and [prometheus] are not used (set demo = false)"
                        .into(),
                );
            }
        } else {
            let polled = sources::polled(cfg);
            w.alert_sources.extend(polled.alerts);
            w.metric_sources.extend(polled.metrics);
            w.alert_prefs = polled.prefs;
            w.timeout = w.timeout.max(polled.max_timeout + Duration::from_secs(1));
            w.notices.extend(polled.notices);
        }
        Ok(w)
    }
}

/// The name entries are signed with when neither the config nor `$USER`
/// gives one.
pub const UNNAMED_RESPONDER: &str = "responder";

/// Who is acting: the config's `responder`, else `$USER`. A blank value
/// (empty or whitespace) counts as none. None: nobody said.
pub fn responder(cfg: &Config) -> Option<String> {
    pick_responder(
        cfg.responder.as_deref(),
        std::env::var("USER").ok().as_deref(),
    )
}

/// [`responder`], or [`UNNAMED_RESPONDER`].
pub fn responder_or_unnamed(cfg: &Config) -> String {
    responder(cfg).unwrap_or_else(|| UNNAMED_RESPONDER.into())
}

fn pick_responder(configured: Option<&str>, user: Option<&str>) -> Option<String> {
    let named = |s: &&str| !s.trim().is_empty();
    configured
        .filter(named)
        .or(user.filter(named))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_wins_then_user_and_blanks_count_as_none() {
        assert_eq!(
            pick_responder(Some("alice"), Some("bob")).as_deref(),
            Some("alice")
        );
        assert_eq!(pick_responder(None, Some("bob")).as_deref(), Some("bob"));
        assert_eq!(pick_responder(None, Some("")), None);
        assert_eq!(pick_responder(None, Some("  \t")), None);
        assert_eq!(pick_responder(None, None), None);
        assert_eq!(
            pick_responder(Some(" "), Some("bob")).as_deref(),
            Some("bob")
        );
    }
}
