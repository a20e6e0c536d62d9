//! Metrics pane: one chart per panel, with thresholds and markers where
//! actions happened, so a responder sees whether a mitigation worked.
//! Small panes fall back to one sparkline row per panel. Every layout
//! covers the chosen window (`w`) and ends with a time axis (`-15m … now`)
//! carrying a ▲ wherever an action happened, when a row is free for it.

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph, Wrap};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::{age, clip, pane_block, title};
use crate::config::theme::Theme;
use crate::sources::Panel;
use crate::state::health::Freshness;
use crate::state::{Pane, State};

/// Bars from lowest to highest. A present value (zero included) is never
/// drawn lower than the first: a blank column means "no data".
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// The action marker on the time axis.
const MARK: char = '▲';
/// Columns a sparkline keeps when its row is shared with the label.
const MIN_SPARK: usize = 8;

/// The time span the pane shows, in unix seconds.
#[derive(Clone, Copy)]
struct TimeSpan {
    x0: f64,
    x1: f64,
}

impl TimeSpan {
    /// The column (of `width`) that time `x` falls in.
    fn column(self, x: f64, width: usize) -> Option<usize> {
        if width == 0 || x < self.x0 || x > self.x1 || self.x1 <= self.x0 {
            return None;
        }
        let c = ((x - self.x0) / (self.x1 - self.x0) * width as f64) as usize;
        Some(c.min(width - 1))
    }
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, now: DateTime<Utc>) {
    let fresh = state.metrics.health.freshness(now);
    let mut extra = vec![Span::styled(
        format!("{} ", state.metrics.window_label()),
        theme.muted,
    )];
    if fresh.is_bad() {
        extra.push(Span::styled(format!("{} ", fresh.label()), theme.critical));
    } else if let Some((failed, total)) = state.metrics.health.partial_failure(now) {
        extra.push(Span::styled(
            format!("⚠ {failed}/{total} failed "),
            theme.warning.add_modifier(Modifier::BOLD),
        ));
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
    let x1 = now.timestamp() as f64;
    let span = TimeSpan {
        x0: x1 - state.metrics.window_duration().num_seconds() as f64,
        x1,
    };
    let (shown, chosen) = state.marks_shown(now);
    let marks: Vec<(f64, &str)> = shown
        .iter()
        .map(|m| (m.at.timestamp() as f64, m.what.as_str()))
        .collect();
    // The chosen marker (up/down with the pane focused) stands out.
    let chosen_x = (state.focus == Pane::Metrics && shown.len() > 1)
        .then(|| chosen.map(|m| m.at.timestamp() as f64))
        .flatten();
    let panels = &state.metrics.panels;
    let n = panels.len() as u16;
    let width = inner.width as usize;
    // Rows used by the panels; the first free row below is the time axis,
    // the next one says what the latest marker was.
    let (used, plot_x) = if inner.height > n * 5 {
        // The y labels have one width, so that every plot starts in the
        // same column as the time axis below them.
        let yw = panels
            .iter()
            .map(|p| fmt_value(Some(y_top(p, span)), "").width())
            .max()
            .unwrap_or(1)
            .min(width / 3);
        // Below the plots: the time axis, and what the chosen marker's
        // action did (its evidence) when there is one.
        let below = if chosen.is_some() { 2 } else { 1 };
        let charts = Rect {
            height: inner.height - below,
            ..inner
        };
        let rows = Layout::vertical(vec![Constraint::Ratio(1, n as u32); n as usize]).split(charts);
        for (p, r) in panels.iter().zip(rows.iter()) {
            chart(frame, *r, p, &marks, span, yw, theme);
        }
        (charts.height, yw + 1)
    } else if inner.height >= n * 2 {
        // Label line, then a full-width sparkline.
        for (i, p) in panels.iter().enumerate() {
            let y = inner.y + i as u16 * 2;
            let label_row = Rect {
                y,
                height: 1,
                ..inner
            };
            let spark_row = Rect {
                y: y + 1,
                height: 1,
                ..inner
            };
            frame.render_widget(Paragraph::new(label(p, theme, width)), label_row);
            spark(frame, spark_row, p, span, theme);
        }
        (n * 2, 0)
    } else {
        // Label and sparkline share a row; every sparkline starts in the
        // same column. The value is never cut: names give way first.
        let full = panels
            .iter()
            .map(|p| label_width(p, true))
            .max()
            .unwrap_or(0);
        let least = panels
            .iter()
            .map(|p| value_text(p).width() + 4)
            .max()
            .unwrap_or(0);
        let lw = full
            .min(width.saturating_sub(MIN_SPARK + 1))
            .max(least)
            .min(width);
        let sx = (lw + 1).min(width);
        for (i, p) in panels.iter().enumerate().take(inner.height as usize) {
            let y = inner.y + i as u16;
            let l = Rect {
                y,
                width: lw as u16,
                height: 1,
                ..inner
            };
            let s = Rect {
                x: inner.x + sx as u16,
                y,
                width: (width - sx) as u16,
                height: 1,
            };
            frame.render_widget(Paragraph::new(label(p, theme, lw)), l);
            spark(frame, s, p, span, theme);
        }
        (n.min(inner.height), sx)
    };
    if used < inner.height {
        let r = Rect {
            y: inner.y + used,
            height: 1,
            ..inner
        };
        let label = format!("-{}", state.metrics.window_label());
        frame.render_widget(
            Paragraph::new(time_axis(
                width, plot_x, span, &label, &marks, chosen_x, theme,
            )),
            r,
        );
    }
    if used + 1 < inner.height {
        if let Some(m) = chosen {
            let ago = age(now - m.at);
            let r = Rect {
                y: inner.y + used + 1,
                height: 1,
                ..inner
            };
            // What the action did to the panels, once it is known.
            let evidence = state
                .evidence
                .of(&m.hash)
                .and_then(|a| a.summary())
                .map(|s| format!(": {s}"))
                .unwrap_or_default();
            let text = clip(
                &format!(" {} {ago} ago{evidence}", m.what),
                width.saturating_sub(1),
            );
            frame.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::styled(MARK.to_string(), theme.info),
                    Span::styled(text, theme.muted),
                ])),
                r,
            );
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

/// The style of a bar: the value's colour, never reverse video (without
/// colour the critical style is reversed, which would draw a high bar as
/// an empty cell and an empty one as full).
fn bar_style(p: &Panel, v: f64, theme: &Theme) -> Style {
    value_style(p, Some(v), theme).remove_modifier(Modifier::REVERSED)
}

fn fmt_value(v: Option<f64>, unit: &str) -> String {
    match v {
        None => "n/a".into(),
        Some(v) if v.abs() >= 100.0 => format!("{v:.0}{unit}"),
        Some(v) => format!("{v:.1}{unit}"),
    }
}

/// The panel's latest value with its unit, or why there is none.
fn value_text(p: &Panel) -> String {
    if p.error.is_some() {
        "ERROR".into()
    } else {
        fmt_value(p.last(), &p.spec.unit)
    }
}

fn crit_text(p: &Panel) -> Option<String> {
    p.spec
        .critical
        .map(|c| format!(" crit≥{}", fmt_value(Some(c), "")))
}

/// Width of the whole label: name, value, and the threshold if `crit`.
fn label_width(p: &Panel, crit: bool) -> usize {
    let c = if crit {
        crit_text(p).map_or(0, |c| c.width())
    } else {
        0
    };
    p.spec.name.width() + 1 + value_text(p).width() + c
}

/// `Error ratio 13.9% crit≥5.0` in `width` columns. What gives way, in
/// order: the threshold, then the name (clipped with an ellipsis). The
/// value and its unit are never cut.
fn label(p: &Panel, theme: &Theme, width: usize) -> Line<'static> {
    let value = value_text(p);
    let vstyle = if p.error.is_some() {
        theme.critical
    } else {
        value_style(p, p.last(), theme)
    };
    let name_room = width.saturating_sub(value.width() + 1);
    let mut spans = Vec::new();
    if name_room >= 2 {
        spans.push(Span::styled(
            format!("{} ", clip(&p.spec.name, name_room)),
            theme.base.bold(),
        ));
    }
    spans.push(Span::styled(value, vstyle.bold()));
    if label_width(p, true) <= width {
        if let Some(c) = crit_text(p) {
            spans.push(Span::styled(c, theme.muted));
        }
    }
    Line::from(spans)
}

/// One bar per column over the window: the highest value that fell in the
/// column's slice of time. A column no point fell in stays blank.
fn columns(p: &Panel, span: TimeSpan, width: usize) -> Vec<Option<f64>> {
    let mut cols: Vec<Option<f64>> = vec![None; width];
    for (x, v) in &p.points {
        if !v.is_finite() {
            continue;
        }
        if let Some(c) = span.column(*x, width) {
            let slot = &mut cols[c];
            *slot = Some(slot.map_or(*v, |old: f64| old.max(*v)));
        }
    }
    cols
}

/// The top of the scale: the highest value or threshold in view.
fn y_top(p: &Panel, span: TimeSpan) -> f64 {
    let max_v = p
        .points
        .iter()
        .filter(|(x, v)| *x >= span.x0 && v.is_finite())
        .map(|p| p.1)
        .fold(0.0_f64, f64::max);
    max_v
        .max(p.spec.critical.unwrap_or(0.0))
        .max(p.spec.warning.unwrap_or(0.0))
        .max(1e-9)
        * 1.15
}

/// The bar for `v` on a scale up to `top`: zero and tiny values get the
/// lowest bar, so that they never read as "no data".
fn glyph(v: f64, top: f64) -> char {
    let level = (v.max(0.0) / top * BARS.len() as f64).ceil() as usize;
    BARS[level.clamp(1, BARS.len()) - 1]
}

fn spark(frame: &mut Frame, r: Rect, p: &Panel, span: TimeSpan, theme: &Theme) {
    let width = r.width as usize;
    if let Some(e) = &p.error {
        // Where the bars would be, the reason there are none.
        frame.render_widget(Paragraph::new(clip(e, width)).style(theme.critical), r);
        return;
    }
    let top = y_top(p, span);
    let spans: Vec<Span> = columns(p, span, width)
        .into_iter()
        .map(|c| match c {
            None => Span::raw(" "),
            Some(v) => Span::styled(glyph(v, top).to_string(), bar_style(p, v, theme)),
        })
        .collect();
    frame.render_widget(Paragraph::new(Line::from(spans)), r);
}

/// `-15m        ▲          now` under the plots, which start at column
/// `plot_x`; a ▲ in the column of each action. A label that would hide a
/// marker moves aside (or is left out).
fn time_axis(
    width: usize,
    plot_x: usize,
    span: TimeSpan,
    start: &str,
    marks: &[(f64, &str)],
    chosen: Option<f64>,
    theme: &Theme,
) -> Line<'static> {
    let plot_w = width.saturating_sub(plot_x);
    let mut cells: Vec<Option<char>> = vec![None; width];
    let mut marked = vec![false; width];
    for (x, _) in marks {
        if let Some(c) = span.column(*x, plot_w) {
            marked[plot_x + c] = true;
        }
    }
    let chosen_col = chosen
        .and_then(|x| span.column(x, plot_w))
        .map(|c| plot_x + c);
    // A label takes no marker's column and keeps a space from each
    // marker beside it (`now ▲`, never `now▲`).
    let free = |at: usize, w: usize, marked: &[bool]| -> bool {
        at + w <= width
            && !marked[at.saturating_sub(1)..(at + w + 1).min(width)]
                .iter()
                .any(|m| *m)
    };
    let place = |cells: &mut [Option<char>], at: usize, text: &str| {
        for (i, ch) in text.chars().enumerate() {
            if let Some(c) = cells.get_mut(at + i) {
                *c = Some(ch);
            }
        }
    };
    let sw = start.chars().count();
    let ew = "now".len();
    // "now" first, as far right as the markers let it; then the start of
    // the window, if it still fits before it with a space between.
    let now_at = (0..plot_w)
        .map(|d| width.saturating_sub(ew + d))
        .take_while(|at| *at >= plot_x)
        .find(|at| free(*at, ew, &marked));
    if let Some(at) = now_at {
        place(&mut cells, at, "now");
    }
    let limit = now_at.unwrap_or(width);
    if let Some(at) = (plot_x..width)
        .take_while(|at| at + sw < limit)
        .find(|at| free(*at, sw, &marked))
    {
        place(&mut cells, at, start);
    }
    let spans: Vec<Span> = cells
        .into_iter()
        .zip(marked)
        .enumerate()
        .map(|(i, (c, m))| match (m, c) {
            (true, _) if chosen_col == Some(i) => {
                Span::styled(MARK.to_string(), theme.warning.add_modifier(Modifier::BOLD))
            }
            (true, _) => Span::styled(MARK.to_string(), theme.info),
            (false, Some(ch)) => Span::styled(ch.to_string(), theme.muted),
            (false, None) => Span::raw(" "),
        })
        .collect();
    Line::from(spans)
}

fn chart(
    frame: &mut Frame,
    area: Rect,
    p: &Panel,
    marks: &[(f64, &str)],
    span: TimeSpan,
    yw: usize,
    theme: &Theme,
) {
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    frame.render_widget(Paragraph::new(label(p, theme, area.width as usize)), head);
    if let Some(e) = &p.error {
        frame.render_widget(
            Paragraph::new(e.clone())
                .style(theme.critical)
                .wrap(Wrap { trim: true }),
            body,
        );
        return;
    }
    let TimeSpan { x0, x1 } = span;
    let points: Vec<(f64, f64)> = p
        .points
        .iter()
        .copied()
        .filter(|(x, y)| *x >= x0 && y.is_finite())
        .collect();
    let y1 = y_top(p, span);
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
    let mark_lines: Vec<Vec<(f64, f64)>> = marks
        .iter()
        .map(|(x, _)| vec![(*x, 0.0), (*x, y1)])
        .collect();
    let mut datasets = Vec::new();
    for m in &mark_lines {
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
    let pad = |s: String| format!("{s:>yw$}");
    let chart = Chart::new(datasets)
        .x_axis(Axis::default().bounds([x0, x1]).style(theme.muted))
        .y_axis(
            Axis::default()
                .bounds([0.0, y1])
                .labels(vec![
                    Span::styled(pad("0".into()), theme.muted),
                    Span::styled(pad(fmt_value(Some(y1), "")), theme.muted),
                ])
                .style(theme.muted),
        );
    frame.render_widget(chart, body);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::PanelSpec;

    fn panel(points: Vec<(f64, f64)>) -> Panel {
        Panel {
            spec: PanelSpec {
                name: "Error ratio".into(),
                unit: "%".into(),
                warning: Some(2.0),
                critical: Some(5.0),
            },
            points,
            error: None,
        }
    }

    fn text(l: &Line) -> String {
        l.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn the_value_and_its_unit_are_never_cut_names_give_way() {
        let theme = Theme::no_color();
        let p = panel(vec![(0.0, 13.94)]);
        assert_eq!(text(&label(&p, &theme, 40)), "Error ratio 13.9% crit≥5.0");
        assert_eq!(text(&label(&p, &theme, 20)), "Error ratio 13.9%");
        assert_eq!(text(&label(&p, &theme, 12)), "Error… 13.9%");
        assert_eq!(text(&label(&p, &theme, 6)), "13.9%");
    }

    #[test]
    fn low_and_zero_values_draw_a_bar_no_data_stays_blank() {
        let span = TimeSpan { x0: 0.0, x1: 100.0 };
        // Data only in the second half; a zero and a tiny value at the end.
        let p = panel(vec![(50.0, 20.0), (60.0, 10.0), (80.0, 0.0), (95.0, 0.01)]);
        let cols = columns(&p, span, 10);
        assert_eq!(cols[..5], [None; 5]);
        assert_eq!(cols[5], Some(20.0));
        assert_eq!(cols[8], Some(0.0));
        assert_eq!(cols[9], Some(0.01));
        let top = y_top(&p, span);
        assert_eq!(glyph(0.0, top), '▁');
        assert_eq!(glyph(0.01, top), '▁');
        assert_eq!(glyph(20.0, top), '▇');
        assert_eq!(glyph(top, top), '█');
    }

    #[test]
    fn the_time_axis_keeps_markers_visible() {
        let theme = Theme::no_color();
        let span = TimeSpan { x0: 0.0, x1: 100.0 };
        let l = time_axis(20, 0, span, "-15m", &[(50.0, "flag")], None, &theme);
        assert_eq!(text(&l), "-15m      ▲      now");
        // A marker at the very end moves "now" aside rather than hide it.
        let l = time_axis(20, 0, span, "-15m", &[(100.0, "flag")], None, &theme);
        assert_eq!(text(&l), "-15m           now ▲");
        // Between markers, it keeps a space from each, or moves on.
        let l = time_axis(
            20,
            0,
            span,
            "-15m",
            &[(80.0, "a"), (100.0, "b")],
            None,
            &theme,
        );
        assert_eq!(text(&l), "-15m        now ▲  ▲");
    }
}
