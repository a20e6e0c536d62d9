//! Carrying out the steps that touch the world: commands, flag reads and
//! flips (through the [`FlagProvider`]s and [`crate::flags::flip`]) and
//! release control (through [`ReleaseControl`]). Used by the TUI's
//! effect runner and by `firebreak playbook run`, so both take the same
//! path.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::model::ReleaseOp;
use super::runner::{self, CommandSpec, Limits};
use crate::deadline::within;
use crate::flags::{self, FlagProvider};
use crate::sources::ReleaseControl;

/// A step for the effect runner, fully rendered (no templates left).
#[derive(Debug, Clone, PartialEq)]
pub struct StepJob {
    pub run_id: String,
    pub step: usize,
    /// 1 for the first run of the step, 2 for a re-run...
    pub attempt: u32,
    pub action: StepAction,
    /// What to claim in the team database before carrying it out (an
    /// action on the world: a flag flip, a rollback, a dangerous
    /// command), so that two responders never do it at once: the same
    /// (action, target) as the flags pane and `B` claim.
    pub claim: Option<(&'static str, String)>,
}

/// What to do.
#[derive(Debug, Clone, PartialEq)]
pub enum StepAction {
    Command(CommandSpec),
    SetFlag {
        provider: Option<String>,
        flag: String,
        wanted: bool,
    },
    ReadFlag {
        provider: Option<String>,
        flag: String,
    },
    Release(ReleaseOp),
}

impl StepAction {
    /// What will happen, in words (for StepStarted and dry runs).
    pub fn describe(&self) -> String {
        match self {
            StepAction::Command(c) => c.display(),
            StepAction::SetFlag {
                provider,
                flag,
                wanted,
            } => format!(
                "turn flag {flag} {}{}",
                if *wanted { "on" } else { "off" },
                provider
                    .as_ref()
                    .map(|p| format!(" via {p}"))
                    .unwrap_or_default()
            ),
            StepAction::ReadFlag { provider, flag } => {
                format!(
                    "read flag {flag}{}",
                    provider
                        .as_ref()
                        .map(|p| format!(" via {p}"))
                        .unwrap_or_default()
                )
            }
            StepAction::Release(ReleaseOp::Current) => "read the deployed version".into(),
            StepAction::Release(ReleaseOp::Rollback) => "roll back the last release".into(),
        }
    }
}

/// A flag change made by a step (recorded as a FlagChanged event too).
#[derive(Debug, Clone, PartialEq)]
pub struct FlagChange {
    pub provider: String,
    pub flag: String,
    pub wanted: bool,
    pub before: Option<bool>,
    pub after: Option<bool>,
    pub changed: bool,
    pub ok: bool,
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq)]
pub struct StepOutcome {
    pub ok: bool,
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
    /// Last lines of output (bounded).
    pub output: Vec<String>,
    /// One line for the timeline.
    pub detail: String,
    pub flag: Option<FlagChange>,
    /// It changed the world: a flag flipped, a release rolled back (a read
    /// of either changes nothing, and stops no impact).
    pub changed: bool,
}

impl StepOutcome {
    /// Did carrying out `step` change the world, as the journal records
    /// it (`StepFinished::changed`)? What the step did (a flag flipped, a
    /// release rolled back), or a command marked as a mitigation that
    /// succeeded.
    pub fn changed_by(&self, step: &crate::playbook::model::Step) -> bool {
        self.changed
            || (self.ok
                && matches!(&step.kind, crate::playbook::model::StepKind::Command(c) if c.mitigation))
    }
}

/// What steps need from the world.
#[derive(Clone)]
pub struct Ctx {
    pub providers: Vec<Arc<dyn FlagProvider>>,
    pub release: Option<Arc<dyn ReleaseControl>>,
    /// Bound on each remote call (flags, release control).
    pub timeout: Duration,
    pub limits: Limits,
}

impl Ctx {
    /// The provider for `flag`: the named one, the only one, or the one
    /// that has the flag.
    async fn provider(
        &self,
        name: Option<&str>,
        flag: &str,
    ) -> Result<Arc<dyn FlagProvider>, String> {
        let names = || {
            self.providers
                .iter()
                .map(|p| p.name().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some(n) = name.filter(|n| !n.is_empty()) {
            return self
                .providers
                .iter()
                .find(|p| p.name() == n)
                .cloned()
                .ok_or_else(|| format!("no flag provider named `{n}` (configured: {})", names()));
        }
        match self.providers.as_slice() {
            [] => Err("no flag provider is configured ([[flags]] in config.toml)".into()),
            [one] => Ok(one.clone()),
            many => {
                for p in many {
                    if within(self.timeout, p.get(flag), |_| String::new())
                        .await
                        .is_ok()
                    {
                        return Ok(p.clone());
                    }
                }
                Err(format!(
                    "no provider has a flag named `{flag}` (looked in {})",
                    names()
                ))
            }
        }
    }
}

fn on_off(v: bool) -> &'static str {
    if v {
        "on"
    } else {
        "off"
    }
}

/// Carry out one step action.
pub async fn execute(
    action: &StepAction,
    ctx: &Ctx,
    on_lines: &mut (dyn FnMut(Vec<String>) + Send),
) -> StepOutcome {
    let started = Instant::now();
    let done =
        |ok: bool, detail: String, output: Vec<String>, flag: Option<FlagChange>| StepOutcome {
            ok,
            exit_code: None,
            duration_ms: started.elapsed().as_millis() as u64,
            output,
            detail,
            changed: flag.as_ref().is_some_and(|f| f.ok && f.changed),
            flag,
        };
    match action {
        StepAction::Command(spec) => {
            let r = runner::run(spec, ctx.limits, on_lines).await;
            let mut detail = r.summary();
            if !r.ok && r.error.is_none() && !r.timed_out && r.exit_code.is_some() {
                detail = format!("{detail} (expected {:?})", spec.expect_exit);
            }
            if r.dropped_bytes > 0 {
                detail.push_str(&format!(
                    "; {} earlier bytes of output not kept",
                    r.dropped_bytes
                ));
            }
            StepOutcome {
                ok: r.ok,
                exit_code: r.exit_code,
                duration_ms: r.duration.as_millis() as u64,
                output: r.output,
                detail,
                flag: None,
                changed: false,
            }
        }
        StepAction::ReadFlag { provider, flag } => {
            let p = match ctx.provider(provider.as_deref(), flag).await {
                Ok(p) => p,
                Err(e) => return done(false, e, Vec::new(), None),
            };
            match tokio::time::timeout(ctx.timeout, p.get(flag)).await {
                Ok(Ok(f)) => {
                    let mut lines = vec![format!(
                        "{} is {} in {}{}",
                        f.name,
                        if f.enabled { "ON" } else { "OFF" },
                        f.provider,
                        f.env
                            .as_ref()
                            .map(|e| format!(" ({e})"))
                            .unwrap_or_default()
                    )];
                    if let Some(t) = f.changed_at {
                        lines.push(format!("last changed {}", t.format("%Y-%m-%d %H:%M:%SZ")));
                    } else {
                        lines.push("last change: not reported by the provider".into());
                    }
                    if !f.description.is_empty() {
                        lines.push(f.description.clone());
                    }
                    if let Ok(Ok(envs)) =
                        tokio::time::timeout(ctx.timeout, p.environments(flag)).await
                    {
                        for e in envs {
                            lines.push(format!("  {}: {}", e.name, on_off(e.enabled)));
                        }
                    }
                    on_lines(lines.clone());
                    let detail = lines.first().cloned().unwrap_or_default();
                    done(true, detail, lines, None)
                }
                Ok(Err(e)) => done(false, format!("reading {flag}: {e:#}"), Vec::new(), None),
                Err(_) => done(
                    false,
                    format!("reading {flag}: timed out after {:?}", ctx.timeout),
                    Vec::new(),
                    None,
                ),
            }
        }
        StepAction::SetFlag {
            provider,
            flag,
            wanted,
        } => {
            let p = match ctx.provider(provider.as_deref(), flag).await {
                Ok(p) => p,
                Err(e) => return done(false, e, Vec::new(), None),
            };
            let pname = p.name().to_string();
            match flags::flip(p.as_ref(), flag, *wanted, ctx.timeout).await {
                Ok(o) => {
                    let detail = if o.changed {
                        format!(
                            "{flag} turned {} via {pname} (was {}; verified by reading it back)",
                            on_off(o.after),
                            on_off(o.before)
                        )
                    } else {
                        format!("{flag} was already {}: nothing changed", on_off(o.after))
                    };
                    on_lines(vec![detail.clone()]);
                    let change = FlagChange {
                        provider: pname,
                        flag: flag.clone(),
                        wanted: *wanted,
                        before: Some(o.before),
                        after: Some(o.after),
                        changed: o.changed,
                        ok: true,
                    };
                    done(true, detail.clone(), vec![detail], Some(change))
                }
                Err(e) => {
                    let change = FlagChange {
                        provider: pname,
                        flag: flag.clone(),
                        wanted: *wanted,
                        before: e.before,
                        after: e.after,
                        changed: false,
                        ok: false,
                    };
                    done(false, e.message.clone(), vec![e.message], Some(change))
                }
            }
        }
        StepAction::Release(op) => {
            let Some(r) = ctx.release.clone() else {
                return done(
                    false,
                    "no release control is configured here: use the kubectl/helm/command method instead".into(),
                    Vec::new(),
                    None,
                );
            };
            let work = match op {
                ReleaseOp::Current => r.current(),
                ReleaseOp::Rollback => r.rollback(),
            };
            let late =
                |t| format!("timed out after {t:?}; check the deploy system before retrying");
            match within(ctx.timeout, work, late).await {
                Ok(s) => {
                    let line = match op {
                        ReleaseOp::Current => format!("deployed now: {s}"),
                        ReleaseOp::Rollback => format!("rollback via {}: {s}", r.name()),
                    };
                    on_lines(vec![line.clone()]);
                    let mut o = done(true, line.clone(), vec![line], None);
                    o.changed = matches!(op, ReleaseOp::Rollback);
                    o
                }
                Err(e) => done(false, e, Vec::new(), None),
            }
        }
    }
}
