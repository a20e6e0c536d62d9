//! Playbooks: guided, recorded procedures for putting out fires.
//!
//! - [`model`]: the TOML format and the validated [`Playbook`].
//! - [`loader`]: shipped playbooks (compiled in) plus user directories;
//!   errors name file, line and field.
//! - [`template`]: `{{input}}` / `{{labels.x}}` substitution, argv
//!   element by element; scripts get values only as environment variables.
//! - [`runner`]: running commands with timeouts that kill the process
//!   group, bounded output.
//! - [`exec`]: carrying out steps (commands, flags, release control) for
//!   the TUI's effect runner and the headless CLI alike.
//!
//! The commands `firebreak playbook list|show|check|run` live in
//! `crate::cli::playbook`.
//!
//! The functions below turn a playbook, its inputs and an alert's labels
//! into concrete step actions; the TUI state (its playbooks feature)
//! and the CLI both use them.

pub mod exec;
pub mod link;
pub mod loader;
pub mod markdown;
pub mod model;
pub mod runner;
pub mod template;
mod validate;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use loader::Catalog;
pub use model::Playbook;

use exec::StepAction;
use model::{is_production, InputType, ReleaseOp, Run, Step, StepKind};
use runner::{CommandSpec, Program};
use template::Vars;

/// Values for the inputs before the responder edits them: an explicit
/// value, else the alert's label, else the demo default (in the demo),
/// else the default, else empty.
pub fn prefill(
    pb: &Playbook,
    explicit: &BTreeMap<String, String>,
    labels: &BTreeMap<String, String>,
    demo: bool,
) -> BTreeMap<String, String> {
    pb.inputs
        .iter()
        .map(|i| {
            let v = explicit
                .get(&i.name)
                .cloned()
                .or_else(|| i.from_label.as_ref().and_then(|l| labels.get(l).cloned()))
                .or_else(|| if demo { i.demo_default.clone() } else { None })
                .or_else(|| i.default.clone())
                .unwrap_or_default();
            (i.name.clone(), v)
        })
        .collect()
}

/// Check every input value; the first problem as (input name, message).
pub fn check_inputs(
    pb: &Playbook,
    values: &BTreeMap<String, String>,
) -> Result<(), (String, String)> {
    for k in values.keys() {
        if pb.input(k).is_none() {
            let names: Vec<&str> = pb.inputs.iter().map(|i| i.name.as_str()).collect();
            return Err((
                k.clone(),
                format!(
                    "`{k}` is not an input of {} (inputs: {})",
                    pb.name,
                    names.join(", ")
                ),
            ));
        }
    }
    for i in &pb.inputs {
        let v = values.get(&i.name).map_or("", String::as_str);
        i.check(v).map_err(|e| (i.name.clone(), e))?;
    }
    Ok(())
}

/// The template variables of a run.
pub fn vars(
    pb: &Playbook,
    inputs: &BTreeMap<String, String>,
    labels: &BTreeMap<String, String>,
    demo: bool,
) -> Vars {
    Vars {
        inputs: inputs.clone(),
        labels: labels.clone(),
        argv_inputs: pb
            .inputs
            .iter()
            .filter(|i| i.ty == InputType::Argv)
            .map(|i| i.name.clone())
            .collect(),
        demo,
        finished: BTreeMap::new(),
    }
}

/// Why a step does not apply to this run (its `when` is false), if so:
/// the condition, labelled as one, and the value that makes it false
/// ("condition `method == kubectl` is false: method is `firebreak`").
pub fn not_applicable(step: &Step, vars: &Vars) -> Option<String> {
    step.when
        .iter()
        .map(|c| (c, vars.lookup(&c.var)))
        .find(|(c, v)| !c.holds(v.as_deref().unwrap_or_default()))
        .map(|(c, v)| {
            let value = match v.as_deref() {
                Some("") | None => "empty".to_string(),
                Some(v) => format!("`{v}`"),
            };
            format!(
                "not applicable: condition `{}` is false ({} is {value})",
                c.text.trim(),
                c.var
            )
        })
}

/// Indices of the steps whose `when` is false.
pub fn not_applicable_steps(pb: &Playbook, vars: &Vars) -> Vec<usize> {
    pb.steps
        .iter()
        .enumerate()
        .filter(|(_, s)| not_applicable(s, vars).is_some())
        .map(|(i, _)| i)
        .collect()
}

/// Render a text for display; a missing value shows as its placeholder.
pub fn show(text: &str, vars: &Vars) -> String {
    template::render_lenient(text, vars)
}

/// The I/O a step needs, rendered; None for steps firebreak does not
/// carry out itself (check, note, link, wait, query).
pub fn action(step: &Step, vars: &Vars) -> Result<Option<StepAction>, String> {
    Ok(Some(match &step.kind {
        StepKind::Command(c) => {
            let program = match &c.run {
                Run::Argv(argv) => Program::Argv(template::render_argv(argv, vars)?),
                Run::Script { text, shell } => Program::Script {
                    shell: shell.clone(),
                    text: text.clone(),
                },
            };
            let mut env = template::env_for(vars);
            for (k, v) in &c.env {
                env.push((k.clone(), template::render(v, vars)?));
            }
            let cwd = match &c.cwd {
                Some(d) => Some(PathBuf::from(expand_home(&template::render(d, vars)?))),
                None => None,
            };
            StepAction::Command(CommandSpec {
                program,
                cwd,
                env,
                timeout: c.timeout,
                expect_exit: c.expect_exit.clone(),
            })
        }
        StepKind::Flag(f) => {
            let flag = template::render(&f.flag, vars)?;
            if flag.trim().is_empty() {
                return Err("the flag name is empty (fill in the input)".into());
            }
            let provider = match &f.provider {
                Some(p) => Some(template::render(p, vars)?).filter(|p| !p.trim().is_empty()),
                None => None,
            };
            match f.wanted {
                Some(wanted) => StepAction::SetFlag {
                    provider,
                    flag,
                    wanted,
                },
                None => StepAction::ReadFlag { provider, flag },
            }
        }
        StepKind::Release { action, .. } => StepAction::Release(*action),
        _ => return Ok(None),
    }))
}

fn expand_home(p: &str) -> String {
    match (p.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => p.to_string(),
    }
}

/// How a step must be confirmed.
#[derive(Debug, Clone, PartialEq)]
pub enum Confirm {
    None,
    /// y/n.
    YesNo(String),
    /// Type `expect` to confirm (production).
    Typed {
        question: String,
        expect: String,
    },
}

/// The environment a step acts on, rendered.
/// A Markdown runbook that names none acts where its alert is: the
/// alert's `env` (or `environment`) label, so a dangerous block for a
/// production alert asks for the typed name.
pub fn environment(pb: &Playbook, step: &Step, vars: &Vars) -> Option<String> {
    step.environment
        .as_ref()
        .or(pb.environment.as_ref())
        .map(|e| show(e, vars))
        .or_else(|| {
            pb.runbook_path.as_ref()?;
            ["env", "environment"]
                .iter()
                .find_map(|k| vars.labels.get(*k).cloned())
        })
        .filter(|e| !e.trim().is_empty())
}

/// The confirmation a step needs. `flag_env` is the environment the flag
/// provider reports for the step's flag, if known.
pub fn confirmation(pb: &Playbook, step: &Step, vars: &Vars, flag_env: Option<&str>) -> Confirm {
    if !step.needs_confirmation() {
        return Confirm::None;
    }
    let env = environment(pb, step, vars).or_else(|| flag_env.map(str::to_owned));
    let title = show(&step.title, vars);
    let what = match action(step, vars) {
        Ok(Some(a)) => a.describe(),
        _ => title.clone(),
    };
    let target = step
        .target
        .as_ref()
        .map(|t| show(t, vars))
        .filter(|t| !t.trim().is_empty())
        .or_else(|| match &step.kind {
            StepKind::Flag(f) => Some(show(&f.flag, vars)),
            _ => None,
        });
    let where_ = env.as_ref().map(|e| format!(" in {e}")).unwrap_or_default();
    match env.as_deref().filter(|e| is_production(e)) {
        Some(e) => {
            let expect = target.unwrap_or_else(|| e.to_string());
            Confirm::Typed {
                question: format!("PRODUCTION: {what}{where_}. \"{title}\""),
                expect,
            }
        }
        None => Confirm::YesNo(format!("{}{where_}? ({title})", capitalise(&what))),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// A multi-line human description of a step (run view, `show`, dry run):
/// what it does when carried out. Its `dry_run` text is not part of it
/// (a live step does not "would" anything); `show` and `--dry-run` add it.
pub fn describe_step(step: &Step, vars: &Vars) -> Vec<String> {
    let mut out = Vec::new();
    if !step.text.trim().is_empty() {
        out.extend(reflow(&show(&step.text, vars)));
    }
    match &step.kind {
        StepKind::Command(c) => {
            match (&c.run, action(step, vars)) {
                (Run::Script { text: s, shell }, _) => {
                    let name = shell.rsplit('/').next().unwrap_or(shell);
                    let named: Vec<String> = c.env.keys().map(|k| format!("${k}")).collect();
                    let and = if named.is_empty() {
                        String::new()
                    } else {
                        format!(" and {}", named.join(", "))
                    };
                    out.push(format!(
                        "script ({name} -c; values in $FB_* variables{and}):"
                    ));
                    out.extend(s.lines().map(|l| format!("  {l}")));
                }
                (_, Ok(Some(a))) => out.push(format!("$ {}", a.describe())),
                (Run::Argv(argv), Err(e)) => {
                    let shown: Vec<String> = argv.iter().map(|a| show(a, vars)).collect();
                    out.push(format!("$ {}", shown.join(" ")));
                    if !e.starts_with("no value for input") {
                        out.push(format!("(cannot run as is: {e})"));
                    }
                }
                (_, Ok(None)) => {}
            }
            out.push(format!(
                "timeout {}s, expected exit {:?}{}",
                c.timeout.as_secs(),
                c.expect_exit,
                if c.dangerous { ", DANGEROUS" } else { "" }
            ));
        }
        StepKind::Flag(f) => out.push(match f.wanted {
            Some(w) => format!(
                "Turn flag {} {}",
                show(&f.flag, vars),
                if w { "ON" } else { "OFF" }
            ),
            None => format!("Read flag {}", show(&f.flag, vars)),
        }),
        StepKind::Query(q) => {
            if let Some(p) = &q.query {
                out.push(format!("PromQL: {}", show(p, vars)));
            }
            if let Some(p) = &q.panel {
                out.push(format!("panel: {p}"));
            }
            out.push(format!(
                "expect {} within {}s (polled every {}s)",
                q.expect.describe(),
                q.within.as_secs(),
                q.every.as_secs()
            ));
        }
        StepKind::Wait { duration } => out.push(format!("wait {}s", duration.as_secs())),
        StepKind::Link { url } => out.push(format!("open: {}", show(url, vars))),
        StepKind::Release { action, .. } => out.push(match action {
            ReleaseOp::Current => "Read the deployed version (release control)".into(),
            ReleaseOp::Rollback => "Roll back the last release (release control)".into(),
        }),
        StepKind::Check | StepKind::Note => {}
    }
    if let Some(f) = &step.on_failure {
        out.push(format!("if this fails: {}", show(f, vars)));
    }
    if let Some(u) = &step.undo {
        out.push(format!("undo: {}", show(u, vars)));
    }
    out
}

/// Join the hard-wrapped lines of a TOML multi-line string into
/// paragraphs (the view wraps them to its width). Blank lines separate
/// paragraphs; lines starting with "- ", "* " or "1. " stay list items;
/// lines starting with a tab are code and stay as written (a Markdown
/// runbook's blocks shown, not run).
pub fn reflow(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for line in text.lines() {
        if let Some(code) = line.strip_prefix('\t') {
            out.push(format!("  {}", code.trim_end()));
            open = false;
            continue;
        }
        let t = line.trim();
        if t.is_empty() {
            open = false;
            continue;
        }
        let item = t.starts_with("- ") || t.starts_with("* ") || numbered(t);
        match out.last_mut() {
            Some(last) if open && !item => {
                last.push(' ');
                last.push_str(t);
            }
            _ => out.push(if item && line.starts_with("  ") {
                // A nested item keeps its indent.
                let depth = (line.len() - line.trim_start().len()).min(8);
                format!("{}{t}", " ".repeat(depth))
            } else {
                t.to_string()
            }),
        }
        open = true;
    }
    out
}

/// "12. text": a numbered list item.
fn numbered(t: &str) -> bool {
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && digits < 4 && t[digits..].starts_with(". ")
}
