//! Keymap: TOML tables mapping key names to action names, one table per
//! input mode ([`Layer`]: `[keys]` for normal mode, `[alert_details]`,
//! `[playbook_run]`, `[prompt]`, `[chooser]`, `[palette]`, `[help]`,
//! `[form]`). The built-in map (assets/keymap.toml) is overlaid by the
//! user's file; every key of every mode is here, so help, the footer and
//! `firebreak keys` show them all and users can rebind any of them.
//!
//! Why one file of this length: key names, layers and bindings read together; past 500 lines because of its tests.

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

/// An input mode's own bindings. Each is a table of the keymap file
/// (`[keys]` is the normal mode). Confirmations are not a layer: their
/// keys are fixed (`y`/`enter` yes, `n`/`esc`/`q` no) so that no
/// rebinding can turn a stray key into a yes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    Normal,
    AlertDetails,
    PlaybookRun,
    Prompt,
    Chooser,
    Palette,
    Help,
    Form,
    /// The status update editor.
    Editor,
}

impl Layer {
    pub const ALL: [Layer; 9] = [
        Layer::Normal,
        Layer::AlertDetails,
        Layer::PlaybookRun,
        Layer::Prompt,
        Layer::Chooser,
        Layer::Palette,
        Layer::Help,
        Layer::Form,
        Layer::Editor,
    ];

    /// Its table in keymap files.
    pub fn table(self) -> &'static str {
        match self {
            Layer::Normal => "keys",
            Layer::AlertDetails => "alert_details",
            Layer::PlaybookRun => "playbook_run",
            Layer::Prompt => "prompt",
            Layer::Chooser => "chooser",
            Layer::Palette => "palette",
            Layer::Help => "help",
            Layer::Form => "form",
            Layer::Editor => "editor",
        }
    }

    /// Its heading in help.
    pub fn title(self) -> &'static str {
        match self {
            Layer::Normal => "Everywhere",
            Layer::AlertDetails => "Alert details",
            Layer::PlaybookRun => "Playbook run view (before the keys above)",
            Layer::Prompt => "Prompts and typed confirmations (other keys type)",
            Layer::Chooser => "Choosers (digits pick directly)",
            Layer::Palette => "Command palette (other keys type)",
            Layer::Help => "This help",
            Layer::Form => "Playbook input form (other keys type)",
            Layer::Editor => "Status update editor (other keys type; enter: new line, arrows move)",
        }
    }

    /// The layer consulted when this one has no binding for a key.
    pub fn fallback(self) -> Option<Layer> {
        match self {
            Layer::PlaybookRun => Some(Layer::Normal),
            _ => None,
        }
    }
}

/// The fixed keys of yes/no confirmations, for help and `firebreak keys`.
pub const CONFIRM_KEYS: [(&str, &str); 2] = [
    ("y enter", "Yes: do it"),
    ("n esc q", "No: do nothing (any other key is ignored)"),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeymapFile {
    #[serde(default)]
    keys: BTreeMap<String, toml::Spanned<String>>,
    #[serde(default)]
    alert_details: BTreeMap<String, toml::Spanned<String>>,
    #[serde(default)]
    playbook_run: BTreeMap<String, toml::Spanned<String>>,
    #[serde(default)]
    prompt: BTreeMap<String, toml::Spanned<String>>,
    #[serde(default)]
    chooser: BTreeMap<String, toml::Spanned<String>>,
    #[serde(default)]
    palette: BTreeMap<String, toml::Spanned<String>>,
    #[serde(default)]
    help: BTreeMap<String, toml::Spanned<String>>,
    #[serde(default)]
    form: BTreeMap<String, toml::Spanned<String>>,
    #[serde(default)]
    editor: BTreeMap<String, toml::Spanned<String>>,
}

impl KeymapFile {
    fn into_layers(self) -> Vec<(Layer, BTreeMap<String, toml::Spanned<String>>)> {
        vec![
            (Layer::Normal, self.keys),
            (Layer::AlertDetails, self.alert_details),
            (Layer::PlaybookRun, self.playbook_run),
            (Layer::Prompt, self.prompt),
            (Layer::Chooser, self.chooser),
            (Layer::Palette, self.palette),
            (Layer::Help, self.help),
            (Layer::Form, self.form),
            (Layer::Editor, self.editor),
        ]
    }
}

/// One layer's bindings grouped by action: (action, key names).
pub type Bindings = Vec<(Action, Vec<String>)>;

/// Key -> action bindings, one table per [`Layer`].
#[derive(Debug, Clone, Default)]
pub struct Keymap {
    bindings: BTreeMap<Layer, BTreeMap<Key, Action>>,
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
        let parsed: KeymapFile = crate::error::parse_toml(file, src)?;
        let mut next = self.bindings.clone();
        for (layer, keys) in parsed.into_layers() {
            let table = next.entry(layer).or_default();
            for (key_name, action) in keys {
                let line = Some(line_of(src, action.span().start));
                let field = format!("{}.{key_name}", layer.table());
                let key = Key::parse(&key_name)
                    .map_err(|m| FileError::new(file, line, Some(&field), m))?;
                let name = action.get_ref().as_str();
                if name == "none" {
                    table.remove(&key);
                    continue;
                }
                let action = Action::from_name(name).ok_or_else(|| {
                    FileError::new(
                        file,
                        line,
                        Some(&field),
                        format!("unknown action `{name}` (run `firebreak keys` for the list)"),
                    )
                })?;
                table.insert(key, action);
            }
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

    /// The action of a key in normal mode.
    pub fn action_for(&self, ev: &KeyEvent) -> Option<Action> {
        self.action_in(Layer::Normal, ev)
    }

    /// The action of a key in `layer` (then in its fallback layer).
    pub fn action_in(&self, layer: Layer, ev: &KeyEvent) -> Option<Action> {
        let key = Key::from_event(ev)?;
        let mut at = Some(layer);
        while let Some(l) = at {
            if let Some(a) = self.bindings.get(&l).and_then(|t| t.get(&key)) {
                return Some(*a);
            }
            at = l.fallback();
        }
        None
    }

    /// Keys bound to `action` in normal mode, as displayed names.
    pub fn keys_for(&self, action: Action) -> Vec<String> {
        self.keys_in(Layer::Normal, action)
    }

    /// Keys bound to `action` in `layer` itself, as displayed names.
    pub fn keys_in(&self, layer: Layer, action: Action) -> Vec<String> {
        self.bindings
            .get(&layer)
            .into_iter()
            .flatten()
            .filter(|(_, a)| **a == action)
            .map(|(k, _)| k.display())
            .collect()
    }

    /// The key to show for `action` in normal mode, for hints.
    pub fn hint(&self, action: Action) -> Option<String> {
        self.hint_in(Layer::Normal, action)
    }

    /// The key to show for `action` in `layer` (or its fallback).
    pub fn hint_in(&self, layer: Layer, action: Action) -> Option<String> {
        let mut at = Some(layer);
        while let Some(l) = at {
            let keys = self.keys_in(l, action);
            // Cancel and accept read best as esc and enter; otherwise
            // prefer a single printable key, then an arrow, over ctrl
            // combos and other named keys.
            let conventional = match action {
                Action::Cancel => keys.iter().find(|k| *k == "esc"),
                Action::Submit => keys.iter().find(|k| *k == "enter"),
                _ => None,
            };
            if let Some(k) = conventional
                .or_else(|| keys.iter().find(|k| k.chars().count() == 1))
                .or_else(|| {
                    keys.iter()
                        .find(|k| matches!(k.as_str(), "up" | "down" | "left" | "right"))
                })
                .or(keys.first())
            {
                return Some(k.clone());
            }
            at = l.fallback();
        }
        None
    }

    /// Normal-mode bindings grouped by action, in [`Action::all`] order.
    pub fn by_action(&self) -> Bindings {
        self.by_action_in(Layer::Normal)
    }

    /// One layer's bindings grouped by action, in [`Action::all`] order.
    pub fn by_action_in(&self, layer: Layer) -> Bindings {
        Action::all()
            .map(|a| (a, self.keys_in(layer, a)))
            .filter(|(_, k)| !k.is_empty())
            .collect()
    }

    /// Every layer with its bindings, as help and `firebreak keys` show
    /// them.
    pub fn listing(&self) -> Vec<(Layer, Bindings)> {
        Layer::ALL
            .iter()
            .map(|l| (*l, self.by_action_in(*l)))
            .filter(|(_, b)| !b.is_empty())
            .collect()
    }
}

/// The listing `firebreak keys` prints: every mode's bindings, the fixed
/// confirmation keys, and every action name (bound or not) for keymap
/// files.
pub fn table(km: &Keymap) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for (layer, bindings) in km.listing() {
        let _ = writeln!(out, "[{}]  {}", layer.table(), layer.title());
        let _ = writeln!(out, "  {:<20} {:<22} DESCRIPTION", "KEYS", "ACTION");
        for (a, keys) in bindings {
            let _ = writeln!(
                out,
                "  {:<20} {:<22} {}",
                keys.join(" "),
                a.name(),
                a.description()
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "confirmations (fixed)");
    for (keys, what) in CONFIRM_KEYS {
        let _ = writeln!(out, "  {keys:<20} {what}");
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "every action (for keymap files; bind to \"none\" to unbind a key)"
    );
    for a in Action::all() {
        let _ = writeln!(out, "  {:<22} {}", a.name(), a.description());
    }
    out
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

    #[test]
    fn every_action_is_bound_in_some_layer_of_the_builtin_keymap() {
        let km = Keymap::builtin();
        for a in Action::all() {
            let bound = Layer::ALL.iter().any(|l| !km.keys_in(*l, a).is_empty());
            assert!(bound, "{} is not bound in assets/keymap.toml", a.name());
        }
    }

    #[test]
    fn layers_rebind_alone_and_fall_back_only_where_said() {
        let mut km = Keymap::builtin();
        km.overlay(
            Path::new("u.toml"),
            "[alert_details]\n\"o\" = \"none\"\n\"b\" = \"open_link\"\n[playbook_run]\n\"x\" = \"skip_step\"\n",
        )
        .unwrap();
        let key = |c| ev(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(km.action_in(Layer::AlertDetails, &key('o')), None);
        assert_eq!(
            km.action_in(Layer::AlertDetails, &key('b')),
            Some(Action::OpenLink)
        );
        // Normal mode is untouched by the details' bindings.
        assert_eq!(km.action_in(Layer::Normal, &key('o')), Some(Action::FlagOn));
        // The run view looks at its own layer first, then normal mode.
        assert_eq!(
            km.action_in(Layer::PlaybookRun, &key('x')),
            Some(Action::SkipStep)
        );
        assert_eq!(
            km.action_in(Layer::PlaybookRun, &key('n')),
            Some(Action::AddNote)
        );
        // Prompts do not fall back: a letter types, it never acts.
        assert_eq!(km.action_in(Layer::Prompt, &key('B')), None);
        assert_eq!(
            km.hint_in(Layer::Help, Action::Cancel).as_deref(),
            Some("esc")
        );
    }

    #[test]
    fn an_unknown_table_is_an_error_naming_it() {
        let mut km = Keymap::builtin();
        let err = km
            .overlay(Path::new("k.toml"), "[confirm]\n\"x\" = \"submit\"\n")
            .unwrap_err();
        assert!(err.message.contains("confirm"), "{}", err.message);
    }
}
