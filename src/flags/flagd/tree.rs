//! A JSON document as a tree that remembers where every value sits in the
//! text, and the order of object keys. It lets the flagd provider change
//! one value by replacing exactly its bytes, so everything else in the
//! file (key order, unknown fields, number spelling, indentation, comments
//! of the `"$comment"` kind) stays as the author wrote it.
//!
//! The input must be valid JSON: [`parse`] checks that with serde_json
//! first (which gives good line:column errors), then walks it.
//!
//! **Depth limit.** Arrays and objects may nest at most [`MAX_DEPTH`] (64)
//! levels (the top-level value is level 1); a deeper document is refused
//! with "flag file nested deeper than 64 levels at line L, column C",
//! naming the bracket that opens level 65. Real flag files nest about 15
//! levels at most (a targeting rule inside a flag inside `flags`). The
//! limit matters because serde_json's own recursion limit (128) does not
//! apply to the validation pass (`IgnoredAny` skips values without
//! recursing), so without it a 100,000-deep `[[[[...` passed validation
//! and overflowed the stack in the recursive walk (and in the recursive
//! schema checks after it). The limit is checked by an iterative scan
//! before anything recurses, and again by the walker itself.
//!
//! Why a hand-written walker rather than a crate (measured on a
//! generated 5,000-flag, 1.5 MB file, release build): the one maintained
//! span-preserving candidate, jsonc-parser, gives the very same tree and
//! spans, but it is a lenient JSONC/JSON5 parser (strict JSON takes ten
//! opt-out flags), needs Rust 1.88 (edition 2024) against this crate's
//! 1.85, has its own fixed depth limit (512), and parse + flip took 56 ms
//! once its AST is turned into this tree against 24 ms here (serde_json
//! is still needed for the messages). json-spanned-value and
//! spanned_json_parser drop duplicate keys or key order (and the latter
//! gives no byte offsets); json-syntax 0.13 needs Rust 1.96.
//!
//! Why one file of this length: a small span-keeping JSON reader; past 500 lines because of its tests.

use std::ops::Range;

/// A value and the byte range of its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Range<usize>,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// The number as written (`1`, `1.0`, `1e3`).
    Number(String),
    String(String),
    Array(Vec<Node>),
    /// Keys in file order; duplicates are kept (see [`Node::get`]).
    Object(Vec<(String, Node)>),
}

impl Node {
    /// The member `key` of an object. With duplicate keys the last one
    /// wins, as in flagd (Go's encoding/json) and serde_json.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Object members with duplicates removed (last wins, at its place).
    pub fn members(&self) -> Vec<(&str, &Node)> {
        match &self.value {
            Value::Object(members) => {
                let mut seen = std::collections::HashSet::new();
                let mut kept: Vec<(&str, &Node)> = members
                    .iter()
                    .rev()
                    .filter(|(k, _)| seen.insert(k.as_str()))
                    .map(|(k, v)| (k.as_str(), v))
                    .collect();
                kept.reverse();
                kept
            }
            _ => Vec::new(),
        }
    }

    /// A JSON type name for messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

/// How deep arrays and objects may nest (the top-level value is level 1).
pub const MAX_DEPTH: usize = 64;

/// What kind of problem a [`SyntaxError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Not JSON: `message` is serde_json's, without its position.
    Invalid,
    /// Nested deeper than [`MAX_DEPTH`]: `message` is complete, with
    /// line and column.
    TooDeep,
}

/// Why a text cannot be read: what, and the line and column where.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub kind: ErrorKind,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Parse `text` into a tree with spans.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    // Iterative, so it is safe on any depth; exact on any prefix that
    // serde_json accepts.
    let deep = first_too_deep(text);
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
        // Whichever problem comes first in the text is the one reported.
        let at = offset_of(text, e.line(), e.column());
        if let Some(d) = deep.filter(|d| *d < at) {
            return Err(too_deep(text, d));
        }
        return Err(SyntaxError {
            kind: ErrorKind::Invalid,
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        });
    }
    if let Some(d) = deep {
        return Err(too_deep(text, d));
    }
    let mut p = Parser {
        text,
        pos: 0,
        depth: 0,
        too_deep: None,
    };
    match p.value() {
        Some(node) => Ok(node),
        None => Err(match p.too_deep {
            Some(d) => too_deep(text, d),
            None => SyntaxError {
                kind: ErrorKind::Invalid,
                line: 1,
                column: 1,
                message: "cannot walk the JSON document".into(),
            },
        }),
    }
}

/// The byte offset of the first `[` or `{` that opens level
/// `MAX_DEPTH + 1`, if any. Brackets inside strings do not count.
fn first_too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, b) in text.bytes().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn too_deep(text: &str, offset: usize) -> SyntaxError {
    let (line, column) = line_column(text, offset);
    SyntaxError {
        kind: ErrorKind::TooDeep,
        line,
        column,
        message: format!(
            "flag file nested deeper than {MAX_DEPTH} levels at line {line}, column {column}"
        ),
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |l| l.chars().count()) + 1;
    (line_of(text, offset), column)
}

/// The byte offset of serde_json's (1-based line, byte column).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    line_start.saturating_add(column).min(text.len())
}

/// serde_json appends " at line L column C"; we print those separately.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Walks text that serde_json has accepted, so it can be lenient: it
/// returns None only if the two disagree (a bug) or the text nests deeper
/// than [`MAX_DEPTH`] (then `too_deep` says where); never panics, never
/// recurses more than `MAX_DEPTH` levels.
struct Parser<'a> {
    text: &'a str,
    pos: usize,
    /// Arrays and objects open around `pos`.
    depth: usize,
    too_deep: Option<usize>,
}

impl Parser<'_> {
    fn bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }

    fn ws(&mut self) {
        while let Some(b) = self.bytes().get(self.pos) {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        self.ws();
        (self.peek()? == b).then(|| self.pos += 1)
    }

    /// Enter an array or object at `pos`; None past the depth limit.
    fn enter(&mut self) -> Option<()> {
        if self.depth >= MAX_DEPTH {
            self.too_deep = Some(self.pos);
            return None;
        }
        self.depth += 1;
        self.pos += 1;
        Some(())
    }

    fn value(&mut self) -> Option<Node> {
        self.ws();
        let start = self.pos;
        let value = match self.peek()? {
            b'{' => {
                self.enter()?;
                let mut members = Vec::new();
                self.ws();
                if self.peek()? == b'}' {
                    self.pos += 1;
                } else {
                    loop {
                        self.ws();
                        let (key, _) = self.string()?;
                        self.eat(b':')?;
                        let v = self.value()?;
                        members.push((key, v));
                        self.ws();
                        match self.peek()? {
                            b',' => self.pos += 1,
                            b'}' => {
                                self.pos += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                self.depth -= 1;
                Value::Object(members)
            }
            b'[' => {
                self.enter()?;
                let mut items = Vec::new();
                self.ws();
                if self.peek()? == b']' {
                    self.pos += 1;
                } else {
                    loop {
                        items.push(self.value()?);
                        self.ws();
                        match self.peek()? {
                            b',' => self.pos += 1,
                            b']' => {
                                self.pos += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                self.depth -= 1;
                Value::Array(items)
            }
            b'"' => Value::String(self.string()?.0),
            b't' => self.literal("true", Value::Bool(true))?,
            b'f' => self.literal("false", Value::Bool(false))?,
            b'n' => self.literal("null", Value::Null)?,
            _ => {
                while let Some(b) = self.peek() {
                    if matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                if self.pos == start {
                    return None;
                }
                Value::Number(self.text.get(start..self.pos)?.to_string())
            }
        };
        Some(Node {
            span: start..self.pos,
            value,
        })
    }

    fn literal(&mut self, word: &str, v: Value) -> Option<Value> {
        if self.text.get(self.pos..)?.starts_with(word) {
            self.pos += word.len();
            Some(v)
        } else {
            None
        }
    }

    /// A string at `pos`: its decoded value and its span.
    fn string(&mut self) -> Option<(String, Range<usize>)> {
        let start = self.pos;
        if self.peek()? != b'"' {
            return None;
        }
        self.pos += 1;
        loop {
            match self.peek()? {
                b'\\' => self.pos += 2,
                b'"' => {
                    self.pos += 1;
                    break;
                }
                _ => self.pos += 1,
            }
        }
        let raw = self.text.get(start..self.pos)?;
        // Without escapes the text between the quotes is the string
        // (serde_json has already refused control characters).
        let decoded = match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
            Some(inner) if !inner.contains('\\') => inner.to_string(),
            _ => serde_json::from_str(raw).ok()?,
        };
        Some((decoded, start..self.pos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cover_exact_text() {
        let text =
            "{ \"a\" : [1, 2.50e1, \"x\\\"y\"], \"b\": {\"c\": null, \"d\": true}, \"a\": 7 }";
        let root = parse(text).unwrap();
        let a = root.get("a").unwrap();
        assert_eq!(&text[a.span.clone()], "7", "last duplicate wins");
        let b = root.get("b").unwrap();
        assert_eq!(&text[b.get("c").unwrap().span.clone()], "null");
        assert_eq!(&text[b.get("d").unwrap().span.clone()], "true");
        match &root.value {
            Value::Object(m) => {
                assert_eq!(m.len(), 3);
                match &m[0].1.value {
                    Value::Array(items) => {
                        assert_eq!(items[1].value, Value::Number("2.50e1".into()));
                        assert_eq!(items[2].value, Value::String("x\"y".into()));
                    }
                    other => panic!("{other:?}"),
                }
            }
            other => panic!("{other:?}"),
        }
        let keys: Vec<&str> = root.members().iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["b", "a"]);
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = parse("{\n  \"flags\": {,}\n}").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.column > 1);
        assert!(!e.message.contains(" at line "), "{}", e.message);
    }

    #[test]
    fn unicode_keys_and_escapes() {
        let text = r#"{"fl\u00e4g": {"state": "ENABLED"}, "ключ": 1}"#;
        let root = parse(text).unwrap();
        assert!(root.get("fläg").is_some());
        assert!(root.get("ключ").is_some());
    }

    /// Run `f` on a thread with a small stack: a deep recursion would
    /// overflow it (and abort the test run) instead of passing by luck.
    fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap()
    }

    #[test]
    fn a_100000_deep_document_is_refused_without_overflowing_the_stack() {
        for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
            let text = format!("{}1{}", open.repeat(100_000), close.repeat(100_000));
            let e = on_small_stack(move || parse(&text)).unwrap_err();
            let col = open.len() * MAX_DEPTH + 1;
            assert_eq!(e.kind, ErrorKind::TooDeep);
            assert_eq!((e.line, e.column), (1, col));
            assert_eq!(
                e.message,
                format!("flag file nested deeper than 64 levels at line 1, column {col}")
            );
        }
        // Not valid JSON either (never closed): still the depth error, as
        // it comes first.
        let e = on_small_stack(|| parse(&"[".repeat(100_000))).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooDeep);
    }

    #[test]
    fn depth_limit_is_exactly_64_levels() {
        let nest = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse(&nest(MAX_DEPTH)).is_ok());
        assert_eq!(
            parse(&nest(MAX_DEPTH + 1)).unwrap_err().kind,
            ErrorKind::TooDeep
        );
        // Brackets inside strings (escaped quotes too) are not nesting.
        let text = format!("{{\"k\": \"\\\"{}\"}}", "[{".repeat(100));
        assert!(parse(&text).is_ok(), "{text}");
    }

    #[test]
    fn depth_error_names_line_and_character_column() {
        let mut text = String::from("{\n  \"fläg\": {\n    \"x\": ");
        text.push_str(&"[".repeat(70));
        text.push_str(&"]".repeat(70));
        text.push_str("\n  }\n}\n");
        let e = parse(&text).unwrap_err();
        // Levels 1 and 2 are the objects; the 63rd `[` opens level 65.
        assert_eq!((e.kind, e.line, e.column), (ErrorKind::TooDeep, 3, 9 + 63));
        assert!(e.message.ends_with("at line 3, column 72"), "{}", e.message);
    }

    #[test]
    fn the_first_problem_in_the_text_is_reported() {
        // A syntax error before the deep part: the syntax error.
        let text = format!("{{\"a\": [1,],\n\"b\": {}}}", "[".repeat(100));
        let e = parse(&text).unwrap_err();
        assert_eq!((e.kind, e.line), (ErrorKind::Invalid, 1), "{e:?}");
        // Too deep before a syntax error: the depth error.
        let text = format!(
            "{{\"b\": {}{}, \n \"a\": [1,]}}",
            "[".repeat(70),
            "]".repeat(70)
        );
        let e = parse(&text).unwrap_err();
        assert_eq!((e.kind, e.line), (ErrorKind::TooDeep, 1), "{e:?}");
    }

    #[test]
    fn the_walker_itself_stops_at_the_limit() {
        // Without the scan in front (defence in depth).
        let text = "[".repeat(100_000);
        let (node, too_deep) = on_small_stack(move || {
            let mut p = Parser {
                text: &text,
                pos: 0,
                depth: 0,
                too_deep: None,
            };
            (p.value(), p.too_deep)
        });
        assert_eq!(node, None);
        assert_eq!(too_deep, Some(MAX_DEPTH));
    }

    #[test]
    fn replacing_one_span_keeps_every_other_byte() {
        use crate::flags::flagd::model::Mode;
        use crate::flags::flagd::schema;
        let text = "{\r\n\t\"$comment\" : \"keep [me] {as} is\",\r\n  \"flags\":{\"f\" : {\n\
             \"state\":\"ENABLED\", \"x-unknown\": [1.0, 1e3, -0.0, {\"deep\": {\"er\": []}}],\n\
             \"variants\": { \"off\" : false, \"on\":true },\n\
             \"defaultVariant\" :  \"on\"  , \"targeting\": {}},\n\
             \"g\": {\"state\": \"DISABLED\", \"variants\": {\"\\u00e9\": 1.50}}}}\n";
        let path = std::path::Path::new("flags.json");
        let file = schema::parse(path, text).unwrap();
        let f = file.flag("f").unwrap();
        let (span, new) = f.edit(Mode::DefaultVariant, false).unwrap().unwrap();
        assert_eq!(&text[span.clone()], "\"on\"");
        let out = format!("{}{new}{}", &text[..span.start], &text[span.end..]);
        assert_eq!(&out[..span.start], &text[..span.start]);
        assert_eq!(&out[span.start + new.len()..], &text[span.end..]);
        assert_eq!(out.replacen(":  \"off\"", ":  \"on\"", 1), text);
        let after = schema::parse(path, &out).unwrap();
        assert_eq!(
            after.flag("f").unwrap().enabled(Mode::DefaultVariant),
            Ok(false)
        );
        // And back: byte-identical to the original.
        let g = after.flag("f").unwrap();
        let (span, new) = g.edit(Mode::DefaultVariant, true).unwrap().unwrap();
        let back = format!("{}{new}{}", &out[..span.start], &out[span.end..]);
        assert_eq!(back, text);
    }

    #[test]
    fn members_keep_the_last_duplicate_at_its_place() {
        let root = parse(r#"{"a": 1, "b": 2, "a": 3, "c": 4, "b": 5}"#).unwrap();
        let m: Vec<(&str, &str)> = root
            .members()
            .into_iter()
            .map(|(k, v)| match &v.value {
                Value::Number(n) => (k, n.as_str()),
                _ => (k, "?"),
            })
            .collect();
        assert_eq!(m, [("a", "3"), ("c", "4"), ("b", "5")]);
    }
}
