//! Keys, by input mode. Normal mode goes through the keymap; overlays and
//! prompts have fixed, conventional keys (Enter, Esc, arrows, y/n).

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::timeparse::parse_when;
use super::update::{
    confirmed, declare, on_action, record, refilter, run_command, set_severity, set_status,
};
use super::{ChooseKind, Effect, Mode, PromptKind, State};
use crate::action::Action;
use crate::domain::incident::{Severity, Status};
use crate::domain::Event;

pub(super) fn on_key(state: &mut State, key: KeyEvent, now: DateTime<Utc>) -> Vec<Effect> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    // A notice belongs to what just happened: the next key retires it
    // (errors stay until replaced).
    if let Some(n) = &state.notice {
        if n.level != super::Level::Error && now - n.at > chrono::Duration::milliseconds(1500) {
            state.notice = None;
        }
    }
    // A screen too small to show what is going on must not act blindly:
    // only quitting works (the quit confirmation is still drawn).
    let (w, h) = state.viewport;
    if w < super::MIN_WIDTH || h < super::MIN_HEIGHT {
        let quit = state.keymap.action_for(&key) == Some(crate::action::Action::Quit)
            || matches!(
                state.mode,
                Mode::Confirm {
                    pending: super::Pending::Quit,
                    ..
                }
            );
        if !quit {
            return Vec::new();
        }
    }
    let mode = std::mem::replace(&mut state.mode, Mode::Normal);
    match mode {
        Mode::Normal => match state.keymap.action_for(&key) {
            Some(a) => on_action(state, a, now),
            None => Vec::new(),
        },
        Mode::Help { scroll } => {
            // The help text is one line per bound action plus a few more.
            let last = state.keymap.by_action().len() as u16 + 6;
            state.mode = match scroll_key(&key, scroll) {
                Some(s) => Mode::Help {
                    scroll: s.min(last),
                },
                None => Mode::Normal,
            };
            Vec::new()
        }
        Mode::AlertDetail {
            fingerprint,
            scroll,
        } => {
            // The suggested playbook starts from the detail view.
            if state.keymap.action_for(&key) == Some(Action::OpenPlaybook) {
                return super::playbooks::start_suggested(state, &fingerprint, now);
            }
            // Links: o opens (runbook, else generator), y copies; O and Y
            // do the same for the generator URL.
            if let KeyCode::Char(c @ ('o' | 'O' | 'y' | 'Y')) = key.code {
                let fx = super::update::alert_link(state, &fingerprint, c, now);
                state.mode = Mode::AlertDetail {
                    fingerprint,
                    scroll,
                };
                return fx;
            }
            // Silence, ack and expire work from the detail view too.
            if let Some(a @ (Action::SilenceAlert | Action::AckAlert | Action::ExpireSilence)) =
                state.keymap.action_for(&key)
            {
                return on_action(state, a, now);
            }
            state.mode = match scroll_key(&key, scroll) {
                Some(s) => Mode::AlertDetail {
                    fingerprint,
                    scroll: s,
                },
                None => Mode::Normal,
            };
            Vec::new()
        }
        Mode::PlaybookForm(form) => super::playbooks::on_form_key(state, form, key, now),
        m @ Mode::TypedConfirm { .. } => super::playbooks::on_typed_key(state, m, key, now),
        Mode::Confirm { question, pending } => match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => {
                confirmed(state, pending, now)
            }
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc | KeyCode::Char('q') => {
                Vec::new()
            }
            _ => {
                // Anything else: keep asking (a stray key never confirms).
                state.mode = Mode::Confirm { question, pending };
                Vec::new()
            }
        },
        Mode::Choose { kind, selected } => {
            let n = match kind {
                ChooseKind::Severity => Severity::ALL.len(),
                ChooseKind::Status => Status::ALL.len(),
                ChooseKind::Outcome => super::hypotheses_update::outcome_rows(state).len(),
            };
            let pick = |i: usize, state: &mut State| match kind {
                ChooseKind::Severity => set_severity(state, Severity::ALL[i], now),
                ChooseKind::Status => set_status(state, Status::ALL[i], now),
                ChooseKind::Outcome => super::hypotheses_update::chose_outcome(state, i),
            };
            match key.code {
                KeyCode::Esc | KeyCode::Char('q') => Vec::new(),
                KeyCode::Enter => pick(selected.min(n - 1), state),
                KeyCode::Char(c)
                    if c.is_ascii_digit()
                        && (1..=n as u32).contains(&c.to_digit(10).unwrap_or(0)) =>
                {
                    pick(c.to_digit(10).unwrap_or(1) as usize - 1, state)
                }
                KeyCode::Up | KeyCode::Char('k') => {
                    state.mode = Mode::Choose {
                        kind,
                        selected: selected.saturating_sub(1),
                    };
                    Vec::new()
                }
                KeyCode::Down | KeyCode::Char('j') => {
                    state.mode = Mode::Choose {
                        kind,
                        selected: (selected + 1).min(n - 1),
                    };
                    Vec::new()
                }
                _ => {
                    state.mode = Mode::Choose { kind, selected };
                    Vec::new()
                }
            }
        }
        Mode::Palette(mut p) => {
            let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
            match key.code {
                KeyCode::Esc => return Vec::new(),
                KeyCode::Enter => {
                    return match p.matches.get(p.selected) {
                        Some((item, _)) => run_command(state, item.command.clone(), now),
                        None => Vec::new(),
                    };
                }
                KeyCode::Up => p.selected = p.selected.saturating_sub(1),
                KeyCode::Char('p') | KeyCode::Char('k') if ctrl => {
                    p.selected = p.selected.saturating_sub(1)
                }
                KeyCode::Down | KeyCode::Tab => {
                    p.selected = (p.selected + 1).min(p.matches.len().saturating_sub(1))
                }
                KeyCode::Char('n') | KeyCode::Char('j') if ctrl => {
                    p.selected = (p.selected + 1).min(p.matches.len().saturating_sub(1))
                }
                _ => {
                    if edit(&mut p.query, &key) {
                        p.research();
                    }
                }
            }
            state.mode = Mode::Palette(p);
            Vec::new()
        }
        Mode::Prompt {
            kind,
            mut input,
            error,
        } => match key.code {
            KeyCode::Esc => {
                if let PromptKind::Filter(pane) = kind {
                    if let Some(l) = state.list_mut(pane) {
                        l.filter.clear();
                    }
                    refilter(state, pane);
                }
                Vec::new()
            }
            KeyCode::Enter => submit(state, kind, input, now),
            _ => {
                let changed = edit(&mut input, &key);
                if changed {
                    if let PromptKind::Filter(pane) = kind {
                        if let Some(l) = state.list_mut(pane) {
                            l.filter = input.clone();
                        }
                        refilter(state, pane);
                    }
                }
                state.mode = Mode::Prompt {
                    kind,
                    input,
                    error: if changed { None } else { error },
                };
                Vec::new()
            }
        },
    }
}

/// Scroll keys for overlays; `None` means close.
fn scroll_key(key: &KeyEvent, scroll: u16) -> Option<u16> {
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('?') | KeyCode::Enter | KeyCode::F(1) => {
            None
        }
        KeyCode::Down | KeyCode::Char('j') => Some(scroll.saturating_add(1)),
        KeyCode::Up | KeyCode::Char('k') => Some(scroll.saturating_sub(1)),
        KeyCode::PageDown => Some(scroll.saturating_add(10)),
        KeyCode::PageUp => Some(scroll.saturating_sub(10)),
        KeyCode::Home | KeyCode::Char('g') => Some(0),
        KeyCode::End | KeyCode::Char('G') => Some(u16::MAX),
        KeyCode::Char('d') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            Some(scroll.saturating_add(10))
        }
        KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            Some(scroll.saturating_sub(10))
        }
        _ => Some(scroll),
    }
}

/// Line editing. Returns true when the text changed.
pub(super) fn edit(text: &mut String, key: &KeyEvent) -> bool {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('u') if ctrl => {
            let changed = !text.is_empty();
            text.clear();
            changed
        }
        KeyCode::Char('w') if ctrl => {
            let trimmed = text.trim_end().len();
            let cut = text[..trimmed]
                .rfind(char::is_whitespace)
                .map_or(0, |i| i + 1);
            let changed = cut != text.len();
            text.truncate(cut);
            changed
        }
        KeyCode::Char(_) if ctrl => false,
        KeyCode::Char(c) => {
            if text.chars().count() < 2000 {
                text.push(c);
            }
            true
        }
        KeyCode::Backspace => text.pop().is_some(),
        _ => false,
    }
}

fn submit(state: &mut State, kind: PromptKind, input: String, now: DateTime<Utc>) -> Vec<Effect> {
    let text = input.trim().to_string();
    match kind {
        PromptKind::Filter(_) => Vec::new(),
        PromptKind::Silence => super::silences::submit(state, input, now),
        PromptKind::HypothesisText
        | PromptKind::HypothesisAction
        | PromptKind::HypothesisBox
        | PromptKind::HypothesisExtend
        | PromptKind::HypothesisLearned
        | PromptKind::OverrideReason => super::hypotheses_update::submit(state, kind, input, now),
        PromptKind::Note => {
            if text.is_empty() {
                return Vec::new();
            }
            vec![record(state, Event::Note { text })]
        }
        PromptKind::Rename => {
            let same = state.incident.as_ref().is_some_and(|i| i.title == text);
            if text.is_empty() || same {
                return Vec::new();
            }
            vec![record(state, Event::TitleChanged { title: text })]
        }
        PromptKind::Declare => {
            if text.is_empty() {
                state.mode = Mode::Prompt {
                    kind,
                    input,
                    error: Some("A title, please: what is broken, for whom?".into()),
                };
                return Vec::new();
            }
            vec![declare(state, text, now)]
        }
        PromptKind::ImpactStart => match parse_when(&text, now, state.settings.local_offset) {
            Ok(at) if at > now => {
                state.mode = Mode::Prompt {
                    kind,
                    input,
                    error: Some("That is in the future".into()),
                };
                Vec::new()
            }
            Ok(at) => vec![record(state, Event::ImpactStarted { at })],
            Err(e) => {
                state.mode = Mode::Prompt {
                    kind,
                    input,
                    error: Some(e),
                };
                Vec::new()
            }
        },
    }
}
