//! Keys that move around the screen: panes, lists, help, the palette,
//! filters, refresh, theme, and quitting.

use chrono::{DateTime, Utc};

use super::super::palette::{self, PaletteState};
use super::super::{incident, Effect, Level, Mode, Pending, PromptKind, State};
use super::Pane;
use crate::action::Action;

/// Rows a page key moves.
const PAGE: isize = 10;

pub(crate) fn on_action(
    state: &mut State,
    action: Action,
    now: DateTime<Utc>,
) -> Option<Vec<Effect>> {
    match action {
        Action::Quit => return Some(quit(state)),
        Action::ToggleHelp => state.mode = Mode::Help { scroll: 0 },
        Action::OpenPalette => {
            state.mode = Mode::Palette(PaletteState::open(palette::items(state)));
        }
        Action::Filter => {
            if state.focus == Pane::Metrics {
                state.focus = Pane::Alerts;
            }
            let input = state
                .list(state.focus)
                .map(|l| l.filter.clone())
                .unwrap_or_default();
            state.prompt(PromptKind::Filter(state.focus), input);
        }
        Action::NextPane | Action::PrevPane => {
            let n = Pane::ORDER.len();
            let i = Pane::ORDER
                .iter()
                .position(|p| *p == state.focus)
                .unwrap_or(0);
            let next = if action == Action::NextPane {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            };
            state.focus = Pane::ORDER[next];
        }
        Action::FocusAlerts => state.focus = Pane::Alerts,
        Action::FocusMetrics => state.focus = Pane::Metrics,
        Action::FocusTimeline => state.focus = Pane::Timeline,
        Action::FocusSide => state.focus = Pane::Flags,
        Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
            let delta = match action {
                Action::Up => -1,
                Action::Down => 1,
                Action::PageUp => -PAGE,
                _ => PAGE,
            };
            if let Some(l) = state.list_mut(state.focus) {
                l.move_by(delta);
            }
        }
        Action::Top => {
            if let Some(l) = state.list_mut(state.focus) {
                l.top();
            }
        }
        Action::Bottom => {
            if let Some(l) = state.list_mut(state.focus) {
                l.bottom();
            }
        }
        Action::Back => {
            let pane = state.focus;
            if let Some(l) = state.list_mut(pane) {
                if !l.filter.is_empty() {
                    l.filter.clear();
                    state.refilter(pane);
                }
            }
        }
        Action::Refresh => {
            let mut fx = vec![Effect::RefreshAll];
            fx.extend(incident::retry_unsaved(state));
            state.notify(Level::Info, "Refreshing all sources", now);
            return Some(fx);
        }
        Action::CycleTheme => {
            let themes = &state.settings.themes;
            if !themes.is_empty() {
                let i = themes
                    .iter()
                    .position(|t| *t == state.theme_name)
                    .map_or(0, |i| (i + 1) % themes.len());
                state.theme_name = themes[i].clone();
                let text = format!("Theme: {}", state.theme_name);
                state.notify(Level::Info, text, now);
                return Some(vec![Effect::SetTheme(state.theme_name.clone())]);
            }
        }
        _ => return None,
    }
    Some(Vec::new())
}

fn quit(state: &mut State) -> Vec<Effect> {
    let unsaved = state.timeline.unsaved.len();
    // Never claim "saved" when something is not.
    let saved = match unsaved {
        // Read-only: nothing of ours to save; the writer has it all.
        0 if state.access.read_only() => {
            "You only followed it: the window that writes it keeps it.".to_string()
        }
        0 => "It is saved; firebreak resumes it next time.".to_string(),
        n => format!(
            "{n} entr{} NOT saved (the journal failed; r retries) and will be lost.",
            if n == 1 { "y is" } else { "ies are" }
        ),
    };
    if state.incident_open() {
        let status = state.current_status();
        state.confirm(
            format!("The incident is still open ({status}). Quit anyway? {saved}"),
            Pending::Quit,
        );
        Vec::new()
    } else if unsaved > 0 {
        state.confirm(format!("Quit anyway? {saved}"), Pending::Quit);
        Vec::new()
    } else {
        confirmed_quit(state)
    }
}

pub(crate) fn confirmed_quit(state: &mut State) -> Vec<Effect> {
    state.quit = true;
    vec![Effect::Quit]
}

/// Keys of the help overlay (its keymap layer): scroll, or close.
pub(crate) fn on_help_key(state: &mut State, scroll: u16, action: Option<Action>) {
    // The help text (ui/overlays.rs): two lines of header, one line per
    // binding, a blank line and a heading before each other mode, then the
    // confirmation keys (blank, heading, two lines). It is drawn in the
    // screen's height less four (margins and borders): scrolling stops
    // when the last line is at the bottom.
    let listing = state.keymap.listing();
    let bindings: usize = listing.iter().map(|(_, b)| b.len()).sum();
    let lines = 2 + bindings + 2 * listing.len().saturating_sub(1) + 4;
    let shown = usize::from(state.viewport.1.saturating_sub(4));
    let last = u16::try_from(lines.saturating_sub(shown)).unwrap_or(u16::MAX);
    let scroll = match action {
        Some(Action::Cancel) => return,
        _ => scrolled(scroll, action),
    };
    state.mode = Mode::Help {
        scroll: scroll.min(last),
    };
}

/// An overlay's scroll offset after a movement action (others keep it).
pub(crate) fn scrolled(scroll: u16, action: Option<Action>) -> u16 {
    match action {
        Some(Action::Down) => scroll.saturating_add(1),
        Some(Action::Up) => scroll.saturating_sub(1),
        Some(Action::PageDown) => scroll.saturating_add(10),
        Some(Action::PageUp) => scroll.saturating_sub(10),
        Some(Action::Top) => 0,
        Some(Action::Bottom) => u16::MAX,
        _ => scroll,
    }
}

/// Footer hints of the screen itself (shown after the focused feature's).
pub(crate) fn hints(_state: &State) -> Vec<Action> {
    vec![
        Action::ToggleHelp,
        Action::OpenPalette,
        Action::NextPane,
        Action::AddNote,
        Action::SetSeverity,
        Action::SetStatus,
        Action::MarkImpactStart,
        Action::Quit,
    ]
}
