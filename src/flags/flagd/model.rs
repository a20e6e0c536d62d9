//! What a flagd flag file means: parsing, validation against the flagd
//! schema (flags.json / flagd.json), and the on/off mapping.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::tree::{Node, Value};

/// How "on"/"off" maps onto a flagd flag. The default is [`Mode::State`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// on = `"state": "ENABLED"`, off = `"state": "DISABLED"` (flagd then
    /// answers as if the flag did not exist and the application's code
    /// default applies).
    #[default]
    State,
    /// For boolean flags: on = `defaultVariant` names a `true` variant,
    /// off = it names a `false` variant. `state` is left alone (a DISABLED
    /// flag reads as off). Non-boolean flags fall back to `state`.
    DefaultVariant,
}

/// A file flagd would not accept, or one firebreak cannot read.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagdError {
    pub file: PathBuf,
    pub line: Option<usize>,
    /// Where in the document (`flags.myFlag.variants`), if anywhere.
    pub location: Option<String>,
    pub message: String,
}

impl fmt::Display for FlagdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(loc) = &self.location {
            write!(f, ": {loc}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for FlagdError {}

/// How the flags are laid out in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `"flags": { "name": {...} }` (flags.json and flagd.json).
    Map,
    /// `"flags": [ { "key": "name", ... } ]` (flagd.json only).
    Array,
}

/// The type all variants of a flag share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Boolean,
    String,
    Number,
    Object,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Boolean => "boolean",
            Kind::String => "string",
            Kind::Number => "number",
            Kind::Object => "object",
        }
    }
}

/// `defaultVariant`, which may be absent or null (the application's code
/// default then applies).
#[derive(Debug, Clone, PartialEq)]
pub enum DefaultVariant {
    Absent,
    Null(Range<usize>),
    Name(String, Range<usize>),
}

/// One flag, with the spans of the fields firebreak may change.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagEntry {
    pub key: String,
    /// Where it is, for messages: `flags.myFlag` or `flags[3]`.
    pub location: String,
    pub enabled_state: bool,
    pub state_span: Range<usize>,
    /// (name, value) in file order.
    pub variants: Vec<(String, Node)>,
    pub kind: Kind,
    pub default: DefaultVariant,
    pub has_targeting: bool,
    pub description: Option<String>,
}

/// A parsed, valid flag file.
#[derive(Debug, Clone)]
pub struct FlagdFile {
    pub layout: Layout,
    /// Flags in file order (a duplicated key appears once: the last wins).
    pub flags: Vec<FlagEntry>,
}

impl FlagdFile {
    pub fn flag(&self, key: &str) -> Option<&FlagEntry> {
        self.flags.iter().find(|f| f.key == key)
    }
}

impl FlagEntry {
    /// The variant names whose value is `true` / `false` (boolean flags),
    /// preferring the conventional names.
    fn bool_variant(&self, want: bool) -> Option<&str> {
        let names: &[&str] = if want {
            &["on", "true", "enabled", "yes"]
        } else {
            &["off", "false", "disabled", "no"]
        };
        let matching: Vec<&str> = self
            .variants
            .iter()
            .filter(|(_, v)| v.value == Value::Bool(want))
            .map(|(n, _)| n.as_str())
            .collect();
        names
            .iter()
            .find_map(|n| matching.iter().find(|m| m.eq_ignore_ascii_case(n)).copied())
            .or_else(|| matching.first().copied())
    }

    /// Does `mode` use the default variant for this flag?
    fn by_default_variant(&self, mode: Mode) -> bool {
        mode == Mode::DefaultVariant && self.kind == Kind::Boolean
    }

    /// Is the flag on, under `mode`? Errors when the file cannot say.
    pub fn enabled(&self, mode: Mode) -> Result<bool, String> {
        if !self.by_default_variant(mode) {
            return Ok(self.enabled_state);
        }
        if !self.enabled_state {
            return Ok(false);
        }
        match &self.default {
            DefaultVariant::Name(name, _) => match self.variants.iter().find(|(n, _)| n == name) {
                Some((_, v)) => Ok(v.value == Value::Bool(true)),
                None => Err(format!(
                    "{}: defaultVariant \"{name}\" is not one of its variants, so its value is unknown",
                    self.location
                )),
            },
            DefaultVariant::Null(_) | DefaultVariant::Absent => Err(format!(
                "{}: defaultVariant is {}: the application's code default applies, so firebreak cannot tell whether it is on; set defaultVariant in the file, or use mode = \"state\"",
                self.location,
                if matches!(self.default, DefaultVariant::Absent) { "not set" } else { "null" }
            )),
        }
    }

    /// The edit that makes the flag `wanted`: a byte range and its new
    /// text. None when the flag is already there.
    pub fn edit(&self, mode: Mode, wanted: bool) -> Result<Option<(Range<usize>, String)>, String> {
        if !self.by_default_variant(mode) {
            if self.enabled_state == wanted {
                return Ok(None);
            }
            let text = if wanted {
                "\"ENABLED\""
            } else {
                "\"DISABLED\""
            };
            return Ok(Some((self.state_span.clone(), text.to_string())));
        }
        if wanted && !self.enabled_state {
            return Err(format!(
                "{} has state DISABLED; in default_variant mode firebreak only changes defaultVariant, so enable the flag in the file first (or use mode = \"state\")",
                self.location
            ));
        }
        if !wanted && !self.enabled_state {
            return Ok(None);
        }
        let target = self.bool_variant(wanted).ok_or_else(|| {
            format!(
                "{} has no variant whose value is {wanted}, so it cannot be turned {} by defaultVariant",
                self.location,
                if wanted { "on" } else { "off" }
            )
        })?;
        let span = match &self.default {
            DefaultVariant::Name(name, span) => {
                if name == target {
                    return Ok(None);
                }
                span.clone()
            }
            DefaultVariant::Null(span) => span.clone(),
            DefaultVariant::Absent => {
                return Err(format!(
                    "{} has no defaultVariant field; firebreak edits existing fields only (add \"defaultVariant\" to the flag, or use mode = \"state\")",
                    self.location
                ))
            }
        };
        let text = serde_json::to_string(target).map_err(|e| e.to_string())?;
        Ok(Some((span, text)))
    }

    /// A one-line description for lists.
    pub fn describe(&self, mode: Mode) -> String {
        let default = match &self.default {
            DefaultVariant::Name(n, _) => format!("default {n}"),
            DefaultVariant::Null(_) => "default null (code default)".into(),
            DefaultVariant::Absent => "no default (code default)".into(),
        };
        let mut parts = vec![format!("{} flag", self.kind.label()), default];
        if self.by_default_variant(mode) && !self.enabled_state {
            parts.push("DISABLED".into());
        }
        if self.has_targeting {
            parts.push("has targeting".into());
        }
        let facts = parts.join(", ");
        match &self.description {
            Some(d) if !d.trim().is_empty() => format!("{} ({facts})", d.trim()),
            _ => facts,
        }
    }
}
