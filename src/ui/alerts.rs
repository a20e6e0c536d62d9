//! Alerts pane: what is firing, worst first. A source that is down says
//! so loudly; its last known alerts stay, marked stale.

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Modifier;
use ratatui::text::Span;
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use super::{age, clip, offset_for, pane_block, title};
use crate::config::theme::Theme;
use crate::sources::AlertState;
use crate::state::health::Freshness;
use crate::state::{Pane, State};

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, now: DateTime<Utc>) {
    let fresh = state.alerts.health.freshness(now);
    let firing = state
        .alerts
        .items
        .iter()
        .filter(|a| a.state == AlertState::Active)
        .count();
    // A source that cannot be trusted never shows a reassuring count.
    let mut extra = match &fresh {
        Freshness::Down(_) => vec![Span::styled(
            format!("SOURCE DOWN · {firing} last known "),
            theme.critical.add_modifier(Modifier::REVERSED),
        )],
        Freshness::Stale => vec![Span::styled(
            format!("STALE · {firing} last known "),
            theme.critical.add_modifier(Modifier::REVERSED),
        )],
        _ => vec![Span::styled(
            format!("{firing} firing "),
            if firing > 0 { theme.critical } else { theme.ok },
        )],
    };
    // Silences about to end (alerts will notify again) or just ended.
    let (soon, recent) = crate::state::silences::notable(&state.silences.items, now);
    if !soon.is_empty() {
        extra.push(Span::styled(
            format!(
                "{} silence(s) end <{}m ",
                soon.len(),
                crate::state::silences::SOON
            ),
            theme.warning,
        ));
    }
    if !recent.is_empty() {
        extra.push(Span::styled(
            format!(
                "{} expired <{}m ",
                recent.len(),
                crate::state::silences::RECENT
            ),
            theme.muted,
        ));
    }
    let block = pane_block(
        state,
        Pane::Alerts,
        title(state, Pane::Alerts, theme, extra),
        theme,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 {
        return;
    }

    // A banner when the source cannot be trusted; never "all quiet".
    let mut body = inner;
    // The verdict comes first so that a narrow pane can never cut it off.
    let banner = match &fresh {
        Freshness::Down(reason) => Some(format!(
            "ALERT SOURCE DOWN: {} Reason: {reason}",
            if state.alerts.items.is_empty() {
                "this is NOT all quiet, nothing is known."
            } else {
                "rows below are the LAST KNOWN alerts (stale)."
            }
        )),
        Freshness::Stale => Some(format!(
            "ALERTS STALE: no good answer for {}; rows below are the last known alerts.",
            state.alerts.health.age(now).map(age).unwrap_or_default()
        )),
        _ => None,
    };
    if let Some(text) = banner {
        // As many lines as the text needs, leaving room for some rows.
        let lines = super::timeline::wrap(&text, body.width.max(1) as usize).len() as u16;
        let h = lines
            .min(body.height.saturating_sub(2).max(2))
            .min(body.height);
        let r = Rect { height: h, ..body };
        frame.render_widget(
            Paragraph::new(text)
                .wrap(Wrap { trim: true })
                .style(theme.critical.add_modifier(Modifier::REVERSED)),
            r,
        );
        body.y += h;
        body.height -= h;
    }
    if body.height == 0 {
        return;
    }
    if state.alerts.items.is_empty() {
        let (text, style) = match &fresh {
            Freshness::NotConfigured => (
                "No alert source configured (see README: Alertmanager).".to_string(),
                theme.muted,
            ),
            Freshness::Waiting => ("Connecting to the alert source…".to_string(), theme.muted),
            Freshness::Ok | Freshness::Slow => (
                format!(
                    "All quiet: nothing firing (checked {} ago).",
                    state.alerts.health.age(now).map(age).unwrap_or_default()
                ),
                theme.ok,
            ),
            _ => (String::new(), theme.muted),
        };
        frame.render_widget(
            Paragraph::new(text).style(style).wrap(Wrap { trim: true }),
            body,
        );
        return;
    }
    let stale = fresh.is_bad();
    let wide = body.width >= 70;
    // The group column needs room; narrow panes keep name and summary.
    let grouped = body.width >= 56;
    // Only the visible rows are built: there may be thousands of alerts.
    let offset = offset_for(state.alerts.list.selected, body.height as usize);
    let rows: Vec<Row> = state
        .alerts
        .list
        .view
        .iter()
        .enumerate()
        .skip(offset)
        .take(body.height as usize)
        .filter_map(|(pos, i)| Some((pos, *i, state.alerts.items.get(*i)?)))
        .map(|(pos, i, a)| {
            // Grouped alerts (same group_by labels) are marked: the first
            // of a group shows its size, the rest a bar.
            let group = state.alerts.group.get(i);
            let prev_same = pos > 0
                && state
                    .alerts
                    .list
                    .view
                    .get(pos - 1)
                    .and_then(|p| state.alerts.group.get(*p))
                    .zip(group)
                    .is_some_and(|(p, g)| p.0 == g.0);
            let group_mark = match group {
                Some((_, n)) if *n > 1 && !prev_same => format!("{n}×"),
                Some((_, n)) if *n > 1 => " │".to_string(),
                _ => String::new(),
            };
            let sev = match a.severity_rank() {
                0 => "CRIT",
                1 => "WARN",
                2 => "INFO",
                _ => "----",
            };
            let mut sev_style = theme.severity(a.severity());
            let mut text_style = theme.base;
            if a.state != AlertState::Active || stale {
                sev_style = theme.muted;
                text_style = theme.muted;
            }
            let state_txt = match (a.state, stale) {
                (_, true) => "stale",
                (AlertState::Active, _) => "",
                (AlertState::Suppressed, _) => match a.state_label() {
                    "silenced" => "silen",
                    "inhibited" => "inhib",
                    _ => "muted",
                },
                (AlertState::Unprocessed, _) => "new",
            };
            let mut cells = vec![
                Cell::from(Span::styled(sev, sev_style)),
                Cell::from(Span::styled(
                    a.name().to_string(),
                    text_style.add_modifier(Modifier::BOLD),
                )),
                Cell::from(Span::styled(a.service().to_string(), text_style)),
                Cell::from(Span::styled(age(now - a.starts_at), theme.muted)),
            ];
            if grouped {
                cells.insert(1, Cell::from(Span::styled(group_mark, theme.muted)));
            }
            if wide {
                cells.push(Cell::from(Span::styled(state_txt, theme.muted)));
            }
            cells.push(Cell::from(Span::styled(clip(a.summary(), 200), text_style)));
            Row::new(cells)
        })
        .collect();
    let mut widths = vec![
        Constraint::Length(4),
        Constraint::Length(if grouped { 16 } else { 14 }),
        Constraint::Length(if wide { 14 } else { 8 }),
        Constraint::Length(5),
    ];
    if grouped {
        widths.insert(1, Constraint::Length(3));
    }
    if wide {
        widths.push(Constraint::Length(5));
    }
    widths.push(Constraint::Min(10));
    let table = Table::new(rows, widths)
        .column_spacing(1)
        .row_highlight_style(if state.focus == Pane::Alerts {
            theme.selection
        } else {
            theme.base
        });
    let mut ts = TableState::default().with_selected(Some(state.alerts.list.selected - offset));
    frame.render_stateful_widget(table, body, &mut ts);
}
