//! The command palette: fuzzy search over every action, setting, alert
//! and flag.

use fuzzy_matcher::skim::SkimMatcherV2;
use fuzzy_matcher::FuzzyMatcher;

use super::incident::{Severity, Status};
use super::State;
use crate::action::Action;

/// What choosing a palette item does.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Action(Action),
    SetSeverity(Severity),
    SetStatus(Status),
    /// Jump to an alert (by fingerprint) and open its details.
    Alert(String),
    /// Jump to a flag and offer to flip it.
    Flag(String),
    /// Start a playbook (input form first).
    Playbook(String),
    /// Open a playbook run.
    PlaybookRun(String),
}

/// One row of the palette.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub kind: &'static str,
    pub label: String,
    pub hint: String,
    pub command: Command,
}

/// Palette input and the current matches (computed by `update`, so the
/// view only renders).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PaletteState {
    pub query: String,
    pub selected: usize,
    /// Every item, gathered once when the palette opens.
    pub items: Vec<Item>,
    /// The text each item is matched against ("label kind").
    pub texts: Vec<String>,
    /// The best matches (at most [`SHOWN`]), best first, with matched
    /// char positions in `label`.
    pub matches: Vec<(Item, Vec<usize>)>,
    /// How many items match in all.
    pub total: usize,
}

/// How many matches the palette keeps (it shows a screenful).
pub const SHOWN: usize = 200;

impl PaletteState {
    pub fn open(items: Vec<Item>) -> PaletteState {
        let texts: Vec<String> = items
            .iter()
            .map(|it| format!("{} {}", it.label, it.kind))
            .collect();
        let (matches, total) = search("", &items, &texts);
        PaletteState {
            query: String::new(),
            selected: 0,
            items,
            texts,
            matches,
            total,
        }
    }

    /// Re-run the search after the query changed.
    pub fn research(&mut self) {
        let (matches, total) = search(&self.query, &self.items, &self.texts);
        self.matches = matches;
        self.total = total;
        self.selected = 0;
    }
}

/// Every palette item for the current state.
pub fn items(state: &State) -> Vec<Item> {
    let mut out = Vec::new();
    for a in Action::ALL {
        if matches!(
            a,
            Action::Up
                | Action::Down
                | Action::PageUp
                | Action::PageDown
                | Action::Top
                | Action::Bottom
                | Action::Back
                | Action::OpenPalette
                | Action::Quit
        ) {
            continue;
        }
        out.push(Item {
            kind: "action",
            label: a.description().to_string(),
            hint: state.keymap.hint(*a).unwrap_or_default(),
            command: Command::Action(*a),
        });
    }
    for s in Severity::ALL {
        out.push(Item {
            kind: "severity",
            label: format!("Set severity {s}"),
            hint: s.meaning().to_string(),
            command: Command::SetSeverity(s),
        });
    }
    for s in Status::ALL {
        out.push(Item {
            kind: "status",
            label: format!("Set status {s}"),
            hint: s.meaning().to_string(),
            command: Command::SetStatus(s),
        });
    }
    for a in &state.alerts {
        out.push(Item {
            kind: "alert",
            label: format!("{} {} {}", a.name(), a.service(), a.summary()),
            hint: a.severity().to_string(),
            command: Command::Alert(a.fingerprint.clone()),
        });
    }
    for f in &state.flags {
        out.push(Item {
            kind: "flag",
            label: format!("Flag {} ({})", f.name, if f.enabled { "on" } else { "off" }),
            hint: f.provider.clone(),
            command: Command::Flag(f.name.clone()),
        });
    }
    out.extend(super::playbooks::palette_items(state));
    // Last, so that `:` Enter never quits by accident.
    out.push(Item {
        kind: "action",
        label: Action::Quit.description().to_string(),
        hint: state.keymap.hint(Action::Quit).unwrap_or_default(),
        command: Command::Action(Action::Quit),
    });
    out
}

/// Fuzzy-match `query` over `items`, best first. An empty query keeps the
/// natural order.
pub fn search(query: &str, items: &[Item], texts: &[String]) -> (Vec<(Item, Vec<usize>)>, usize) {
    if query.is_empty() {
        let shown = items
            .iter()
            .take(SHOWN)
            .map(|i| (i.clone(), Vec::new()))
            .collect();
        return (shown, items.len());
    }
    let quick = super::lists::Subsequence::new(query);
    let matcher = SkimMatcherV2::default().smart_case();
    // Cheap yes/no first, then score only the candidates.
    let mut scored: Vec<(i64, usize)> = texts
        .iter()
        .enumerate()
        .filter_map(|(n, t)| {
            if !quick.matches(t) {
                return None;
            }
            matcher.fuzzy_match(t, query).map(|score| (score, n))
        })
        .collect();
    let total = scored.len();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let shown = scored
        .into_iter()
        .take(SHOWN)
        .filter_map(|(_, n)| {
            let it = items.get(n)?;
            let label_len = it.label.chars().count();
            let idx = matcher
                .fuzzy_indices(texts.get(n)?, query)
                .map(|(_, idx)| idx.into_iter().filter(|i| *i < label_len).collect())
                .unwrap_or_default();
            Some((it.clone(), idx))
        })
        .collect();
    (shown, total)
}
