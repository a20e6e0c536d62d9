//! Validation of a parsed playbook file: every rule that TOML types
//! cannot express, each error naming the file, the line and the field.
//!
//! Why one file of this length: every rule of the playbook format, one function per rule, in the order the README documents the format.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use regex::Regex;

use super::model::*;
use super::template::{self, VarRef};
use crate::error::{line_of, FileError};

pub(super) struct Validator<'a> {
    pub(super) file: &'a Path,
    pub(super) src: &'a str,
    pub(super) errors: Vec<FileError>,
    /// A Markdown runbook: its steps start at their heading or fence (no
    /// `key = ` lines to look for), and its scripts are other people's
    /// shell, where `{{` is Go templates, not firebreak's.
    pub(super) markdown: bool,
}

/// The shells a script may name, and what runs for each.
pub const SHELLS: &[(&str, &str)] = &[
    ("sh", super::runner::SH),
    ("bash", "bash"),
    ("zsh", "zsh"),
    ("dash", "dash"),
    ("ksh", "ksh"),
    ("mksh", "mksh"),
];

/// The program for a shell named in a step (`bash`, or an absolute path).
pub fn shell_program(name: &str) -> Option<String> {
    SHELLS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, p)| (*p).to_string())
        .or_else(|| {
            (name.starts_with('/') && !name.contains(char::is_whitespace)).then(|| name.to_string())
        })
}

fn ident(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_lowercase() || ch == '_')
        && c.all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
}

/// A TOML table header line (`[[steps]]`, `[x.y]`), not shell brackets.
fn is_header(line: &str) -> bool {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r#"^\s*\[\[?\s*[A-Za-z0-9_."-]+\s*\]\]?\s*(#.*)?$"#).ok())
        .as_ref()
        .is_some_and(|re| re.is_match(line))
}

impl Validator<'_> {
    fn err(&mut self, line: Option<usize>, field: &str, msg: impl Into<String>) {
        self.errors
            .push(FileError::new(self.file, line, Some(field), msg));
    }

    fn line(&self, offset: usize) -> usize {
        line_of(self.src, offset)
    }

    /// Line of `key = ...` inside the table starting at `start`; the
    /// table's header line when the key is not found.
    fn key_line(&self, start: usize, key: &str) -> usize {
        let first = self.line(start);
        if self.markdown {
            return first;
        }
        for (n, l) in self.src.lines().enumerate().skip(first) {
            if is_header(l) {
                break;
            }
            let t = l.trim_start();
            if let Some(rest) = t.strip_prefix(key) {
                if rest.trim_start().starts_with('=') {
                    return n + 1;
                }
            }
        }
        first
    }

    pub(super) fn playbook(&mut self, pf: PlaybookFile, source: Source) -> Playbook {
        let name = pf.name.get_ref().clone();
        if !name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            let l = self.line(pf.name.span().start);
            self.err(Some(l), "name", format!("`{name}`: use lowercase letters, digits and dashes (it is typed on the command line)"));
        }
        let mut applies_to = Vec::new();
        let mut applies_to_text = Vec::new();
        for a in &pf.applies_to {
            let l = self.line(a.span().start);
            match crate::sources::matcher::parse(a.get_ref()) {
                Ok(ms) if ms.is_empty() => self.err(Some(l), "applies_to", "empty matcher list"),
                Ok(ms) => {
                    applies_to.push(ms);
                    applies_to_text.push(a.get_ref().clone());
                }
                Err(e) => self.err(Some(l), "applies_to", format!("`{}`: {e}", a.get_ref())),
            }
        }
        let inputs = self.inputs(&pf.inputs);
        let known: Known = Known {
            inputs: inputs.iter().map(|i| (i.name.clone(), i.ty)).collect(),
            steps: pf.steps.len(),
        };
        let environment = pf.environment.as_ref().map(|e| {
            let l = self.line(e.span().start);
            self.check_text(&known, e.get_ref(), Some(l), "environment");
            e.get_ref().clone()
        });
        if pf.steps.is_empty() {
            self.err(None, "steps", "a playbook needs at least one [[steps]]");
        }
        let mut steps = Vec::new();
        for (i, s) in pf.steps.into_iter().enumerate() {
            let start = s.span().start;
            if let Some(step) = self.step(i, start, s.into_inner(), &known) {
                steps.push(step);
            }
        }
        Playbook {
            title: pf.title.unwrap_or_else(|| name.clone()),
            name,
            description: pf.description,
            tags: pf.tags,
            applies_to,
            applies_to_text,
            environment,
            inputs,
            steps,
            source,
            runbook_path: None,
        }
    }

    fn inputs(&mut self, list: &[toml::Spanned<InputFile>]) -> Vec<Input> {
        let mut out: Vec<Input> = Vec::new();
        for (i, s) in list.iter().enumerate() {
            let start = s.span().start;
            let f = s.get_ref();
            let field = |k: &str| format!("inputs[{}].{k}", i + 1);
            let name_line = self.key_line(start, "name");
            if !ident(&f.name) || f.name == "demo" || f.name == "labels" {
                self.err(
                    Some(name_line),
                    &field("name"),
                    format!(
                        "`{}`: use lowercase letters, digits and _ (not `demo` or `labels`)",
                        f.name
                    ),
                );
            }
            if out.iter().any(|x| x.name == f.name) {
                self.err(
                    Some(name_line),
                    &field("name"),
                    format!("input `{}` is declared twice", f.name),
                );
            }
            let input = Input {
                name: f.name.clone(),
                description: f.description.clone(),
                ty: f.ty,
                default: f.default.as_ref().map(Scalar::as_text),
                demo_default: f.demo_default.as_ref().map(Scalar::as_text),
                from_label: f.from_label.clone(),
                choices: f.choices.clone(),
                pattern: f.pattern.clone(),
                required: f.required.unwrap_or(true),
            };
            if let Some(p) = &f.pattern {
                if let Err(e) = Regex::new(&format!("^(?:{p})$")) {
                    let l = self.key_line(start, "pattern");
                    self.err(
                        Some(l),
                        &field("pattern"),
                        format!("not a regular expression: {e}"),
                    );
                }
            }
            match f.ty {
                InputType::Choice if f.choices.is_empty() => {
                    let l = self.key_line(start, "type");
                    self.err(
                        Some(l),
                        &field("choices"),
                        "a `choice` input needs `choices = [...]`",
                    );
                }
                InputType::Argv if f.from_label.is_some() => {
                    let l = self.key_line(start, "from_label");
                    self.err(
                        Some(l),
                        &field("from_label"),
                        "an `argv` input is a command line: it may not come from an alert label",
                    );
                }
                t if t != InputType::Choice && !f.choices.is_empty() => {
                    let l = self.key_line(start, "choices");
                    self.err(
                        Some(l),
                        &field("choices"),
                        "`choices` only applies to `type = \"choice\"`",
                    );
                }
                _ => {}
            }
            if let Some(l) = &f.from_label {
                if !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || l.is_empty() {
                    let ln = self.key_line(start, "from_label");
                    self.err(
                        Some(ln),
                        &field("from_label"),
                        format!("`{l}` is not a label name"),
                    );
                }
            }
            for (key, v) in [
                ("default", &input.default),
                ("demo_default", &input.demo_default),
            ] {
                if let Some(v) = v {
                    if !v.is_empty() {
                        if let Err(e) = input.check(v) {
                            let l = self.key_line(start, key);
                            self.err(Some(l), &field(key), e);
                        }
                    }
                }
            }
            out.push(input);
        }
        out
    }

    /// Check the `{{...}}` references of a templated text.
    fn check_text(&mut self, known: &Known, text: &str, line: Option<usize>, field: &str) {
        match template::refs(text) {
            Err(e) => self.err(line, field, e),
            Ok(refs) => {
                for r in refs {
                    match &r {
                        VarRef::Input(n) if !known.inputs.iter().any(|(k, _)| k == n) => {
                            self.err(line, field, format!("`{{{{{n}}}}}` is not a declared input (declare it in [[inputs]])"));
                        }
                        VarRef::StepFinished(i) if *i >= known.steps => {
                            self.err(
                                line,
                                field,
                                format!(
                                    "`{{{{{}}}}}`: there is no step {} (the playbook has {})",
                                    r.text(),
                                    i + 1,
                                    known.steps
                                ),
                            );
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    fn step(&mut self, i: usize, start: usize, f: StepFile, known: &Known) -> Option<Step> {
        let n = i + 1;
        let field = |k: &str| format!("steps[{n}].{k}");
        let kl = |v: &Self, k: &str| Some(v.key_line(start, k));
        let before = self.errors.len();
        let allowed = f.kind.fields();
        for p in f.present_fields() {
            if !allowed.contains(&p) {
                let l = kl(self, p);
                self.err(
                    l,
                    &field(p),
                    format!(
                        "`{p}` is not used by `{}` steps (they take: {})",
                        f.kind.as_str(),
                        if allowed.is_empty() {
                            "no extra fields".to_string()
                        } else {
                            allowed.join(", ")
                        }
                    ),
                );
            }
        }
        for (k, v) in [
            ("title", Some(&f.title)),
            ("text", f.text.as_ref()),
            ("on_failure", f.on_failure.as_ref()),
            ("undo", f.undo.as_ref()),
            ("target", f.target.as_ref()),
            ("environment", f.environment.as_ref()),
            ("dry_run", f.dry_run.as_ref()),
            ("cwd", f.cwd.as_ref()),
            ("provider", f.provider.as_ref()),
            ("flag", f.flag.as_ref()),
            ("url", f.url.as_ref()),
            ("query", f.query.as_ref()),
        ] {
            if let Some(v) = v {
                let l = kl(self, k);
                self.check_text(known, v, l, &field(k));
            }
        }
        if f.title.trim().is_empty() {
            let l = kl(self, "title");
            self.err(l, &field("title"), "a step needs a title");
        }
        let mut when = Vec::new();
        for c in f.when.clone().map(OneOrMany::into_vec).unwrap_or_default() {
            match parse_cond(&c, known) {
                Ok(c) => when.push(c),
                Err(e) => {
                    let l = kl(self, "when");
                    self.err(l, &field("when"), e);
                }
            }
        }
        let duration =
            |v: &mut Self, key: &str, s: &Option<String>, default: Duration| -> Duration {
                match s {
                    None => default,
                    Some(s) => match parse_duration(s) {
                        Ok(d) if d.is_zero() => {
                            let l = kl(v, key);
                            v.err(l, &field(key), "must be more than zero");
                            default
                        }
                        Ok(d) => d,
                        Err(e) => {
                            let l = kl(v, key);
                            v.err(l, &field(key), e);
                            default
                        }
                    },
                }
            };
        let kind = match f.kind {
            KindName::Check => StepKind::Check,
            KindName::Note => StepKind::Note,
            KindName::Link => match &f.url {
                Some(u) => StepKind::Link { url: u.clone() },
                None => {
                    let l = kl(self, "kind");
                    self.err(l, &field("url"), "a `link` step needs `url`");
                    StepKind::Note
                }
            },
            KindName::Wait => match &f.duration {
                Some(_) => StepKind::Wait {
                    duration: duration(self, "duration", &f.duration, Duration::from_secs(60)),
                },
                None => {
                    let l = kl(self, "kind");
                    self.err(
                        l,
                        &field("duration"),
                        "a `wait` step needs `duration` (e.g. \"2m\")",
                    );
                    StepKind::Note
                }
            },
            KindName::Release => match f.action {
                Some(action) => StepKind::Release {
                    action,
                    dry_run: f.dry_run.clone(),
                },
                None => {
                    let l = kl(self, "kind");
                    self.err(
                        l,
                        &field("action"),
                        "a `release` step needs `action = \"current\"` or `\"rollback\"`",
                    );
                    StepKind::Note
                }
            },
            KindName::Flag => match &f.flag {
                Some(flag) => StepKind::Flag(FlagStep {
                    provider: f.provider.clone(),
                    flag: flag.clone(),
                    wanted: f.wanted,
                    dry_run: f.dry_run.clone(),
                }),
                None => {
                    let l = kl(self, "kind");
                    self.err(
                        l,
                        &field("flag"),
                        "a `flag` step needs `flag` (the flag's name)",
                    );
                    StepKind::Note
                }
            },
            KindName::Query => {
                let expect = match (f.below, f.above) {
                    (Some(b), None) => Expect::Below(b),
                    (None, Some(a)) => Expect::Above(a),
                    (Some(_), Some(_)) => {
                        let l = kl(self, "above");
                        self.err(l, &field("above"), "give `below` or `above`, not both");
                        Expect::Below(0.0)
                    }
                    (None, None) => {
                        let l = kl(self, "kind");
                        self.err(
                            l,
                            &field("below"),
                            "a `query` step needs `below = X` or `above = X`",
                        );
                        Expect::Below(0.0)
                    }
                };
                if f.query.is_none() && f.panel.is_none() {
                    let l = kl(self, "kind");
                    self.err(l, &field("query"), "a `query` step needs `query` (PromQL) and/or `panel` (a metric panel's name)");
                }
                StepKind::Query(QueryStep {
                    query: f.query.clone(),
                    panel: f.panel.clone(),
                    expect,
                    within: duration(self, "within", &f.within, DEFAULT_WITHIN),
                    every: duration(self, "every", &f.every, DEFAULT_EVERY),
                })
            }
            KindName::Command => self.command(&f, start, n, known, &duration),
        };
        if self.errors.len() > before {
            return None;
        }
        Some(Step {
            title: f.title,
            text: f.text.unwrap_or_default(),
            on_failure: f.on_failure,
            undo: f.undo,
            when,
            environment: f.environment,
            target: f.target,
            kind,
        })
    }

    #[allow(clippy::type_complexity)]
    fn command(
        &mut self,
        f: &StepFile,
        start: usize,
        n: usize,
        known: &Known,
        duration: &dyn Fn(&mut Self, &str, &Option<String>, Duration) -> Duration,
    ) -> StepKind {
        let field = |k: &str| format!("steps[{n}].{k}");
        let run = match (&f.argv, &f.script) {
            (Some(_), Some(_)) => {
                let l = self.key_line(start, "script");
                self.err(
                    Some(l),
                    &field("script"),
                    "give `argv` or `script`, not both",
                );
                None
            }
            (None, None) => {
                let l = self.key_line(start, "kind");
                self.err(
                    Some(l),
                    &field("argv"),
                    "a `command` step needs `argv = [...]` or `script = \"...\"`",
                );
                None
            }
            (Some(argv), None) => {
                let l = Some(self.key_line(start, "argv"));
                if argv.is_empty() {
                    self.err(
                        l,
                        &field("argv"),
                        "empty argv: the first element is the program",
                    );
                }
                for (j, el) in argv.iter().enumerate() {
                    match template::parse(el) {
                        Err(e) => self.err(l, &field("argv"), e),
                        Ok(pieces) => {
                            let standalone = pieces.len() == 1;
                            for p in pieces {
                                let template::Piece::Var(r) = p else { continue };
                                let ty = match &r {
                                    VarRef::Input(name) => {
                                        match known.inputs.iter().find(|(k, _)| k == name) {
                                            Some((_, ty)) => Some(*ty),
                                            None => {
                                                self.err(
                                                    l,
                                                    &field("argv"),
                                                    format!(
                                                        "`{{{{{name}}}}}` is not a declared input"
                                                    ),
                                                );
                                                continue;
                                            }
                                        }
                                    }
                                    VarRef::Label(_) | VarRef::StepFinished(_) => None,
                                };
                                let is_argv_input = ty == Some(InputType::Argv);
                                if is_argv_input && !standalone {
                                    self.err(
                                        l,
                                        &field("argv"),
                                        format!("`{{{{{}}}}}` is an argv input: it must be a whole element on its own", r.text()),
                                    );
                                }
                                if j == 0 && !is_argv_input {
                                    self.err(
                                        l,
                                        &field("argv"),
                                        format!(
                                            "the program (argv[0]) may not come from `{{{{{}}}}}`: only an input of type \"argv\" may choose the program",
                                            r.text()
                                        ),
                                    );
                                }
                            }
                        }
                    }
                }
                Some(Run::Argv(argv.clone()))
            }
            (None, Some(script)) => {
                if template::has_refs(script) && !self.markdown {
                    let l = self.key_line(start, "script");
                    self.err(
                        Some(l),
                        &field("script"),
                        "scripts get values only as environment variables: write \"$FB_SERVICE\" (inputs) or \"$FB_LABEL_ENV\" (labels), not {{...}}",
                    );
                }
                if script.trim().is_empty() {
                    let l = self.key_line(start, "script");
                    self.err(Some(l), &field("script"), "empty script");
                }
                let shell = match f.shell.as_deref() {
                    None => Some(super::runner::SH.to_string()),
                    Some(name) => shell_program(name),
                };
                match shell {
                    Some(shell) => Some(Run::Script {
                        text: script.clone(),
                        shell,
                    }),
                    None => {
                        let l = self.key_line(start, "shell");
                        let names: Vec<&str> = SHELLS.iter().map(|(n, _)| *n).collect();
                        self.err(
                            Some(l),
                            &field("shell"),
                            format!(
                                "`{}`: name one of {} or an absolute path",
                                f.shell.as_deref().unwrap_or_default(),
                                names.join(", ")
                            ),
                        );
                        None
                    }
                }
            }
        };
        if f.shell.is_some() && f.argv.is_some() {
            let l = self.key_line(start, "shell");
            self.err(
                Some(l),
                &field("shell"),
                "`shell` is for `script` steps (argv runs the program itself)",
            );
        }
        let mut env = std::collections::BTreeMap::new();
        for (k, v) in f.env.clone().unwrap_or_default() {
            let l = Some(self.key_line(start, "env"));
            let ok = k
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok {
                self.err(
                    l,
                    &field("env"),
                    format!("`{k}` is not an environment variable name"),
                );
            }
            self.check_text(known, &v, l, &field("env"));
            env.insert(k, v);
        }
        let expect_exit = f.expect_exit.clone().unwrap_or_else(|| vec![0]);
        if expect_exit.is_empty() {
            let l = self.key_line(start, "expect_exit");
            self.err(
                Some(l),
                &field("expect_exit"),
                "list at least one exit code (usually [0])",
            );
        }
        let timeout = duration(self, "timeout", &f.timeout, DEFAULT_TIMEOUT);
        match run {
            Some(run) => StepKind::Command(CommandStep {
                run,
                cwd: f.cwd.clone(),
                env,
                timeout,
                expect_exit,
                dangerous: f.dangerous.unwrap_or(false),
                dry_run: f.dry_run.clone(),
                mitigation: f.mitigation.unwrap_or(false),
            }),
            None => StepKind::Note,
        }
    }
}

/// What a playbook declares, for reference checks.
struct Known {
    inputs: Vec<(String, InputType)>,
    /// How many steps the playbook has (for `{{steps.N.finished}}`).
    steps: usize,
}

/// `var == a|b`, `var != a`.
fn parse_cond(text: &str, known: &Known) -> Result<Cond, String> {
    let (var, negate, rhs) = if let Some((l, r)) = text.split_once("!=") {
        (l, true, r)
    } else if let Some((l, r)) = text.split_once("==") {
        (l, false, r)
    } else {
        return Err(format!(
            "`{text}`: write `input == value`, `input != value` or `demo == true`"
        ));
    };
    let var = var.trim().to_string();
    let ok = var == "demo"
        || var.strip_prefix("labels.").is_some_and(|l| !l.is_empty())
        || known.inputs.iter().any(|(k, _)| *k == var);
    if !ok {
        return Err(format!(
            "`{text}`: `{var}` is not a declared input, `labels.NAME` or `demo`"
        ));
    }
    let values: Vec<String> = rhs
        .split('|')
        .map(|v| v.trim().trim_matches('"').trim_matches('\'').to_string())
        .collect();
    if values.iter().any(String::is_empty) && rhs.trim().is_empty() {
        return Err(format!("`{text}`: compare with a value"));
    }
    Ok(Cond {
        var,
        negate,
        values,
        text: text.trim().to_string(),
    })
}
