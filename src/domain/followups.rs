//! What the incident leaves for afterwards: follow-up action items and the
//! entries pinned as important (the postmortem's Action Items and
//! Highlights). Both are folded from entries, so the TUI, `firebreak
//! followups` and the export agree, and a team's shared incident has one
//! list (entries are told apart by hash, unique across feeds).

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{Entry, Event};

/// The kinds of the Google SRE postmortem's action items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpKind {
    /// Make this incident's fix last or its impact smaller next time.
    Mitigate,
    /// Stop it (or its kind) from happening again.
    Prevent,
    /// Change how we work (paging, runbooks, reviews).
    Process,
}

impl FollowUpKind {
    pub const ALL: [FollowUpKind; 3] = [
        FollowUpKind::Mitigate,
        FollowUpKind::Prevent,
        FollowUpKind::Process,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpKind::Mitigate => "mitigate",
            FollowUpKind::Prevent => "prevent",
            FollowUpKind::Process => "process",
        }
    }

    /// `mitigate`, `prevent`, `process`, or a prefix that names one
    /// (`mit`, `prev`, `proc`; `m` alone is mitigate).
    pub fn parse(s: &str) -> Option<FollowUpKind> {
        let s = s.to_ascii_lowercase();
        if s.is_empty() {
            return None;
        }
        let matching: Vec<FollowUpKind> = FollowUpKind::ALL
            .into_iter()
            .filter(|k| k.as_str().starts_with(&s))
            .collect();
        match matching.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }
}

impl std::fmt::Display for FollowUpKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One action item, as the entry that captured it says.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUp {
    /// Stable across exports and machines: the start of the entry's hash
    /// (a tool that files tickets can use it to file each once).
    pub id: String,
    pub kind: FollowUpKind,
    pub text: String,
    pub owner: Option<String>,
    pub due: Option<NaiveDate>,
    /// Who captured it, and when.
    pub by: String,
    pub at: DateTime<Utc>,
    pub seq: u64,
}

/// How many hex digits of the entry hash make a follow-up's id.
const ID_LEN: usize = 12;

/// The follow-ups of `entries`, in the order they were captured.
pub fn follow_ups(entries: &[Entry]) -> Vec<FollowUp> {
    entries
        .iter()
        .filter_map(|e| match &e.event {
            Event::FollowUpAdded {
                kind,
                text,
                owner,
                due,
            } => Some(FollowUp {
                id: e.hash.get(..ID_LEN).unwrap_or(&e.hash).to_string(),
                kind: *kind,
                text: text.clone(),
                owner: owner.clone(),
                due: *due,
                by: e.actor.clone(),
                at: e.ts,
                seq: e.seq,
            }),
            _ => None,
        })
        .collect()
}

/// The hashes of the entries pinned now (the latest pin or unpin of each
/// wins).
pub fn pinned_hashes(entries: &[Entry]) -> std::collections::HashSet<&str> {
    let mut latest: HashMap<&str, bool> = HashMap::new();
    for e in entries {
        if let Event::Pinned { entry, pinned, .. } = &e.event {
            latest.insert(entry.as_str(), *pinned);
        }
    }
    latest
        .into_iter()
        .filter_map(|(h, on)| on.then_some(h))
        .collect()
}

/// The pinned entries, in the order they happened (the Highlights).
pub fn highlights(entries: &[Entry]) -> Vec<&Entry> {
    let pinned = pinned_hashes(entries);
    if pinned.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<&Entry> = entries
        .iter()
        .filter(|e| pinned.contains(e.hash.as_str()))
        .collect();
    out.sort_by_key(|e| e.happened_at());
    out
}

/// What the responder typed for a follow-up, read:
/// `[kind:] text [@owner] [due:2026-12-10 | due:7d]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Typed {
    pub kind: FollowUpKind,
    /// The kind was not said (prevent was assumed).
    pub kind_assumed: bool,
    pub text: String,
    pub owner: Option<String>,
    pub due: Option<NaiveDate>,
}

/// Read a typed follow-up; `today` resolves `due:7d`. An error says what
/// to type instead.
pub fn parse_typed(input: &str, today: NaiveDate) -> Result<Typed, String> {
    let mut rest = input.trim();
    let mut kind = None;
    if let Some((head, tail)) = rest.split_once(':') {
        if !head.contains(char::is_whitespace) {
            if let Some(k) = FollowUpKind::parse(head.trim()) {
                kind = Some(k);
                rest = tail.trim_start();
            }
        }
    }
    let mut owner = None;
    let mut due = None;
    let mut words = Vec::new();
    for w in rest.split_whitespace() {
        if let Some(name) = w.strip_prefix('@').filter(|n| !n.is_empty()) {
            owner = Some(name.to_string());
        } else if let Some(d) = w.strip_prefix("due:") {
            due = Some(parse_due(d, today)?);
        } else {
            words.push(w);
        }
    }
    let text = words.join(" ");
    if text.is_empty() {
        return Err(
            "What should be done? e.g. prevent: alert on queue depth @bob due:7d".to_string(),
        );
    }
    Ok(Typed {
        kind: kind.unwrap_or(FollowUpKind::Prevent),
        kind_assumed: kind.is_none(),
        text,
        owner,
        due,
    })
}

fn parse_due(s: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d);
    }
    let days = s
        .strip_suffix('d')
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| (0..=3650).contains(n))
        .ok_or_else(|| format!("due:{s}: use due:2026-12-10 or due:7d (days from today)"))?;
    Ok(today + Duration::days(days))
}

/// The one-line description of a [`Event::FollowUpAdded`].
pub fn describe(event: &Event) -> String {
    let Event::FollowUpAdded {
        kind,
        text,
        owner,
        due,
    } = event
    else {
        return String::new();
    };
    let mut tags = vec![kind.to_string()];
    if let Some(o) = owner {
        tags.push(format!("owner {o}"));
    }
    if let Some(d) = due {
        tags.push(format!("due {d}"));
    }
    format!("Follow-up ({}): {text}", tags.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_typed_follow_up_is_read_with_its_kind_owner_and_due_date() {
        let today = day("2026-12-02");
        let t = parse_typed("prev: alert on queue depth @bob due:7d", today).unwrap();
        assert_eq!(t.kind, FollowUpKind::Prevent);
        assert!(!t.kind_assumed);
        assert_eq!(t.text, "alert on queue depth");
        assert_eq!(t.owner.as_deref(), Some("bob"));
        assert_eq!(t.due, Some(day("2026-12-09")));
        let t = parse_typed("m: pin the client version due:2026-12-24", today).unwrap();
        assert_eq!(t.kind, FollowUpKind::Mitigate);
        assert_eq!(t.due, Some(day("2026-12-24")));
        // No kind: prevent, and it says it assumed it.
        let t = parse_typed("write the runbook for db failover", today).unwrap();
        assert_eq!((t.kind, t.kind_assumed), (FollowUpKind::Prevent, true));
        // A colon in the text is not a kind.
        let t = parse_typed("fix retries: they double the load", today).unwrap();
        assert_eq!(t.text, "fix retries: they double the load");
        // "p" names two kinds: not a kind, part of the text.
        let t = parse_typed("p: x", today).unwrap();
        assert!(t.kind_assumed);
        assert!(parse_typed("process: @bob", today).is_err());
        assert!(parse_typed("proc: page the db team due:soon", today)
            .unwrap_err()
            .contains("due:7d"));
    }

    fn entry(seq: u64, hash: &str, event: Event) -> Entry {
        Entry {
            seq,
            ts: DateTime::from_timestamp(1_700_000_000 + seq as i64 * 60, 0).unwrap(),
            prev: String::new(),
            actor: "ann".into(),
            event,
            hash: hash.into(),
        }
    }

    #[test]
    fn the_latest_pin_or_unpin_wins_and_highlights_are_in_the_order_things_happened() {
        let note = |t: &str| Event::Note {
            text: t.into(),
            at: None,
        };
        let pin = |h: &str, on: bool| Event::Pinned {
            entry: h.into(),
            pinned: on,
            what: String::new(),
        };
        let mut backfilled = entry(
            3,
            "c",
            Event::Note {
                text: "customers reported".into(),
                at: None,
            },
        );
        backfilled.event = Event::Note {
            text: "customers reported".into(),
            at: Some(DateTime::from_timestamp(1_700_000_000, 0).unwrap()),
        };
        let entries = vec![
            entry(1, "a", note("first")),
            entry(2, "b", note("second")),
            backfilled,
            entry(4, "p1", pin("a", true)),
            entry(5, "p2", pin("b", true)),
            entry(6, "p3", pin("a", false)),
            entry(7, "p4", pin("c", true)),
        ];
        let h: Vec<u64> = highlights(&entries).iter().map(|e| e.seq).collect();
        assert_eq!(h, vec![3, 2], "a unpinned; the backfilled note first");
    }
}
