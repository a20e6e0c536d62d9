//! Templating: `{{input}}` and `{{labels.NAME}}` in step text and in argv
//! ELEMENTS, one element at a time. Nothing here ever builds a shell
//! command line: a substituted value stays inside the one argument it
//! was placed in, and script steps get values only as environment
//! variables (see [`env_for`]).
//!
//! `{{steps.N.finished}}` is when step N (1-based) of the run finished,
//! in UTC (`14:03:12 UTC`), for texts such as "off since ...".
//!
//! `{{{{` writes a literal `{{` (for Go templates in kubectl arguments).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// A reference to a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VarRef {
    Input(String),
    Label(String),
    /// When step N (0-based here, 1-based as written) finished.
    StepFinished(usize),
}

impl VarRef {
    pub fn text(&self) -> String {
        match self {
            VarRef::Input(n) => n.clone(),
            VarRef::Label(n) => format!("labels.{n}"),
            VarRef::StepFinished(i) => format!("steps.{}.finished", i + 1),
        }
    }
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Lit(String),
    Var(VarRef),
}

/// The values a run has.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vars {
    pub inputs: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    /// Names of the inputs of type `argv` (split into words in argv).
    pub argv_inputs: Vec<String>,
    pub demo: bool,
    /// When each finished step of the run finished (0-based index), for
    /// `{{steps.N.finished}}`.
    pub finished: BTreeMap<usize, DateTime<Utc>>,
}

impl Vars {
    /// Value of a `when` variable: input, `labels.X`, or `demo`.
    pub fn lookup(&self, var: &str) -> Option<String> {
        if var == "demo" {
            return Some(self.demo.to_string());
        }
        if let Some(l) = var.strip_prefix("labels.") {
            return self.labels.get(l).cloned();
        }
        self.inputs.get(var).cloned()
    }

    fn get(&self, r: &VarRef) -> Result<String, String> {
        match r {
            VarRef::Input(n) => self
                .inputs
                .get(n)
                .cloned()
                .ok_or_else(|| format!("no value for input `{n}`")),
            VarRef::Label(n) => self.labels.get(n).cloned().ok_or_else(|| {
                format!("the alert has no label `{n}` (pick the run's alert, or use an input)")
            }),
            VarRef::StepFinished(i) => self
                .finished
                .get(i)
                .map(|t| t.format("%H:%M:%S UTC").to_string())
                .ok_or_else(|| format!("step {} has not finished yet", i + 1)),
        }
    }
}

fn valid_name(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

/// Split a template into literal text and references.
pub fn parse(text: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("{{") {
        lit.push_str(&rest[..i]);
        rest = &rest[i + 2..];
        if let Some(after) = rest.strip_prefix("{{") {
            lit.push_str("{{");
            rest = after;
            continue;
        }
        let Some(end) = rest.find("}}") else {
            return Err("`{{` without a closing `}}` (write `{{{{` for a literal `{{`)".into());
        };
        let name = rest[..end].trim();
        rest = &rest[end + 2..];
        let step = name
            .strip_prefix("steps.")
            .and_then(|r| r.strip_suffix(".finished"));
        let r = if let Some(n) = step {
            match n.parse::<usize>() {
                Ok(n) if n >= 1 => VarRef::StepFinished(n - 1),
                _ => {
                    return Err(format!(
                        "`{{{{{name}}}}}`: write {{{{steps.N.finished}}}} with N the step's number, from 1"
                    ))
                }
            }
        } else if let Some(l) = name.strip_prefix("labels.") {
            if !valid_name(l) {
                return Err(format!("`{{{{{name}}}}}`: not a label name"));
            }
            VarRef::Label(l.to_string())
        } else if valid_name(name) {
            VarRef::Input(name.to_string())
        } else {
            return Err(format!(
                "`{{{{{name}}}}}`: write {{{{input_name}}}} or {{{{labels.name}}}}"
            ));
        };
        if !lit.is_empty() {
            out.push(Piece::Lit(std::mem::take(&mut lit)));
        }
        out.push(Piece::Var(r));
    }
    lit.push_str(rest);
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    Ok(out)
}

/// The references in a template.
pub fn refs(text: &str) -> Result<Vec<VarRef>, String> {
    Ok(parse(text)?
        .into_iter()
        .filter_map(|p| match p {
            Piece::Var(r) => Some(r),
            Piece::Lit(_) => None,
        })
        .collect())
}

/// Does the text contain any reference?
pub fn has_refs(text: &str) -> bool {
    refs(text).map(|r| !r.is_empty()).unwrap_or(true)
}

/// Render a template to text (for display, env values, flag names...).
pub fn render(text: &str, vars: &Vars) -> Result<String, String> {
    let mut out = String::new();
    for p in parse(text)? {
        match p {
            Piece::Lit(s) => out.push_str(&s),
            Piece::Var(r) => out.push_str(&vars.get(&r)?),
        }
    }
    Ok(out)
}

/// Render for display: values that are missing stay as `{{name}}`.
pub fn render_lenient(text: &str, vars: &Vars) -> String {
    let Ok(pieces) = parse(text) else {
        return text.to_string();
    };
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Lit(s) => out.push_str(&s),
            Piece::Var(r) => match (vars.get(&r), &r) {
                (Ok(v), _) => out.push_str(&v),
                (Err(_), VarRef::StepFinished(i)) => {
                    out.push_str(&format!("(when step {} is done)", i + 1))
                }
                (Err(_), _) => out.push_str(&format!("{{{{{}}}}}", r.text())),
            },
        }
    }
    out
}

/// Render an argv list element by element. An element that is exactly
/// one `{{x}}` of an `argv` input becomes that input's words; any other
/// element stays exactly one argument whatever the values contain.
/// A value that would stand alone as an argument and starts with `-` is
/// refused (it would be read as an option) unless it follows `--`.
pub fn render_argv(argv: &[String], vars: &Vars) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut after_dashdash = false;
    for (i, el) in argv.iter().enumerate() {
        let pieces = parse(el)?;
        if let [Piece::Var(r)] = pieces.as_slice() {
            let v = vars.get(r)?;
            if let VarRef::Input(n) = r {
                if vars.argv_inputs.iter().any(|a| a == n) {
                    out.extend(split_words(&v).map_err(|e| format!("input `{n}`: {e}"))?);
                    continue;
                }
            }
            if i > 0 && v.starts_with('-') && !after_dashdash {
                return Err(format!(
                    "refusing: `{}` = `{v}` starts with `-` and would be read as an option (put \"--\" before it in argv)",
                    r.text()
                ));
            }
            out.push(v);
        } else {
            out.push(render(el, vars)?);
        }
        if el == "--" {
            after_dashdash = true;
        }
    }
    match out.first() {
        Some(program) if !program.is_empty() => Ok(out),
        _ => Err("the command is empty".into()),
    }
}

/// Split a command line into words: whitespace separates, '…' and "…"
/// group, backslash escapes the next character outside single quotes.
/// Nothing is expanded: `$HOME`, `$(…)` and globs stay literal text.
pub fn split_words(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => cur.push(x),
                        None => return Err("unclosed single quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x) => cur.push(x),
                            None => return Err("trailing backslash".into()),
                        },
                        Some(x) => cur.push(x),
                        None => return Err("unclosed double quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(x) => cur.push(x),
                    None => return Err("trailing backslash".into()),
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// Environment variable name for an input or label: `FB_SERVICE`,
/// `FB_LABEL_ALERTNAME`.
pub fn env_name(prefix: &str, name: &str) -> String {
    let mut s = String::from(prefix);
    for c in name.chars() {
        s.push(if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        });
    }
    s
}

/// The environment every command step gets: each input as `FB_<NAME>`,
/// each alert label as `FB_LABEL_<NAME>`, and `FB_DEMO`.
pub fn env_for(vars: &Vars) -> Vec<(String, String)> {
    let mut env = Vec::new();
    for (k, v) in &vars.inputs {
        env.push((env_name("FB_", k), v.clone()));
    }
    for (k, v) in &vars.labels {
        env.push((env_name("FB_LABEL_", k), v.clone()));
    }
    env.push(("FB_DEMO".into(), vars.demo.to_string()));
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        let mut v = Vars::default();
        v.inputs.insert("service".into(), "checkout".into());
        v.inputs
            .insert("deploy".into(), "helm rollback 'my app' 3".into());
        v.argv_inputs.push("deploy".into());
        v.labels.insert("env".into(), "prod".into());
        v.labels
            .insert("evil".into(), "$(touch /tmp/x); rm -rf ~ `id`\nnext".into());
        v.labels
            .insert("dash".into(), "--kubeconfig=/etc/evil".into());
        v
    }

    #[test]
    fn a_step_time_is_a_real_time_once_the_step_is_done() {
        let mut v = vars();
        let text = "off since {{steps.2.finished}}";
        assert_eq!(render_lenient(text, &v), "off since (when step 2 is done)");
        assert!(render(text, &v).unwrap_err().contains("step 2"));
        let at = DateTime::parse_from_rfc3339("2026-11-27T14:03:12Z")
            .unwrap()
            .to_utc();
        v.finished.insert(1, at);
        assert_eq!(render(text, &v).unwrap(), "off since 14:03:12 UTC");
        assert!(parse("{{steps.0.finished}}").is_err());
        assert!(parse("{{steps.x.finished}}").is_err());
    }

    #[test]
    fn renders_inputs_and_labels_and_escapes() {
        let v = vars();
        assert_eq!(
            render("svc {{service}} in {{ labels.env }}", &v).unwrap(),
            "svc checkout in prod"
        );
        assert_eq!(render("{{{{.status}}", &v).unwrap(), "{{.status}}");
        assert!(render("{{nope}}", &v).unwrap_err().contains("nope"));
        assert!(render("{{labels.missing}}", &v)
            .unwrap_err()
            .contains("missing"));
        assert!(parse("{{ bad name }}").is_err());
        assert!(parse("{{unclosed").is_err());
    }

    #[test]
    fn argv_elements_stay_single_arguments() {
        let v = vars();
        let argv: Vec<String> = ["echo", "x={{labels.evil}}", "{{labels.evil}}"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let out = render_argv(&argv, &v).unwrap();
        assert_eq!(out.len(), 3);
        assert_eq!(out[2], "$(touch /tmp/x); rm -rf ~ `id`\nnext");
    }

    #[test]
    fn argv_inputs_split_into_words_without_expansion() {
        let v = vars();
        let out = render_argv(&["{{deploy}}".to_string(), "--wait".to_string()], &v).unwrap();
        assert_eq!(out, ["helm", "rollback", "my app", "3", "--wait"]);
        assert_eq!(
            split_words("a \"b c\" $(x) 'd\"e'").unwrap(),
            ["a", "b c", "$(x)", "d\"e"]
        );
        assert!(split_words("'open").is_err());
    }

    #[test]
    fn option_like_values_are_refused_unless_after_dashdash() {
        let v = vars();
        let e = render_argv(&["kubectl".into(), "{{labels.dash}}".into()], &v).unwrap_err();
        assert!(e.contains("starts with `-`"), "{e}");
        let ok = render_argv(&["grep".into(), "--".into(), "{{labels.dash}}".into()], &v).unwrap();
        assert_eq!(ok[2], "--kubeconfig=/etc/evil");
        // Embedded in a larger element it is not an option.
        assert!(render_argv(&["echo".into(), "x{{labels.dash}}".into()], &v).is_ok());
    }

    #[test]
    fn env_names_are_safe() {
        assert_eq!(env_name("FB_LABEL_", "k8s.io/app"), "FB_LABEL_K8S_IO_APP");
        let env = env_for(&vars());
        assert!(env.contains(&("FB_SERVICE".into(), "checkout".into())));
        assert!(env.contains(&("FB_LABEL_ENV".into(), "prod".into())));
    }
}
