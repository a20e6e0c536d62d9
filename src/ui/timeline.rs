//! Timeline pane: every recorded entry with UTC time, local time and T+.

use chrono::{DateTime, FixedOffset, Utc};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{pane_block, title};
use crate::config::theme::Theme;
use crate::domain::incident::t_plus;
use crate::domain::Event;
use crate::state::{Pane, State};

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, _now: DateTime<Utc>) {
    let n = state.timeline.entries.len();
    let mut extra = vec![Span::styled(
        format!("{n} entr{} ", if n == 1 { "y" } else { "ies" }),
        theme.muted,
    )];
    // Scrolled back: say that newer entries exist below.
    if state.timeline.pinned_only {
        extra.push(Span::styled("★ pinned only (P) ", theme.warning));
    }
    let l = &state.timeline.list;
    let newer = l.view.len().saturating_sub(l.selected + 1);
    if !l.follow && newer > 0 {
        extra.push(Span::styled(format!("↓ {newer} newer (G) "), theme.warning));
    }
    let block = pane_block(
        state,
        Pane::Timeline,
        title(state, Pane::Timeline, theme, extra),
        theme,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 {
        return;
    }
    let Some(inc) = &state.incident else {
        frame.render_widget(
            Paragraph::new("Nothing recorded yet.").style(theme.muted),
            inner,
        );
        return;
    };
    let t0 = inc.t0();
    let local: FixedOffset = state.settings.local_offset;
    let show_local = inner.width >= 90;
    let height = inner.height as usize;
    let focused = state.focus == Pane::Timeline;
    let view = &state.timeline.list.view;
    if view.is_empty() {
        frame.render_widget(
            Paragraph::new("No entries match the filter.").style(theme.muted),
            inner,
        );
        return;
    }
    // Entries wrap, so rows are laid out around the selection (see
    // `window`). Only visible entries are built (the journal may hold
    // 100k entries).
    let sel = state.timeline.list.selected.min(view.len() - 1);
    let build = |pos: usize| -> Vec<Line<'static>> {
        match view.get(pos).and_then(|i| state.timeline.entries.get(*i)) {
            Some(e) => {
                // Work done while a hypothesis was being tested is linked to it.
                let tag = state
                    .hyp
                    .fold
                    .covering(e.ts)
                    .filter(|_| {
                        matches!(e.event.category(), "action" | "flag" | "playbook" | "note")
                    })
                    .map(|h| format!("[{}] ", h.label(&state.settings.responder)))
                    .unwrap_or_default();
                let tag = if state.timeline.is_pinned(e) {
                    format!("★ {tag}")
                } else {
                    tag
                };
                entry_lines(
                    e,
                    &tag,
                    t0,
                    local,
                    show_local,
                    inner.width as usize,
                    theme,
                    focused && pos == sel,
                )
            }
            None => Vec::new(),
        }
    };
    let lines = window(view.len(), sel, height, build);
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The rows a pane of `height` shows of `n` entries of varying height
/// (`build` gives an entry's lines), with entry `sel` selected:
/// - the selected entry whole, from its first line (only its first
///   `height` lines when it is taller than the pane);
/// - above it the older entries that fit whole, below it the newer ones
///   down to the last row (the last one cut at the bottom, its head
///   showing);
/// - when nothing newer is left to fill the pane (the newest entry is
///   selected, as when following), the pane is filled from the bottom:
///   the older entry that did not fit whole shows its last lines at the
///   top, rather than leaving rows empty.
///
/// So the pane never starts in the middle of an entry unless the
/// selection is below it, whole.
fn window<L: Clone>(
    n: usize,
    sel: usize,
    height: usize,
    build: impl Fn(usize) -> Vec<L>,
) -> Vec<L> {
    let mut lines = build(sel);
    if lines.len() >= height {
        lines.truncate(height);
        return lines;
    }
    // Older entries that fit whole.
    let mut first = sel;
    while first > 0 {
        let older = build(first - 1);
        if lines.len() + older.len() > height {
            break;
        }
        lines.splice(0..0, older);
        first -= 1;
    }
    // Newer entries down to the last row.
    let mut next = sel + 1;
    while lines.len() < height && next < n {
        lines.extend(build(next));
        next += 1;
    }
    lines.truncate(height);
    // Rows still free: the tail of the older entry that did not fit.
    if lines.len() < height && first > 0 {
        let older = build(first - 1);
        let take = (height - lines.len()).min(older.len());
        lines.splice(0..0, older[older.len() - take..].iter().cloned());
    }
    lines
}

/// One entry as one or more lines: time, T+, who, then the text wrapped
/// under itself.
#[allow(clippy::too_many_arguments)]
fn entry_lines(
    e: &crate::domain::Entry,
    tag: &str,
    t0: DateTime<Utc>,
    local: FixedOffset,
    show_local: bool,
    width: usize,
    theme: &Theme,
    selected: bool,
) -> Vec<Line<'static>> {
    // A backfilled note is shown when it says it happened.
    let at = crate::state::incident::shown_at(e);
    let mut head = at.format("%H:%M:%SZ").to_string();
    if show_local {
        head.push_str(&format!(
            " {} local",
            at.with_timezone(&local).format("%H:%M:%S")
        ));
    }
    let tplus = format!(" {:>9} ", t_plus(t0, at));
    let indent = head.chars().count() + tplus.chars().count();
    let who = if e.actor == crate::domain::SYSTEM_ACTOR {
        String::new()
    } else {
        format!("{}: ", e.actor)
    };
    let style = event_style(&e.event, theme);
    let text = format!("{tag}{who}{}", e.event.describe());
    let wrapped = wrap(&text, width.saturating_sub(indent).max(10));
    let sel = |s: Style| {
        if selected {
            s.patch(theme.selection)
        } else {
            s
        }
    };
    wrapped
        .into_iter()
        .take(12)
        .enumerate()
        .map(|(i, chunk)| {
            let mut spans = if i == 0 {
                vec![
                    Span::styled(head.clone(), sel(theme.muted)),
                    Span::styled(tplus.clone(), sel(theme.accent)),
                ]
            } else {
                vec![Span::styled(" ".repeat(indent), sel(theme.muted))]
            };
            spans.push(Span::styled(chunk, sel(style)));
            Line::from(spans)
        })
        .collect()
}

/// Greedy word wrap by display width; words longer than a line are cut.
/// A character a terminal would act on, or that reorders or hides text, is
/// shown as its escape ([`crate::text::visible`]).
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthStr;
    // Line breaks and tabs are spaces to the wrap.
    let text = crate::text::visible_lines(text);
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_string();
        loop {
            let need = if cur.is_empty() {
                word.width()
            } else {
                cur.width() + 1 + word.width()
            };
            if need <= width {
                if !cur.is_empty() {
                    cur.push(' ');
                }
                cur.push_str(&word);
                break;
            }
            if !cur.is_empty() {
                lines.push(std::mem::take(&mut cur));
                continue;
            }
            // A single word wider than the line: cut it.
            let mut head = String::new();
            let mut rest = String::new();
            for c in word.chars() {
                if rest.is_empty() && (head.clone() + &c.to_string()).width() <= width {
                    head.push(c);
                } else {
                    rest.push(c);
                }
            }
            if head.is_empty() {
                break;
            }
            lines.push(head);
            word = rest;
            if word.is_empty() {
                break;
            }
        }
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

fn event_style(e: &Event, theme: &Theme) -> Style {
    match e {
        Event::AlertFiring { severity, .. } => theme.severity(severity),
        Event::AlertResolved { .. } => theme.ok,
        // A batch: the colour of its worst firing alert, else resolved.
        Event::AlertBatch { events } => events
            .iter()
            .filter_map(|e| match e {
                Event::AlertFiring { severity, .. } => Some(severity),
                _ => None,
            })
            .min_by_key(|s| crate::sources::severity_rank(s))
            .map_or(theme.ok, |s| theme.severity(s)),
        Event::FlagChanged { ok: false, .. } | Event::ActionFinished { ok: false, .. } => {
            theme.critical
        }
        Event::FlagChanged { ok: true, .. } | Event::ActionFinished { ok: true, .. } => theme.ok,
        Event::SourceHealth { healthy: false, .. } => theme.critical,
        Event::Note { .. } => theme.base,
        _ => theme.info,
    }
}

#[cfg(test)]
mod tests {
    use super::{window, wrap};

    /// Entries as lists of "entry.line" labels, `heights[i]` lines each.
    fn shown(heights: &[usize], sel: usize, height: usize) -> Vec<String> {
        window(heights.len(), sel, height, |i| {
            (0..heights[i]).map(|l| format!("{i}.{l}")).collect()
        })
    }

    #[test]
    fn the_window_starts_at_the_selection_or_a_whole_entry_above_it() {
        // The first entry selected: from its first line, newer below.
        assert_eq!(
            shown(&[3, 3, 3], 0, 8),
            ["0.0", "0.1", "0.2", "1.0", "1.1", "1.2", "2.0", "2.1"]
        );
        // Taller than the pane: its start.
        assert_eq!(shown(&[2, 10, 1], 1, 4), ["1.0", "1.1", "1.2", "1.3"]);
        // The newest selected: filled from the bottom, the older entry
        // that does not fit whole shows its last lines.
        assert_eq!(
            shown(&[3, 6, 3], 2, 8),
            ["1.1", "1.2", "1.3", "1.4", "1.5", "2.0", "2.1", "2.2"]
        );
        // Everything fits: from the top, rows left empty below.
        assert_eq!(shown(&[1, 2], 1, 8), ["0.0", "1.0", "1.1"]);
    }

    #[test]
    fn wrapped_text_shows_escapes() {
        assert_eq!(
            wrap("5xx \x1b[31m \u{202e}high", 40),
            ["5xx \\x1b[31m \\u{202e}high"]
        );
        assert_eq!(wrap("two\nlines", 40), ["two lines"]);
    }

    #[test]
    fn wraps_by_words_and_cuts_long_words() {
        assert_eq!(
            wrap("turn flag new-checkout-flow off now", 12),
            ["turn flag", "new-checkout", "-flow off", "now"]
        );
        assert_eq!(wrap("", 5), [""]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
    }
}
