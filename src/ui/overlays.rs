//! Overlays: help (generated from the keymap), palette, prompts,
//! confirmations, choosers and alert details (the status update editor
//! is `update.rs`).

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, BorderType, Borders, Clear, List, ListItem, ListState, Paragraph, Wrap,
};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::{age, centered, clip};
use crate::action::Action;
use crate::config::keymap::{Layer, CONFIRM_KEYS};
use crate::config::theme::Theme;
use crate::domain::incident::{Severity, Status};
use crate::state::{ChooseKind, Mode, PromptKind, State};

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, now: DateTime<Utc>) {
    match &state.mode {
        Mode::Normal => {}
        Mode::Help { scroll } => help(frame, area, state, theme, *scroll),
        Mode::Palette(p) => palette(frame, area, p, theme),
        Mode::Prompt { kind, input, error } => {
            prompt(frame, area, *kind, input, error.as_deref(), theme)
        }
        Mode::Confirm { question, .. } => confirm(frame, area, question, theme),
        Mode::Choose { kind, selected } => choose(frame, area, state, kind, *selected, theme, now),
        Mode::AlertDetail {
            fingerprint,
            scroll,
        } => alert_detail(frame, area, state, fingerprint, *scroll, theme, now),
        Mode::PlaybookForm(form) => super::playbook::draw_form(frame, area, state, form, theme),
        Mode::UpdateEditor => super::update::draw(frame, area, state, theme),
        Mode::TypedConfirm {
            question,
            expect,
            input,
            error,
            ..
        } => super::playbook::draw_typed(
            frame,
            area,
            question,
            expect,
            input,
            error.as_deref(),
            theme,
        ),
    }
}

fn boxed<'a>(title: &'a str, theme: &Theme) -> Block<'a> {
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

fn help(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, scroll: u16) {
    let r = centered(area, 110, area.height.saturating_sub(2));
    frame.render_widget(Clear, r);
    let mut lines = vec![
        Line::from(Span::styled(
            "Keys come from the keymap (built-in + ~/.config/firebreak/keymap.toml).",
            theme.muted,
        )),
        Line::default(),
    ];
    // Every mode's bindings, normal mode first (the keymap's layers).
    for (layer, bindings) in state.keymap.listing() {
        if layer != Layer::Normal {
            lines.push(Line::default());
            lines.push(Line::from(Span::styled(
                layer.title().to_string(),
                theme.accent.add_modifier(Modifier::BOLD),
            )));
        }
        for (action, keys) in bindings {
            lines.push(Line::from(vec![
                Span::styled(format!("{:<18}", keys.join(" ")), theme.accent),
                Span::styled(action.description().to_string(), theme.base),
            ]));
        }
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "Confirmations (fixed on purpose: no rebinding can make a stray key say yes)",
        theme.accent.add_modifier(Modifier::BOLD),
    )));
    for (keys, what) in CONFIRM_KEYS {
        lines.push(Line::from(vec![
            Span::styled(format!("{keys:<18}"), theme.accent),
            Span::styled(what.to_string(), theme.base),
        ]));
    }
    let p = Paragraph::new(lines)
        .block(boxed("Help  (j/k scroll, Esc close)", theme))
        .scroll((scroll, 0));
    frame.render_widget(p, r);
}

fn palette(frame: &mut Frame, area: Rect, p: &crate::state::palette::PaletteState, theme: &Theme) {
    let r = centered(area, 80, 18);
    frame.render_widget(Clear, r);
    let block = boxed("Command palette", theme);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let [input, list_area] =
        Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(inner);
    frame.render_widget(
        Paragraph::new(vec![
            Line::from(vec![
                Span::styled("> ", theme.accent),
                Span::styled(format!("{}▏", p.query), theme.base),
            ]),
            Line::from(Span::styled(
                format!(
                    "{} match{}  ↑/↓ choose  Enter run  Esc close",
                    p.total,
                    if p.total == 1 { "" } else { "es" }
                ),
                theme.muted,
            )),
        ]),
        input,
    );
    // The selected row in full, wrapped, under the list when the row
    // itself had to cut its label or description.
    let [list_area, full_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(2)]).areas(list_area);
    let height = list_area.height as usize;
    let offset = super::offset_for(p.selected, height);
    let w = list_area.width as usize;
    // Columns: kind (9), label, two spaces, description. The label takes
    // what it needs, leaving the description at least 24 columns (or all
    // of it); the description gets the rest of the row.
    let avail = w.saturating_sub(9);
    let widths = |item: &crate::state::palette::Item| {
        let lw = item.label.chars().count();
        let hw = item.hint.chars().count();
        let hint_min = if hw == 0 { 0 } else { hw.min(24) + 2 };
        let label = lw.min(avail.saturating_sub(hint_min));
        let hint = avail.saturating_sub(label + 2);
        (label, hint, label < lw || hint < hw)
    };
    let items: Vec<ListItem> = p
        .matches
        .iter()
        .skip(offset)
        .take(height)
        .map(|(item, pos)| {
            let (lw, hw, _) = widths(item);
            let mut spans = vec![Span::styled(format!("{:<9}", item.kind), theme.muted)];
            let label = clip(&item.label, lw);
            for (i, c) in label.chars().enumerate() {
                let st = if pos.contains(&i) {
                    theme.accent.add_modifier(Modifier::BOLD)
                } else {
                    theme.base
                };
                spans.push(Span::styled(c.to_string(), st));
            }
            if !item.hint.is_empty() {
                spans.push(Span::styled(
                    format!("  {}", clip(&item.hint, hw)),
                    theme.muted,
                ));
            }
            ListItem::new(Line::from(spans))
        })
        .collect();
    let mut ls = ListState::default().with_selected(Some(p.selected.saturating_sub(offset)));
    frame.render_stateful_widget(
        List::new(items).highlight_style(theme.selection),
        list_area,
        &mut ls,
    );
    if let Some((item, _)) = p.matches.get(p.selected).filter(|(i, _)| widths(i).2) {
        let mut full = vec![Span::styled(item.label.clone(), theme.base)];
        if !item.hint.is_empty() {
            full.push(Span::styled(format!(" — {}", item.hint), theme.muted));
        }
        let full = Line::from(full);
        frame.render_widget(Paragraph::new(full).wrap(Wrap { trim: true }), full_area);
    }
}

fn prompt(
    frame: &mut Frame,
    area: Rect,
    kind: PromptKind,
    input: &str,
    error: Option<&str>,
    theme: &Theme,
) {
    // Filters edit in place at the bottom; other prompts are centered.
    let r = match kind {
        PromptKind::Filter(_) => Rect {
            y: area.y + area.height.saturating_sub(4),
            height: 3.min(area.height),
            ..area
        },
        _ => centered(area, 72, 5),
    };
    frame.render_widget(Clear, r);
    let title = kind.label();
    let mut lines = vec![Line::from(vec![
        Span::styled("> ", theme.accent),
        Span::styled(format!("{input}▏"), theme.base),
    ])];
    match error {
        Some(e) => lines.push(Line::from(Span::styled(e.to_string(), theme.critical))),
        None => lines.push(Line::from(Span::styled(
            "Enter to accept, Esc to cancel",
            theme.muted,
        ))),
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(boxed(title, theme)),
        r,
    );
}

fn confirm(frame: &mut Frame, area: Rect, question: &str, theme: &Theme) {
    let r = centered(area, 70, 7);
    frame.render_widget(Clear, r);
    let lines = vec![
        Line::from(Span::styled(
            question.to_string(),
            theme.base.add_modifier(Modifier::BOLD),
        )),
        Line::default(),
        Line::from(vec![
            Span::styled(" y ", theme.warning.add_modifier(Modifier::REVERSED)),
            Span::styled(" yes    ", theme.base),
            Span::styled(" n ", theme.accent.add_modifier(Modifier::REVERSED)),
            Span::styled(" no (Esc)", theme.base),
        ]),
    ];
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(boxed("Confirm", theme)),
        r,
    );
}

fn choose(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    kind: &ChooseKind,
    selected: usize,
    theme: &Theme,
    now: DateTime<Utc>,
) {
    let outcome_title;
    let roles_title;
    let (title, rows): (&str, Vec<(String, String)>) = match kind {
        ChooseKind::Severity => (
            "Severity",
            Severity::ALL
                .iter()
                .map(|s| (s.label().to_string(), s.meaning().to_string()))
                .collect(),
        ),
        ChooseKind::Status => (
            "Status",
            Status::ALL
                .iter()
                .map(|s| (s.label().to_string(), s.meaning().to_string()))
                .collect(),
        ),
        ChooseKind::Outcome => {
            outcome_title = match state.hyp.fold.active() {
                Some(h) => format!(
                    "{}: {}",
                    h.label(&state.settings.responder),
                    clip(&h.text, 50)
                ),
                None => "Hypothesis".into(),
            };
            (
                outcome_title.as_str(),
                crate::state::hypotheses_outcome_rows(state),
            )
        }
        ChooseKind::Playbook { names, .. } => (
            "Suggested playbooks: which one?",
            names
                .iter()
                .map(|n| {
                    let title = state.playbooks.get(n).map(|p| p.title.clone());
                    (n.clone(), title.unwrap_or_default())
                })
                .collect(),
        ),
        ChooseKind::Join { choices } => (
            "Shared incidents: join one (esc: not now · D declares a new one)",
            choices
                .iter()
                .map(|j| {
                    (
                        crate::text::visible(&j.id).into_owned(),
                        format!(
                            "{} (declared by {}, {})",
                            crate::text::visible(&j.title),
                            crate::text::visible(&j.declared_by),
                            j.declared_at.format("%Y-%m-%d %H:%MZ")
                        ),
                    )
                })
                .collect(),
        ),
        ChooseKind::AboutToFire { choices } => (
            if state.rules.error.is_some() {
                "About to fire, LAST KNOWN (the rules could not be read since; enter: chart)"
            } else {
                "About to fire: pending alerts, soonest first (enter: chart the rule)"
            },
            choices
                .iter()
                .map(|p| {
                    (
                        crate::text::visible(&p.rule).into_owned(),
                        crate::text::visible(&format!(
                            "{} (for {}){}{} · {}",
                            crate::state::rules::fires_in(p, now),
                            p.for_text,
                            if p.labels.is_empty() { "" } else { " · " },
                            p.labels,
                            p.query
                        ))
                        .into_owned(),
                    )
                })
                .collect(),
        ),
        ChooseKind::Approval { choices } => (
            "Two-person rule: approvals",
            choices
                .iter()
                .map(|c| crate::state::approvals::describe_choice(state, c))
                .collect(),
        ),
        ChooseKind::Role { choices } => {
            let who = state.roles().map(|r| r.summary()).unwrap_or_default();
            roles_title = format!("Roles ({who}): you are {}", state.settings.responder);
            (
                roles_title.as_str(),
                choices
                    .iter()
                    .map(|c| crate::state::roles::describe_choice(state, c))
                    .collect(),
            )
        }
    };
    let n = rows.len();
    // The pending alerts carry an expression: room for it.
    let w = if matches!(kind, ChooseKind::AboutToFire { .. }) {
        120
    } else {
        70
    };
    let r = centered(area, w, rows.len() as u16 + 2);
    frame.render_widget(Clear, r);
    // Labels in one column, as wide as the longest (a playbook's name).
    let lw = rows
        .iter()
        .map(|(l, _)| l.chars().count() + 1)
        .max()
        .unwrap_or(0)
        .max(14);
    let items: Vec<ListItem> = rows
        .into_iter()
        .enumerate()
        .map(|(i, (l, m))| {
            ListItem::new(Line::from(vec![
                Span::styled(format!("{} ", i + 1), theme.accent),
                Span::styled(format!("{l:<lw$}"), theme.base.add_modifier(Modifier::BOLD)),
                Span::styled(m, theme.muted),
            ]))
        })
        .collect();
    let mut ls = ListState::default().with_selected(Some(selected));
    frame.render_stateful_widget(
        List::new(items)
            .highlight_style(theme.selection)
            .block(boxed(title, theme).title_bottom(Span::styled(
                format!(" 1-{n} or ↑↓ Enter · Esc "),
                theme.muted,
            ))),
        r,
        &mut ls,
    );
}

fn alert_detail(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    fingerprint: &str,
    scroll: u16,
    theme: &Theme,
    now: DateTime<Utc>,
) {
    let r = centered(area, 100, area.height.saturating_sub(4));
    frame.render_widget(Clear, r);
    let Some(a) = state.alerts.get(fingerprint) else {
        frame.render_widget(
            Paragraph::new("This alert is no longer reported by the source (resolved?).")
                .style(theme.muted)
                .block(boxed("Alert", theme)),
            r,
        );
        return;
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(
                a.name().to_string(),
                theme.severity(a.severity()).add_modifier(Modifier::BOLD),
            ),
            Span::styled(format!("  {}  {:?}", a.severity(), a.state), theme.muted),
        ]),
        Line::from(Span::styled(a.summary().to_string(), theme.base)),
        Line::from(Span::styled(
            format!(
                "firing since {} ({} ago) · from {} · fingerprint {}",
                a.starts_at.format("%Y-%m-%d %H:%M:%SZ"),
                age(now - a.starts_at),
                a.source,
                a.fingerprint
            ),
            theme.muted,
        )),
        Line::default(),
        Line::from(Span::styled(
            "Labels",
            theme.accent.add_modifier(Modifier::BOLD),
        )),
    ];
    // Has it fired before: the first thing a responder wants to know.
    if let Some(h) = state.alerts.history.get(&a.fingerprint) {
        let text = match &h.result {
            None => Line::from(Span::styled("History: asking Prometheus…", theme.muted)),
            Some(Err(e)) => Line::from(Span::styled(
                format!("History: not available ({})", crate::text::visible(e)),
                theme.warning,
            )),
            Some(Ok(hist)) => Line::from(vec![
                Span::styled("History: ", theme.accent.add_modifier(Modifier::BOLD)),
                Span::styled(crate::sources::history::summary(hist, now), theme.base),
                Span::styled(
                    format!("  {} (30 d, today last)", hist.sparkline()),
                    theme.muted,
                ),
            ]),
        };
        lines.insert(3, text);
    }
    if let Some(l) = super::playbook::suggestion_line(state, a, theme) {
        lines.insert(3, l);
    }
    for (k, v) in &a.labels {
        lines.push(Line::from(vec![
            Span::styled(format!("  {k:<20}"), theme.muted),
            Span::styled(v.clone(), theme.base),
        ]));
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "Annotations",
        theme.accent.add_modifier(Modifier::BOLD),
    )));
    for (k, v) in &a.annotations {
        lines.push(Line::from(vec![
            Span::styled(format!("  {k:<20}"), theme.muted),
            Span::styled(v.clone(), theme.base),
        ]));
    }
    if let Some(u) = &a.generator_url {
        lines.push(Line::from(vec![
            Span::styled("  generatorURL        ", theme.muted),
            Span::styled(u.clone(), theme.base),
        ]));
    }
    silence_lines(&mut lines, state, a, theme, now);
    // The keys, from the keymap: as many as fit on the top border, the
    // rest on the bottom one; never cut.
    let layer = Layer::AlertDetails;
    let key = |act: Action| state.keymap.hint_in(layer, act);
    let generator = match (
        key(Action::OpenGeneratorLink),
        key(Action::CopyGeneratorLink),
    ) {
        (Some(o), Some(y)) => Some(format!("{o}/{y} generator URL")),
        (Some(o), None) => Some(format!("{o} generator URL")),
        _ => None,
    };
    let hints: Vec<String> = [
        key(Action::OpenLink).map(|k| format!("{k} open runbook")),
        key(Action::CopyLink).map(|k| format!("{k} copy link")),
        generator,
        key(Action::OpenPlaybook).map(|k| format!("{k} playbook")),
        key(Action::AckAlert).map(|k| format!("{k} ack")),
        key(Action::SilenceAlert).map(|k| format!("{k} silence")),
        key(Action::Cancel).map(|k| format!("{k} close")),
    ]
    .into_iter()
    .flatten()
    .collect();
    let room = usize::from(r.width.saturating_sub(4));
    let (mut top, mut bottom) = ("Alert".to_string(), String::new());
    for h in hints {
        if bottom.is_empty() && top.width() + 3 + h.width() <= room {
            top = format!("{top} · {h}");
        } else if bottom.is_empty() {
            bottom = h;
        } else {
            bottom = format!("{bottom} · {h}");
        }
    }
    let mut block = boxed(&top, theme);
    if !bottom.is_empty() {
        block = block.title_bottom(Span::styled(format!(" {bottom} "), theme.muted));
    }
    // Scrolled no further than the last row at the bottom.
    let p = Paragraph::new(lines).wrap(Wrap { trim: false });
    let rows = p.line_count(r.width.saturating_sub(2));
    let last = rows.saturating_sub(usize::from(r.height.saturating_sub(2)));
    let scroll = scroll.min(u16::try_from(last).unwrap_or(u16::MAX));
    frame.render_widget(p.scroll((scroll, 0)).block(block), r);
}

/// The Prometheus rule behind the alert: its expression, `for`, health,
/// and the key that charts it.
fn rule_lines(
    lines: &mut Vec<Line<'static>>,
    state: &State,
    a: &crate::sources::Alert,
    theme: &Theme,
) {
    let Some(r) = crate::state::rules::rule_of_alert(state, &a.fingerprint) else {
        return;
    };
    let v = |s: &str| crate::text::visible(s).into_owned();
    let key = state
        .keymap
        .hint_in(
            crate::config::keymap::Layer::AlertDetails,
            crate::action::Action::ChartRule,
        )
        .unwrap_or_else(|| "?".into());
    let charted = state.rules.charted.as_deref() == Some(r.name.as_str());
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        if charted {
            format!("Rule (charted in the metrics pane; {key} removes it)")
        } else {
            format!("Rule ({key} charts it)")
        },
        theme.accent.add_modifier(Modifier::BOLD),
    )));
    let row = |label: &str, text: String, style| {
        Line::from(vec![
            Span::styled(format!("  {label:<20}"), theme.muted),
            Span::styled(text, style),
        ])
    };
    lines.push(row("expr", v(&r.query), theme.base));
    lines.push(row(
        "for",
        format!(
            "{} · group {} ({})",
            crate::sources::rules::for_text(r.for_secs),
            v(&r.group),
            v(&r.file)
        ),
        theme.base,
    ));
    if let Some(e) = &r.last_error {
        lines.push(row("last error", v(e), theme.warning));
    }
}

/// Who got paged: the receivers the routing tree sends the alert to, the
/// route that took it to each, and how often it repeats.
fn paged_lines(
    lines: &mut Vec<Line<'static>>,
    state: &State,
    a: &crate::sources::Alert,
    theme: &Theme,
) {
    use crate::state::alerts::Paging;
    let v = |s: &str| crate::text::visible(s).into_owned();
    let row = |label: String, text: String, style| {
        Line::from(vec![
            Span::styled(format!("  {label:<20}"), theme.muted),
            Span::styled(text, style),
        ])
    };
    match crate::state::alerts::paged(state, a) {
        Paging::Reported(r) if r.is_empty() => {}
        Paging::Reported(r) => lines.push(row("receivers".into(), v(&r.join(", ")), theme.base)),
        Paging::Unread { error, reported } => {
            lines.push(Line::default());
            lines.push(Line::from(Span::styled(
                "Paged",
                theme.accent.add_modifier(Modifier::BOLD),
            )));
            lines.push(row(
                "routing tree".into(),
                format!("not read: {}", v(&error)),
                theme.warning,
            ));
            if !reported.is_empty() {
                lines.push(row(
                    "Alertmanager says".into(),
                    v(&reported.join(", ")),
                    theme.base,
                ));
            }
        }
        Paging::Routed {
            routes,
            from,
            reported,
            stale,
        } => {
            lines.push(Line::default());
            lines.push(Line::from(Span::styled(
                format!("Paged (routing tree of {})", v(&from)),
                theme.accent.add_modifier(Modifier::BOLD),
            )));
            for p in &routes {
                lines.push(row(v(&p.receiver), v(&p.via()), theme.base));
                lines.push(row(String::new(), v(&p.how()), theme.muted));
            }
            if let Some(r) = reported {
                lines.push(row(
                    "Alertmanager says".into(),
                    format!(
                        "{} (differs from the routing tree: config changed since?)",
                        v(&r.join(", "))
                    ),
                    theme.warning,
                ));
            }
            if let Some(e) = stale {
                lines.push(row(
                    "routing tree".into(),
                    format!("last read failed: {} (showing the tree read before)", v(&e)),
                    theme.warning,
                ));
            }
        }
    }
}

/// Alertmanager's side of an alert: state, silences (who, why, until
/// when), inhibitions, receivers, and the keys to act on it.
fn silence_lines(
    lines: &mut Vec<Line<'static>>,
    state: &State,
    a: &crate::sources::Alert,
    theme: &Theme,
    now: DateTime<Utc>,
) {
    let d = &a.detail;
    if !d.silenced_by.is_empty() {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled(
            "Silenced by",
            theme.accent.add_modifier(Modifier::BOLD),
        )));
        for id in &d.silenced_by {
            let text = match state.silences.items.iter().find(|s| &s.id == id) {
                Some(s) => {
                    let ends = if s.ends_at > now {
                        format!("ends in {}", age(s.ends_at - now))
                    } else {
                        "ended".into()
                    };
                    format!(
                        "{} by {}, {ends}: {}",
                        crate::sources::silence::matchers_text(&s.matchers),
                        s.created_by,
                        s.comment
                    )
                }
                None => "(details not loaded yet)".into(),
            };
            let short = id.get(..8).unwrap_or(id);
            lines.push(Line::from(vec![
                Span::styled(format!("  {short:<20}"), theme.muted),
                Span::styled(crate::text::visible(&text).into_owned(), theme.base),
            ]));
        }
    }
    // Why it is muted: the alerts that inhibit it, by name (their
    // fingerprints say nothing to a person), one key away.
    let inhibitors = crate::state::alerts::inhibitors(state, &a.fingerprint);
    if !inhibitors.is_empty() {
        let key = state
            .keymap
            .hint_in(
                crate::config::keymap::Layer::AlertDetails,
                crate::action::Action::ShowInhibitor,
            )
            .unwrap_or_else(|| "?".into());
        lines.push(Line::default());
        lines.push(Line::from(Span::styled(
            format!("Inhibited by ({key} opens it)"),
            theme.accent.add_modifier(Modifier::BOLD),
        )));
        for (fp, b) in inhibitors {
            let short = fp.get(..8).unwrap_or(fp);
            let text = match b {
                Some(b) => {
                    let labels: Vec<String> = b
                        .labels
                        .iter()
                        .filter(|(k, _)| !matches!(k.as_str(), "alertname" | "severity"))
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect();
                    format!(
                        "{} [{}] {} {}, since {} ago: {}",
                        b.name(),
                        b.severity(),
                        b.state_label(),
                        labels.join(" "),
                        age(now - b.starts_at),
                        b.summary()
                    )
                }
                None => "(not among the alerts shown)".into(),
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  {short:<20}"), theme.muted),
                Span::styled(crate::text::visible(&text).into_owned(), theme.base),
            ]));
        }
    }
    if !d.muted_by.is_empty() {
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<20}", "Muted by"), theme.muted),
            Span::styled(d.muted_by.join(", "), theme.base),
        ]));
    }
    paged_lines(lines, state, a, theme);
    rule_lines(lines, state, a, theme);
    if state.silences.prefs.silence_source.is_some() {
        let key = |act| state.keymap.hint(act).unwrap_or_else(|| "?".into());
        lines.push(Line::default());
        lines.push(Line::from(Span::styled(
            format!(
                "State: {} · {} silence · {} ack · {} expire silence",
                a.state_label(),
                key(crate::action::Action::SilenceAlert),
                key(crate::action::Action::AckAlert),
                key(crate::action::Action::ExpireSilence)
            ),
            theme.muted,
        )));
    }
}
