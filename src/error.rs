//! Errors in user files that name the file, the line and the field.

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem in a user-supplied TOML file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for FileError {}

impl FileError {
    pub fn new(
        file: &Path,
        line: Option<usize>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        FileError {
            file: file.to_path_buf(),
            line,
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }

    /// A TOML file nested deeper than [`crate::depth::MAX_DEPTH`] levels,
    /// refused before the `toml` crate parses it (see [`crate::depth`]).
    pub fn check_toml_depth(file: &Path, src: &str) -> Result<(), FileError> {
        crate::depth::toml(src).map_err(|d| FileError::new(file, Some(d.line), None, d.to_string()))
    }

    /// Turn a `toml` deserialisation error into one naming line and field.
    pub fn from_toml(file: &Path, src: &str, err: &toml::de::Error) -> Self {
        let line = err.span().map(|s| line_of(src, s.start));
        let message = err.message().trim().to_string();
        // "unknown field `x`" names the field; otherwise it is the key
        // written on the offending line (with its table), not a value.
        let field = if message.starts_with("unknown field")
            || message.starts_with("missing field")
            || message.starts_with("duplicate field")
        {
            field_in_message(&message)
        } else {
            err.span().and_then(|s| key_at(src, s.start))
        };
        FileError {
            file: file.to_path_buf(),
            line,
            field,
            message,
        }
    }
}

/// Parse a TOML file: its nesting is checked first, then errors name the
/// line and the field.
pub fn parse_toml<T: serde::de::DeserializeOwned>(file: &Path, src: &str) -> Result<T, FileError> {
    FileError::check_toml_depth(file, src)?;
    toml::from_str(src).map_err(|e| FileError::from_toml(file, src, &e))
}

/// 1-based line number of a byte offset.
pub fn line_of(src: &str, offset: usize) -> usize {
    src.as_bytes()
        .iter()
        .take(offset.min(src.len()))
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The dotted key (`table.key`) written on the line holding `offset`.
fn key_at(src: &str, offset: usize) -> Option<String> {
    let line_start = src[..offset.min(src.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line = src[line_start..].lines().next()?;
    let key = line.split('=').next()?.trim().trim_matches('"');
    if key.is_empty() || key.starts_with('[') || !line.contains('=') {
        return None;
    }
    // The nearest table header above.
    let table = src[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_string());
    Some(match table {
        Some(t) if !t.is_empty() => format!("{t}.{key}"),
        _ => key.to_string(),
    })
}

/// serde messages name the field in backticks: "unknown field `colour`".
fn field_in_message(msg: &str) -> Option<String> {
    let start = msg.find('`')? + 1;
    let len = msg[start..].find('`')?;
    Some(msg[start..start + len].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_field_names_line_and_field() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct C {
            a: u32,
        }
        let src = "a = 1\ncolour = 2\n";
        let err = toml::from_str::<C>(src).unwrap_err();
        let e = FileError::from_toml(Path::new("c.toml"), src, &err);
        assert_eq!(e.line, Some(2));
        assert_eq!(e.field.as_deref(), Some("colour"));
        assert!(e.to_string().starts_with("c.toml:2: field `colour`"), "{e}");
    }
}
