//! Alerts pane: what is firing, worst first. A source that is down says
//! so loudly; its last known alerts stay, marked stale.

use chrono::{DateTime, Utc};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

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
    // What is about to fire (Prometheus' pending alerts), apart from what
    // fires.
    let pending = state.rules.pending();
    if !pending.is_empty() {
        // Rules that could not be read last time: what is shown is old.
        let (text, style) = match state.rules.error {
            Some(_) => (
                format!("{} about to fire (STALE) ", pending.len()),
                theme.critical,
            ),
            None => (format!("{} about to fire ", pending.len()), theme.warning),
        };
        extra.push(Span::styled(text, style));
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
    // Its rows at the bottom, when the pane has room for them and some
    // alerts too.
    if !pending.is_empty() && body.height >= 8 {
        let shown = pending.len().min(3);
        let h = shown as u16 + 1;
        let r = Rect {
            y: body.y + body.height - h,
            height: h,
            ..body
        };
        body.height -= h;
        draw_pending(frame, r, state, &pending, shown, theme, now);
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
    // Only the visible rows are built: there may be thousands of alerts.
    let offset = offset_for(state.alerts.list.selected, body.height as usize);
    let rows: Vec<AlertRow> = state
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
            // Acked or silenced: marked in words, so that it shows without
            // colour too.
            let state_txt = match (a.state, stale) {
                (_, true) => "stale",
                (AlertState::Active, _) => "",
                (AlertState::Suppressed, _) => match a.state_label() {
                    "silenced" if acked(state, a) => "ACK",
                    "silenced" => "SIL",
                    "inhibited" => "INH",
                    "muted" => "MUT",
                    _ => "SUP",
                },
                (AlertState::Unprocessed, _) => "new",
            };
            AlertRow {
                sev,
                sev_style,
                text_style,
                group: group_mark,
                name: a.name().to_string(),
                service: a.service().to_string(),
                age: age(now - a.starts_at),
                state: state_txt,
                summary: clip(a.summary(), 400),
            }
        })
        .collect();
    // Columns as wide as what they hold (within limits); the summary gets
    // the rest, and a second line of its own when it does not fit there
    // and the pane has the rows for it.
    let width = body.width as usize;
    let widest = |f: fn(&AlertRow) -> usize| rows.iter().map(f).max().unwrap_or(0);
    let group_w = if body.width >= 56 && rows.iter().any(|r| !r.group.is_empty()) {
        3
    } else {
        0
    };
    // The state column: on a narrow pane only for alerts that are
    // suppressed or new (the banner already says when all are stale).
    let state_w = if wide && rows.iter().any(|r| !r.state.is_empty()) {
        5
    } else if rows
        .iter()
        .any(|r| !r.state.is_empty() && r.state != "stale")
    {
        3
    } else {
        0
    };
    let age_w = widest(|r| r.age.width()).max(2);
    let mut name_w = widest(|r| r.name.width()).clamp(4, if wide { 28 } else { 16 });
    let mut service_w = widest(|r| r.service.width()).clamp(4, if wide { 18 } else { 14 });
    let col = |w: usize| if w == 0 { 0 } else { w + 1 };
    let fixed = |name_w: usize, service_w: usize| {
        5 + col(group_w) + col(name_w) + col(service_w) + col(age_w) + col(state_w)
    };
    let height = body.height as usize;
    let indent = 5;
    // A summary that does not fit beside the columns gets lines of its own
    // under them (wrapped, up to three) when the pane has the rows for all
    // of them; else one line each, clipped.
    let wrapped: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut w = super::timeline::wrap(&r.summary, width.saturating_sub(indent).max(1));
            if w.len() > 3 {
                let rest = w[2..].join(" ");
                w.truncate(2);
                w.push(rest);
            }
            w
        })
        .collect();
    let spills = |summary_w: usize, full: bool| -> usize {
        rows.iter()
            .zip(&wrapped)
            .filter(|(r, _)| r.summary.width() > summary_w)
            .map(|(_, w)| if full { w.len() } else { 1 })
            .sum()
    };
    let natural = width.saturating_sub(fixed(name_w, service_w));
    let lines_below = if rows.len() + spills(natural, true) <= height {
        3
    } else if rows.len() + spills(natural, false) <= height {
        1
    } else {
        0
    };
    // On one line the summary keeps at least 10 columns; the service gives
    // way before the alert's name.
    let reserve = if lines_below > 0 { 0 } else { 10 };
    while fixed(name_w, service_w) + reserve > width && service_w > 5 {
        service_w -= 1;
    }
    while fixed(name_w, service_w) + reserve > width && name_w > 8 {
        name_w -= 1;
    }
    let summary_w = width.saturating_sub(fixed(name_w, service_w));
    let items: Vec<ListItem> = rows
        .iter()
        .zip(&wrapped)
        .map(|(r, below)| {
            let mut first = vec![Span::styled(format!("{} ", r.sev), r.sev_style)];
            if group_w > 0 {
                first.push(Span::styled(pad(&r.group, group_w + 1), theme.muted));
            }
            first.push(Span::styled(
                pad(&r.name, name_w + 1),
                r.text_style.add_modifier(Modifier::BOLD),
            ));
            first.push(Span::styled(pad(&r.service, service_w + 1), r.text_style));
            first.push(Span::styled(pad(&r.age, age_w + 1), theme.muted));
            if state_w > 0 {
                let st = if r.state.width() > state_w {
                    ""
                } else {
                    r.state
                };
                first.push(Span::styled(pad(st, state_w + 1), theme.muted));
            }
            if lines_below == 0 || r.summary.width() <= summary_w {
                first.push(Span::styled(clip(&r.summary, summary_w), r.text_style));
                return ListItem::new(Line::from(first));
            }
            let mut lines = vec![Line::from(first)];
            let room = width.saturating_sub(indent);
            let below: Vec<String> = if lines_below == 1 {
                vec![clip(&r.summary, room)]
            } else {
                below.iter().map(|l| clip(l, room)).collect()
            };
            for l in below {
                lines.push(Line::from(vec![
                    Span::raw(" ".repeat(indent)),
                    Span::styled(l, r.text_style),
                ]));
            }
            ListItem::new(lines)
        })
        .collect();
    let list = List::new(items).highlight_style(if state.focus == Pane::Alerts {
        theme.selection
    } else {
        theme.base
    });
    let mut ls = ListState::default().with_selected(Some(state.alerts.list.selected - offset));
    frame.render_stateful_widget(list, body, &mut ls);
}

/// The "about to fire" rows: each pending alert, its labels and when it
/// fires if it keeps holding.
fn draw_pending(
    frame: &mut Frame,
    r: Rect,
    state: &State,
    pending: &[crate::state::rules::PendingChoice],
    shown: usize,
    theme: &Theme,
    now: DateTime<Utc>,
) {
    let total = pending.len();
    let shown = &pending[..shown.min(total)];
    let key = state
        .keymap
        .hint(crate::action::Action::AboutToFire)
        .unwrap_or_else(|| "?".into());
    let head = match &state.rules.error {
        Some(e) => (
            format!(
                "About to fire, LAST KNOWN ({total}): rules not read: {}",
                crate::text::visible(e)
            ),
            theme.critical,
        ),
        None => (
            format!("About to fire ({total}, soonest first) · {key} lists them"),
            theme.warning,
        ),
    };
    let mut lines = vec![Line::from(Span::styled(
        clip(&head.0, r.width as usize),
        head.1.add_modifier(Modifier::BOLD),
    ))];
    let name_w = shown
        .iter()
        .map(|p| crate::text::visible(&p.rule).width())
        .max()
        .unwrap_or(4)
        .min(28);
    for p in shown {
        let when = crate::state::rules::fires_in(p, now);
        let rest = format!("{when:<16} {}", crate::text::visible(&p.labels));
        lines.push(Line::from(vec![
            Span::styled("PEND ", theme.warning),
            Span::styled(
                pad(&clip(&crate::text::visible(&p.rule), name_w), name_w + 1),
                theme.base,
            ),
            Span::styled(
                clip(&rest, (r.width as usize).saturating_sub(name_w + 6)),
                theme.muted,
            ),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), r);
}

/// Is every silence on this alert an ack (a short silence with
/// firebreak's ack comment)?
fn acked(state: &State, a: &crate::sources::Alert) -> bool {
    let by = crate::state::silences::silencing(state, a);
    !by.is_empty()
        && by
            .iter()
            .all(|s| crate::sources::silence::is_ack_comment(&s.comment))
}

/// One alert as the pane shows it.
struct AlertRow {
    sev: &'static str,
    sev_style: Style,
    text_style: Style,
    group: String,
    name: String,
    service: String,
    age: String,
    state: &'static str,
    summary: String,
}

/// `s` clipped to `w` columns, then padded with spaces to `w`.
fn pad(s: &str, w: usize) -> String {
    let c = clip(s, w.saturating_sub(1));
    let fill = w.saturating_sub(c.width());
    format!("{c}{}", " ".repeat(fill))
}
