//! Keys of the command palette (its keymap layer); other keys type into
//! the query.

use crossterm::event::KeyEvent;

use super::super::{keys, Mode, State};
use super::{Command, PaletteState};
use crate::action::Action;

/// A key in the open palette. Returns the command chosen, if any; the
/// palette stays open otherwise.
pub(crate) fn on_key(
    state: &mut State,
    mut p: PaletteState,
    action: Option<Action>,
    key: &KeyEvent,
) -> Option<Command> {
    match action {
        Some(Action::Cancel) => return None,
        Some(Action::Submit) => return p.matches.get(p.selected).map(|(i, _)| i.command.clone()),
        Some(Action::Up) => p.selected = p.selected.saturating_sub(1),
        Some(Action::Down) => p.selected = (p.selected + 1).min(p.matches.len().saturating_sub(1)),
        _ => {
            if keys::edit(&mut p.query, action, key) {
                p.research();
            }
        }
    }
    state.mode = Mode::Palette(p);
    None
}
