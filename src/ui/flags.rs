//! Flags pane: each flag with its state; flips in flight are marked.

use chrono::{DateTime, Utc};
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::{age, clip, offset_for, pane_block};
use crate::config::theme::Theme;
use crate::state::health::Freshness;
use crate::state::{Pane, State};

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, now: DateTime<Utc>) {
    let fresh = state.flags.health.freshness(now);
    let mut extra = Vec::new();
    if fresh.is_bad() {
        extra.push(Span::styled(format!("{} ", fresh.label()), theme.critical));
    }
    let block = pane_block(
        state,
        Pane::Flags,
        super::playbook::side_title(state, theme, Pane::Flags, extra),
        theme,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 {
        return;
    }
    if state.flags.items.is_empty() {
        let text = match fresh {
            Freshness::NotConfigured => "No flag provider configured.".to_string(),
            Freshness::Down(e) => format!("Flag provider unreachable: {e}"),
            _ => "Loading flags…".to_string(),
        };
        frame.render_widget(
            Paragraph::new(text)
                .style(theme.muted)
                .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    let height = inner.height as usize;
    let offset = offset_for(state.flags.list.selected, height);
    let w = inner.width as usize;
    let shown: Vec<&crate::flags::Flag> = state
        .flags
        .list
        .view
        .iter()
        .skip(offset)
        .take(height)
        .filter_map(|i| state.flags.items.get(*i))
        .collect();
    let changed = |f: &crate::flags::Flag| {
        f.changed_at
            .map(|t| format!(" {}", age(now - t)))
            .unwrap_or_default()
    };
    // The name gets the width; when it and the age of the last change do
    // not fit on one line, the age goes on a line of its own if the pane
    // has the rows for it.
    let fits = |f: &crate::flags::Flag| 6 + f.name.width() + changed(f).width() <= w;
    // Only a flag with an age gains from a second line.
    let spills = |f: &crate::flags::Flag| f.changed_at.is_some() && !fits(f);
    let spill = shown.iter().filter(|f| spills(f)).count();
    let two_lines = spill > 0 && shown.len() + spill <= height;
    let items: Vec<ListItem> = shown
        .into_iter()
        .map(|f| {
            let busy = state.flags.in_flight.contains(&f.name);
            let (mark, style) = match (busy, f.enabled) {
                (true, _) => ("… ", theme.warning),
                (false, true) => ("● ON ", theme.ok),
                (false, false) => ("○ off", theme.muted),
            };
            let mark = Span::styled(format!("{mark:<6}"), style.add_modifier(Modifier::BOLD));
            let changed = changed(f);
            if two_lines && spills(f) {
                let first = Line::from(vec![
                    mark,
                    Span::styled(clip(&f.name, w.saturating_sub(6)), theme.base),
                ]);
                let second = Line::from(Span::styled(
                    format!("      changed{changed} ago"),
                    theme.muted,
                ));
                return ListItem::new(vec![first, second]);
            }
            let name_w = w.saturating_sub(6 + changed.width());
            Line::from(vec![
                mark,
                Span::styled(clip(&f.name, name_w), theme.base),
                Span::styled(changed, theme.muted),
            ])
            .into()
        })
        .collect();
    let list = List::new(items).highlight_style(if state.focus == Pane::Flags {
        theme.selection
    } else {
        theme.base
    });
    let mut ls =
        ListState::default().with_selected(Some(state.flags.list.selected.saturating_sub(offset)));
    frame.render_stateful_widget(list, inner, &mut ls);
}
