//! Loading and validating playbooks. The shipped ones are compiled in;
//! user directories (from the config) are read from disk and may
//! override a shipped playbook of the same name. Every error names the
//! file, the line and the field; unknown keys are errors.

use std::path::{Path, PathBuf};

use super::model::*;
use super::validate::Validator;
use crate::error::FileError;

/// The shipped playbooks (path in the source tree, text).
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "playbooks/rollback.toml",
        include_str!("../../playbooks/rollback.toml"),
    ),
    (
        "playbooks/feature-flag-kill.toml",
        include_str!("../../playbooks/feature-flag-kill.toml"),
    ),
    (
        "playbooks/read-only-mode.toml",
        include_str!("../../playbooks/read-only-mode.toml"),
    ),
    (
        "playbooks/maintenance-mode.toml",
        include_str!("../../playbooks/maintenance-mode.toml"),
    ),
    (
        "playbooks/systematic-diagnosis.toml",
        include_str!("../../playbooks/systematic-diagnosis.toml"),
    ),
    (
        "playbooks/verify-recovery.toml",
        include_str!("../../playbooks/verify-recovery.toml"),
    ),
];

/// The demo incident's Markdown runbooks (path inside the runbook
/// directory, text), loaded only in the demo.
pub const DEMO_RUNBOOKS: &[(&str, &str)] = &[(
    "search/disk-space-low.md",
    include_str!("../../assets/demo/runbooks/search/disk-space-low.md"),
)];

/// The demo's runbooks (tested, so errors here are bugs; returned, not
/// panicked on).
pub fn demo_runbooks() -> Catalog {
    let mut c = Catalog::default();
    for (rel, src) in DEMO_RUNBOOKS {
        let path = format!("assets/demo/runbooks/{rel}");
        match super::markdown::parse(
            Path::new(&path),
            src,
            Source::Builtin(path.clone()),
            Some(rel),
        ) {
            Ok(p) => c.playbooks.push(p),
            Err(e) => c.errors.extend(e),
        }
    }
    c
}

/// Playbooks and the errors met loading them.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub playbooks: Vec<Playbook>,
    pub errors: Vec<FileError>,
}

impl Catalog {
    pub fn get(&self, name: &str) -> Option<&Playbook> {
        self.playbooks.iter().find(|p| p.name == name)
    }
}

/// The shipped playbooks. They are covered by tests, so errors here are
/// bugs; they are still returned rather than panicking.
pub fn builtin() -> Catalog {
    let mut c = Catalog::default();
    for (path, src) in BUILTIN {
        match parse(Path::new(path), src, Source::Builtin((*path).to_string())) {
            Ok(p) => c.playbooks.push(p),
            Err(e) => c.errors.extend(e),
        }
    }
    c
}

/// Shipped playbooks, then every playbook in `dirs` (`*.toml` and
/// `*.md`; a missing dir is fine), then every Markdown runbook under
/// `runbook_dirs` (subdirectories too). A later playbook with the same
/// name replaces an earlier one.
pub fn load_all(dirs: &[PathBuf], runbook_dirs: &[PathBuf]) -> Catalog {
    let mut c = builtin();
    let all = dirs
        .iter()
        .map(|d| (d, false))
        .chain(runbook_dirs.iter().map(|d| (d, true)));
    for (d, runbooks) in all {
        let (ps, errs) = load_dir(d, runbooks);
        c.errors.extend(errs);
        for p in ps {
            match c.playbooks.iter().position(|x| x.name == p.name) {
                Some(i) => c.playbooks[i] = p,
                None => c.playbooks.push(p),
            }
        }
    }
    c
}

/// A playbook file found in a directory; for Markdown, its path inside
/// that directory (matched against an alert's `runbook_url`).
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub path: PathBuf,
    pub rel: Option<String>,
}

/// How deep runbook directories are searched, and how many files.
const MAX_DEPTH: usize = 8;
const MAX_FILES: usize = 10_000;

fn is_markdown(p: &Path) -> bool {
    p.extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("md") || x.eq_ignore_ascii_case("markdown"))
}

/// Files of a runbook repository that are not runbooks.
fn not_a_runbook(name: &str) -> bool {
    let stem = name
        .rsplit_once('.')
        .map_or(name, |(s, _)| s)
        .to_ascii_lowercase();
    matches!(
        stem.as_str(),
        "_index"
            | "changelog"
            | "contributing"
            | "code_of_conduct"
            | "license"
            | "security"
            | "codeowners"
    )
}

/// The playbook files in `dir`, sorted: `*.toml` and `*.md` in it, and
/// with `runbooks` the `*.md` files of its subdirectories as well
/// (hidden directories and `node_modules` left out).
pub fn files_in(dir: &Path, runbooks: bool) -> Result<Vec<Found>, FileError> {
    let mut out = Vec::new();
    walk(dir, dir, runbooks, 0, &mut out)?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn walk(
    root: &Path,
    dir: &Path,
    runbooks: bool,
    depth: usize,
    out: &mut Vec<Found>,
) -> Result<(), FileError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| FileError::new(dir, None, None, format!("cannot read directory: {e}")))?;
    for e in entries.filter_map(Result::ok) {
        let path = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with('.') || out.len() >= MAX_FILES {
            continue;
        }
        if path.is_dir() {
            if runbooks && depth < MAX_DEPTH && name != "node_modules" {
                // A subdirectory that cannot be read is skipped: the
                // rest of the repository still loads.
                let _ = walk(root, &path, runbooks, depth + 1, out);
            }
            continue;
        }
        let toml = depth == 0 && !runbooks && path.extension().is_some_and(|x| x == "toml");
        if toml {
            out.push(Found { path, rel: None });
        } else if is_markdown(&path) && !not_a_runbook(&name) {
            let rel = path
                .strip_prefix(root)
                .map(|r| r.to_string_lossy().replace('\\', "/"))
                .ok();
            out.push(Found { path, rel });
        }
    }
    Ok(())
}

/// Every playbook in `dir` (see [`files_in`]).
pub fn load_dir(dir: &Path, runbooks: bool) -> (Vec<Playbook>, Vec<FileError>) {
    let mut ps = Vec::new();
    let mut errs = Vec::new();
    let files = match files_in(dir, runbooks) {
        Ok(f) => f,
        Err(_) if !dir.exists() => return (ps, errs),
        Err(e) => return (ps, vec![e]),
    };
    for f in files {
        match load_found(&f) {
            Ok(p) => ps.push(p),
            Err(e) => errs.extend(e),
        }
    }
    (ps, errs)
}

/// Read and validate one file (TOML, or Markdown by its extension).
pub fn load_file(path: &Path) -> Result<Playbook, Vec<FileError>> {
    let rel = is_markdown(path)
        .then(|| path.file_name().map(|n| n.to_string_lossy().to_string()))
        .flatten();
    load_found(&Found {
        path: path.to_path_buf(),
        rel,
    })
}

/// Read and validate a file found in a directory.
pub fn load_found(f: &Found) -> Result<Playbook, Vec<FileError>> {
    let path = &f.path;
    let too_big =
        std::fs::metadata(path).is_ok_and(|m| m.len() > super::markdown::MAX_BYTES as u64);
    if too_big {
        return Err(vec![FileError::new(
            path,
            None,
            None,
            format!(
                "larger than {} KiB: not a playbook",
                super::markdown::MAX_BYTES / 1024
            ),
        )]);
    }
    let src = std::fs::read_to_string(path).map_err(|e| {
        vec![FileError::new(
            path,
            None,
            None,
            format!("cannot read: {e}"),
        )]
    })?;
    let source = Source::File(path.to_path_buf());
    if is_markdown(path) {
        super::markdown::parse(path, &src, source, f.rel.as_deref())
    } else {
        parse(path, &src, source)
    }
}

/// Parse and validate a playbook's text. Returns every problem found.
pub fn parse(file: &Path, src: &str, source: Source) -> Result<Playbook, Vec<FileError>> {
    FileError::check_toml_depth(file, src).map_err(|e| vec![e])?;
    let pf: PlaybookFile = toml::from_str(src).map_err(|e| vec![toml_error(file, src, &e)])?;
    let mut v = Validator {
        file,
        src,
        errors: Vec::new(),
        markdown: false,
    };
    let pb = v.playbook(pf, source);
    if v.errors.is_empty() {
        Ok(pb)
    } else {
        Err(v.errors)
    }
}

/// A TOML error naming the key on the error's line when the message
/// does not ("invalid type: ...", "unknown variant `x`").
fn toml_error(file: &Path, src: &str, e: &toml::de::Error) -> FileError {
    let mut fe = FileError::from_toml(file, src, e);
    let names_field =
        fe.message.starts_with("unknown field") || fe.message.starts_with("missing field");
    if !names_field {
        let key = fe
            .line
            .and_then(|l| src.lines().nth(l.saturating_sub(1)))
            .and_then(|l| l.split_once('='))
            .map(|(k, _)| k.trim().trim_matches('"').to_string())
            .filter(|k| !k.is_empty() && !k.starts_with('['));
        if key.is_some() {
            fe.field = key;
        }
    }
    fe
}

/// Files named to `playbook check`: files as they are; in a directory,
/// its `*.toml` and the `*.md` in it and below it.
pub fn expand_paths(paths: &[PathBuf]) -> Vec<Found> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut fs = files_in(p, false).unwrap_or_default();
            let deeper: Vec<Found> = files_in(p, true)
                .unwrap_or_default()
                .into_iter()
                .filter(|f| !fs.contains(f))
                .collect();
            fs.extend(deeper);
            fs.sort_by(|a, b| a.path.cmp(&b.path));
            out.extend(fs);
        } else {
            let rel = is_markdown(p)
                .then(|| p.file_name().map(|n| n.to_string_lossy().to_string()))
                .flatten();
            out.push(Found {
                path: p.clone(),
                rel,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_playbooks_are_valid() {
        let c = builtin();
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        assert_eq!(c.playbooks.len(), BUILTIN.len());
        let d = demo_runbooks();
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert_eq!(d.playbooks.len(), DEMO_RUNBOOKS.len());
    }

    #[test]
    fn step_field_of_another_kind_names_its_line() {
        let src = "name = \"x\"\ndescription = \"d\"\n\n[[steps]]\ntitle = \"a\"\nkind = \"check\"\nargv = [\"ls\"]\n";
        let e = parse(Path::new("x.toml"), src, Source::File("x.toml".into())).unwrap_err();
        assert_eq!(e[0].line, Some(7));
        assert_eq!(e[0].field.as_deref(), Some("steps[1].argv"));
    }

    #[test]
    fn section_ends_at_the_next_header_not_at_shell_brackets() {
        let src = "name = \"x\"\ndescription = \"d\"\n[[steps]]\ntitle = \"a\"\nkind = \"command\"\nscript = \"\"\"\n[ -f x ] && echo {{x}}\n\"\"\"\ntimeout = \"bad\"\n";
        let e = parse(Path::new("x.toml"), src, Source::File("x.toml".into())).unwrap_err();
        let t = e
            .iter()
            .find(|e| e.field.as_deref() == Some("steps[1].timeout"))
            .unwrap();
        assert_eq!(t.line, Some(9));
    }
}
