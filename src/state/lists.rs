//! A filterable, scrollable list view over a vector owned elsewhere.

/// Selection and filter of one list pane. `view` holds the indices of the
/// items that pass the filter, in their original order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListView {
    pub filter: String,
    pub view: Vec<usize>,
    /// Position of the cursor within `view`.
    pub selected: usize,
    /// Keep the cursor on the newest (last) item as items arrive.
    pub follow: bool,
}

impl ListView {
    pub fn following() -> ListView {
        ListView {
            follow: true,
            ..ListView::default()
        }
    }

    /// Index (into the underlying vector) of the selected item.
    pub fn selected_index(&self) -> Option<usize> {
        self.view.get(self.selected).copied()
    }

    /// Recompute `view` from the items' search texts, keeping the cursor on
    /// the same item when it is still visible.
    pub fn refilter(&mut self, texts: &[String]) {
        let keep = self.selected_index();
        self.view = filter_indices(&self.filter, texts);
        if self.follow {
            self.selected = self.view.len().saturating_sub(1);
        } else if let Some(k) = keep {
            self.selected = self
                .view
                .iter()
                .position(|i| *i == k)
                .unwrap_or(self.selected.min(self.view.len().saturating_sub(1)));
        }
        self.clamp();
    }

    /// Change which items the view holds, or their order (`f` edits
    /// `view`), keeping the cursor on the same item when it is still
    /// there, or on the newest when following.
    pub fn reorder(&mut self, f: impl FnOnce(&mut Vec<usize>)) {
        let keep = self.selected_index();
        f(&mut self.view);
        if self.follow {
            self.selected = self.view.len().saturating_sub(1);
        } else if let Some(k) = keep {
            if let Some(p) = self.view.iter().position(|i| *i == k) {
                self.selected = p;
            }
        }
        self.clamp();
    }

    fn clamp(&mut self) {
        if self.view.is_empty() {
            self.selected = 0;
        } else if self.selected >= self.view.len() {
            self.selected = self.view.len() - 1;
        }
    }

    /// A new item was appended to the underlying vector at `index`.
    pub fn push(&mut self, index: usize, text: &str) {
        if self.filter.is_empty() || Subsequence::new(&self.filter).matches(text) {
            self.view.push(index);
            if self.follow {
                self.selected = self.view.len() - 1;
            }
        }
    }

    /// Move the cursor by `delta` (negative is up).
    pub fn move_by(&mut self, delta: isize) {
        if self.view.is_empty() {
            return;
        }
        let last = self.view.len() - 1;
        let next = (self.selected as isize + delta).clamp(0, last as isize) as usize;
        self.selected = next;
        self.follow = next == last;
    }

    pub fn top(&mut self) {
        self.selected = 0;
        self.follow = false;
    }

    pub fn bottom(&mut self) {
        self.selected = self.view.len().saturating_sub(1);
        self.follow = true;
    }
}

/// Indices of `texts` matching `filter`, in order. A text matches when
/// the filter's characters appear in it in order (fuzzy, like the
/// palette), ignoring case unless the filter has an uppercase letter.
pub fn filter_indices(filter: &str, texts: &[String]) -> Vec<usize> {
    if filter.is_empty() {
        return (0..texts.len()).collect();
    }
    let m = Subsequence::new(filter);
    texts
        .iter()
        .enumerate()
        .filter(|(_, t)| m.matches(t))
        .map(|(i, _)| i)
        .collect()
}

/// A fast "characters in order" matcher (the palette ranks with a full
/// fuzzy scorer; a filter only needs yes or no, per keystroke, over
/// thousands of rows).
pub struct Subsequence {
    needle: Vec<char>,
    ignore_case: bool,
}

impl Subsequence {
    pub fn new(filter: &str) -> Subsequence {
        let ignore_case = !filter.chars().any(char::is_uppercase);
        let needle = filter
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| {
                if ignore_case {
                    c.to_ascii_lowercase()
                } else {
                    c
                }
            })
            .collect();
        Subsequence {
            needle,
            ignore_case,
        }
    }

    pub fn matches(&self, text: &str) -> bool {
        let mut want = self.needle.iter().peekable();
        for c in text.chars() {
            let Some(w) = want.peek() else { return true };
            let c = if self.ignore_case {
                c.to_ascii_lowercase()
            } else {
                c
            };
            if c == **w {
                want.next();
            }
        }
        want.peek().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn filter_keeps_order_and_cursor() {
        let t = texts(&[
            "HighErrorRate checkout",
            "DiskSpaceLow indexer",
            "LatencyHigh checkout",
        ]);
        let mut l = ListView::default();
        l.refilter(&t);
        l.move_by(2);
        assert_eq!(l.selected_index(), Some(2));
        l.filter = "chk".into();
        l.refilter(&t);
        assert_eq!(l.view, vec![0, 2]);
        assert_eq!(l.selected_index(), Some(2), "cursor stays on the same item");
        l.filter = "zzz".into();
        l.refilter(&t);
        assert_eq!(l.selected_index(), None);
    }

    #[test]
    fn subsequence_is_smart_case() {
        assert!(Subsequence::new("chk").matches("HighErrorRate checkout"));
        assert!(Subsequence::new("hig err").matches("HighErrorRate"));
        assert!(!Subsequence::new("High").matches("higherrorrate"));
        assert!(!Subsequence::new("xyz").matches("checkout"));
    }

    #[test]
    fn push_respects_filter_and_follow() {
        let mut l = ListView::following();
        l.filter = "disk".into();
        l.push(0, "HighErrorRate");
        l.push(1, "DiskSpaceLow");
        assert_eq!(l.view, vec![1]);
        assert_eq!(l.selected_index(), Some(1));
    }

    #[test]
    fn following_list_sticks_to_the_newest() {
        let mut l = ListView::following();
        l.refilter(&texts(&["a", "b"]));
        assert_eq!(l.selected_index(), Some(1));
        l.refilter(&texts(&["a", "b", "c"]));
        assert_eq!(l.selected_index(), Some(2));
        l.move_by(-1);
        assert!(!l.follow);
        l.refilter(&texts(&["a", "b", "c", "d"]));
        assert_eq!(l.selected_index(), Some(1), "scrolled back: stays put");
        l.bottom();
        l.refilter(&texts(&["a", "b", "c", "d", "e"]));
        assert_eq!(l.selected_index(), Some(4));
    }
}
