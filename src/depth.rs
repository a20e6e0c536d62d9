//! How deep outside data may nest, checked before anything recurses.
//!
//! Every parser of outside data recurses once per level of nesting:
//! serde's derived code, its buffering of untagged and internally tagged
//! enums, `Drop`. A file or answer nested a few thousand levels deep would
//! overflow the stack and abort firebreak (leaving the terminal in the
//! alternate screen), so each format has a limit, and going past it is an
//! error that names the file or URL, the place and the limit:
//!
//! - **TOML** (config, keymap, themes, playbooks, the demo scenario):
//!   [`MAX_DEPTH`] levels, checked by [`toml`] before the `toml` crate
//!   parses. Tables, arrays of tables, arrays and inline tables count one
//!   level each, and so does every segment of a dotted key (`[a.b]` is two
//!   tables below the root, `x.y = [1]` puts the array three levels down).
//!   The `toml` crate has limits of its own (80 levels of arrays and inline
//!   tables, 80 segments of one key) but not of the two together:
//!   `x = {a.a.a… = {a.a.a… = …}}` nests 80 × 80 levels, and a playbook
//!   written so aborted `firebreak playbook list` with a stack overflow.
//! - **JSON** (journals, Alertmanager, Prometheus and Unleash answers, the
//!   demo world): serde_json's own limit, [`JSON_MAX_DEPTH`] levels,
//!   enforced inside its parser; [`json_too_deep`] turns its terse
//!   "recursion limit exceeded" into a message that says so. Values
//!   firebreak skips (unknown fields) are skipped without recursing.
//! - **flagd flag files**: 64 levels, by their own scan
//!   (`flags::flagd::tree`), which keeps its own message.
//!
//! Real files nest far less: a config or playbook 3 levels, an API answer
//! 6, a flag file with targeting about 15.

use std::fmt;

use toml_parser::parser::EventReceiver;
use toml_parser::{ErrorSink, Span};

/// How deep TOML files may nest (the root table is level 1).
pub const MAX_DEPTH: usize = 64;

/// How deep JSON may nest: serde_json refuses the 128th level.
pub const JSON_MAX_DEPTH: usize = 127;

/// Where a document goes past its limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooDeep {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters (serde_json's: in bytes).
    pub column: usize,
    pub limit: usize,
}

impl fmt::Display for TooDeep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "nested deeper than {} levels at line {}, column {}",
            self.limit, self.line, self.column
        )
    }
}

/// Is serde_json's error its recursion limit? Then where, as a
/// [`TooDeep`] (serde_json's message does not say what the limit is).
pub fn json_too_deep(e: &serde_json::Error) -> Option<TooDeep> {
    e.to_string()
        .starts_with("recursion limit exceeded")
        .then(|| TooDeep {
            line: e.line(),
            column: e.column(),
            limit: JSON_MAX_DEPTH,
        })
}

/// Check a TOML document's nesting against [`MAX_DEPTH`]. Never recurses
/// deeper than the limit itself; syntax errors are left to the `toml`
/// crate (a document that does not parse is not refused here).
pub fn toml(src: &str) -> Result<(), TooDeep> {
    toml_within(src, MAX_DEPTH)
}

fn toml_within(src: &str, limit: usize) -> Result<(), TooDeep> {
    let tokens = toml_parser::Source::new(src).lex().into_vec();
    let mut d = TomlDepth {
        limit,
        table: 1,
        header: None,
        keys: 0,
        key_start: 0,
        stack: Vec::new(),
        value_level: 2,
        too_deep: None,
    };
    toml_parser::parser::parse_document(&tokens, &mut d, &mut ());
    match d.too_deep {
        None => Ok(()),
        Some(offset) => {
            let (line, column) = line_column(src, offset);
            Err(TooDeep {
                line,
                column,
                limit,
            })
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Follows the toml_parser events and the level of every container. The
/// parser recurses into arrays and inline tables only while this allows
/// it (returns true), so it never goes past the limit either.
struct TomlDepth {
    limit: usize,
    /// Level of the table the current `[header]` opened (root: 1).
    table: usize,
    /// In a header: the extra level of an array of tables (0 or 1).
    header: Option<usize>,
    /// Key segments since the last key started.
    keys: usize,
    /// Where that key started.
    key_start: usize,
    /// Open arrays and inline tables, with their levels.
    stack: Vec<Frame>,
    /// The level a container opened now would have.
    value_level: usize,
    /// The first offset past the limit.
    too_deep: Option<usize>,
}

#[derive(Clone, Copy)]
enum Frame {
    Array(usize),
    Table(usize),
}

impl TomlDepth {
    /// The level of the table whose keys are being read.
    fn container(&self) -> usize {
        match self.stack.last() {
            Some(Frame::Table(l)) | Some(Frame::Array(l)) => *l,
            None => self.table,
        }
    }

    /// Is `level` within the limit? If not, remember where it was not.
    fn allow(&mut self, level: usize, at: usize) -> bool {
        if level <= self.limit {
            return true;
        }
        self.too_deep.get_or_insert(at);
        false
    }

    fn after_close(&mut self) {
        self.stack.pop();
        if let Some(Frame::Array(l)) = self.stack.last() {
            self.value_level = l + 1;
        }
    }
}

impl EventReceiver for TomlDepth {
    fn std_table_open(&mut self, span: Span, _: &mut dyn ErrorSink) {
        self.header = Some(0);
        self.keys = 0;
        self.key_start = span.start();
    }

    fn array_table_open(&mut self, span: Span, _: &mut dyn ErrorSink) {
        self.header = Some(1);
        self.keys = 0;
        self.key_start = span.start();
    }

    fn std_table_close(&mut self, _: Span, _: &mut dyn ErrorSink) {
        let level = 1 + self.keys + self.header.take().unwrap_or(0);
        self.allow(level, self.key_start);
        self.table = level.min(self.limit);
        self.keys = 0;
    }

    fn array_table_close(&mut self, span: Span, e: &mut dyn ErrorSink) {
        self.std_table_close(span, e);
    }

    fn simple_key(
        &mut self,
        span: Span,
        _: Option<toml_parser::decoder::Encoding>,
        _: &mut dyn ErrorSink,
    ) {
        if self.keys == 0 && self.header.is_none() {
            self.key_start = span.start();
        }
        self.keys += 1;
    }

    fn key_val_sep(&mut self, _: Span, _: &mut dyn ErrorSink) {
        // `a.b.c = v` in a table at level L: tables at L+1, L+2, and v
        // (if it is an array or inline table) at L+3.
        let level = self.container() + self.keys.max(1);
        self.allow(level - 1, self.key_start);
        self.value_level = level;
        self.keys = 0;
    }

    fn inline_table_open(&mut self, span: Span, _: &mut dyn ErrorSink) -> bool {
        // Pushed even when refused: the parser then skips to the closing
        // brace and still reports it.
        let level = self.value_level;
        self.stack.push(Frame::Table(level));
        self.keys = 0;
        self.allow(level, span.start())
    }

    fn inline_table_close(&mut self, _: Span, _: &mut dyn ErrorSink) {
        self.after_close();
    }

    fn array_open(&mut self, span: Span, _: &mut dyn ErrorSink) -> bool {
        let level = self.value_level;
        self.stack.push(Frame::Array(level));
        self.value_level = level + 1;
        self.allow(level, span.start())
    }

    fn array_close(&mut self, _: Span, _: &mut dyn ErrorSink) {
        self.after_close();
    }

    fn value_sep(&mut self, _: Span, _: &mut dyn ErrorSink) {
        match self.stack.last() {
            Some(Frame::Array(l)) => self.value_level = l + 1,
            _ => self.keys = 0,
        }
    }

    fn newline(&mut self, _: Span, _: &mut dyn ErrorSink) {
        if self.stack.is_empty() {
            self.keys = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run `f` on a thread with a small stack: a deep recursion would
    /// overflow it (and abort the test run) instead of passing by luck.
    fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap()
    }

    fn nest(open: &str, inner: &str, close: &str, n: usize) -> String {
        format!("{}{inner}{}", open.repeat(n), close.repeat(n))
    }

    #[test]
    fn levels_are_counted_like_json_containers() {
        // The root table is level 1; `x = [...]` opens level 2.
        let arrays = |n| format!("x = {}\n", nest("[", "1", "]", n));
        assert!(toml_within(&arrays(3), 4).is_ok());
        let e = toml_within(&arrays(4), 4).unwrap_err();
        assert_eq!((e.line, e.column), (1, 8), "the 4th `[` opens level 5");
        // Dotted keys: `a.b.c.d = 1` makes tables at levels 2, 3 and 4.
        assert!(toml_within("a.b.c.d = 1\n", 4).is_ok());
        assert!(toml_within("a.b.c.d.e = 1\n", 4).is_err());
        assert!(toml_within("a.b.c = [1]\n", 4).is_ok());
        assert!(
            toml_within("a.b.c = [[1]]\n", 4).is_err(),
            "the inner array is 5"
        );
        // Headers: [a.b] is level 3; [[a.b]]'s element tables level 4.
        assert!(toml_within("[a.b]\nc = 1\n", 3).is_ok());
        assert!(toml_within("[a.b]\nc.d = 1\n", 3).is_err());
        assert!(toml_within("[[a.b]]\n", 3).is_err());
        assert!(toml_within("[[a.b]]\n", 4).is_ok());
        // Inline tables and their dotted keys.
        assert!(toml_within("x = {a.b = {c = 1}}\n", 4).is_ok());
        assert!(toml_within("x = {a.b = {c = [1]}}\n", 4).is_err());
        // A later top-level key starts again from its table.
        let text = "x = [[[1]]]\ny = 2\n[t]\nz = [[1]]\n";
        assert!(toml_within(text, 4).is_ok());
        assert!(toml_within(text, 3).is_err());
    }

    #[test]
    fn brackets_in_strings_and_comments_are_not_nesting() {
        let text = format!(
            "a = \"{0}\"\nb = '{0}'\nc = \"\"\"\n{0}\n\"\"\"\nd = '''{0}'''\n# {0}\n\"e.f.g.h\" = 1\n",
            "[{[{a.b.c.d".repeat(40)
        );
        assert!(toml(&text).is_ok(), "{text}");
    }

    #[test]
    fn the_shipped_files_are_far_from_the_limit() {
        for src in [
            include_str!("../assets/keymap.toml"),
            include_str!("../assets/demo/scenario.toml"),
            include_str!("../playbooks/systematic-diagnosis.toml"),
        ] {
            assert!(toml_within(src, 6).is_ok());
        }
    }

    #[test]
    fn thousands_of_levels_are_refused_without_overflowing_the_stack() {
        let key = vec!["a"; 70].join(".");
        let cases = [
            format!("x = {}\n", nest("[", "1", "]", 100_000)),
            format!("x = {}\n", nest("{a=", "1", "}", 100_000)),
            format!("{} = 1\n", vec!["a"; 100_000].join(".")),
            format!("[{}]\n", vec!["a"; 100_000].join(".")),
            // The toml crate's limits apply to each kind, not to both.
            format!("x = {}\n", nest(&format!("{{{key} = "), "1", "}", 75)),
        ];
        for text in cases {
            let e = on_small_stack(move || toml(&text)).unwrap_err();
            assert_eq!(e.limit, MAX_DEPTH);
            assert_eq!(e.line, 1);
            assert!(
                e.to_string()
                    .starts_with("nested deeper than 64 levels at line 1, column "),
                "{e}"
            );
        }
    }

    #[test]
    fn the_error_names_line_and_character_column() {
        let text = format!("# ünïcode\n\nx = \"é\"\ny = {}\n", nest("[", "", "]", 70));
        let e = toml(&text).unwrap_err();
        // `y = ` is 4 characters; the 64th `[` opens level 65.
        assert_eq!((e.line, e.column), (4, 4 + 64));
    }

    #[test]
    fn serde_json_limit_is_what_we_say() {
        let nest = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        let ok = serde_json::from_str::<serde_json::Value>(&nest(JSON_MAX_DEPTH));
        assert!(ok.is_ok());
        let e = serde_json::from_str::<serde_json::Value>(&nest(JSON_MAX_DEPTH + 1)).unwrap_err();
        let d = json_too_deep(&e).unwrap();
        assert_eq!(
            d.to_string(),
            "nested deeper than 127 levels at line 1, column 128"
        );
        let other = serde_json::from_str::<serde_json::Value>("[1,").unwrap_err();
        assert_eq!(json_too_deep(&other), None);
    }
}
