//! A JSON document as a tree that remembers where every value sits in the
//! text, and the order of object keys. It lets the flagd provider change
//! one value by replacing exactly its bytes, so everything else in the
//! file (key order, unknown fields, number spelling, indentation, comments
//! of the `"$comment"` kind) stays as the author wrote it.
//!
//! The input must already be valid JSON: [`parse`] checks that with
//! serde_json first (which gives good line:column errors), then walks it.

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
            Value::Object(members) => members
                .iter()
                .enumerate()
                .filter(|(i, (k, _))| !members[i + 1..].iter().any(|(k2, _)| k2 == k))
                .map(|(_, (k, v))| (k.as_str(), v))
                .collect(),
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

/// Why a text is not JSON: serde_json's message with line and column.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Parse `text` into a tree with spans.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
        return Err(SyntaxError {
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        });
    }
    let mut p = Parser { text, pos: 0 };
    p.value().ok_or_else(|| SyntaxError {
        line: 1,
        column: 1,
        message: "cannot walk the JSON document".into(),
    })
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
/// returns None only if the two disagree (a bug), never panics.
struct Parser<'a> {
    text: &'a str,
    pos: usize,
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

    fn value(&mut self) -> Option<Node> {
        self.ws();
        let start = self.pos;
        let value = match self.peek()? {
            b'{' => {
                self.pos += 1;
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
                Value::Object(members)
            }
            b'[' => {
                self.pos += 1;
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
        let decoded: String = serde_json::from_str(raw).ok()?;
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
}
