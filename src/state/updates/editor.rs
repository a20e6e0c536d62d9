//! A small multi-line text editor for the status update: three text
//! fields (Conditions, Actions, Needs) and the minutes until the next
//! update. Pure data and edits; keys are mapped in `update.rs`, drawing
//! is `ui/overlays.rs`.
//!
//! The cursor is a char index into the field's text; lines are the
//! text's `\n`-separated parts.

/// What the fields are, in order.
pub const TITLES: [&str; 4] = [
    "Conditions (what is happening, impact)",
    "Actions (what is being done)",
    "Needs (what help is needed)",
    "Next update in (minutes)",
];

/// The field that takes only a number of minutes.
pub const MINUTES: usize = 3;

/// The longest text one field takes.
pub const MAX_CHARS: usize = 6000;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Field {
    pub text: String,
    /// Char index of the cursor.
    pub cursor: usize,
}

impl Field {
    pub fn new(text: &str) -> Field {
        Field {
            text: text.to_string(),
            cursor: text.chars().count(),
        }
    }

    fn byte(&self, char_idx: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_idx)
            .map_or(self.text.len(), |(b, _)| b)
    }

    fn len(&self) -> usize {
        self.text.chars().count()
    }

    /// Insert `s` at the cursor (cut at [`MAX_CHARS`]); true if all fit.
    pub fn insert(&mut self, s: &str) -> bool {
        let room = MAX_CHARS.saturating_sub(self.len());
        let take: String = s.chars().take(room).collect();
        let at = self.byte(self.cursor);
        self.text.insert_str(at, &take);
        self.cursor += take.chars().count();
        take.chars().count() == s.chars().count()
    }

    pub fn backspace(&mut self) -> bool {
        if self.cursor == 0 {
            return false;
        }
        let at = self.byte(self.cursor - 1);
        self.text.remove(at);
        self.cursor -= 1;
        true
    }

    pub fn delete(&mut self) -> bool {
        if self.cursor >= self.len() {
            return false;
        }
        let at = self.byte(self.cursor);
        self.text.remove(at);
        true
    }

    pub fn left(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    pub fn right(&mut self) {
        self.cursor = (self.cursor + 1).min(self.len());
    }

    /// (line, column) of the cursor, in chars.
    pub fn position(&self) -> (usize, usize) {
        let before: String = self.text.chars().take(self.cursor).collect();
        let line = before.matches('\n').count();
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count());
        (line, col)
    }

    /// Put the cursor on `line` at `col` (or that line's end).
    fn go(&mut self, line: usize, col: usize) {
        let mut idx = 0;
        for (i, l) in self.text.split('\n').enumerate() {
            let n = l.chars().count();
            if i == line {
                self.cursor = idx + col.min(n);
                return;
            }
            idx += n + 1;
        }
    }

    /// Up a line; false at the first line.
    pub fn up(&mut self) -> bool {
        let (line, col) = self.position();
        if line == 0 {
            return false;
        }
        self.go(line - 1, col);
        true
    }

    /// Down a line; false at the last line.
    pub fn down(&mut self) -> bool {
        let (line, col) = self.position();
        if line + 1 >= self.text.split('\n').count() {
            return false;
        }
        self.go(line + 1, col);
        true
    }

    pub fn home(&mut self) {
        let (line, _) = self.position();
        self.go(line, 0);
    }

    pub fn end(&mut self) {
        let (line, _) = self.position();
        self.go(line, usize::MAX);
    }
}

/// The update being written. It lives in the state (not in the input
/// mode), so closing the editor keeps it: `u` reopens it as it was.
#[derive(Debug, Clone, PartialEq)]
pub struct Editor {
    pub fields: [Field; 4],
    pub focus: usize,
    /// Anything typed since it was filled in.
    pub edited: bool,
    /// Why the last Ctrl-S did not record.
    pub error: Option<String>,
}

impl Editor {
    pub fn new(conditions: &str, actions: &str, needs: &str, minutes: i64) -> Editor {
        Editor {
            fields: [
                Field::new(conditions),
                Field::new(actions),
                Field::new(needs),
                Field::new(&minutes.to_string()),
            ],
            // Needs is what only a person can say: start there.
            focus: 2,
            edited: false,
            error: None,
        }
    }

    pub fn field(&mut self) -> &mut Field {
        &mut self.fields[self.focus.min(3)]
    }

    pub fn next(&mut self) {
        self.focus = (self.focus + 1) % self.fields.len();
    }

    pub fn prev(&mut self) {
        self.focus = (self.focus + self.fields.len() - 1) % self.fields.len();
    }

    /// The minutes until the next update, if the field holds a number
    /// from 1 to 1440.
    pub fn minutes(&self) -> Result<i64, String> {
        let t = self.fields[MINUTES].text.trim();
        let t = t.strip_suffix('m').unwrap_or(t);
        match t.parse::<i64>() {
            Ok(m) if (1..=1440).contains(&m) => Ok(m),
            _ => Err(format!(
                "Next update in: a number of minutes from 1 to 1440, not `{}`",
                crate::text::visible(t)
            )),
        }
    }

    /// Type or paste `s` into the focused field: line breaks kept
    /// (`\r\n` and `\r` as `\n`) except in the minutes field, tabs as
    /// spaces, every other control or invisible character dropped.
    /// False when some did not fit.
    pub fn type_text(&mut self, s: &str) -> bool {
        let multi = self.focus != MINUTES;
        let s = s.replace("\r\n", "\n").replace('\r', "\n");
        let clean: String = s
            .chars()
            .filter_map(|c| match c {
                '\n' if multi => Some('\n'),
                '\n' | '\t' => Some(' '),
                c if crate::text::is_hazard(c) => None,
                c => Some(c),
            })
            .collect();
        if clean.is_empty() {
            return true;
        }
        self.edited = true;
        self.error = None;
        self.field().insert(&clean)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_moving_and_deleting_across_lines() {
        let mut f = Field::new("ab\ncdef\ng");
        assert_eq!(f.position(), (2, 1));
        assert!(f.up());
        assert_eq!(f.position(), (1, 1));
        f.end();
        assert_eq!(f.position(), (1, 4));
        assert!(f.up());
        assert_eq!(f.position(), (0, 2), "the column is kept within the line");
        assert!(!f.up());
        f.home();
        f.insert("é");
        assert_eq!(f.text, "éab\ncdef\ng");
        assert!(f.backspace());
        assert!(!f.backspace());
        assert!(f.delete());
        assert_eq!(f.text, "b\ncdef\ng");
        assert!(f.down() && f.down());
        assert!(!f.down());
    }

    #[test]
    fn a_paste_keeps_lines_but_never_control_sequences() {
        let mut e = Editor::new("", "", "", 30);
        assert!(e.type_text("line 1\r\n\x1b[2Jline\t2\x07\u{202e}"));
        assert_eq!(e.fields[2].text, "line 1\n[2Jline 2");
        e.focus = MINUTES;
        e.fields[MINUTES] = Field::new("");
        e.type_text("1\n5");
        assert_eq!(e.fields[MINUTES].text, "1 5");
        assert!(e.minutes().is_err());
        e.fields[MINUTES] = Field::new("15m");
        assert_eq!(e.minutes(), Ok(15));
    }
}
