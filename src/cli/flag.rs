//! `firebreak flag list|get|on|off`: read and flip feature flags without
//! the TUI, through the same safe procedure ([`flags::flip`]: read first,
//! nothing to do when already there, write, read back and verify).

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use super::record::OnIncident;
use crate::config::flags::ProviderKind;
use crate::config::Config;
use crate::domain::Event;
use crate::flags::{self, Flag, FlagProvider};
use crate::wiring::flags as build;
use crate::wiring::Setup;

#[derive(Subcommand, Debug)]
pub enum FlagCmd {
    /// List flags and their state (every provider, or --provider)
    List {
        #[command(flatten)]
        opts: Opts,
    },
    /// Show one flag: state, last change, and per-environment states (Unleash)
    Get {
        /// The flag's name (its key in the provider)
        name: String,
        #[command(flatten)]
        opts: Opts,
    },
    /// Turn a flag on: read it, do nothing if already on, change it, read it back
    On {
        /// The flag's name (its key in the provider)
        name: String,
        #[command(flatten)]
        opts: Opts,
    },
    /// Turn a flag off (the kill switch): read, change if needed, read back
    Off {
        /// The flag's name (its key in the provider)
        name: String,
        #[command(flatten)]
        opts: Opts,
    },
}

#[derive(Args, Debug, Clone)]
pub struct Opts {
    /// Which configured provider ([[flags]] name, or `demo`)
    #[arg(long, short = 'p')]
    pub provider: Option<String>,
    /// Unleash environment to read or change [default: the provider's `environment`]
    #[arg(long, short = 'e')]
    pub env: Option<String>,
    /// Output format
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for people
    Table,
    /// JSON for scripts (fields listed in the README)
    Json,
}

/// A provider with what the CLI needs to know about it.
struct Entry {
    provider: Arc<dyn FlagProvider>,
    kind: ProviderKind,
}

pub fn run(cmd: FlagCmd, setup: &Setup<'_>) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(run_async(cmd, setup))
}

async fn run_async(cmd: FlagCmd, setup: &Setup<'_>) -> anyhow::Result<ExitCode> {
    // The providers' own deadline is request_timeout_secs; ours is a little
    // longer so that their clearer errors (naming the URL) win.
    let timeout = setup.request_timeout() + Duration::from_secs(2);
    let actor = crate::wiring::responder_or_unnamed(setup.config);
    match cmd {
        FlagCmd::List { opts } => {
            let sel = select(setup, &opts)?;
            list(&sel, &opts, timeout).await
        }
        FlagCmd::Get { name, opts } => {
            let sel = select(setup, &opts)?;
            let e = locate(&sel, &name, timeout, false).await?;
            get(e, &name, &opts, timeout).await
        }
        FlagCmd::On { name, opts } => flip(setup, &name, true, &opts, timeout, &actor).await,
        FlagCmd::Off { name, opts } => flip(setup, &name, false, &opts, timeout, &actor).await,
    }
}

/// The providers the options point at, and those of them that could not
/// be built (a token variable not set...), as messages.
struct Selection {
    entries: Vec<Entry>,
    broken: Vec<String>,
}

fn select(setup: &Setup<'_>, opts: &Opts) -> anyhow::Result<Selection> {
    let cfg = setup.config;
    // The demo world's flags exist in demo mode only (as in the TUI).
    let wants_demo = setup.demo_mode;
    let demo: Option<Arc<dyn FlagProvider>> =
        if wants_demo && opts.provider.as_deref().is_none_or(|p| p == "demo") {
            let (d, unsaved) = crate::wiring::demo(&setup.data_dir, false, Utc::now())?;
            if let Some(n) = unsaved {
                eprintln!("firebreak: warning: {n}");
            }
            Some(Arc::new(d))
        } else {
            None
        };
    let ctx = build::Context {
        config_dir: &setup.config_dir,
        timeout: setup.request_timeout(),
        env_override: opts.env.as_deref(),
        demo: demo.clone(),
    };
    let mut names: Vec<&str> = cfg.flags.iter().map(|c| c.name.as_str()).collect();
    if setup.demo_mode && !names.contains(&"demo") {
        names.insert(0, "demo");
    }
    if let Some(p) = &opts.provider {
        if !names.contains(&p.as_str()) {
            anyhow::bail!(
                "no flag provider named `{p}` (configured: {})",
                if names.is_empty() {
                    "none; add [[flags]] to the config".to_string()
                } else {
                    names.join(", ")
                }
            );
        }
    }
    let mut entries = Vec::new();
    let mut broken = Vec::new();
    if let (true, Some(d)) = (
        setup.demo_mode && !cfg.flags.iter().any(|c| c.kind == ProviderKind::Demo),
        demo,
    ) {
        if opts.provider.as_deref().is_none_or(|p| p == "demo") {
            entries.push(Entry {
                provider: d,
                kind: ProviderKind::Demo,
            });
        }
    }
    for c in &cfg.flags {
        if opts.provider.as_deref().is_some_and(|p| p != c.name) {
            continue;
        }
        if opts.env.is_some() && c.kind != ProviderKind::Unleash {
            continue;
        }
        match build::provider(c, &ctx) {
            Ok(provider) => entries.push(Entry {
                provider,
                kind: c.kind,
            }),
            // Asked for by name: nothing else to fall back on.
            Err(e) if opts.provider.is_some() => anyhow::bail!(e),
            Err(e) => broken.push(e),
        }
    }
    if let Some(env) = &opts.env {
        entries.retain(|e| e.kind == ProviderKind::Unleash);
        if entries.is_empty() && broken.is_empty() {
            anyhow::bail!("--env {env} applies to Unleash providers only, and none is selected");
        }
    }
    if entries.is_empty() && !broken.is_empty() {
        anyhow::bail!(broken.join("; "));
    }
    if entries.is_empty() {
        anyhow::bail!("no flag provider is configured: add a [[flags]] section to the config (see README: Feature flags), or use --demo");
    }
    Ok(Selection { entries, broken })
}

async fn bounded<T>(
    timeout: Duration,
    what: &str,
    f: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    crate::deadline::within(timeout, f, |t| format!("{what}: timed out after {t:?}"))
        .await
        .map_err(anyhow::Error::msg)
}

/// Find the provider holding `name`: the only one, or the one whose list
/// has it. `strict` (for changes): every provider must have answered.
async fn locate<'a>(
    sel: &'a Selection,
    name: &str,
    timeout: Duration,
    strict: bool,
) -> anyhow::Result<&'a Entry> {
    let entries = &sel.entries;
    if let ([only], true) = (entries.as_slice(), sel.broken.is_empty()) {
        return Ok(only);
    }
    let mut found = Vec::new();
    let mut failed = sel.broken.clone();
    for e in entries {
        match bounded(timeout, e.provider.name(), e.provider.list()).await {
            Ok(flags) if flags.iter().any(|f| f.name == name) => found.push(e),
            Ok(_) => {}
            Err(err) => failed.push(format!("{}: {err:#}", e.provider.name())),
        }
    }
    let names = |v: &[&Entry]| {
        v.iter()
            .map(|e| e.provider.name().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (found.as_slice(), failed.is_empty()) {
        ([one], true) => Ok(one),
        ([one], false) if !strict => Ok(one),
        ([_], false) => anyhow::bail!(
            "flag `{name}` is in provider `{}`, but other providers could not be checked ({}); pass --provider to choose",
            names(&found),
            failed.join("; ")
        ),
        ([], _) => anyhow::bail!(
            "no flag `{name}` in any provider (searched: {}){}",
            names(&entries.iter().collect::<Vec<_>>()),
            if failed.is_empty() { String::new() } else { format!("; errors: {}", failed.join("; ")) }
        ),
        (many, _) => anyhow::bail!("flag `{name}` exists in providers {}: choose one with --provider", names(many)),
    }
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

async fn list(sel: &Selection, opts: &Opts, timeout: Duration) -> anyhow::Result<ExitCode> {
    let mut all: Vec<Flag> = Vec::new();
    let mut errors = sel.broken.clone();
    for e in &sel.entries {
        match bounded(timeout, e.provider.name(), e.provider.list()).await {
            Ok(f) => all.extend(f),
            Err(err) => errors.push(format!("flag provider `{}`: {err:#}", e.provider.name())),
        }
    }
    match opts.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&all)?),
        Format::Table => {
            if all.is_empty() && errors.is_empty() {
                eprintln!("no flags");
            } else if !all.is_empty() {
                let w = all
                    .iter()
                    .map(|f| f.name.chars().count())
                    .max()
                    .unwrap_or(4)
                    .max(4);
                let pw = all
                    .iter()
                    .map(|f| f.provider.chars().count())
                    .max()
                    .unwrap_or(8)
                    .max(8);
                let ew = all
                    .iter()
                    .map(|f| f.env.as_deref().map_or(1, str::len))
                    .max()
                    .unwrap_or(3)
                    .max(3);
                println!(
                    "{:<pw$}  {:<ew$}  {:<5}  {:<w$}  DESCRIPTION",
                    "PROVIDER", "ENV", "STATE", "FLAG"
                );
                for f in &all {
                    println!(
                        "{:<pw$}  {:<ew$}  {:<5}  {:<w$}  {}",
                        f.provider,
                        f.env.as_deref().unwrap_or("-"),
                        on_off(f.enabled),
                        f.name,
                        f.description.lines().next().unwrap_or("")
                    );
                }
            }
        }
    }
    for e in &errors {
        eprintln!("firebreak: {e}");
    }
    Ok(if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn get(e: &Entry, name: &str, opts: &Opts, timeout: Duration) -> anyhow::Result<ExitCode> {
    let p = &e.provider;
    let flag = bounded(timeout, name, p.get(name)).await?;
    let envs = if e.kind == ProviderKind::Unleash {
        bounded(timeout, name, p.environments(name)).await?
    } else {
        Vec::new()
    };
    match opts.format {
        Format::Json => {
            let mut v = serde_json::to_value(&flag)?;
            if let Some(o) = v.as_object_mut() {
                o.insert("kind".into(), json!(e.kind.label()));
                if !envs.is_empty() {
                    o.insert("environments".into(), serde_json::to_value(&envs)?);
                }
            }
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        Format::Table => {
            println!("flag          {}", flag.name);
            println!("provider      {} ({})", flag.provider, e.kind.label());
            if let Some(env) = &flag.env {
                println!("environment   {env}");
            }
            println!("state         {}", on_off(flag.enabled));
            if let Some(at) = flag.changed_at {
                println!("last change   {}", at.format("%Y-%m-%d %H:%M:%SZ"));
            }
            if !flag.description.is_empty() {
                println!("description   {}", flag.description);
            }
            if !envs.is_empty() {
                let all: Vec<String> = envs
                    .iter()
                    .map(|s| format!("{} {}", s.name, on_off(s.enabled)))
                    .collect();
                println!("environments  {}", all.join(", "));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn flip(
    setup: &Setup<'_>,
    name: &str,
    wanted: bool,
    opts: &Opts,
    timeout: Duration,
    actor: &str,
) -> anyhow::Result<ExitCode> {
    let sel = select(setup, opts)?;
    let e = locate(&sel, name, timeout, true).await?;
    let p = &e.provider;
    let env = opts.env.clone().or_else(|| {
        setup
            .config
            .flags
            .iter()
            .find(|c| c.name == p.name())
            .and_then(|c| match c.kind {
                ProviderKind::Unleash => Some(
                    c.environment
                        .clone()
                        .unwrap_or_else(|| crate::config::flags::DEFAULT_ENVIRONMENT.into()),
                ),
                _ => None,
            })
    });
    let where_ = match &env {
        Some(env) => format!("`{name}` ({}, environment {env})", p.name()),
        None => format!("`{name}` ({})", p.name()),
    };
    let at = Utc::now();
    let mut rec = OnIncident::open(setup)?;
    rec.before(Event::ActionStarted {
        action: format!("flag {}", on_off(wanted)),
        target: name.to_string(),
        detail: format!("via {} · headless (firebreak flag)", p.name()),
    })?;
    let flipped = flags::flip(p.as_ref(), name, wanted, timeout).await;
    rec.after(match &flipped {
        Ok(o) => Event::FlagChanged {
            provider: p.name().to_string(),
            flag: name.to_string(),
            before: Some(o.before),
            after: Some(o.after),
            wanted,
            ok: true,
            detail: if o.changed {
                "verified by reading it back".into()
            } else {
                format!("already {}: nothing changed", on_off(o.after))
            },
        },
        Err(err) => Event::FlagChanged {
            provider: p.name().to_string(),
            flag: name.to_string(),
            before: err.before,
            after: err.after,
            wanted,
            ok: false,
            detail: err.message.clone(),
        },
    });
    match flipped {
        Ok(o) => {
            match opts.format {
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({
                        "provider": p.name(),
                        "kind": e.kind.label(),
                        "env": env,
                        "flag": name,
                        "wanted": wanted,
                        "before": o.before,
                        "after": o.after,
                        "changed": o.changed,
                        "by": actor,
                        "at": at,
                    }))?
                ),
                Format::Table if o.changed => println!(
                    "{where_}: was {}, now {} (verified by reading it back; by {actor})",
                    on_off(o.before),
                    on_off(o.after)
                ),
                Format::Table => {
                    println!("{where_} is already {}: nothing changed", on_off(o.after))
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            let state = |s: Option<bool>| s.map_or("unknown", on_off);
            anyhow::bail!(
                "turning {where_} {} failed: {} (before: {}, after: {})",
                on_off(wanted),
                err.message,
                state(err.before),
                state(err.after)
            )
        }
    }
}

/// For `firebreak check`: can every configured provider be built (token
/// readable, URL valid) and, for flag files, is the file valid? No
/// network calls. One `(ok, line)` per provider.
pub fn check(config: &Config, config_dir: &Path) -> Vec<(bool, String)> {
    let ctx = build::Context {
        config_dir,
        timeout: Duration::from_secs(config.request_timeout_secs.max(1)),
        env_override: None,
        demo: None,
    };
    config
        .flags
        .iter()
        .map(|c| {
            let head = format!("{} ({})", c.name, c.kind.label());
            match c.kind {
                ProviderKind::Demo => (true, format!("{head}: ok (the demo world's flags, in demo mode)")),
                ProviderKind::Flagd => {
                    let path = c
                        .path
                        .as_deref()
                        .map(|p| crate::config::flags::resolve(p, config_dir))
                        .unwrap_or_default();
                    let f = crate::flags::flagd::Flagd::new(c.name.clone(), path, c.mode.unwrap_or_default());
                    match f.load() {
                        Ok(file) => (true, format!("{head}: ok, {} flags in {}", file.flags.len(), f.path().display())),
                        Err(e) => (false, format!("{head}: {e}")),
                    }
                }
                ProviderKind::Unleash => match build::provider(c, &ctx) {
                    Ok(_) => (
                        true,
                        format!(
                            "{head}: ok, {} project {} environment {} (token readable; not contacted)",
                            c.url.as_deref().unwrap_or(""),
                            c.project.as_deref().unwrap_or(crate::config::flags::DEFAULT_PROJECT),
                            c.environment.as_deref().unwrap_or(crate::config::flags::DEFAULT_ENVIRONMENT)
                        ),
                    ),
                    Err(e) => (false, format!("{head}: {e}")),
                },
            }
        })
        .collect()
}
