//! Footer: the latest notice, or the key hints of the focused feature and
//! the current mode, generated from the keymap.

use chrono::{DateTime, Utc};
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::config::theme::Theme;
use crate::state::{Level, State};

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, now: DateTime<Utc>) {
    if let Some(n) = state.visible_notice(now) {
        let style = match n.level {
            Level::Info => theme.info,
            Level::Success => theme.ok,
            Level::Warning => theme.warning,
            Level::Error => theme.critical.add_modifier(Modifier::REVERSED),
        };
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(format!(" {}", n.text), style))),
            area,
        );
        return;
    }
    // The keys that work now, supplied by the feature that handles them.
    let (layer, actions) = crate::state::hints(state);
    let mut spans = Vec::new();
    for a in actions {
        let key = match layer {
            Some(l) => state.keymap.hint_in(l, a),
            None => None,
        };
        if let Some(k) = key {
            spans.push(Span::styled(format!(" {k}"), theme.accent));
            spans.push(Span::styled(format!(" {}", a.short()), theme.muted));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
