//! The status update editor overlay: Conditions, Actions, Needs (multi-
//! line) and the minutes to the next update, the focused field with the
//! cursor, where it goes and the keys.

use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::centered;
use crate::action::Action;
use crate::config::keymap::Layer;
use crate::config::theme::Theme;
use crate::state::updates::editor::{Editor, MINUTES, TITLES};
use crate::state::State;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(ed) = &state.updates.draft else {
        return;
    };
    let r = centered(area, 110, area.height.saturating_sub(2));
    frame.render_widget(Clear, r);
    let key = |a: Action| {
        state
            .keymap
            .hint_in(Layer::Editor, a)
            .unwrap_or_else(|| "?".into())
    };
    let title = format!(
        " Status update  ({} record & send · {} next field · {} close, draft kept) ",
        key(Action::Submit),
        key(Action::NextField),
        key(Action::Cancel)
    );
    let block = Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.border_focused)
        .title(Span::styled(
            title,
            theme.accent.add_modifier(Modifier::BOLD),
        ))
        .style(theme.base);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let channels = &state.settings.status_updates.channels;
    let to = if channels.is_empty() {
        "to: the clipboard (no chat channel configured)".to_string()
    } else {
        format!("to: {} · and the clipboard", channels.join(", "))
    };
    let [head, a, b, c, mins, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(3),
        Constraint::Fill(3),
        Constraint::Fill(2),
        Constraint::Length(2),
        Constraint::Length(1),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(Span::styled(to, theme.muted)), head);
    for (i, area) in [a, b, c, mins].into_iter().enumerate() {
        field(frame, area, ed, i, theme);
    }
    if let Some(e) = &ed.error {
        frame.render_widget(
            Paragraph::new(Span::styled(e.clone(), theme.critical)),
            foot,
        );
    }
}

fn field(frame: &mut Frame, area: Rect, ed: &Editor, i: usize, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let focused = ed.focus == i;
    let f = &ed.fields[i];
    let style = if focused {
        theme.accent.add_modifier(Modifier::BOLD)
    } else {
        theme.muted
    };
    let marker = if focused { "▶ " } else { "  " };
    let title = Rect { height: 1, ..area };
    frame.render_widget(
        Paragraph::new(Span::styled(format!("{marker}{}", TITLES[i]), style)),
        title,
    );
    let body = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1),
        x: area.x + 2,
        width: area.width.saturating_sub(2),
    };
    if body.height == 0 || body.width == 0 {
        return;
    }
    let (line, col) = f.position();
    // Keep the cursor in view: scroll down and right as needed.
    let top = line.saturating_sub(body.height as usize - 1);
    let lines: Vec<&str> = f.text.split('\n').collect();
    let cursor_x = lines
        .get(line)
        .map_or(0, |l| l.chars().take(col).collect::<String>().width());
    let left = if focused {
        cursor_x.saturating_sub(body.width as usize - 1)
    } else {
        0
    };
    let shown: Vec<Line> = lines
        .iter()
        .skip(top)
        .take(body.height as usize)
        .map(|l| Line::from(Span::styled(skip_cols(l, left), theme.base)))
        .collect();
    let text_style = if i == MINUTES {
        theme.accent
    } else {
        theme.base
    };
    frame.render_widget(Paragraph::new(shown).style(text_style), body);
    if focused {
        frame.set_cursor_position(Position {
            x: body.x + (cursor_x - left) as u16,
            y: body.y + (line - top) as u16,
        });
    }
}

/// `s` without its first `cols` display columns.
fn skip_cols(s: &str, cols: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut w = 0;
    s.chars()
        .skip_while(|c| {
            let skip = w < cols;
            w += c.width().unwrap_or(0);
            skip
        })
        .collect()
}
