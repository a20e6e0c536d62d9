//! Timeline pane: every recorded entry with UTC time, local time and T+.

use chrono::{DateTime, FixedOffset, Utc};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph};
use ratatui::Frame;

use super::{clip, offset_for, pane_block, title};
use crate::config::theme::Theme;
use crate::state::incident::t_plus;
use crate::state::{Pane, State};
use crate::timeline::Event;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, _now: DateTime<Utc>) {
    let extra = vec![Span::styled(format!("{} entries ", state.timeline.len()), theme.muted)];
    let block = pane_block(state, Pane::Timeline, title(state, Pane::Timeline, theme, extra), theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 {
        return;
    }
    let Some(inc) = &state.incident else {
        frame.render_widget(Paragraph::new("Nothing recorded yet.").style(theme.muted), inner);
        return;
    };
    let t0 = inc.t0();
    let local: FixedOffset = state.settings.local_offset;
    let show_local = inner.width >= 90;
    let height = inner.height as usize;
    let offset = offset_for(state.timeline_list.selected, height);
    // Only build the visible rows: the journal may hold 100k entries.
    let items: Vec<ListItem> = state
        .timeline_list
        .view
        .iter()
        .skip(offset)
        .take(height)
        .filter_map(|i| state.timeline.get(*i))
        .map(|e| {
            let mut spans = vec![Span::styled(e.ts.format("%H:%M:%SZ").to_string(), theme.muted)];
            if show_local {
                spans.push(Span::styled(
                    format!(" {} local", e.ts.with_timezone(&local).format("%H:%M:%S")),
                    theme.muted,
                ));
            }
            spans.push(Span::styled(format!(" {:>9} ", t_plus(t0, e.ts)), theme.accent));
            let style = event_style(&e.event, theme);
            let who = if e.actor == crate::timeline::journal::SYSTEM_ACTOR { String::new() } else { format!("{}: ", e.actor) };
            spans.push(Span::styled(who, theme.muted));
            spans.push(Span::styled(clip(&e.event.describe(), 300), style));
            ListItem::new(Line::from(spans))
        })
        .collect();
    let list = List::new(items).highlight_style(if state.focus == Pane::Timeline { theme.selection } else { theme.base });
    let mut ls = ListState::default().with_selected(Some(state.timeline_list.selected.saturating_sub(offset)));
    if state.timeline_list.view.is_empty() {
        ls.select(None);
    }
    frame.render_stateful_widget(list, inner, &mut ls);
}

fn event_style(e: &Event, theme: &Theme) -> Style {
    match e {
        Event::AlertFiring { severity, .. } => theme.severity(severity),
        Event::AlertResolved { .. } => theme.ok,
        Event::FlagChanged { ok: false, .. } | Event::ActionFinished { ok: false, .. } => theme.critical,
        Event::FlagChanged { ok: true, .. } | Event::ActionFinished { ok: true, .. } => theme.ok,
        Event::SourceHealth { healthy: false, .. } => theme.critical,
        Event::Note { .. } => theme.base,
        _ => theme.info,
    }
}
