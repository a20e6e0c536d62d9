//! The playbook format: what a TOML file says ([`PlaybookFile`], parsed
//! with unknown keys as errors) and the validated form the rest of
//! firebreak uses ([`Playbook`]). Validation lives in
//! [`super::loader`].
//!
//! Why one file of this length: the playbook format: every TOML type with its serde attributes, to be read next to the README's format section.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::sources::matcher::Matcher;

// ---------------------------------------------------------------------
// The file as written.
// ---------------------------------------------------------------------

/// A playbook file, exactly as written. Every table denies unknown keys.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaybookFile {
    pub name: Spanned<String>,
    #[serde(default)]
    pub title: Option<String>,
    pub description: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Alertmanager matcher lists; the playbook applies to an alert when
    /// any one list matches all of the alert's labels.
    #[serde(default)]
    pub applies_to: Vec<Spanned<String>>,
    /// Environment the steps act on (templated), e.g. `"{{env}}"`.
    #[serde(default)]
    pub environment: Option<Spanned<String>>,
    #[serde(default)]
    pub inputs: Vec<Spanned<InputFile>>,
    pub steps: Vec<Spanned<StepFile>>,
}

/// One `[[inputs]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputFile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, rename = "type")]
    pub ty: InputType,
    #[serde(default)]
    pub default: Option<Scalar>,
    /// Used instead of `default` in the built-in demo incident.
    #[serde(default)]
    pub demo_default: Option<Scalar>,
    /// Take the value from this label of the alert the run is for.
    #[serde(default)]
    pub from_label: Option<String>,
    #[serde(default)]
    pub choices: Vec<String>,
    /// A regular expression the whole value must match.
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub required: Option<bool>,
}

/// A TOML scalar used as an input value.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Str(String),
    Int(i64),
    Bool(bool),
    Float(f64),
}

impl Scalar {
    pub fn as_text(&self) -> String {
        match self {
            Scalar::Str(s) => s.clone(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Float(f) => f.to_string(),
        }
    }
}

/// One string or a list of strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

/// The kinds of step, as named in files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KindName {
    Check,
    Command,
    Flag,
    Query,
    Wait,
    Link,
    #[default]
    Note,
    Release,
}

impl KindName {
    pub fn as_str(self) -> &'static str {
        match self {
            KindName::Check => "check",
            KindName::Command => "command",
            KindName::Flag => "flag",
            KindName::Query => "query",
            KindName::Wait => "wait",
            KindName::Link => "link",
            KindName::Note => "note",
            KindName::Release => "release",
        }
    }

    /// Fields a step of this kind may carry besides the common ones.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            KindName::Check | KindName::Note => &[],
            KindName::Command => &[
                "argv",
                "script",
                "cwd",
                "env",
                "timeout",
                "expect_exit",
                "dangerous",
                "dry_run",
                "mitigation",
                "shell",
            ],
            KindName::Flag => &["provider", "flag", "wanted", "dry_run"],
            KindName::Query => &["query", "panel", "below", "above", "within", "every"],
            KindName::Wait => &["duration"],
            KindName::Link => &["url"],
            KindName::Release => &["action", "dry_run"],
        }
    }
}

/// Keys every step may have.
pub const COMMON_STEP_FIELDS: &[&str] = &[
    "title",
    "kind",
    "text",
    "on_failure",
    "undo",
    "when",
    "target",
    "environment",
];

/// One `[[steps]]` table: every field of every kind; the loader checks
/// that a step only uses the fields of its kind.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepFile {
    pub title: String,
    pub kind: KindName,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub on_failure: Option<String>,
    #[serde(default)]
    pub undo: Option<String>,
    #[serde(default)]
    pub when: Option<OneOrMany>,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub environment: Option<String>,
    // command
    #[serde(default)]
    pub argv: Option<Vec<String>>,
    #[serde(default)]
    pub script: Option<String>,
    #[serde(default)]
    pub cwd: Option<String>,
    #[serde(default)]
    pub env: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub timeout: Option<String>,
    #[serde(default)]
    pub expect_exit: Option<Vec<i32>>,
    #[serde(default)]
    pub dangerous: Option<bool>,
    #[serde(default)]
    pub dry_run: Option<String>,
    /// It stops or limits the impact (a restart, a scale-up, a failover):
    /// evidence is taken before and after, like a flag flip's.
    #[serde(default)]
    pub mitigation: Option<bool>,
    /// The shell a `script` runs in: sh (the default), bash, zsh, dash,
    /// ksh, or an absolute path.
    #[serde(default)]
    pub shell: Option<String>,
    // flag
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub flag: Option<String>,
    #[serde(default)]
    pub wanted: Option<bool>,
    // query
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default)]
    pub panel: Option<String>,
    #[serde(default)]
    pub below: Option<f64>,
    #[serde(default)]
    pub above: Option<f64>,
    #[serde(default)]
    pub within: Option<String>,
    #[serde(default)]
    pub every: Option<String>,
    // wait
    #[serde(default)]
    pub duration: Option<String>,
    // link
    #[serde(default)]
    pub url: Option<String>,
    // release
    #[serde(default)]
    pub action: Option<ReleaseOp>,
}

impl StepFile {
    /// Names of the kind-specific fields that are set.
    pub fn present_fields(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        let mut add = |set: bool, name: &'static str| {
            if set {
                v.push(name);
            }
        };
        add(self.argv.is_some(), "argv");
        add(self.script.is_some(), "script");
        add(self.cwd.is_some(), "cwd");
        add(self.env.is_some(), "env");
        add(self.timeout.is_some(), "timeout");
        add(self.expect_exit.is_some(), "expect_exit");
        add(self.dangerous.is_some(), "dangerous");
        add(self.dry_run.is_some(), "dry_run");
        add(self.mitigation.is_some(), "mitigation");
        add(self.shell.is_some(), "shell");
        add(self.provider.is_some(), "provider");
        add(self.flag.is_some(), "flag");
        add(self.wanted.is_some(), "wanted");
        add(self.query.is_some(), "query");
        add(self.panel.is_some(), "panel");
        add(self.below.is_some(), "below");
        add(self.above.is_some(), "above");
        add(self.within.is_some(), "within");
        add(self.every.is_some(), "every");
        add(self.duration.is_some(), "duration");
        add(self.url.is_some(), "url");
        add(self.action.is_some(), "action");
        v
    }
}

// ---------------------------------------------------------------------
// The validated playbook.
// ---------------------------------------------------------------------

/// Where a playbook came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// Shipped inside the binary (path as in the source tree).
    Builtin(String),
    File(PathBuf),
}

impl Source {
    pub fn display(&self) -> String {
        match self {
            Source::Builtin(p) => format!("built-in {p}"),
            Source::File(p) => p.display().to_string(),
        }
    }
}

/// A validated playbook.
#[derive(Debug, Clone, PartialEq)]
pub struct Playbook {
    pub name: String,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    /// Any one of these lists matching all labels makes it apply.
    pub applies_to: Vec<Vec<Matcher>>,
    /// The matcher lists as written (for display).
    pub applies_to_text: Vec<String>,
    pub environment: Option<String>,
    pub inputs: Vec<Input>,
    pub steps: Vec<Step>,
    pub source: Source,
    /// A Markdown runbook's path inside the directory it was loaded from
    /// (`kubernetes/KubePodCrashLooping.md`): an alert's `runbook_url`
    /// is matched against it. None for TOML playbooks.
    pub runbook_path: Option<String>,
}

impl Playbook {
    /// Does it apply to an alert with these labels?
    pub fn applies(&self, labels: &BTreeMap<String, String>) -> bool {
        self.applies_to
            .iter()
            .any(|ms| !ms.is_empty() && crate::sources::matcher::all_match(ms, labels))
    }

    pub fn input(&self, name: &str) -> Option<&Input> {
        self.inputs.iter().find(|i| i.name == name)
    }

    /// Titles of the steps (recorded when a run starts).
    pub fn step_titles(&self) -> Vec<String> {
        self.steps.iter().map(|s| s.title.clone()).collect()
    }
}

/// Input types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputType {
    #[default]
    String,
    Int,
    Bool,
    Choice,
    /// A command line, split into words (quotes group, nothing expands).
    /// Only usable as a whole argv element; never from an alert label.
    Argv,
}

impl InputType {
    pub fn as_str(self) -> &'static str {
        match self {
            InputType::String => "string",
            InputType::Int => "int",
            InputType::Bool => "bool",
            InputType::Choice => "choice",
            InputType::Argv => "argv",
        }
    }
}

/// A declared input.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub name: String,
    pub description: String,
    pub ty: InputType,
    pub default: Option<String>,
    pub demo_default: Option<String>,
    pub from_label: Option<String>,
    pub choices: Vec<String>,
    pub pattern: Option<String>,
    pub required: bool,
}

impl Input {
    /// Check a value against the type, choices and pattern.
    pub fn check(&self, value: &str) -> Result<(), String> {
        if value.is_empty() {
            return if self.required {
                Err(format!("`{}` is required", self.name))
            } else {
                Ok(())
            };
        }
        match self.ty {
            InputType::Int => {
                value.parse::<i64>().map_err(|_| {
                    format!("`{}` must be a whole number, not `{value}`", self.name)
                })?;
            }
            InputType::Bool => {
                if value != "true" && value != "false" {
                    return Err(format!(
                        "`{}` must be true or false, not `{value}`",
                        self.name
                    ));
                }
            }
            InputType::Choice => {
                if !self.choices.iter().any(|c| c == value) {
                    return Err(format!(
                        "`{}` must be one of {}, not `{value}`",
                        self.name,
                        self.choices.join(", ")
                    ));
                }
            }
            InputType::Argv => {
                super::template::split_words(value).map_err(|e| format!("`{}`: {e}", self.name))?;
            }
            InputType::String => {}
        }
        if let Some(p) = &self.pattern {
            let re = regex::Regex::new(&format!("^(?:{p})$"))
                .map_err(|e| format!("bad pattern: {e}"))?;
            if !re.is_match(value) {
                return Err(format!(
                    "`{}` = `{value}` does not match the pattern {p}",
                    self.name
                ));
            }
        }
        Ok(())
    }
}

/// A condition on a step: `var == a|b` or `var != a`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cond {
    /// An input name, `labels.NAME`, or `demo`.
    pub var: String,
    pub negate: bool,
    pub values: Vec<String>,
    pub text: String,
}

impl Cond {
    pub fn holds(&self, value: &str) -> bool {
        self.values.iter().any(|v| v == value) != self.negate
    }
}

/// A validated step.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub title: String,
    pub text: String,
    pub on_failure: Option<String>,
    pub undo: Option<String>,
    pub when: Vec<Cond>,
    pub environment: Option<String>,
    /// What the step acts on (service or flag); typed to confirm in
    /// production.
    pub target: Option<String>,
    pub kind: StepKind,
}

impl Step {
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            StepKind::Check => "check",
            StepKind::Note => "note",
            StepKind::Link { .. } => "link",
            StepKind::Wait { .. } => "wait",
            StepKind::Command(_) => "command",
            StepKind::Flag(_) => "flag",
            StepKind::Query(_) => "query",
            StepKind::Release { .. } => "release",
        }
    }

    /// Does it change something (and so need confirmation)?
    pub fn needs_confirmation(&self) -> bool {
        match &self.kind {
            StepKind::Command(c) => c.dangerous,
            StepKind::Flag(f) => f.wanted.is_some(),
            StepKind::Release { action, .. } => *action == ReleaseOp::Rollback,
            _ => false,
        }
    }

    /// Does carrying it out count as a mitigation (its success stops or
    /// limits the impact)? A rollback, a flag turned on or off, a command
    /// marked `mitigation = true`.
    pub fn is_mitigation(&self) -> bool {
        match &self.kind {
            StepKind::Command(c) => c.mitigation,
            StepKind::Flag(f) => f.wanted.is_some(),
            StepKind::Release { action, .. } => *action == ReleaseOp::Rollback,
            _ => false,
        }
    }

    /// Is it carried out by firebreak (as opposed to confirmed by the
    /// responder)?
    pub fn is_automatic(&self) -> bool {
        matches!(
            self.kind,
            StepKind::Command(_)
                | StepKind::Flag(_)
                | StepKind::Release { .. }
                | StepKind::Wait { .. }
                | StepKind::Query(_)
        )
    }

    pub fn dry_run(&self) -> Option<&str> {
        match &self.kind {
            StepKind::Command(c) => c.dry_run.as_deref(),
            StepKind::Flag(f) => f.dry_run.as_deref(),
            StepKind::Release { dry_run, .. } => dry_run.as_deref(),
            _ => None,
        }
    }
}

/// What a step does.
#[derive(Debug, Clone, PartialEq)]
pub enum StepKind {
    /// The responder confirms (or marks failed).
    Check,
    /// Read and acknowledge.
    Note,
    Link {
        url: String,
    },
    Wait {
        duration: Duration,
    },
    Command(CommandStep),
    Flag(FlagStep),
    Query(QueryStep),
    /// Through firebreak's release control (the demo world, or a
    /// configured deploy integration).
    Release {
        action: ReleaseOp,
        dry_run: Option<String>,
    },
}

/// A command step.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandStep {
    pub run: Run,
    pub cwd: Option<String>,
    /// Extra environment (values templated; never parsed by a shell).
    pub env: BTreeMap<String, String>,
    pub timeout: Duration,
    pub expect_exit: Vec<i32>,
    pub dangerous: bool,
    pub dry_run: Option<String>,
    /// Marked as a mitigation (`mitigation = true`).
    pub mitigation: bool,
}

/// How a command step runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Run {
    /// Program and arguments; each element templated on its own.
    Argv(Vec<String>),
    /// A fixed script for `SHELL -c` (`/bin/sh` unless the step names
    /// another shell); values arrive only as environment variables
    /// (`$FB_SERVICE`, `$FB_LABEL_ENV`).
    Script { text: String, shell: String },
}

/// A flag step: read a flag, or turn it on/off.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagStep {
    pub provider: Option<String>,
    pub flag: String,
    /// None: only read and show the flag.
    pub wanted: Option<bool>,
    pub dry_run: Option<String>,
}

/// A metric expectation, polled until met or timed out.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryStep {
    /// PromQL (evaluated headless against Prometheus; shown in the TUI).
    pub query: Option<String>,
    /// Metric panel name (evaluated against the metric source's panels).
    pub panel: Option<String>,
    pub expect: Expect,
    pub within: Duration,
    pub every: Duration,
}

/// What a query must show.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Expect {
    Below(f64),
    Above(f64),
}

impl Expect {
    pub fn met(self, v: f64) -> bool {
        match self {
            Expect::Below(x) => v.is_finite() && v < x,
            Expect::Above(x) => v.is_finite() && v > x,
        }
    }

    pub fn describe(self) -> String {
        self.describe_in("")
    }

    /// `below 1%`: the threshold in the panel's unit.
    pub fn describe_in(self, unit: &str) -> String {
        match self {
            Expect::Below(x) => format!("below {x}{unit}"),
            Expect::Above(x) => format!("above {x}{unit}"),
        }
    }
}

/// What a release step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseOp {
    /// Read what is deployed now.
    Current,
    /// Roll back the last release.
    Rollback,
}

/// Environment names that count as production.
pub fn is_production(env: &str) -> bool {
    let e = env.trim().to_ascii_lowercase();
    matches!(e.as_str(), "prod" | "production" | "prd" | "live")
        || e.starts_with("prod-")
        || e.starts_with("production-")
}
/// Default command timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default time a query has to be met.
pub const DEFAULT_WITHIN: Duration = Duration::from_secs(300);
/// Default query poll interval.
pub const DEFAULT_EVERY: Duration = Duration::from_secs(15);

/// Parse `90s`, `5m`, `1h30m`, `500ms`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty duration (write 30s, 5m, 1h30m)".into());
    }
    let mut total = Duration::ZERO;
    let mut num = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num
            .parse()
            .map_err(|_| format!("`{s}` is not a duration (write 30s, 5m, 1h30m)"))?;
        num.clear();
        let unit = match c {
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                Duration::from_millis(n)
            }
            'h' => Duration::from_secs(n * 3600),
            'm' => Duration::from_secs(n * 60),
            's' => Duration::from_secs(n),
            _ => return Err(format!("`{s}` is not a duration (write 30s, 5m, 1h30m)")),
        };
        total += unit;
    }
    if !num.is_empty() {
        return Err(format!("`{s}` needs a unit (s, m, h, ms)"));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("five minutes").is_err());
    }
}
