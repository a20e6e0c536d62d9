//! Alertmanager matchers: `name="value"`, `name!="value"`, `name=~"re"`,
//! `name!~"re"`, optionally wrapped in `{...}`, separated by commas or
//! spaces. Values may be unquoted (`severity=critical`) as amtool allows.
//! Regular expressions are anchored at both ends, as in Alertmanager.

use std::collections::BTreeMap;
use std::fmt;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// The operator of a matcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    Eq,
    Ne,
    Re,
    NotRe,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Re => "=~",
            Op::NotRe => "!~",
        }
    }

    pub fn is_regex(self) -> bool {
        matches!(self, Op::Re | Op::NotRe)
    }

    pub fn is_equal(self) -> bool {
        matches!(self, Op::Eq | Op::Re)
    }

    pub fn from_flags(is_regex: bool, is_equal: bool) -> Op {
        match (is_regex, is_equal) {
            (false, true) => Op::Eq,
            (false, false) => Op::Ne,
            (true, true) => Op::Re,
            (true, false) => Op::NotRe,
        }
    }
}

/// One compiled matcher.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub name: String,
    pub op: Op,
    pub value: String,
    regex: Option<Regex>,
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.op == other.op && self.value == other.value
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.name, self.op.as_str(), quote(&self.value))
    }
}

/// A matcher that could not be parsed: what and where (1-based column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatcherError {
    pub column: usize,
    pub message: String,
}

impl fmt::Display for MatcherError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad matcher at column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for MatcherError {}

impl Matcher {
    pub fn new(name: &str, op: Op, value: &str) -> Result<Matcher, String> {
        if !valid_name(name) {
            return Err(format!("`{name}` is not a valid label name (letters, digits and _, not starting with a digit)"));
        }
        let regex = if op.is_regex() {
            Some(Regex::new(&format!("^(?:{value})$")).map_err(|e| {
                format!(
                    "invalid regular expression `{value}`: {}",
                    first_line(&e.to_string())
                )
            })?)
        } else {
            None
        };
        Ok(Matcher {
            name: name.to_string(),
            op,
            value: value.to_string(),
            regex,
        })
    }

    /// Does a label set satisfy this matcher? A missing label is "".
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let v = labels.get(&self.name).map_or("", String::as_str);
        match (self.op, &self.regex) {
            (Op::Eq, _) => v == self.value,
            (Op::Ne, _) => v != self.value,
            (Op::Re, Some(r)) => r.is_match(v),
            (Op::NotRe, Some(r)) => !r.is_match(v),
            _ => false,
        }
    }
}

fn first_line(s: &str) -> String {
    s.lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .to_string()
}

fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Quote a value the way Alertmanager prints it.
pub fn quote(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 2);
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Do all matchers match?
pub fn all_match(matchers: &[Matcher], labels: &BTreeMap<String, String>) -> bool {
    matchers.iter().all(|m| m.matches(labels))
}

/// `{a="b", c=~"d"}` for a list.
pub fn display_list(matchers: &[Matcher]) -> String {
    let parts: Vec<String> = matchers.iter().map(ToString::to_string).collect();
    format!("{{{}}}", parts.join(", "))
}

/// Parse a whole matcher list, e.g. `{severity="critical", service=~"check.*"}`
/// or `severity=critical service!=db`.
pub fn parse(input: &str) -> Result<Vec<Matcher>, MatcherError> {
    let mut p = Parser::new(input);
    p.skip_ws();
    let braced = p.eat('{');
    let mut out = Vec::new();
    loop {
        p.skip_sep();
        if p.at_end() {
            if braced {
                return Err(p.err("missing closing `}`"));
            }
            break;
        }
        if braced && p.eat('}') {
            p.skip_ws();
            if !p.at_end() {
                return Err(p.err("unexpected text after `}`"));
            }
            break;
        }
        out.push(p.matcher()?);
    }
    Ok(out)
}

/// Parse several arguments (as on a command line): each may hold one or
/// more matchers.
pub fn parse_args<S: AsRef<str>>(args: &[S]) -> Result<Vec<Matcher>, String> {
    let mut out = Vec::new();
    for a in args {
        let a = a.as_ref();
        out.extend(parse(a).map_err(|e| format!("`{a}`: {e}"))?);
    }
    Ok(out)
}

/// Split a free-form filter into matchers and the remaining fuzzy text:
/// `severity="critical" checkout` gives one matcher and "checkout".
/// Words that are not matchers (or are broken ones) stay text, so typing
/// never errors; the caller may show `broken` as a hint.
pub fn split_filter(input: &str) -> (Vec<Matcher>, String, Option<MatcherError>) {
    let mut p = Parser::new(input);
    let mut matchers = Vec::new();
    let mut rest: Vec<&str> = Vec::new();
    let mut broken = None;
    loop {
        p.skip_sep();
        if p.at_end() {
            break;
        }
        let start = p.pos;
        if p.eat('{') {
            // A braced list: parse up to the matching `}`.
            let mut inner = Vec::new();
            let ok = loop {
                p.skip_sep();
                if p.at_end() {
                    break false;
                }
                if p.eat('}') {
                    break true;
                }
                match p.matcher() {
                    Ok(m) => inner.push(m),
                    Err(e) => {
                        broken.get_or_insert(e);
                        break false;
                    }
                }
            };
            if ok {
                matchers.extend(inner);
                continue;
            }
            p.pos = start;
            rest.push(p.word());
            continue;
        }
        if p.looks_like_matcher() {
            match p.matcher() {
                Ok(m) => {
                    matchers.push(m);
                    continue;
                }
                Err(e) => {
                    broken.get_or_insert(e);
                    p.pos = start;
                }
            }
        }
        rest.push(p.word());
    }
    (matchers, rest.join(" "), broken)
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(s: &'a str) -> Parser<'a> {
        Parser { s, pos: 0 }
    }

    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    fn skip_sep(&mut self) {
        while self.peek().is_some_and(|c| c.is_whitespace() || c == ',') {
            self.bump();
        }
    }

    fn bump(&mut self) {
        if let Some(c) = self.peek() {
            self.pos += c.len_utf8();
        }
    }

    fn err(&self, msg: impl Into<String>) -> MatcherError {
        MatcherError {
            column: self.s[..self.pos.min(self.s.len())].chars().count() + 1,
            message: msg.into(),
        }
    }

    /// A word up to whitespace.
    fn word(&mut self) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(|c| !c.is_whitespace()) {
            self.bump();
        }
        &self.s[start..self.pos]
    }

    fn name(&mut self) -> &'a str {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            self.bump();
        }
        &self.s[start..self.pos]
    }

    /// A label name followed by an operator.
    fn looks_like_matcher(&self) -> bool {
        let mut q = Parser {
            s: self.s,
            pos: self.pos,
        };
        let n = q.name();
        !n.is_empty() && {
            q.skip_ws();
            let r = q.rest();
            r.starts_with('=') || r.starts_with("!=") || r.starts_with("!~")
        }
    }

    fn op(&mut self) -> Option<Op> {
        let r = self.rest();
        let (op, len) = if r.starts_with("=~") {
            (Op::Re, 2)
        } else if r.starts_with("!=") {
            (Op::Ne, 2)
        } else if r.starts_with("!~") {
            (Op::NotRe, 2)
        } else if r.starts_with('=') {
            (Op::Eq, 1)
        } else {
            return None;
        };
        self.pos += len;
        Some(op)
    }

    fn matcher(&mut self) -> Result<Matcher, MatcherError> {
        let at = self.pos;
        let name = self.name();
        if name.is_empty() {
            return Err(self.err(format!(
                "expected a label name, found `{}`",
                self.rest().chars().take(10).collect::<String>()
            )));
        }
        self.skip_ws();
        let Some(op) = self.op() else {
            return Err(self.err(format!(
                "expected an operator (=, !=, =~, !~) after `{name}`"
            )));
        };
        self.skip_ws();
        let value = if self.peek() == Some('"') || self.peek() == Some('\'') {
            self.quoted()?
        } else {
            let start = self.pos;
            while self
                .peek()
                .is_some_and(|c| !c.is_whitespace() && c != ',' && c != '}')
            {
                self.bump();
            }
            self.s[start..self.pos].to_string()
        };
        Matcher::new(name, op, &value).map_err(|m| MatcherError {
            column: self.s[..at].chars().count() + 1,
            message: m,
        })
    }

    fn quoted(&mut self) -> Result<String, MatcherError> {
        let q = self.peek().unwrap_or('"');
        let start = self.pos;
        self.bump();
        let mut out = String::new();
        loop {
            match self.peek() {
                None => {
                    self.pos = start;
                    return Err(self.err("unterminated quoted value"));
                }
                Some(c) if c == q => {
                    self.bump();
                    return Ok(out);
                }
                Some('\\') => {
                    self.bump();
                    match self.peek() {
                        Some('n') => out.push('\n'),
                        Some('t') => out.push('\t'),
                        Some(c) => out.push(c),
                        None => continue,
                    }
                    self.bump();
                }
                Some(c) => {
                    out.push(c);
                    self.bump();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_all_operators_with_and_without_braces() {
        for input in [
            r#"{a="b", c!="d", e=~"f.*", g!~"h|i"}"#,
            r#"a="b",c!="d",e=~"f.*",g!~"h|i""#,
            r#"a=b c!=d e=~f.* g!~h|i"#,
        ] {
            let m = parse(input).unwrap();
            let ops: Vec<Op> = m.iter().map(|m| m.op).collect();
            assert_eq!(ops, vec![Op::Eq, Op::Ne, Op::Re, Op::NotRe], "{input}");
            assert_eq!(m[2].value, "f.*");
        }
    }

    #[test]
    fn matching_follows_alertmanager_semantics() {
        let l = labels(&[("service", "checkout"), ("severity", "critical")]);
        let ok = |s: &str| all_match(&parse(s).unwrap(), &l);
        assert!(ok(r#"service=~"check.*""#));
        assert!(!ok(r#"service=~"check""#), "regexes are anchored");
        assert!(ok(r#"severity="critical""#));
        assert!(ok(r#"team!="db""#), "missing label is the empty string");
        assert!(ok(r#"team="""#));
        assert!(!ok(r#"service!~"c.*""#));
        assert!(ok(r#"{}"#));
    }

    #[test]
    fn quoting_round_trips() {
        let m = parse(r#"summary="say \"hi\"\\ ok, 🔥""#).unwrap();
        assert_eq!(m[0].value, "say \"hi\"\\ ok, 🔥");
        let again = parse(&m[0].to_string()).unwrap();
        assert_eq!(again, m);
    }

    #[test]
    fn errors_say_where_and_what() {
        let e = parse(r#"{severity "critical"}"#).unwrap_err();
        assert!(e.message.contains("operator"), "{e}");
        assert_eq!(e.column, 11);
        let e = parse(r#"service=~"(unclosed""#).unwrap_err();
        assert!(e.message.contains("regular expression"), "{e}");
        assert!(parse(r#"{a="b""#).unwrap_err().message.contains("closing"));
        assert!(parse(r#"a="b"#)
            .unwrap_err()
            .message
            .contains("unterminated"));
        assert!(parse(r#"9a="b""#)
            .unwrap_err()
            .message
            .contains("label name"));
    }

    #[test]
    fn filter_splits_matchers_from_fuzzy_text() {
        let (m, rest, broken) = split_filter(r#"severity="critical" checkout latency"#);
        assert_eq!(m.len(), 1);
        assert_eq!(rest, "checkout latency");
        assert!(broken.is_none());
        let (m, rest, _) = split_filter(r#"{service=~"check.*", env="prod"} slow"#);
        assert_eq!(m.len(), 2);
        assert_eq!(rest, "slow");
        let (m, rest, broken) = split_filter(r#"service=~"(" disk"#);
        assert!(m.is_empty());
        assert_eq!(rest, r#"service=~"(" disk"#);
        assert!(broken.is_some());
        let (m, rest, _) = split_filter("plain words only");
        assert!(m.is_empty());
        assert_eq!(rest, "plain words only");
    }
}
