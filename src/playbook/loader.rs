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

/// Shipped playbooks, then every `*.toml` in `dirs` (a missing dir is
/// fine). A later playbook with the same name replaces an earlier one.
pub fn load_all(dirs: &[PathBuf]) -> Catalog {
    let mut c = builtin();
    for d in dirs {
        let (ps, errs) = load_dir(d);
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

/// Every `*.toml` file in `dir`, sorted by name.
pub fn load_dir(dir: &Path) -> (Vec<Playbook>, Vec<FileError>) {
    let mut ps = Vec::new();
    let mut errs = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (ps, errs),
        Err(e) => {
            errs.push(FileError::new(
                dir,
                None,
                None,
                format!("cannot read directory: {e}"),
            ));
            return (ps, errs);
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    for f in files {
        match load_file(&f) {
            Ok(p) => ps.push(p),
            Err(e) => errs.extend(e),
        }
    }
    (ps, errs)
}

/// Read and validate one file.
pub fn load_file(path: &Path) -> Result<Playbook, Vec<FileError>> {
    let src = std::fs::read_to_string(path).map_err(|e| {
        vec![FileError::new(
            path,
            None,
            None,
            format!("cannot read: {e}"),
        )]
    })?;
    parse(path, &src, Source::File(path.to_path_buf()))
}

/// Parse and validate a playbook's text. Returns every problem found.
pub fn parse(file: &Path, src: &str, source: Source) -> Result<Playbook, Vec<FileError>> {
    FileError::check_toml_depth(file, src).map_err(|e| vec![e])?;
    let pf: PlaybookFile = toml::from_str(src).map_err(|e| vec![toml_error(file, src, &e)])?;
    let mut v = Validator {
        file,
        src,
        errors: Vec::new(),
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

/// Names of files/dirs given to `playbook check`: files as-is, every
/// `*.toml` inside directories.
pub fn expand_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut fs: Vec<PathBuf> = std::fs::read_dir(p)
                .map(|rd| {
                    rd.filter_map(Result::ok)
                        .map(|e| e.path())
                        .filter(|x| x.extension().is_some_and(|e| e == "toml"))
                        .collect()
                })
                .unwrap_or_default();
            fs.sort();
            out.extend(fs);
        } else {
            out.push(p.clone());
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
