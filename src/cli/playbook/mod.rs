//! `firebreak playbook list|show|check|run`.
//!
//! `run` is headless: steps run in order through the same code the TUI
//! uses ([`crate::playbook::exec`]); checks and dangerous steps ask on a terminal,
//! or need `--yes`; `--dry-run` shows what would happen and runs nothing.
//! With `--record`, the run goes on the open incident's timeline.

mod run;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use crate::playbook::model::{Playbook, Source};
use crate::playbook::template::Vars;
use crate::playbook::{loader, Catalog};
use crate::wiring::Setup;

#[derive(Subcommand, Debug)]
pub enum PlaybookCmd {
    /// List playbooks: shipped ones and those in your playbook directories
    List {
        /// Output format
        #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show a playbook: what it is for, its inputs and every step
    Show {
        /// The playbook's name (`firebreak playbook list` lists them), or
        /// the path of a playbook file (`ops/runbooks/disk-full.md`)
        name: String,
    },
    /// Validate playbook files (default: shipped + your directories);
    /// prints FILE:LINE: field `...`: problem and exits 1 on errors
    Check {
        /// Playbook files, or directories of them [default: the shipped
        /// playbooks and your playbook directories]
        paths: Vec<PathBuf>,
    },
    /// Run a playbook headless, step by step
    Run(RunArgs),
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The playbook's name (`firebreak playbook list` lists them), or the
    /// path of a playbook file
    pub name: String,
    /// An input value (repeatable)
    #[arg(long = "input", short = 'i', value_name = "KEY=VALUE")]
    pub inputs: Vec<String>,
    /// An alert label, as if run for that alert (repeatable)
    #[arg(long = "label", short = 'l', value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// Show what each step would do; run nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Confirm every check and every dangerous step (non-interactive use)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Record the run on the open incident's timeline (a cockpit showing
    /// that incident sees it within a second)
    #[arg(long)]
    pub record: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum Format {
    /// One line per playbook: name, steps, tags, title
    Table,
    /// An array of playbooks (for scripts)
    Json,
}

pub fn run(cmd: PlaybookCmd, setup: &Setup<'_>) -> anyhow::Result<ExitCode> {
    match cmd {
        PlaybookCmd::Check { paths } => Ok(check(&paths, setup)),
        PlaybookCmd::List { format } => {
            let cat = catalog(setup);
            list(&cat, format)?;
            Ok(ExitCode::SUCCESS)
        }
        PlaybookCmd::Show { name } => {
            let cat = catalog(setup);
            let pb = find(&cat, &name)?;
            show(&pb, &mut std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        PlaybookCmd::Run(args) => {
            let cat = catalog(setup);
            let pb = find(&cat, &args.name)?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(run::run_playbook(&pb, &args, setup))
        }
    }
}

fn catalog(setup: &Setup<'_>) -> Catalog {
    let cat = loader::load_all(&setup.playbook_dirs(), &setup.runbook_dirs());
    for e in &cat.errors {
        eprintln!("firebreak: warning: {e} (playbook skipped)");
    }
    cat
}

/// A playbook by name, or by the path of its file (a Markdown runbook
/// read where it is, not installed anywhere).
fn find(cat: &Catalog, name: &str) -> anyhow::Result<Playbook> {
    let path = Path::new(name);
    let looks_like_path = name.contains('/')
        || [".md", ".markdown", ".toml"]
            .iter()
            .any(|x| name.to_ascii_lowercase().ends_with(x));
    if looks_like_path && path.is_file() {
        return loader::load_file(path).map_err(|errs| {
            let lines: Vec<String> = errs.iter().map(ToString::to_string).collect();
            anyhow::anyhow!("{}", lines.join("\n"))
        });
    }
    cat.get(name).cloned().ok_or_else(|| {
        let names: Vec<&str> = cat.playbooks.iter().map(|p| p.name.as_str()).collect();
        anyhow::anyhow!("no playbook named `{name}` (have: {})", names.join(", "))
    })
}

/// Validate files; no paths: the shipped playbooks and the user's.
fn check(paths: &[PathBuf], setup: &Setup<'_>) -> ExitCode {
    let mut errors = Vec::new();
    let mut ok = Vec::new();
    if paths.is_empty() {
        for (path, src) in loader::BUILTIN {
            match loader::parse(Path::new(path), src, Source::Builtin((*path).to_string())) {
                Ok(p) => ok.push((path.to_string(), p)),
                Err(e) => errors.extend(e),
            }
        }
        let dirs = setup
            .playbook_dirs()
            .into_iter()
            .map(|d| (d, false))
            .chain(setup.runbook_dirs().into_iter().map(|d| (d, true)));
        for (d, runbooks) in dirs {
            if !d.is_dir() {
                continue;
            }
            match loader::files_in(&d, runbooks) {
                Ok(files) => {
                    for f in files {
                        match loader::load_found(&f) {
                            Ok(p) => ok.push((f.path.display().to_string(), p)),
                            Err(e) => errors.extend(e),
                        }
                    }
                }
                Err(e) => errors.push(e),
            }
        }
    } else {
        let files = loader::expand_paths(paths);
        if files.is_empty() {
            eprintln!(
                "firebreak: no playbook files (*.toml, *.md) in {}",
                paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            return ExitCode::from(1);
        }
        for f in files {
            match loader::load_found(&f) {
                Ok(p) => ok.push((f.path.display().to_string(), p)),
                Err(e) => errors.extend(e),
            }
        }
    }
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (file, p) in &ok {
        if let Some(prev) = seen.insert(&p.name, file) {
            println!(
                "note  {file}: `{}` replaces the playbook of that name in {prev}",
                p.name
            );
        }
        println!(
            "ok    {file}: {} ({} steps, {} inputs)",
            p.name,
            p.steps.len(),
            p.inputs.len()
        );
    }
    for e in &errors {
        eprintln!("{e}");
    }
    if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("firebreak: {} problem(s) in playbook files", errors.len());
        ExitCode::from(1)
    }
}

fn list(cat: &Catalog, format: Format) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            let v: Vec<serde_json::Value> = cat
                .playbooks
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "name": p.name,
                        "title": p.title,
                        "description": p.description,
                        "tags": p.tags,
                        "applies_to": p.applies_to_text,
                        "inputs": p.inputs.iter().map(|i| &i.name).collect::<Vec<_>>(),
                        "steps": p.steps.len(),
                        "source": p.source.display(),
                    })
                })
                .collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        }
        Format::Table => {
            writeln!(out, "{:<22} {:>5}  {:<22} TITLE", "NAME", "STEPS", "TAGS")?;
            for p in &cat.playbooks {
                let src = match &p.source {
                    Source::Builtin(_) => String::new(),
                    Source::File(f) => format!("  [{}]", f.display()),
                };
                writeln!(
                    out,
                    "{:<22} {:>5}  {:<22} {}{src}",
                    p.name,
                    p.steps.len(),
                    p.tags.join(","),
                    p.title
                )?;
            }
        }
    }
    Ok(())
}

/// Print a playbook for reading.
pub fn show(pb: &Playbook, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "{} — {}", pb.name, pb.title)?;
    writeln!(out, "source: {}", pb.source.display())?;
    if !pb.tags.is_empty() {
        writeln!(out, "tags: {}", pb.tags.join(", "))?;
    }
    for a in &pb.applies_to_text {
        writeln!(out, "applies to alerts matching {a}")?;
    }
    writeln!(out)?;
    for l in pb.description.lines() {
        writeln!(out, "{l}")?;
    }
    if !pb.inputs.is_empty() {
        writeln!(out, "\nInputs:")?;
        for i in &pb.inputs {
            let mut extra = Vec::new();
            if let Some(l) = &i.from_label {
                extra.push(format!("from label {l}"));
            }
            if let Some(d) = &i.default {
                extra.push(format!("default {d:?}"));
            }
            if let Some(d) = &i.demo_default {
                extra.push(format!("demo {d:?}"));
            }
            if !i.choices.is_empty() {
                extra.push(format!("one of {}", i.choices.join("|")));
            }
            if !i.required {
                extra.push("optional".into());
            }
            writeln!(
                out,
                "  {:<16} {:<7} {}",
                i.name,
                i.ty.as_str(),
                i.description
            )?;
            if !extra.is_empty() {
                writeln!(out, "  {:<16} {:<7} ({})", "", "", extra.join(", "))?;
            }
        }
    }
    // Placeholders stay visible: {{service}}.
    let vars = Vars {
        inputs: pb
            .inputs
            .iter()
            .filter_map(|i| {
                i.default
                    .clone()
                    .filter(|d| !d.is_empty())
                    .map(|d| (i.name.clone(), d))
            })
            .collect(),
        ..Vars::default()
    };
    writeln!(out, "\nSteps:")?;
    for (n, s) in pb.steps.iter().enumerate() {
        let when = if s.when.is_empty() {
            String::new()
        } else {
            format!(
                "  [when {}]",
                s.when
                    .iter()
                    .map(|c| c.text.clone())
                    .collect::<Vec<_>>()
                    .join(" and ")
            )
        };
        let danger = if s.needs_confirmation() {
            "  (asks for confirmation)"
        } else {
            ""
        };
        writeln!(
            out,
            "{:>3}. {} ({}){when}{danger}",
            n + 1,
            s.title,
            s.kind_name()
        )?;
        for l in crate::playbook::describe_step(s, &vars) {
            writeln!(out, "       {l}")?;
        }
        if let Some(d) = s.dry_run() {
            writeln!(
                out,
                "       with --dry-run: {}",
                crate::playbook::show(d, &vars)
            )?;
        }
    }
    Ok(())
}
