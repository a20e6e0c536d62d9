//! Keymap: TOML `[keys]` tables mapping key names to action names.
//! The built-in map (assets/keymap.toml) is overlaid by the user's file.

use std::collections::BTreeMap;
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

use crate::action::Action;
use crate::error::{line_of, FileError};

const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

/// A key with its modifiers, normalised so that `G` and `shift-g` match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCodeOrd,
    pub ctrl: bool,
    pub alt: bool,
}

/// `KeyCode` subset that can be ordered (for a stable help screen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeOrd {
    Char(char),
    F(u8),
    Named(u8),
}

const NAMED: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("shift-tab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("insert", KeyCode::Insert),
];

impl Key {
    /// Parse `ctrl-p`, `G`, `?`, `shift-tab`, `f1`, `space`...
    pub fn parse(s: &str) -> Result<Key, String> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            if lower.len() > 5 && lower.starts_with("ctrl-") {
                ctrl = true;
                rest = &rest[5..];
            } else if lower.len() > 4 && lower.starts_with("alt-") {
                alt = true;
                rest = &rest[4..];
            } else {
                break;
            }
        }
        let lower = rest.to_ascii_lowercase();
        let code = if let Some(i) = NAMED.iter().position(|(n, _)| *n == lower) {
            KeyCodeOrd::Named(i as u8)
        } else if lower == "space" {
            KeyCodeOrd::Char(' ')
        } else if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
            if !(1..=12).contains(&n) {
                return Err(format!("no such function key `{rest}`"));
            }
            KeyCodeOrd::F(n)
        } else if let Some(c) = lower.strip_prefix("shift-").and_then(single_char) {
            KeyCodeOrd::Char(c.to_ascii_uppercase())
        } else if let Some(c) = single_char(rest) {
            // Ctrl combinations arrive as lowercase letters.
            KeyCodeOrd::Char(if ctrl { c.to_ascii_lowercase() } else { c })
        } else {
            return Err(format!(
                "unknown key `{s}` (try a, G, ?, ctrl-p, alt-x, tab, shift-tab, enter, esc, space, up, pagedown, f1)"
            ));
        };
        Ok(Key { code, ctrl, alt })
    }

    /// The key a terminal event stands for.
    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let alt = ev.modifiers.contains(KeyModifiers::ALT);
        let code = match ev.code {
            KeyCode::Char(c) => KeyCodeOrd::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            KeyCode::F(n) => KeyCodeOrd::F(n),
            other => KeyCodeOrd::Named(NAMED.iter().position(|(_, k)| *k == other)? as u8),
        };
        Some(Key { code, ctrl, alt })
    }

    /// Human name, as written in keymap files.
    pub fn display(&self) -> String {
        let mut s = String::new();
        if self.ctrl {
            s.push_str("ctrl-");
        }
        if self.alt {
            s.push_str("alt-");
        }
        match self.code {
            KeyCodeOrd::Char(' ') => s.push_str("space"),
            KeyCodeOrd::Char(c) => s.push(c),
            KeyCodeOrd::F(n) => s.push_str(&format!("f{n}")),
            KeyCodeOrd::Named(i) => s.push_str(NAMED.get(i as usize).map_or("?", |n| n.0)),
        }
        s
    }
}

fn single_char(s: &str) -> Option<char> {
    let mut it = s.chars();
    let c = it.next()?;
    it.next().is_none().then_some(c)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeymapFile {
    #[serde(default)]
    keys: BTreeMap<String, toml::Spanned<String>>,
}

/// Key -> action bindings.
#[derive(Debug, Clone, Default)]
pub struct Keymap {
    bindings: BTreeMap<Key, Action>,
}

impl Keymap {
    /// The built-in keymap.
    pub fn builtin() -> Keymap {
        let mut km = Keymap::default();
        // The built-in file is part of the binary and covered by a test.
        let _ = km.overlay(Path::new("<built-in keymap>"), DEFAULT_KEYMAP);
        km
    }

    /// Lay a keymap file's bindings over this one. On error nothing is
    /// changed and the error names the file, line and field.
    pub fn overlay(&mut self, file: &Path, src: &str) -> Result<(), FileError> {
        let parsed: KeymapFile =
            toml::from_str(src).map_err(|e| FileError::from_toml(file, src, &e))?;
        let mut next = self.bindings.clone();
        for (key_name, action) in parsed.keys {
            let line = Some(line_of(src, action.span().start));
            let key = Key::parse(&key_name)
                .map_err(|m| FileError::new(file, line, Some(&format!("keys.{key_name}")), m))?;
            let name = action.get_ref().as_str();
            if name == "none" {
                next.remove(&key);
                continue;
            }
            let action: Action = serde_json::from_value(serde_json::Value::String(name.into()))
                .map_err(|_| {
                    FileError::new(
                        file,
                        line,
                        Some(&format!("keys.{key_name}")),
                        format!("unknown action `{name}` (run `firebreak keys` for the list)"),
                    )
                })?;
            next.insert(key, action);
        }
        self.bindings = next;
        Ok(())
    }

    /// Built-in map overlaid by the user's file, if any. A bad user file
    /// leaves the built-in map and returns the error as a notice.
    pub fn load(user: Option<&Path>) -> (Keymap, Option<FileError>) {
        let mut km = Keymap::builtin();
        let Some(path) = user else {
            return (km, None);
        };
        match std::fs::read_to_string(path) {
            Ok(src) => match km.overlay(path, &src) {
                Ok(()) => (km, None),
                Err(e) => (km, Some(e)),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (km, None),
            Err(e) => (km, Some(FileError::new(path, None, None, e.to_string()))),
        }
    }

    pub fn action_for(&self, ev: &KeyEvent) -> Option<Action> {
        self.bindings.get(&Key::from_event(ev)?).copied()
    }

    /// Keys bound to `action`, as displayed names.
    pub fn keys_for(&self, action: Action) -> Vec<String> {
        self.bindings
            .iter()
            .filter(|(_, a)| **a == action)
            .map(|(k, _)| k.display())
            .collect()
    }

    /// The first key bound to `action`, for hints.
    pub fn hint(&self, action: Action) -> Option<String> {
        let keys = self.keys_for(action);
        // Prefer a single printable key over ctrl combos and named keys.
        keys.iter()
            .find(|k| k.chars().count() == 1)
            .or(keys.first())
            .cloned()
    }

    /// Every binding grouped by action, in `Action::ALL` order.
    pub fn by_action(&self) -> Vec<(Action, Vec<String>)> {
        Action::ALL
            .iter()
            .map(|a| (*a, self.keys_for(*a)))
            .filter(|(_, k)| !k.is_empty())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn builtin_keymap_parses_and_binds_the_essentials() {
        let mut km = Keymap::default();
        km.overlay(Path::new("builtin"), DEFAULT_KEYMAP).unwrap();
        let km2 = Keymap::builtin();
        assert_eq!(km.bindings, km2.bindings);
        assert_eq!(
            km.action_for(&ev(KeyCode::Char('q'), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        assert_eq!(
            km.action_for(&ev(KeyCode::Char('p'), KeyModifiers::CONTROL)),
            Some(Action::OpenPalette)
        );
        assert_eq!(
            km.action_for(&ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            km.action_for(&ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::PrevPane)
        );
        assert_eq!(
            km.action_for(&ev(KeyCode::Down, KeyModifiers::NONE)),
            Some(Action::Down)
        );
        assert_eq!(
            km.action_for(&ev(KeyCode::Char(' '), KeyModifiers::NONE)),
            Some(Action::ToggleFlag)
        );
    }

    #[test]
    fn user_overlay_rebinds_and_unbinds() {
        let mut km = Keymap::builtin();
        km.overlay(
            Path::new("u.toml"),
            "[keys]\n\"Q\" = \"quit\"\n\"q\" = \"none\"\n",
        )
        .unwrap();
        assert_eq!(
            km.action_for(&ev(KeyCode::Char('q'), KeyModifiers::NONE)),
            None
        );
        assert_eq!(
            km.action_for(&ev(KeyCode::Char('Q'), KeyModifiers::SHIFT)),
            Some(Action::Quit)
        );
    }

    #[test]
    fn bad_action_names_file_line_and_field_and_changes_nothing() {
        let mut km = Keymap::builtin();
        let before = km.bindings.clone();
        let err = km
            .overlay(
                Path::new("k.toml"),
                "[keys]\n\"a\" = \"quit\"\n\"z\" = \"explode\"\n",
            )
            .unwrap_err();
        assert_eq!(err.line, Some(3));
        assert_eq!(err.field.as_deref(), Some("keys.z"));
        assert!(err.message.contains("explode"));
        assert_eq!(km.bindings, before);
    }

    #[test]
    fn bad_key_name_is_reported() {
        let mut km = Keymap::builtin();
        let err = km
            .overlay(Path::new("k.toml"), "[keys]\n\"hyper-x\" = \"quit\"\n")
            .unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("unknown key"), "{}", err.message);
    }

    #[test]
    fn key_names_round_trip() {
        for name in [
            "q",
            "G",
            "?",
            "ctrl-p",
            "alt-x",
            "tab",
            "shift-tab",
            "enter",
            "space",
            "f1",
            "pagedown",
        ] {
            assert_eq!(Key::parse(name).unwrap().display(), name);
        }
    }
}
