//! The view: a pure function of the state. One file per pane or overlay.

mod alerts;
mod flags;
mod footer;
mod header;
mod metrics;
mod overlays;
mod playbook;
mod timeline;
mod update;

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};
use ratatui::Frame;

use crate::config::theme::Theme;
use crate::state::{Pane, State};
pub use crate::state::{MIN_HEIGHT, MIN_WIDTH};

/// Draw the whole screen.
pub fn draw(frame: &mut Frame, state: &State, theme: &Theme, now: DateTime<Utc>) {
    let area = frame.area();
    frame.render_widget(Block::new().style(theme.base), area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "firebreak: terminal too small ({}x{}); need {MIN_WIDTH}x{MIN_HEIGHT}. Your incident keeps recording.",
            area.width, area.height
        );
        frame.render_widget(
            Paragraph::new(text)
                .wrap(Wrap { trim: true })
                .style(theme.warning),
            area,
        );
        return;
    }
    // Read-only (another cockpit writes), then the quick-fix time box:
    // each wraps onto up to three rows rather than being cut.
    let banners: Vec<Line> = [
        header::access_banner(state, theme),
        header::timebox_banner(state, theme, now),
        header::approval_banner(state, theme, now),
    ]
    .into_iter()
    .flatten()
    .flat_map(|(text, style)| banner_lines(&text, style, area.width))
    .collect();
    let header_h = header::height(state, theme, now, area.width);
    // The footer wraps rather than cut a notice or a hint, when the panes
    // keep enough rows (16) for it.
    let spare = area
        .height
        .saturating_sub(header_h + banners.len() as u16 + 16);
    let footer_lines = footer::lines(state, theme, area.width, spare.max(1), now);
    let [header_area, banner_area, body, footer_area] = Layout::vertical([
        Constraint::Length(header_h),
        Constraint::Length(banners.len() as u16),
        Constraint::Min(6),
        Constraint::Length(footer_lines.len().max(1) as u16),
    ])
    .areas(area);
    header::draw(frame, header_area, state, theme, now);
    if !banners.is_empty() {
        frame.render_widget(Paragraph::new(banners), banner_area);
    }
    footer::draw(frame, footer_area, footer_lines);

    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(48), Constraint::Percentage(52)]).areas(body);
    let [alerts_area, metrics_area] =
        Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)]).areas(top);
    let [timeline_area, flags_area] =
        Layout::horizontal([Constraint::Percentage(68), Constraint::Percentage(32)]).areas(bottom);
    alerts::draw(frame, alerts_area, state, theme, now);
    metrics::draw(frame, metrics_area, state, theme, now);
    if state.focus == Pane::Playbooks && state.playbooks.open_run().is_some() {
        // The run view takes the timeline's and the side pane's place.
        playbook::draw_run(frame, bottom, state, theme, now);
    } else {
        timeline::draw(frame, timeline_area, state, theme, now);
        if playbook::side_shows_playbooks(state) {
            playbook::draw_list(frame, flags_area, state, theme, now);
        } else {
            flags::draw(frame, flags_area, state, theme, now);
        }
    }

    overlays::draw(frame, area, state, theme, now);
}

/// A banner's text as whole rows in its style (space-padded to the
/// edge), wrapped onto up to three rows; what does not fit ends in an
/// ellipsis.
fn banner_lines(text: &str, style: ratatui::style::Style, width: u16) -> Vec<Line<'static>> {
    let w = (width as usize).saturating_sub(2).max(1);
    let mut rows = timeline::wrap(text, w);
    if rows.len() > 3 {
        let rest = rows[2..].join(" ");
        rows.truncate(2);
        rows.push(clip(&rest, w));
    }
    rows.into_iter()
        .map(|r| {
            let fill = w.saturating_sub(unicode_width::UnicodeWidthStr::width(r.as_str()));
            Line::from(Span::styled(format!(" {r}{} ", " ".repeat(fill)), style))
        })
        .collect()
}

/// A pane's frame; the focused pane stands out.
pub(crate) fn pane_block<'a>(
    state: &State,
    pane: Pane,
    title: Line<'a>,
    theme: &Theme,
) -> Block<'a> {
    let focused = state.focus == pane;
    Block::new()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        })
        .border_style(if focused {
            theme.border_focused
        } else {
            theme.border
        })
        .title(title)
}

/// Title spans: name, then extra parts.
pub(crate) fn title<'a>(
    state: &State,
    pane: Pane,
    theme: &Theme,
    extra: Vec<Span<'a>>,
) -> Line<'a> {
    let focused = state.focus == pane;
    let num = Pane::ORDER
        .iter()
        .position(|p| *p == pane)
        .map_or(0, |i| i + 1);
    let mut spans = vec![Span::styled(
        format!(" {num} {} ", pane.title()),
        if focused {
            theme.border_focused
        } else {
            theme.accent
        },
    )];
    if let Some(l) = state.list(pane) {
        if !l.filter.is_empty() {
            spans.push(Span::styled(
                format!("/{} ({} shown) ", l.filter, l.view.len()),
                theme.warning.add_modifier(ratatui::style::Modifier::BOLD),
            ));
        }
    }
    spans.extend(extra);
    Line::from(spans)
}

/// Scroll offset that keeps `selected` visible in `height` rows.
pub(crate) fn offset_for(selected: usize, height: usize) -> usize {
    if height == 0 {
        return 0;
    }
    (selected + 1).saturating_sub(height)
}

/// Centered rectangle for overlays.
pub(crate) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width.saturating_sub(2)).max(1);
    let h = height.min(area.height.saturating_sub(2)).max(1);
    Rect {
        x: area.x + (area.width.saturating_sub(w)) / 2,
        y: area.y + (area.height.saturating_sub(h)) / 2,
        width: w,
        height: h,
    }
}

/// Truncate to `max` display columns with an ellipsis. Line breaks and
/// tabs become spaces; any other character a terminal would act on or
/// that reorders or hides text is shown as its escape (`\x1b`,
/// `\u{202e}`, see [`crate::text::visible`]): most remote text on screen
/// passes through here.
pub(crate) fn clip(s: &str, max: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut w = 0;
    let mut clipped = false;
    'chars: for c in s.chars() {
        let mut buf = [0u8; 4];
        let shown = match c {
            '\n' | '\t' => std::borrow::Cow::Borrowed(" "),
            c if crate::text::is_hazard(c) => crate::text::visible(c.encode_utf8(&mut buf)),
            c => std::borrow::Cow::Borrowed(&*c.encode_utf8(&mut buf)),
        };
        for c in shown.chars() {
            let cw = c.width().unwrap_or(0);
            if w + cw > max {
                clipped = true;
                break 'chars;
            }
            out.push(c);
            w += cw;
        }
    }
    if clipped && max > 0 {
        while unicode_width::UnicodeWidthStr::width(out.as_str()) >= max {
            out.pop();
        }
        out.push('…');
    }
    out
}

pub(crate) fn age(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m", s / 60)
    } else if s < 86400 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else {
        format!("{}d", s / 86400)
    }
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn clipped_text_shows_escapes_and_reordering_characters() {
        assert_eq!(
            clip("5xx \x1b[31m\u{202e}high", 40),
            "5xx \\x1b[31m\\u{202e}high"
        );
        assert_eq!(clip("two\nlines\tand a tab", 40), "two lines and a tab");
        assert_eq!(clip("a\x1bbcdef", 5), "a\\x1…");
        assert_eq!(clip("plain", 5), "plain");
        assert_eq!(clip("plainer", 5), "plai…");
    }
}
