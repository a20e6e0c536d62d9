//! Playbooks: the side pane's Playbooks tab (runs and playbooks), the run
//! view (every step with its state and the selected step's output), the
//! input form and the typed confirmation.
//!
//! Why one file of this length: one pane drawn three ways (list, run view, input form) that share its layout helpers.

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, BorderType, Borders, Clear, List, ListItem, ListState, Paragraph, Wrap,
};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::{age, centered, clip, offset_for, pane_block};
use crate::action::Action;
use crate::config::keymap::Layer;
use crate::config::theme::Theme;
use crate::playbook::model::InputType;
use crate::sources::Alert;
use crate::state::playbooks::{suggestions, Form, Row, Run, StepStatus};
use crate::state::{Pane, State};

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

fn spinner(now: DateTime<Utc>) -> &'static str {
    SPINNER[(now.timestamp().rem_euclid(10)) as usize]
}

/// Does the side area show the Playbooks tab (else Flags)? The focused
/// one, else the one last chosen.
pub fn side_shows_playbooks(state: &State) -> bool {
    match state.focus {
        Pane::Playbooks => true,
        Pane::Flags => false,
        _ => state.side == Pane::Playbooks,
    }
}

/// The side area's title: ` 4 Flags │ 5 Playbooks `, the shown tab lit.
pub fn side_title<'a>(state: &State, theme: &Theme, shown: Pane, extra: Vec<Span<'a>>) -> Line<'a> {
    let tab = |pane: Pane| {
        let num = Pane::ORDER
            .iter()
            .position(|p| *p == pane)
            .map_or(0, |i| i + 1);
        let style = if state.focus == pane {
            theme.border_focused
        } else if shown == pane {
            theme.accent
        } else {
            theme.muted
        };
        let style = if shown == pane {
            style.add_modifier(Modifier::BOLD)
        } else {
            style
        };
        Span::styled(format!(" {num} {} ", pane.title()), style)
    };
    let mut spans = vec![
        tab(Pane::Flags),
        Span::styled("│", theme.muted),
        tab(Pane::Playbooks),
    ];
    if let Some(l) = state.list(shown) {
        if !l.filter.is_empty() {
            spans.push(Span::styled(format!("/{} ", l.filter), theme.warning));
        }
    }
    spans.extend(extra);
    Line::from(spans)
}

fn status_mark(run: &Run, i: usize, now: DateTime<Utc>, theme: &Theme) -> (String, Style) {
    let s = &run.steps[i];
    match s.status {
        StepStatus::Pending => ("○".into(), theme.muted),
        StepStatus::Running => (
            spinner(now).into(),
            theme.warning.add_modifier(Modifier::BOLD),
        ),
        StepStatus::Done => ("✓".into(), theme.ok),
        StepStatus::Failed => ("✗".into(), theme.critical.add_modifier(Modifier::BOLD)),
        StepStatus::Skipped => ("–".into(), theme.muted),
        StepStatus::Interrupted => ("!".into(), theme.warning.add_modifier(Modifier::BOLD)),
    }
}

fn run_progress(run: &Run) -> String {
    let (done, failed, skipped, total) = run.counts();
    let mut s = format!("{}/{total}", done + skipped);
    if failed > 0 {
        s.push_str(&format!(" {failed}✗"));
    }
    s
}

/// The Playbooks tab: runs in progress, the playbooks, finished runs.
pub fn draw_list(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, now: DateTime<Utc>) {
    let block = pane_block(
        state,
        Pane::Playbooks,
        side_title(state, theme, Pane::Playbooks, Vec::new()),
        theme,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 {
        return;
    }
    let pb = &state.playbooks;
    let mut height = inner.height as usize;
    if !pb.errors.is_empty() && height > 2 {
        height -= 1;
        let r = Rect {
            y: inner.y + inner.height - 1,
            height: 1,
            ..inner
        };
        let text = format!(
            "{} playbook file(s) with errors: firebreak playbook check",
            pb.errors.len()
        );
        frame.render_widget(
            Paragraph::new(clip(&text, inner.width as usize)).style(theme.warning),
            r,
        );
    }
    if pb.catalog.is_empty() && pb.runs.is_empty() {
        frame.render_widget(
            Paragraph::new("No playbooks loaded.").style(theme.muted),
            inner,
        );
        return;
    }
    let labels = state
        .selected_alert()
        .map(|a| a.labels.clone())
        .unwrap_or_default();
    let rows = pb.rows();
    let offset = offset_for(pb.list.selected, height);
    let w = inner.width as usize;
    let items: Vec<ListItem> = pb
        .list
        .view
        .iter()
        .skip(offset)
        .take(height)
        .filter_map(|i| rows.get(*i))
        .map(|row| match *row {
            Row::Run(i) => {
                let r = &pb.runs[i];
                let running = r.steps.iter().any(|s| s.status == StepStatus::Running);
                let (mark, style) = match (r.finished, running) {
                    (Some(_), _) => ("✓ ", theme.ok),
                    (None, true) => (spinner(now), theme.warning),
                    (None, false) => ("▶ ", theme.accent),
                };
                let prog = run_progress(r);
                Line::from(vec![
                    Span::styled(format!("{mark:<2}"), style.add_modifier(Modifier::BOLD)),
                    Span::styled(
                        clip(
                            &format!("{} {}", r.playbook, r.id),
                            w.saturating_sub(prog.len() + 3),
                        ),
                        theme.base,
                    ),
                    Span::styled(format!(" {prog}"), theme.muted),
                ])
                .into()
            }
            Row::Playbook(i) => {
                let p = &pb.catalog[i];
                let star = if p.applies(&labels) { "★ " } else { "  " };
                Line::from(vec![
                    Span::styled(star, theme.warning),
                    Span::styled(clip(&p.name, w.saturating_sub(2)), theme.base),
                ])
                .into()
            }
        })
        .collect();
    let list_area = Rect {
        height: height as u16,
        ..inner
    };
    let list = List::new(items).highlight_style(if state.focus == Pane::Playbooks {
        theme.selection
    } else {
        theme.base
    });
    let mut ls = ListState::default().with_selected(Some(pb.list.selected.saturating_sub(offset)));
    if pb.list.view.is_empty() {
        ls.select(None);
    }
    frame.render_stateful_widget(list, list_area, &mut ls);
}

/// The run view, over the timeline and side pane.
pub fn draw_run(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, now: DateTime<Utc>) {
    let Some(run) = state.playbooks.open_run() else {
        return;
    };
    frame.render_widget(Clear, area);
    let title = Line::from(vec![
        Span::styled(" 5 Playbooks › ", theme.border_focused),
        Span::styled(
            format!("{} ", run.title),
            theme.accent.add_modifier(Modifier::BOLD),
        ),
        Span::styled(format!("[{}] {} ", run.id, run_progress(run)), theme.muted),
        Span::styled(
            match run.finished {
                Some(true) => "finished ".to_string(),
                Some(false) => "ended with failures ".to_string(),
                None => String::new(),
            },
            theme.ok,
        ),
    ]);
    // The run view's keys on its bottom border, whole hints only.
    let room = (area.width as usize).saturating_sub(3);
    let mut used = 0;
    let mut bottom = Vec::new();
    for (a, label) in [
        (Action::Select, crate::state::playbooks::RUN_SELECT),
        (Action::FailStep, "failed"),
        (Action::SkipStep, "skip"),
        (Action::RerunStep, "re-run"),
        (Action::PageUp, "output"),
        (Action::Back, "back"),
    ] {
        let Some(k) = state.keymap.hint_in(Layer::PlaybookRun, a) else {
            continue;
        };
        let w = unicode_width::UnicodeWidthStr::width(format!(" {k} {label}").as_str());
        if used + w > room {
            continue;
        }
        used += w;
        bottom.push(Span::styled(format!(" {k}"), theme.accent));
        bottom.push(Span::styled(format!(" {label}"), theme.muted));
    }
    if !bottom.is_empty() {
        bottom.push(Span::raw(" "));
    }
    let block = pane_block(state, Pane::Playbooks, title, theme).title_bottom(Line::from(bottom));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width < 10 {
        return;
    }
    // The steps get the width of their longest title (mark, number, ⚠,
    // title, a running step's clock) while the detail keeps 34 columns;
    // at least 42% either way.
    let longest = run
        .steps
        .iter()
        .map(|s| s.title.width() + 12)
        .max()
        .unwrap_or(0) as u16;
    let least = inner.width * 42 / 100;
    let left_w = longest.min(inner.width.saturating_sub(34)).max(least);
    let [left, right] =
        Layout::horizontal([Constraint::Length(left_w), Constraint::Min(0)]).areas(inner);
    draw_steps(frame, left, run, theme, now);
    draw_step_detail(frame, right, state, run, theme, now);
}

fn draw_steps(frame: &mut Frame, area: Rect, run: &Run, theme: &Theme, now: DateTime<Utc>) {
    let height = area.height as usize;
    let w = area.width as usize;
    // Titles that do not fit wrap onto rows of their own when the pane
    // has the rows for all of them; else they are cut.
    let title_room = |i: usize| {
        let confirm = run
            .def
            .as_ref()
            .and_then(|d| d.steps.get(i))
            .is_some_and(|st| st.needs_confirmation());
        w.saturating_sub(5 + if confirm { 2 } else { 0 } + 6)
    };
    let wrapped: Vec<usize> = run
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| super::timeline::wrap(&s.title, title_room(i).max(8)).len())
        .collect();
    let wrap = wrapped.iter().sum::<usize>() <= height;
    let offset = if wrap {
        0
    } else {
        offset_for(run.selected, height)
    };
    let items: Vec<ListItem> = run
        .steps
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, s)| {
            let (mark, style) = status_mark(run, i, now, theme);
            let confirm = run
                .def
                .as_ref()
                .and_then(|d| d.steps.get(i))
                .is_some_and(|st| st.needs_confirmation());
            let elapsed = match (s.status, s.started) {
                (StepStatus::Running, Some(t)) => format!(" {}", age(now - t)),
                _ => String::new(),
            };
            let num = format!("{:>2} ", i + 1);
            let warn = if confirm { "⚠ " } else { "" };
            let title_w = w.saturating_sub(num.len() + 2 + warn.chars().count() + elapsed.len());
            let title_style = match s.status {
                StepStatus::Skipped => theme.muted,
                StepStatus::Failed => theme.critical,
                _ => theme.base,
            };
            if wrap && s.title.width() > title_w {
                let indent = 2 + num.len() + warn.chars().count();
                let mut lines = Vec::new();
                for (k, l) in super::timeline::wrap(&s.title, title_room(i).max(8))
                    .into_iter()
                    .enumerate()
                {
                    lines.push(Line::from(if k == 0 {
                        vec![
                            Span::styled(format!("{mark} "), style),
                            Span::styled(num.clone(), theme.muted),
                            Span::styled(warn, theme.warning),
                            Span::styled(l, title_style),
                            Span::styled(elapsed.clone(), theme.warning),
                        ]
                    } else {
                        vec![Span::raw(" ".repeat(indent)), Span::styled(l, title_style)]
                    }));
                }
                return ListItem::new(lines);
            }
            ListItem::new(Line::from(vec![
                Span::styled(format!("{mark} "), style),
                Span::styled(num, theme.muted),
                Span::styled(warn, theme.warning),
                Span::styled(clip(&s.title, title_w), title_style),
                Span::styled(elapsed, theme.warning),
            ]))
        })
        .collect();
    let mut ls = ListState::default().with_selected(Some(run.selected.saturating_sub(offset)));
    frame.render_stateful_widget(
        List::new(items).highlight_style(theme.selection),
        area,
        &mut ls,
    );
}

fn draw_step_detail(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    run: &Run,
    theme: &Theme,
    now: DateTime<Utc>,
) {
    let Some(s) = run.steps.get(run.selected) else {
        return;
    };
    let area = Rect {
        x: area.x + 1,
        width: area.width.saturating_sub(1),
        ..area
    };
    let vars = run.vars(state.settings.demo);
    let def = run.def.as_ref().and_then(|d| d.steps.get(run.selected));
    let mut head = vec![Line::from(Span::styled(
        s.title.clone(),
        theme.base.add_modifier(Modifier::BOLD),
    ))];
    let (mark, style) = status_mark(run, run.selected, now, theme);
    let mut status = format!("{mark} {}", s.status.label());
    match (s.status, s.started) {
        (StepStatus::Running, Some(t)) => status.push_str(&format!(" for {}", age(now - t))),
        _ => {
            if let Some(ms) = s.duration_ms.filter(|m| *m > 0) {
                status.push_str(&format!(" in {:.1}s", ms as f64 / 1000.0));
            }
        }
    }
    if let Some(c) = s.exit_code {
        status.push_str(&format!(" · exit {c}"));
    }
    if s.attempts > 1 {
        status.push_str(&format!(" · attempt {}", s.attempts));
    }
    if let Some(v) = s.last_value.filter(|_| s.status == StepStatus::Running) {
        // In the panel's unit, as the metrics pane shows it.
        let unit = def
            .and_then(|d| match &d.kind {
                crate::playbook::model::StepKind::Query(q) => q.panel.as_deref(),
                _ => None,
            })
            .map_or("", |p| state.panel_unit(p));
        status.push_str(&format!(" · now {v:.2}{unit}"));
    }
    head.push(Line::from(Span::styled(status, style)));
    if !s.detail.is_empty() {
        head.push(Line::from(Span::styled(s.detail.clone(), theme.muted)));
    }
    if let Some(why) = &run.stale {
        head.push(Line::from(Span::styled(why.clone(), theme.warning)));
    }
    let mut info: Vec<Line> = Vec::new();
    if let Some(d) = def {
        for l in crate::playbook::describe_step(d, &vars) {
            let st = if l.starts_with("if this fails") && s.status == StepStatus::Failed {
                theme.critical
            } else if l.starts_with("if this fails") || l.starts_with("undo:") {
                theme.muted
            } else if l.starts_with("$ ") {
                theme.accent
            } else {
                theme.base
            };
            info.push(Line::from(Span::styled(l, st)));
        }
    }
    let has_output = !s.output.is_empty();
    let head_h = head.len() as u16;
    let [head_area, rest] = Layout::vertical([
        Constraint::Length(head_h.min(area.height)),
        Constraint::Min(0),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(head).wrap(Wrap { trim: false }), head_area);
    if rest.height == 0 {
        return;
    }
    let (info_area, out_area) = if has_output {
        let info_h = (info.len() as u16).min(rest.height / 2);
        let [a, b] = Layout::vertical([Constraint::Length(info_h), Constraint::Min(1)]).areas(rest);
        (a, Some(b))
    } else {
        (rest, None)
    };
    frame.render_widget(Paragraph::new(info).wrap(Wrap { trim: false }), info_area);
    if let Some(out) = out_area {
        draw_output(frame, out, run, theme);
    }
}

/// The selected step's output: the last lines, scrolled back by
/// `run.scroll`.
fn draw_output(frame: &mut Frame, area: Rect, run: &Run, theme: &Theme) {
    let Some(s) = run.steps.get(run.selected) else {
        return;
    };
    let total = s.output.len();
    let rows = area.height.saturating_sub(1) as usize;
    let scroll = run.scroll.min(total.saturating_sub(rows));
    let end = total - scroll;
    let start = end.saturating_sub(rows);
    let label = if scroll > 0 {
        format!("output ({} lines, {scroll} back)", total)
    } else {
        format!("output ({total} lines)")
    };
    let mut lines = vec![Line::from(Span::styled(label, theme.accent))];
    let w = area.width as usize;
    for l in s.output.iter().skip(start).take(end - start) {
        lines.push(Line::from(Span::styled(clip(l, w), theme.base)));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// "Suggested playbooks: rollback, feature-flag-kill — press p to choose"
/// ("... to start rollback" when only one applies); the runbook the
/// alert's `runbook_url` points at comes first, marked as such.
pub fn suggestion_line<'a>(state: &State, alert: &Alert, theme: &Theme) -> Option<Line<'a>> {
    let linked = crate::state::playbooks::linked_runbook(&state.playbooks.catalog, alert);
    let names: Vec<String> = suggestions(state, alert)
        .iter()
        .map(|p| p.name.clone())
        .collect();
    let key = state
        .keymap
        .hint(Action::OpenPlaybook)
        .unwrap_or_else(|| "p".into());
    let (label, what) = match names.as_slice() {
        [] => return None,
        [one] => ("Suggested playbook: ", format!("start {one}")),
        _ => ("Suggested playbooks: ", "choose one".to_string()),
    };
    let mut spans = vec![Span::styled(
        label,
        theme.accent.add_modifier(Modifier::BOLD),
    )];
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(", ", theme.base));
        }
        spans.push(Span::styled(
            n.clone(),
            theme.base.add_modifier(Modifier::BOLD),
        ));
        if i == 0 && linked.is_some() {
            spans.push(Span::styled(" (the alert's runbook)", theme.muted));
        }
    }
    spans.push(Span::styled(
        format!(" — press {key} to {what}"),
        theme.muted,
    ));
    Some(Line::from(spans))
}

fn boxed<'a>(title: String, theme: &Theme) -> Block<'a> {
    Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.border_focused)
        .title(Span::styled(
            format!(" {title} "),
            theme.accent.add_modifier(Modifier::BOLD),
        ))
        .style(theme.base)
}

/// The input form before a run.
pub fn draw_form(frame: &mut Frame, area: Rect, state: &State, form: &Form, theme: &Theme) {
    let pb = state.playbooks.get(&form.playbook);
    // Descriptions wrap (the box grows to hold them) rather than being cut.
    let width = usize::from(centered(area, 90, 1).width.saturating_sub(2)).max(12);
    let mut lines = Vec::new();
    if let Some(p) = pb {
        for l in super::timeline::wrap(p.description.lines().next().unwrap_or(""), width) {
            lines.push(Line::from(Span::styled(l, theme.muted)));
        }
    }
    if let Some(a) = &form.alert {
        lines.push(Line::from(Span::styled(
            format!("for alert {a}"),
            theme.muted,
        )));
    }
    lines.push(Line::default());
    for (i, (name, value)) in form.fields.iter().enumerate() {
        let input = pb.and_then(|p| p.input(name));
        let sel = i == form.selected;
        let cursor = if sel { "▏" } else { "" };
        let marker = if sel { "› " } else { "  " };
        let mut spans = vec![
            Span::styled(marker, theme.accent),
            Span::styled(
                format!("{name:<16}"),
                if sel {
                    theme.accent.add_modifier(Modifier::BOLD)
                } else {
                    theme.base
                },
            ),
            Span::styled(
                format!("{value}{cursor}"),
                theme.base.add_modifier(Modifier::BOLD),
            ),
        ];
        if let Some(i) = input {
            if matches!(i.ty, InputType::Choice | InputType::Bool) && sel {
                spans.push(Span::styled("  ←/→", theme.muted));
            }
        }
        lines.push(Line::from(spans));
        if let Some(i) = input {
            let mut d = i.description.clone();
            if !i.choices.is_empty() {
                d = format!("{d} [{}]", i.choices.join("|"));
            }
            if let Some(l) = &i.from_label {
                d = format!("{d} (label {l})");
            }
            for l in super::timeline::wrap(&d, width.saturating_sub(4)) {
                lines.push(Line::from(Span::styled(format!("    {l}"), theme.muted)));
            }
        }
    }
    lines.push(Line::default());
    match &form.error {
        Some(e) => lines.push(Line::from(Span::styled(e.clone(), theme.critical))),
        None => lines.push(Line::from(Span::styled(
            "↑/↓ field · type to edit · Enter start · Esc cancel",
            theme.muted,
        ))),
    }
    let title = pb.map_or(form.playbook.clone(), |p| {
        format!("Playbook {}: {}", p.name, p.title)
    });
    let r = centered(area, 90, lines.len() as u16 + 2);
    frame.render_widget(Clear, r);
    frame.render_widget(Paragraph::new(lines).block(boxed(title, theme)), r);
}

/// Confirmation by typing the target's name.
pub fn draw_typed(
    frame: &mut Frame,
    area: Rect,
    question: &str,
    expect: &str,
    input: &str,
    error: Option<&str>,
    theme: &Theme,
) {
    let r = centered(area, 76, 9);
    frame.render_widget(Clear, r);
    let mut lines = vec![
        Line::from(Span::styled(
            question.to_string(),
            theme.critical.add_modifier(Modifier::BOLD),
        )),
        Line::default(),
        Line::from(vec![
            Span::styled("Type ", theme.base),
            Span::styled(
                expect.to_string(),
                theme.warning.add_modifier(Modifier::BOLD),
            ),
            Span::styled(" to confirm:", theme.base),
        ]),
        Line::from(vec![
            Span::styled("> ", theme.accent),
            Span::styled(format!("{input}▏"), theme.base),
        ]),
    ];
    match error {
        Some(e) => lines.push(Line::from(Span::styled(e.to_string(), theme.critical))),
        None => lines.push(Line::from(Span::styled(
            "Enter confirms · Esc cancels",
            theme.muted,
        ))),
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(boxed("Confirm: production".into(), theme)),
        r,
    );
}
