//! Parsing a flag file ([`parse`]) and validating it against the flagd
//! schemas (flags.json for providers, flagd.json for the daemon): what
//! flagd itself would refuse, with the line of each problem.

use std::path::Path;

use super::model::{DefaultVariant, FlagEntry, FlagdError, FlagdFile, Kind, Layout};
use super::tree::{self, Node, Value};

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
        if e.kind == tree::ErrorKind::TooDeep {
            return fail(Some(e.line), None, e.message);
        }
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

/// A problem inside the document: where and what.
pub(super) struct Invalid {
    pub location: String,
    pub offset: usize,
    pub message: String,
}

fn invalid(location: impl Into<String>, node: &Node, message: impl Into<String>) -> Invalid {
    Invalid {
        location: location.into(),
        offset: node.span.start,
        message: message.into(),
    }
}

pub(super) fn validate(root: &Node) -> Result<FlagdFile, Invalid> {
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
        None => DefaultVariant::Absent,
        Some(d) => match &d.value {
            Value::Null => DefaultVariant::Null(d.span.clone()),
            Value::String(s) => DefaultVariant::Name(s.clone(), d.span.clone()),
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
