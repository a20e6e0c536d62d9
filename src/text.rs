//! Remote text made safe for a person's terminal or editor.
//!
//! Alert labels and annotations, silence comments, flag descriptions and
//! command output come from systems firebreak does not control. Printed
//! raw, an escape sequence in them can clear the screen, retitle the
//! window or write the clipboard (OSC 52) when someone `cat`s an export,
//! and a newline can forge a row of a table. Every output a person reads
//! passes remote text through here: control characters (C0, DEL, C1) are
//! shown as visible escapes (`\x1b`), and so are the invisible characters
//! that reorder or hide text (bidi overrides and isolates, zero-width
//! characters), as `\u{202e}`. Nothing is dropped, so the evidence stays
//! readable.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `s` with every control and invisible character made visible, newlines
/// included (for one-line fields: table cells, labels, titles).
pub fn visible(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

/// Like [`visible`], but line breaks (`\n`, and `\r\n` as one) and tabs are
/// kept: for text that is meant to span lines (a document, a note).
pub fn visible_lines(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

/// Is `c` a character a terminal or editor would act on, or hide?
pub fn is_hazard(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{061C}' | '\u{200E}' | '\u{200F}'          // bidi marks
            | '\u{202A}'..='\u{202E}'                     // bidi embeddings, overrides
            | '\u{2066}'..='\u{2069}'                     // bidi isolates
            | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' // zero width
        )
}

fn escape(s: &str, keep_lines: bool) -> Cow<'_, str> {
    let kept = |c: char| keep_lines && (c == '\n' || c == '\t');
    // Most text is ASCII without controls: checked 64 bytes at a time
    // (without an early exit inside a block, so that it vectorises).
    let ascii_plain =
        |b: u8| (0x20..0x7f).contains(&b) || (keep_lines && (b == b'\n' || b == b'\t'));
    let plain = s
        .as_bytes()
        .chunks(64)
        .all(|block| block.iter().fold(true, |ok, &b| ok & ascii_plain(b)));
    if plain || !s.chars().any(|c| is_hazard(c) && !kept(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if keep_lines && c == '\r' && chars.peek() == Some(&'\n') {
            continue; // \r\n is a line break
        }
        if !is_hazard(c) || kept(c) {
            out.push(c);
        } else if (c as u32) < 0x100 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_shown_not_sent() {
        // Clear screen, set the window title, write the clipboard (OSC 52).
        let hostile = "\x1b[2J\x1b]0;pwned\x07\x1b]52;c;cm0gLXJmIC8=\x07ok";
        let v = visible(hostile);
        assert!(!v.chars().any(|c| c.is_control()), "{v}");
        assert_eq!(
            v,
            "\\x1b[2J\\x1b]0;pwned\\x07\\x1b]52;c;cm0gLXJmIC8=\\x07ok"
        );
        // C1 controls (a single-byte CSI) and DEL too.
        assert_eq!(visible("a\u{9b}2Jb\u{7f}"), "a\\x9b2Jb\\x7f");
    }

    #[test]
    fn newlines_are_visible_in_one_line_fields_and_kept_in_documents() {
        assert_eq!(visible("fake\nrow"), "fake\\x0arow");
        assert_eq!(
            visible_lines("line 1\r\nline 2\n\x1b[31m"),
            "line 1\nline 2\n\\x1b[31m"
        );
    }

    #[test]
    fn text_that_reorders_or_hides_itself_is_shown() {
        // "evil" written backwards by a right-to-left override, and a
        // zero-width space inside a name.
        assert_eq!(visible("a\u{202e}live"), "a\\u{202e}live");
        assert_eq!(visible("check\u{200b}out"), "check\\u{200b}out");
        assert_eq!(visible("x\u{2066}y\u{2069}"), "x\\u{2066}y\\u{2069}");
    }

    #[test]
    fn a_control_deep_in_long_text_is_found() {
        // The check reads 64 bytes at a time: a hazard at any place in
        // any block counts.
        for at in [0, 63, 64, 65, 200, 255] {
            let mut s = "a".repeat(256);
            s.replace_range(at..=at, "\x1b");
            assert!(!visible_lines(&s).contains('\x1b'), "at {at}");
            assert!(visible_lines(&s).contains("\\x1b"), "at {at}");
        }
        let long_unicode = format!("{}ü\u{202e}", "ok ".repeat(40));
        assert!(visible_lines(&long_unicode).ends_with("ü\\u{202e}"));
    }

    #[test]
    fn ordinary_text_is_not_copied() {
        assert!(matches!(
            visible("checkout 5xx ratio > 5% — ünïcode ✓"),
            Cow::Borrowed(_)
        ));
    }
}
