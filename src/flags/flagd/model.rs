//! What a flagd flag file means: parsing, validation against the flagd
//! schema (flags.json / flagd.json), and the on/off mapping.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::tree::{self, Node, Value};

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
pub enum Default {
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
    pub default: Default,
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

/// A problem inside the document: where and what.
struct Invalid {
    location: String,
    offset: usize,
    message: String,
}

fn invalid(location: impl Into<String>, node: &Node, message: impl Into<String>) -> Invalid {
    Invalid {
        location: location.into(),
        offset: node.span.start,
        message: message.into(),
    }
}

/// Parse and validate a flag file.
pub fn parse(file: &Path, text: &str) -> Result<FlagdFile, FlagdError> {
    let fail = |line, location, message: String| FlagdError {
        file: file.to_path_buf(),
        line,
        location,
        message,
    };
    if text.starts_with('\u{feff}') {
        return Err(fail(
            Some(1),
            None,
            "starts with a byte-order mark; flagd expects plain UTF-8 JSON".into(),
        ));
    }
    if text.trim().is_empty() {
        return Err(fail(
            None,
            None,
            "the file is empty; a flagd flag file is a JSON object with a `flags` member".into(),
        ));
    }
    let root = tree::parse(text).map_err(|e| {
        let yaml = matches!(
            file.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        );
        let hint = if yaml {
            " (YAML flag files are not supported: convert it to JSON)"
        } else {
            ""
        };
        fail(
            Some(e.line),
            None,
            format!("not valid JSON: {} at column {}{hint}", e.message, e.column),
        )
    })?;
    validate(&root).map_err(|i| {
        fail(
            Some(tree::line_of(text, i.offset)),
            Some(i.location),
            i.message,
        )
    })
}

fn validate(root: &Node) -> Result<FlagdFile, Invalid> {
    if !matches!(root.value, Value::Object(_)) {
        return Err(invalid(
            "top level",
            root,
            format!(
                "is {}; a flagd flag file is a JSON object with a `flags` member",
                root.type_name()
            ),
        ));
    }
    let schema = root.get("$schema").and_then(Node::as_str).unwrap_or("");
    let flags_node = root
        .get("flags")
        .ok_or_else(|| invalid("top level", root, "has no `flags` member"))?;
    let mut flags: Vec<FlagEntry> = Vec::new();
    let layout = match &flags_node.value {
        Value::Object(_) => {
            for (key, node) in flags_node.members() {
                if key.is_empty() {
                    return Err(invalid("flags", node, "a flag has an empty name"));
                }
                flags.push(flag(key, format!("flags.{key}"), node)?);
            }
            Layout::Map
        }
        Value::Array(items) => {
            // flags.json (the providers' schema) only allows the object
            // form; flagd.json (the daemon's) allows both.
            if schema.rsplit('/').next() == Some("flags.json") {
                return Err(invalid(
                    "flags",
                    flags_node,
                    format!(
                        "is an array, but this file says it follows {schema}, which only allows an object keyed by flag name (the array form is for flagd.json)"
                    ),
                ));
            }
            for (i, node) in items.iter().enumerate() {
                let loc = format!("flags[{i}]");
                let key = match node.get("key") {
                    Some(k) => match k.as_str() {
                        Some(s) if !s.is_empty() => s.to_string(),
                        _ => {
                            return Err(invalid(
                                format!("{loc}.key"),
                                k,
                                "must be a non-empty string",
                            ))
                        }
                    },
                    None if matches!(node.value, Value::Object(_)) => {
                        return Err(invalid(
                            loc,
                            node,
                            "has no `key` (in the array form every flag needs one)",
                        ))
                    }
                    None => {
                        return Err(invalid(
                            loc,
                            node,
                            format!("is {}, not a flag object", node.type_name()),
                        ))
                    }
                };
                let entry = flag(&key, loc, node)?;
                flags.retain(|f| f.key != key);
                flags.push(entry);
            }
            Layout::Array
        }
        _ => {
            return Err(invalid(
                "flags",
                flags_node,
                format!(
                    "is {}; it must be an object keyed by flag name",
                    flags_node.type_name()
                ),
            ))
        }
    };
    if let Some(ev) = root.get("$evaluators") {
        match &ev.value {
            Value::Object(_) => {
                for (name, rule) in ev.members() {
                    targeting(&format!("$evaluators.{name}"), rule, true)?;
                }
            }
            _ => {
                return Err(invalid(
                    "$evaluators",
                    ev,
                    format!("is {}; it must be an object", ev.type_name()),
                ))
            }
        }
    }
    if let Some(m) = root.get("metadata") {
        metadata("metadata", m)?;
    }
    Ok(FlagdFile { layout, flags })
}

fn flag(key: &str, loc: String, node: &Node) -> Result<FlagEntry, Invalid> {
    if !matches!(node.value, Value::Object(_)) {
        return Err(invalid(
            loc,
            node,
            format!("is {}, not a flag object", node.type_name()),
        ));
    }
    let state = node
        .get("state")
        .ok_or_else(|| invalid(&loc, node, "has no `state` (ENABLED or DISABLED)"))?;
    let enabled_state = match state.as_str() {
        Some("ENABLED") => true,
        Some("DISABLED") => false,
        Some(other) => {
            return Err(invalid(
                format!("{loc}.state"),
                state,
                format!("is \"{other}\"; it must be \"ENABLED\" or \"DISABLED\""),
            ))
        }
        None => {
            return Err(invalid(
                format!("{loc}.state"),
                state,
                format!(
                    "is {}; it must be \"ENABLED\" or \"DISABLED\"",
                    state.type_name()
                ),
            ))
        }
    };
    let vnode = node
        .get("variants")
        .ok_or_else(|| invalid(&loc, node, "has no `variants`"))?;
    if !matches!(vnode.value, Value::Object(_)) {
        return Err(invalid(
            format!("{loc}.variants"),
            vnode,
            format!(
                "is {}; it must be an object of named values",
                vnode.type_name()
            ),
        ));
    }
    let variants: Vec<(String, Node)> = vnode
        .members()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    if variants.is_empty() {
        return Err(invalid(
            format!("{loc}.variants"),
            vnode,
            "is empty; a flag needs at least one variant",
        ));
    }
    let mut kind: Option<(Kind, &str)> = None;
    for (name, v) in &variants {
        if name.is_empty() {
            return Err(invalid(
                format!("{loc}.variants"),
                v,
                "a variant has an empty name",
            ));
        }
        let k = match v.value {
            Value::Bool(_) => Kind::Boolean,
            Value::String(_) => Kind::String,
            Value::Number(_) => Kind::Number,
            Value::Object(_) => Kind::Object,
            Value::Null | Value::Array(_) => {
                return Err(invalid(
                    format!("{loc}.variants.{name}"),
                    v,
                    format!(
                        "is {}; variants must be booleans, strings, numbers or objects",
                        v.type_name()
                    ),
                ))
            }
        };
        match kind {
            None => kind = Some((k, name)),
            Some((first, first_name)) if first != k => {
                return Err(invalid(
                    format!("{loc}.variants.{name}"),
                    v,
                    format!(
                        "is {} but variant `{first_name}` is {}; all variants of a flag must have the same type",
                        k.label(),
                        first.label()
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    let kind = kind.map_or(Kind::Object, |(k, _)| k);
    let default = match node.get("defaultVariant") {
        None => Default::Absent,
        Some(d) => match &d.value {
            Value::Null => Default::Null(d.span.clone()),
            Value::String(s) => Default::Name(s.clone(), d.span.clone()),
            _ => {
                return Err(invalid(
                    format!("{loc}.defaultVariant"),
                    d,
                    format!("is {}; it must be a variant name or null", d.type_name()),
                ))
            }
        },
    };
    let has_targeting = match node.get("targeting") {
        Some(t) => {
            targeting(&format!("{loc}.targeting"), t, true)?;
            !matches!(&t.value, Value::Object(m) if m.is_empty())
        }
        None => false,
    };
    let mut description = None;
    if let Some(m) = node.get("metadata") {
        metadata(&format!("{loc}.metadata"), m)?;
        description = m
            .get("description")
            .and_then(Node::as_str)
            .map(str::to_owned);
    }
    Ok(FlagEntry {
        key: key.to_string(),
        location: loc,
        enabled_state,
        state_span: state.span.clone(),
        variants,
        kind,
        default,
        has_targeting,
        description,
    })
}

/// Metadata: an object whose values are strings, numbers or booleans.
fn metadata(loc: &str, m: &Node) -> Result<(), Invalid> {
    if !matches!(m.value, Value::Object(_)) {
        return Err(invalid(
            loc,
            m,
            format!("is {}; it must be an object", m.type_name()),
        ));
    }
    for (k, v) in m.members() {
        if !matches!(
            v.value,
            Value::String(_) | Value::Number(_) | Value::Bool(_)
        ) {
            return Err(invalid(
                format!("{loc}.{k}"),
                v,
                format!(
                    "is {}; metadata values must be strings, numbers or booleans",
                    v.type_name()
                ),
            ));
        }
    }
    Ok(())
}

/// The JsonLogic operators the flagd targeting schema allows.
const OPERATORS: &[&str] = &[
    "!",
    "!!",
    "!=",
    "!==",
    "%",
    "*",
    "+",
    "-",
    "/",
    "<",
    "<=",
    "==",
    "===",
    ">",
    ">=",
    "all",
    "and",
    "cat",
    "ends_with",
    "filter",
    "fractional",
    "if",
    "in",
    "map",
    "max",
    "merge",
    "min",
    "missing",
    "missing_some",
    "none",
    "or",
    "reduce",
    "sem_ver",
    "some",
    "starts_with",
    "substr",
    "var",
];

/// A targeting rule (or an `$evaluators` entry). `top`: `{}` is allowed.
fn targeting(loc: &str, node: &Node, top: bool) -> Result<(), Invalid> {
    let Value::Object(members) = &node.value else {
        return Err(invalid(
            loc,
            node,
            format!("is {}; a rule must be an object", node.type_name()),
        ));
    };
    if members.is_empty() {
        return if top {
            Ok(())
        } else {
            Err(invalid(loc, node, "an empty object is not a rule"))
        };
    }
    if members.len() != 1 {
        let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
        return Err(invalid(
            loc,
            node,
            format!(
                "a rule has exactly one operator, found {} ({})",
                keys.len(),
                keys.join(", ")
            ),
        ));
    }
    let (op, args) = (&members[0].0, &members[0].1);
    if op == "$ref" {
        return match args.value {
            Value::String(_) => Ok(()),
            _ => Err(invalid(
                format!("{loc}.$ref"),
                args,
                "must name an evaluator (a string)",
            )),
        };
    }
    if !OPERATORS.contains(&op.as_str()) {
        return Err(invalid(
            loc,
            node,
            format!("`{op}` is not a targeting operator flagd knows (see https://flagd.dev/reference/flag-definitions/)"),
        ));
    }
    arg(&format!("{loc}.{op}"), args)
}

fn arg(loc: &str, node: &Node) -> Result<(), Invalid> {
    match &node.value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                arg(&format!("{loc}[{i}]"), item)?;
            }
            Ok(())
        }
        Value::Object(_) => targeting(loc, node, false),
        _ => Ok(()),
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
            Default::Name(name, _) => match self.variants.iter().find(|(n, _)| n == name) {
                Some((_, v)) => Ok(v.value == Value::Bool(true)),
                None => Err(format!(
                    "{}: defaultVariant \"{name}\" is not one of its variants, so its value is unknown",
                    self.location
                )),
            },
            Default::Null(_) | Default::Absent => Err(format!(
                "{}: defaultVariant is {}: the application's code default applies, so firebreak cannot tell whether it is on; set defaultVariant in the file, or use mode = \"state\"",
                self.location,
                if matches!(self.default, Default::Absent) { "not set" } else { "null" }
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
            Default::Name(name, span) => {
                if name == target {
                    return Ok(None);
                }
                span.clone()
            }
            Default::Null(span) => span.clone(),
            Default::Absent => {
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
            Default::Name(n, _) => format!("default {n}"),
            Default::Null(_) => "default null (code default)".into(),
            Default::Absent => "no default (code default)".into(),
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
