//! Footer: the latest notice, or the key hints of the focused feature and
//! the current mode, generated from the keymap. Neither is cut: a notice
//! wraps onto up to three rows, the hints onto two (whole hints only).

use chrono::{DateTime, Utc};
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::config::theme::Theme;
use crate::state::{Level, State};

/// Rows a notice may take.
const NOTICE_ROWS: usize = 3;
/// Rows the key hints may take.
const HINT_ROWS: usize = 2;

/// The footer's rows at `width` columns, at most `max_rows`.
pub fn lines(
    state: &State,
    theme: &Theme,
    width: u16,
    max_rows: u16,
    now: DateTime<Utc>,
) -> Vec<Line<'static>> {
    let width = (width as usize).max(1);
    let max_rows = (max_rows as usize).max(1);
    if let Some(n) = state.visible_notice(now) {
        let style = match n.level {
            Level::Info => theme.info,
            Level::Success => theme.ok,
            Level::Warning => theme.warning,
            Level::Error => theme.critical.add_modifier(Modifier::REVERSED),
        };
        let rows = NOTICE_ROWS.min(max_rows);
        let mut wrapped = super::timeline::wrap(&n.text, width.saturating_sub(1).max(1));
        if wrapped.len() > rows {
            // What does not fit ends in an ellipsis on the last row.
            let rest = wrapped[rows - 1..].join(" ");
            wrapped.truncate(rows - 1);
            wrapped.push(super::clip(&rest, width.saturating_sub(1)));
        }
        return wrapped
            .into_iter()
            .map(|l| Line::from(Span::styled(format!(" {l}"), style)))
            .collect();
    }
    // The keys that work now, supplied by the feature that handles them.
    let (layer, actions) = crate::state::hints(state);
    let rows = HINT_ROWS.min(max_rows);
    let mut out: Vec<Vec<Span<'static>>> = vec![Vec::new()];
    let mut used = 0;
    for (a, label) in actions {
        let key = match layer {
            Some(l) => state.keymap.hint_in(l, a),
            None => None,
        };
        let Some(k) = key else { continue };
        let key = format!(" {}", arrow(&k));
        let label = format!(" {label}");
        let w = unicode_width::UnicodeWidthStr::width(format!("{key}{label}").as_str());
        if used + w > width {
            if out.len() == rows {
                break;
            }
            out.push(Vec::new());
            used = 0;
        }
        used += w;
        if let Some(line) = out.last_mut() {
            line.push(Span::styled(key, theme.accent));
            line.push(Span::styled(label, theme.muted));
        }
    }
    out.into_iter().map(Line::from).collect()
}

/// Arrow keys as arrows (`down down` reads as a stutter).
fn arrow(key: &str) -> &str {
    match key {
        "up" => "↑",
        "down" => "↓",
        "left" => "←",
        "right" => "→",
        k => k,
    }
}

pub fn draw(frame: &mut Frame, area: Rect, lines: Vec<Line<'static>>) {
    frame.render_widget(Paragraph::new(lines), area);
}
