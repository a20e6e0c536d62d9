//! The command palette: fuzzy search over every action, setting, alert
//! and flag. Its keys are in `update.rs`.

mod update;

pub(super) use update::on_key;

use fuzzy_matcher::skim::SkimMatcherV2;
use fuzzy_matcher::FuzzyMatcher;

use super::State;
use crate::action::Action;
use crate::domain::incident::{Severity, Status};

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
    /// Take, release or hand on a role.
    Role(super::roles::RoleChoice),
    /// Chart a rule's expression (a pending alert's).
    Chart {
        rule: String,
        query: String,
    },
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
    /// Every item matching `last_query` (typing on only narrows this).
    pub candidates: Vec<usize>,
    pub last_query: String,
}

/// How many matches the palette keeps (it shows a screenful).
pub const SHOWN: usize = 200;

impl PaletteState {
    pub fn open(items: Vec<Item>) -> PaletteState {
        let texts: Vec<String> = items
            .iter()
            .map(|it| format!("{} {}", it.label, it.kind))
            .collect();
        let all: Vec<usize> = (0..items.len()).collect();
        let (matches, candidates) = search("", &items, &texts, &all);
        PaletteState {
            query: String::new(),
            selected: 0,
            total: candidates.len(),
            last_query: String::new(),
            items,
            texts,
            matches,
            candidates,
        }
    }

    /// Re-run the search after the query changed. Typing one more
    /// character only narrows the previous matches, so the usual case
    /// looks at what still matches, not at every item.
    pub fn research(&mut self) {
        let narrowing = !self.last_query.is_empty() && self.query.starts_with(&self.last_query);
        let pool: Vec<usize> = if narrowing {
            std::mem::take(&mut self.candidates)
        } else {
            (0..self.items.len()).collect()
        };
        let (matches, candidates) = search(&self.query, &self.items, &self.texts, &pool);
        self.total = candidates.len();
        self.matches = matches;
        self.candidates = candidates;
        self.last_query = self.query.clone();
        self.selected = 0;
    }
}

/// Every palette item for the current state.
pub fn items(state: &State) -> Vec<Item> {
    let mut out = Vec::new();
    for a in Action::all() {
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
                // The keys of other input modes act on what those show.
                | Action::Submit
                | Action::Cancel
                | Action::ClearLine
                | Action::DeleteWord
                | Action::NextField
                | Action::PrevField
                | Action::NextChoice
                | Action::PrevChoice
                | Action::OpenLink
                | Action::OpenGeneratorLink
                | Action::CopyLink
                | Action::CopyGeneratorLink
        ) {
            continue;
        }
        out.push(Item {
            kind: "action",
            label: a.description().to_string(),
            hint: state.keymap.hint(a).unwrap_or_default(),
            command: Command::Action(a),
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
    for a in state.alerts.items.iter() {
        // Who it paged, so that "pagerduty" finds what went there.
        let paged = state
            .alerts
            .routing
            .as_ref()
            .map(|r| r.tree.receivers_for(&a.labels))
            .filter(|r| !r.is_empty())
            .map(|r| format!(" · paged {}", r.join(", ")))
            .unwrap_or_default();
        out.push(Item {
            kind: "alert",
            label: format!("{} {} {}{paged}", a.name(), a.service(), a.summary()),
            hint: a.severity().to_string(),
            command: Command::Alert(a.fingerprint.clone()),
        });
    }
    // What is about to fire: choosing one charts its rule.
    for p in state.rules.pending() {
        out.push(Item {
            kind: "pending",
            label: format!(
                "About to fire: {} {} (pending; fires after {})",
                p.rule, p.labels, p.for_text
            ),
            hint: "chart".into(),
            command: Command::Chart {
                rule: p.rule.clone(),
                query: p.query.clone(),
            },
        });
    }
    for f in &state.flags.items {
        out.push(Item {
            kind: "flag",
            label: format!("Flag {} ({})", f.name, if f.enabled { "on" } else { "off" }),
            hint: f.provider.clone(),
            command: Command::Flag(f.name.clone()),
        });
    }
    out.extend(playbook_items(state));
    // What the roles chooser offers, one command each.
    for c in super::roles::choices(state) {
        let (label, hint) = super::roles::describe_choice(state, &c);
        out.push(Item {
            kind: "role",
            label: format!("Role: {label}"),
            hint,
            command: Command::Role(c),
        });
    }
    // Last, so that `:` Enter never quits by accident.
    out.push(Item {
        kind: "action",
        label: Action::Quit.description().to_string(),
        hint: state.keymap.hint(Action::Quit).unwrap_or_default(),
        command: Command::Action(Action::Quit),
    });
    out
}

/// Palette items: every playbook, every run.
fn playbook_items(state: &State) -> Vec<Item> {
    let alert = state.selected_alert();
    let mut out = Vec::new();
    for p in &state.playbooks.catalog {
        out.push(Item {
            kind: "playbook",
            label: format!("Run playbook {}: {}", p.name, p.title),
            hint: if alert.is_some_and(|a| {
                crate::state::playbooks::applies_to_alert(p, &state.playbooks.catalog, a)
            }) {
                "suggested".into()
            } else {
                p.tags.join(" ")
            },
            command: Command::Playbook(p.name.clone()),
        });
    }
    for r in state.playbooks.runs.iter().rev() {
        let (done, _, skipped, total) = r.counts();
        out.push(Item {
            kind: "run",
            label: format!(
                "Open run {} of {} ({}/{total} steps settled)",
                r.id,
                r.playbook,
                done + skipped
            ),
            hint: if r.is_active() {
                "in progress".into()
            } else {
                "finished".into()
            },
            command: Command::PlaybookRun(r.id.clone()),
        });
    }
    out
}

/// Search `pool` (indices into `items`/`texts`) for `query`: the best
/// [`SHOWN`] matches, best first, and every matching index in order. An
/// empty query keeps the natural order.
///
/// Each word of the query must match one word of the item, and how well
/// it does decides the rank: the whole word (`theme` in "Switch colour
/// theme"), the start of a word, inside a word or across a dash, then
/// its letters in order within ONE word (`exprt` in "Export"). Letters
/// scattered over several words do not match at all (`silence` does not
/// find "Quit (asks while the incident is open)"). Ties go to the item
/// whose first match comes earlier, then to the fuzzy scorer.
pub fn search(
    query: &str,
    items: &[Item],
    texts: &[String],
    pool: &[usize],
) -> (Vec<(Item, Vec<usize>)>, Vec<usize>) {
    if query.trim().is_empty() {
        let shown = pool
            .iter()
            .take(SHOWN)
            .filter_map(|n| items.get(*n))
            .map(|i| (i.clone(), Vec::new()))
            .collect();
        return (shown, pool.to_vec());
    }
    let words: Vec<Vec<char>> = query
        .split_whitespace()
        .map(|w| w.to_lowercase().chars().collect())
        .collect();
    let matcher = SkimMatcherV2::default().smart_case();
    let mut scored: Vec<((i64, i64), usize, Vec<usize>)> = pool
        .iter()
        .filter_map(|&n| {
            let t = texts.get(n)?;
            let (rank, pos) = rank(&words, t)?;
            let fuzzy = matcher.fuzzy_match(t, query).unwrap_or(0);
            Some(((rank, fuzzy), n, pos))
        })
        .collect();
    let candidates: Vec<usize> = scored.iter().map(|(_, n, _)| *n).collect();
    let by_rank = |a: &((i64, i64), usize, Vec<usize>), b: &((i64, i64), usize, Vec<usize>)| {
        b.0.cmp(&a.0).then(a.1.cmp(&b.1))
    };
    if scored.len() > SHOWN {
        scored.select_nth_unstable_by(SHOWN, by_rank);
        scored.truncate(SHOWN);
    }
    scored.sort_by(by_rank);
    let shown = scored
        .into_iter()
        .filter_map(|(_, n, pos)| {
            let it = items.get(n)?;
            let label_len = it.label.chars().count();
            Some((
                it.clone(),
                pos.into_iter().filter(|i| *i < label_len).collect(),
            ))
        })
        .collect();
    (shown, candidates)
}

/// How well a match of one query word is: the whole word, its start,
/// inside it, its letters in order within it.
const WHOLE: i64 = 4000;
const PREFIX: i64 = 3000;
const INSIDE: i64 = 2000;
const LETTERS: i64 = 1000;

/// Characters that end a word ("rollback:" is the word "rollback";
/// dashes and dots stay inside: "new-checkout-flow", "v2.14.0").
fn word_char(c: char) -> bool {
    !c.is_whitespace()
        && !matches!(
            c,
            '(' | ')' | '[' | ']' | '{' | '}' | ':' | ',' | ';' | '"' | '\'' | '`'
        )
}

/// The rank of `text` for the query `words` (lowercase), and the char
/// positions matched; None when a query word matches no word of it.
fn rank(words: &[Vec<char>], text: &str) -> Option<(i64, Vec<usize>)> {
    let chars: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    if chars.len() != text.chars().count() {
        // A character whose lowercase is longer: compare as written.
        return rank_in(words, &text.chars().collect::<Vec<_>>());
    }
    rank_in(words, &chars)
}

fn rank_in(words: &[Vec<char>], chars: &[char]) -> Option<(i64, Vec<usize>)> {
    // The text's words as (start, end) char ranges.
    let mut spans = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if word_char(chars[i]) {
            let start = i;
            while i < chars.len() && word_char(chars[i]) {
                i += 1;
            }
            spans.push((start, i));
        } else {
            i += 1;
        }
    }
    let mut total = 0;
    let mut positions = Vec::new();
    for q in words {
        let mut best: Option<(i64, Vec<usize>)> = None;
        for (wi, &(a, b)) in spans.iter().enumerate() {
            let w = &chars[a..b];
            let found = if w == q.as_slice() {
                Some((WHOLE, (a..b).collect()))
            } else if w.starts_with(q) {
                Some((PREFIX, (a..a + q.len()).collect()))
            } else if let Some(at) = w.windows(q.len().max(1)).position(|x| x == q.as_slice()) {
                Some((INSIDE, (a + at..a + at + q.len()).collect()))
            } else {
                letters(q, w).map(|p| (LETTERS, p.into_iter().map(|x| a + x).collect()))
            };
            if let Some((tier, pos)) = found {
                // An earlier word wins a tie (the command's name first).
                let score = tier - (wi as i64).min(50) * 10;
                if best.as_ref().is_none_or(|(s, _)| score > *s) {
                    best = Some((score, pos));
                }
            }
        }
        let (score, pos) = best?;
        total += score;
        positions.extend(pos);
    }
    positions.sort_unstable();
    positions.dedup();
    Some((total, positions))
}

/// Positions of `q`'s letters, in order, within the word `w`.
fn letters(q: &[char], w: &[char]) -> Option<Vec<usize>> {
    let mut out = Vec::with_capacity(q.len());
    let mut from = 0;
    for c in q {
        let at = w[from..].iter().position(|x| x == c)? + from;
        out.push(at);
        from = at + 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(label: &str) -> Item {
        Item {
            kind: "alert",
            label: label.to_string(),
            hint: String::new(),
            command: Command::Alert(label.to_string()),
        }
    }

    #[test]
    fn typing_on_narrows_to_the_same_answer_as_a_fresh_search() {
        let labels = [
            "HighErrorRate checkout",
            "LatencyHigh checkout",
            "DiskSpaceLow indexer",
            "CheckoutDown",
        ];
        let mut p = PaletteState::open(labels.iter().map(|l| item(l)).collect());
        for q in ["c", "ch", "che", "chec", "check", "checko"] {
            p.query = q.into();
            p.research();
            let mut fresh = PaletteState::open(labels.iter().map(|l| item(l)).collect());
            fresh.query = q.into();
            fresh.research();
            assert_eq!(p.matches, fresh.matches, "query {q}");
            assert_eq!(p.total, fresh.total);
        }
        // Deleting a character searches everything again.
        p.query = "d".into();
        p.research();
        assert_eq!(p.total, 2, "{:?}", p.matches);
    }
}
