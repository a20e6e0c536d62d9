//! Configuration: the main file (`config.toml`), keymap and themes.
//! Built-in defaults are compiled in; user files are laid over them.

pub mod flags;
pub mod keymap;
pub mod sources;
pub mod team;
pub mod theme;
pub mod updates;

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::incident::Severity;
use crate::error::FileError;

/// The main configuration file. Unknown keys are errors.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Your name on the timeline (default: $USER).
    #[serde(default)]
    pub responder: Option<String>,
    /// Theme name: a file in the user themes dir, or dark, light,
    /// high-contrast.
    #[serde(default = "default_theme")]
    pub theme: String,
    /// Where journals and logs go (default: $XDG_STATE_HOME/firebreak).
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    /// Keymap overlay file (default: keymap.toml next to this file).
    #[serde(default)]
    pub keymap: Option<PathBuf>,
    /// Where TUI exports are written (default: <data_dir>/exports).
    #[serde(default)]
    pub export_dir: Option<PathBuf>,
    /// Run the built-in demo incident instead of real sources.
    #[serde(default)]
    pub demo: bool,
    /// Seconds between polls of each source.
    #[serde(default = "default_poll")]
    pub poll_interval_secs: u64,
    /// Timeout for any one remote call, in seconds.
    #[serde(default = "default_timeout")]
    pub request_timeout_secs: u64,
    #[serde(default)]
    pub incident: IncidentConfig,
    /// Quick hypotheses: time boxes and the quick-phase budget.
    #[serde(default)]
    pub hypotheses: HypothesesConfig,
    /// Feature-flag providers (`[[flags]]`).
    #[serde(default)]
    pub flags: Vec<flags::FlagProviderConfig>,
    /// Read-only / maintenance mode bound to flags.
    #[serde(default)]
    pub service_modes: flags::ServiceModes,
    /// Where alerts come from (`[alertmanager]`, see config/sources.rs).
    #[serde(default)]
    pub alertmanager: Option<sources::AlertmanagerConfig>,
    /// Where metrics come from, and the panels to draw (`[prometheus]`).
    #[serde(default)]
    pub prometheus: Option<sources::PrometheusConfig>,
    /// Extra playbook directories (relative to this file). The
    /// `playbooks/` directory next to the config is always read.
    #[serde(default)]
    pub playbook_dirs: Vec<PathBuf>,
    /// Directories of Markdown runbooks (subdirectories too; relative to
    /// this file, `~/` is your home): each runbook is a playbook, and an
    /// alert whose `runbook_url` points at one opens it.
    #[serde(default)]
    pub runbooks: Vec<PathBuf>,
    /// The team database incidents are shared through (`[team]`).
    #[serde(default)]
    pub team: Option<team::TeamConfig>,
    /// Status updates: cadence per severity and chat webhooks
    /// (`[status_updates]`, see config/updates.rs).
    #[serde(default)]
    pub status_updates: updates::StatusUpdatesConfig,
    /// Evidence on mitigations: when the after-reading is taken
    /// (`[evidence]`).
    #[serde(default)]
    pub evidence: EvidenceConfig,
}

/// `[evidence]`: how long after a flag flip, a rollback or a mitigation
/// command the metric panels are read again.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct EvidenceConfig {
    /// Minutes (default 5; the demo's 2). A playbook check that passes
    /// sooner takes the reading then.
    #[serde(default)]
    pub settle_minutes: Option<f64>,
}

impl EvidenceConfig {
    pub fn settle(&self, demo: bool) -> chrono::Duration {
        match self.settle_minutes {
            Some(m) => chrono::Duration::milliseconds((m * 60_000.0) as i64),
            None if demo => crate::domain::evidence::DEMO_SETTLE,
            None => crate::domain::evidence::DEFAULT_SETTLE,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IncidentConfig {
    /// Severity of a newly declared incident.
    #[serde(default = "default_severity")]
    pub default_severity: Severity,
}

/// `[hypotheses]`: how long intuition gets before the systematic path.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HypothesesConfig {
    /// Default time box of one quick hypothesis, in minutes.
    #[serde(default = "default_box")]
    pub default_box_minutes: f64,
    /// At most this many quick hypotheses before the systematic path.
    #[serde(default = "default_max_quick")]
    pub max_quick: u32,
    /// Total time for the quick phase, in minutes.
    #[serde(default = "default_budget")]
    pub quick_budget_minutes: f64,
    /// How much one (exceptional) extension adds, in minutes.
    #[serde(default = "default_extension")]
    pub extension_minutes: f64,
}

fn default_box() -> f64 {
    10.0
}
fn default_max_quick() -> u32 {
    2
}
fn default_budget() -> f64 {
    20.0
}
fn default_extension() -> f64 {
    5.0
}

impl Default for HypothesesConfig {
    fn default() -> Self {
        HypothesesConfig {
            default_box_minutes: default_box(),
            max_quick: default_max_quick(),
            quick_budget_minutes: default_budget(),
            extension_minutes: default_extension(),
        }
    }
}

impl HypothesesConfig {
    /// The rules, or the demo's short boxes when this is the default and
    /// the demo runs.
    pub fn timebox(&self, demo: bool) -> crate::domain::hypotheses::Timebox {
        if demo && *self == HypothesesConfig::default() {
            return crate::domain::hypotheses::Timebox::demo();
        }
        let mins = |m: f64| chrono::Duration::milliseconds((m * 60_000.0) as i64);
        crate::domain::hypotheses::Timebox {
            default_box: mins(self.default_box_minutes),
            max_quick: self.max_quick,
            budget: mins(self.quick_budget_minutes),
            extension: mins(self.extension_minutes),
        }
    }
}

impl Default for IncidentConfig {
    fn default() -> Self {
        IncidentConfig {
            default_severity: default_severity(),
        }
    }
}

fn default_theme() -> String {
    "dark".into()
}
fn default_poll() -> u64 {
    5
}
fn default_timeout() -> u64 {
    5
}
fn default_severity() -> Severity {
    Severity::Sev3
}

impl Default for Config {
    fn default() -> Self {
        Config {
            responder: None,
            theme: default_theme(),
            data_dir: None,
            keymap: None,
            export_dir: None,
            demo: true,
            poll_interval_secs: 2,
            request_timeout_secs: default_timeout(),
            incident: IncidentConfig::default(),
            hypotheses: HypothesesConfig::default(),
            flags: Vec::new(),
            service_modes: flags::ServiceModes::default(),
            alertmanager: None,
            prometheus: None,
            team: None,
            playbook_dirs: Vec::new(),
            runbooks: Vec::new(),
            status_updates: updates::StatusUpdatesConfig::default(),
            evidence: EvidenceConfig::default(),
        }
    }
}

impl Config {
    pub fn parse(file: &Path, src: &str) -> Result<Config, FileError> {
        let c: Config = crate::error::parse_toml(file, src)?;
        if c.poll_interval_secs == 0 {
            return Err(FileError::new(
                file,
                line_of_key(src, "poll_interval_secs"),
                Some("poll_interval_secs"),
                "must be at least 1",
            ));
        }
        let h = &c.hypotheses;
        for (field, v) in [
            ("default_box_minutes", h.default_box_minutes),
            ("quick_budget_minutes", h.quick_budget_minutes),
            ("extension_minutes", h.extension_minutes),
        ] {
            if !(v > 0.0 && v < 24.0 * 60.0) {
                return Err(FileError::new(
                    file,
                    line_of_key(src, field),
                    Some(&format!("hypotheses.{field}")),
                    "must be a number of minutes above 0 (and under a day)",
                ));
            }
        }
        if h.max_quick == 0 {
            return Err(FileError::new(
                file,
                line_of_key(src, "max_quick"),
                Some("hypotheses.max_quick"),
                "must be at least 1",
            ));
        }
        if c.request_timeout_secs == 0 {
            return Err(FileError::new(
                file,
                line_of_key(src, "request_timeout_secs"),
                Some("request_timeout_secs"),
                "must be at least 1",
            ));
        }
        flags::validate(&c.flags, &c.service_modes, file, src)?;
        sources::validate(file, src, c.alertmanager.as_ref(), c.prometheus.as_ref())?;
        if let Some(Err((field, message))) = c.team.as_ref().map(team::TeamConfig::check) {
            return Err(FileError::new(
                file,
                line_of_key(src, field),
                Some(&format!("team.{field}")),
                message,
            ));
        }
        if let Err((field, message)) = c.status_updates.check() {
            return Err(FileError::new(
                file,
                line_of_key(src, field),
                Some(&format!("status_updates.{field}")),
                message,
            ));
        }
        if let Some(m) = c.evidence.settle_minutes {
            if !(m > 0.0 && m <= 24.0 * 60.0) {
                return Err(FileError::new(
                    file,
                    line_of_key(src, "settle_minutes"),
                    Some("evidence.settle_minutes"),
                    "must be a number of minutes above 0 (and at most a day)",
                ));
            }
        }
        Ok(c)
    }
}

fn line_of_key(src: &str, key: &str) -> Option<usize> {
    src.lines()
        .position(|l| l.trim_start().starts_with(key))
        .map(|i| i + 1)
}

/// Standard places (XDG).
#[derive(Debug, Clone)]
pub struct Dirs {
    pub config_dir: PathBuf,
    pub state_dir: PathBuf,
}

impl Dirs {
    pub fn discover() -> Dirs {
        match directories::ProjectDirs::from("", "", "firebreak") {
            Some(p) => Dirs {
                config_dir: p.config_dir().to_path_buf(),
                state_dir: p
                    .state_dir()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| p.data_local_dir().to_path_buf()),
            },
            None => Dirs {
                config_dir: PathBuf::from(".firebreak"),
                state_dir: PathBuf::from(".firebreak/state"),
            },
        }
    }
}

/// Where the config came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    /// None: no file, built-in demo defaults.
    pub path: Option<PathBuf>,
}

/// Find and read the config: `explicit` (from --config or
/// FIREBREAK_CONFIG) must exist; the XDG default may be absent (demo).
pub fn load(explicit: Option<&Path>, dirs: &Dirs) -> Result<Loaded, FileError> {
    let (path, required) = match explicit {
        Some(p) => (p.to_path_buf(), true),
        None => (dirs.config_dir.join("config.toml"), false),
    };
    match std::fs::read_to_string(&path) {
        Ok(src) => Ok(Loaded {
            config: Config::parse(&path, &src)?,
            path: Some(path),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Ok(Loaded {
            config: Config::default(),
            path: None,
        }),
        Err(e) => Err(FileError::new(
            &path,
            None,
            None,
            format!("cannot read: {e}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_parses() {
        let src = include_str!("../../assets/config.example.toml");
        Config::parse(Path::new("example"), src).unwrap();
    }

    #[test]
    fn zero_interval_is_rejected_with_line() {
        let e = Config::parse(
            Path::new("c.toml"),
            "theme = \"dark\"\npoll_interval_secs = 0\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2));
        assert_eq!(e.field.as_deref(), Some("poll_interval_secs"));
    }

    #[test]
    fn wrong_type_names_field() {
        let e = Config::parse(
            Path::new("c.toml"),
            "[incident]\ndefault_severity = \"sev9\"\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(
            e.message.contains("sev9") || e.message.contains("variant"),
            "{e}"
        );
    }
}
