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
    // Entries wrap, so rows are laid out around the selection: back from
    // it while it fits, then forward. Only visible entries are built (the
    // journal may hold 100k entries).
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
                    .map(|h| format!("[H{}] ", h.id))
                    .unwrap_or_default();
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
    let mut before: Vec<Vec<Line>> = Vec::new();
    let mut used = 0;
    let mut pos = sel as isize;
    while pos >= 0 {
        let lines = build(pos as usize);
        if used + lines.len() > height && !before.is_empty() {
            break;
        }
        used += lines.len();
        before.push(lines);
        pos -= 1;
    }
    before.reverse();
    let mut lines: Vec<Line> = before.into_iter().flatten().collect();
    let mut next = sel + 1;
    while lines.len() < height && next < view.len() {
        lines.extend(build(next));
        next += 1;
    }
    // If the selected entry alone is taller than the pane, show its start.
    if lines.len() > height {
        let skip = if used > height {
            0
        } else {
            lines.len() - height
        };
        lines = lines.into_iter().skip(skip).take(height).collect();
    }
    frame.render_widget(Paragraph::new(lines), inner);
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
    let mut head = e.ts.format("%H:%M:%SZ").to_string();
    if show_local {
        head.push_str(&format!(
            " {} local",
            e.ts.with_timezone(&local).format("%H:%M:%S")
        ));
    }
    let tplus = format!(" {:>9} ", t_plus(t0, e.ts));
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
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthStr;
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
    use super::wrap;

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
