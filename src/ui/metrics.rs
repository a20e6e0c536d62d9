//! Metrics pane: one chart per panel, with thresholds and markers where
//! actions happened, so a responder sees whether a mitigation worked.
//! Small panes fall back to one sparkline row per panel.

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph, Sparkline, Wrap};
use ratatui::Frame;

use super::{pane_block, title};
use crate::config::theme::Theme;
use crate::sources::Panel;
use crate::state::health::Freshness;
use crate::state::{Pane, State};

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, now: DateTime<Utc>) {
    let fresh = state.metrics.health.freshness(now);
    let mut extra = vec![Span::styled(
        format!("{} ", state.metrics.window_label()),
        theme.muted,
    )];
    if fresh.is_bad() {
        extra.push(Span::styled(format!("{} ", fresh.label()), theme.critical));
    }
    let block = pane_block(
        state,
        Pane::Metrics,
        title(state, Pane::Metrics, theme, extra),
        theme,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width < 10 {
        return;
    }
    if state.metrics.panels.is_empty() {
        let text = match fresh {
            Freshness::NotConfigured => {
                "No metrics source configured (see README: Prometheus).".to_string()
            }
            Freshness::Down(e) => format!("Metrics source unreachable: {e}"),
            _ => "Loading metrics…".to_string(),
        };
        frame.render_widget(
            Paragraph::new(text)
                .style(theme.muted)
                .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    let n = state.metrics.panels.len() as u16;
    if inner.height >= n * 5 {
        let rows = Layout::vertical(vec![Constraint::Ratio(1, n as u32); n as usize]).split(inner);
        for (p, r) in state.metrics.panels.iter().zip(rows.iter()) {
            chart(frame, *r, p, state, theme, now);
        }
    } else if inner.height >= n * 2 {
        // Label line, then a full-width sparkline.
        let rows = Layout::vertical(vec![Constraint::Length(2); n as usize]).split(inner);
        for (p, r) in state.metrics.panels.iter().zip(rows.iter()) {
            let [l, s] = Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(*r);
            frame.render_widget(Paragraph::new(label(p, theme)), l);
            spark(frame, s, p, theme);
        }
    } else {
        let rows =
            Layout::vertical(vec![Constraint::Length(1); inner.height as usize]).split(inner);
        for (p, r) in state.metrics.panels.iter().zip(rows.iter()) {
            let [l, s] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(*r);
            frame.render_widget(Paragraph::new(label(p, theme)), l);
            spark(frame, s, p, theme);
        }
    }
}

fn value_style(p: &Panel, v: Option<f64>, theme: &Theme) -> Style {
    match v {
        Some(v) if p.spec.critical.is_some_and(|c| v >= c) => theme.critical,
        Some(v) if p.spec.warning.is_some_and(|w| v >= w) => theme.warning,
        Some(_) => theme.ok,
        None => theme.muted,
    }
}

fn fmt_value(v: Option<f64>, unit: &str) -> String {
    match v {
        None => "n/a".into(),
        Some(v) if v.abs() >= 100.0 => format!("{v:.0}{unit}"),
        Some(v) => format!("{v:.1}{unit}"),
    }
}

fn label(p: &Panel, theme: &Theme) -> Line<'static> {
    let last = p.last();
    let mut spans = vec![
        Span::styled(format!("{} ", p.spec.name), theme.base.bold()),
        Span::styled(
            fmt_value(last, &p.spec.unit),
            value_style(p, last, theme).bold(),
        ),
    ];
    if let Some(c) = p.spec.critical {
        spans.push(Span::styled(
            format!(" crit≥{}", fmt_value(Some(c), "")),
            theme.muted,
        ));
    }
    if let Some(e) = &p.error {
        spans.push(Span::styled(format!(" ERROR: {e}"), theme.critical));
    }
    Line::from(spans)
}

fn spark(frame: &mut Frame, r: Rect, p: &Panel, theme: &Theme) {
    let data: Vec<u64> = p
        .points
        .iter()
        .rev()
        .take(r.width as usize)
        .rev()
        .map(|(_, v)| {
            if v.is_finite() {
                (v * 100.0).max(0.0) as u64
            } else {
                0
            }
        })
        .collect();
    frame.render_widget(
        Sparkline::default()
            .data(&data)
            .style(value_style(p, p.last(), theme)),
        r,
    );
}

fn chart(
    frame: &mut Frame,
    area: Rect,
    p: &Panel,
    state: &State,
    theme: &Theme,
    now: DateTime<Utc>,
) {
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    frame.render_widget(Paragraph::new(label(p, theme)), head);
    if let Some(e) = &p.error {
        frame.render_widget(
            Paragraph::new(e.clone())
                .style(theme.critical)
                .wrap(Wrap { trim: true }),
            body,
        );
        return;
    }
    let x1 = now.timestamp() as f64;
    let x0 = x1 - state.metrics.window_duration().num_seconds() as f64;
    let points: Vec<(f64, f64)> = p
        .points
        .iter()
        .copied()
        .filter(|(x, y)| *x >= x0 && y.is_finite())
        .collect();
    let max_v = points.iter().map(|p| p.1).fold(0.0_f64, f64::max);
    let y1 = max_v
        .max(p.spec.critical.unwrap_or(0.0))
        .max(p.spec.warning.unwrap_or(0.0))
        .max(1e-9)
        * 1.15;
    let warn: Vec<(f64, f64)> = p
        .spec
        .warning
        .map(|w| vec![(x0, w), (x1, w)])
        .unwrap_or_default();
    let crit: Vec<(f64, f64)> = p
        .spec
        .critical
        .map(|c| vec![(x0, c), (x1, c)])
        .unwrap_or_default();
    let marks: Vec<Vec<(f64, f64)>> = state
        .action_marks()
        .iter()
        .map(|(t, _)| t.timestamp() as f64)
        .filter(|x| *x >= x0 && *x <= x1)
        .map(|x| vec![(x, 0.0), (x, y1)])
        .collect();
    let mut datasets = Vec::new();
    for m in &marks {
        datasets.push(
            Dataset::default()
                .data(m)
                .graph_type(GraphType::Line)
                .marker(Marker::Braille)
                .style(theme.info),
        );
    }
    if !warn.is_empty() {
        datasets.push(
            Dataset::default()
                .data(&warn)
                .graph_type(GraphType::Line)
                .marker(Marker::Braille)
                .style(Style::new().fg(theme.chart_warn)),
        );
    }
    if !crit.is_empty() {
        datasets.push(
            Dataset::default()
                .data(&crit)
                .graph_type(GraphType::Line)
                .marker(Marker::Braille)
                .style(Style::new().fg(theme.chart_crit)),
        );
    }
    datasets.push(
        Dataset::default()
            .data(&points)
            .graph_type(GraphType::Line)
            .marker(Marker::Braille)
            .style(Style::new().fg(theme.chart_line)),
    );
    let chart = Chart::new(datasets)
        .x_axis(Axis::default().bounds([x0, x1]).style(theme.muted))
        .y_axis(
            Axis::default()
                .bounds([0.0, y1])
                .labels(vec![
                    Span::styled("0", theme.muted),
                    Span::styled(fmt_value(Some(y1), ""), theme.muted),
                ])
                .style(theme.muted),
        );
    frame.render_widget(chart, body);
}
