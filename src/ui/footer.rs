//! Footer: the latest notice, or key hints for the focused pane, all
//! generated from the keymap.

use chrono::{DateTime, Utc};
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::action::Action;
use crate::config::theme::Theme;
use crate::state::{Level, Mode, Pane, State};

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
    let actions: &[Action] = match (&state.mode, state.focus) {
        (Mode::Normal, Pane::Flags) => &[
            Action::ToggleFlag,
            Action::FlagOff,
            Action::FlagOn,
            Action::Filter,
        ],
        (Mode::Normal, Pane::Alerts) => &[Action::Select, Action::Filter, Action::Rollback],
        (Mode::Normal, Pane::Metrics) => &[Action::CycleWindow, Action::Refresh],
        (Mode::Normal, Pane::Timeline) => &[Action::Filter, Action::ExportMarkdown],
        (Mode::Normal, Pane::Playbooks) if state.playbooks.open.is_some() => &[
            Action::Select,
            Action::FailStep,
            Action::SkipStep,
            Action::RerunStep,
            Action::Back,
        ],
        (Mode::Normal, Pane::Playbooks) => &[Action::Select, Action::Filter],
        _ => &[],
    };
    let common = [
        Action::ToggleHelp,
        Action::OpenPalette,
        Action::NextPane,
        Action::AddNote,
        Action::SetSeverity,
        Action::SetStatus,
        Action::MarkImpactStart,
        Action::Quit,
    ];
    let mut spans = Vec::new();
    for a in actions.iter().chain(common.iter()) {
        if let Some(k) = state.keymap.hint(*a) {
            spans.push(Span::styled(format!(" {k}"), theme.accent));
            spans.push(Span::styled(format!(" {}", short(*a)), theme.muted));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Short labels for the footer.
fn short(a: Action) -> &'static str {
    match a {
        Action::ToggleHelp => "help",
        Action::OpenPalette => "palette",
        Action::NextPane => "pane",
        Action::AddNote => "note",
        Action::SetSeverity => "sev",
        Action::SetStatus => "status",
        Action::MarkImpactStart => "impact",
        Action::Quit => "quit",
        Action::ToggleFlag => "flip",
        Action::FlagOff => "off",
        Action::FlagOn => "on",
        Action::Filter => "filter",
        Action::Select => "details",
        Action::Rollback => "rollback",
        Action::CycleWindow => "window",
        Action::Refresh => "refresh",
        Action::ExportMarkdown => "export",
        Action::FailStep => "failed",
        Action::SkipStep => "skip",
        Action::RerunStep => "re-run",
        Action::Back => "back",
        Action::OpenPlaybook => "playbook",
        _ => "",
    }
}
