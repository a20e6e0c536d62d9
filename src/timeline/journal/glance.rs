//! Which incident to resume, without replaying every journal: a glance
//! reads a journal's declaration, its last entry and only the lines that
//! say whether it is still open and who left it (found by searching the
//! bytes for their kinds), not the thousands of alerts and notes between.
//! Starting the cockpit with a 100,000-entry incident (and months of
//! resolved ones beside it) read and verified every journal in full, then
//! the chosen one again; now only the chosen one is read in full, once.
//!
//! A glance does not verify hashes: it only picks the journal, which is
//! then opened (and verified) as always.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use memchr::memmem;

use super::{parse_line, read_bytes, JournalError};
use crate::domain::incident::{Incident, Status};
use crate::domain::Event;

/// What choosing the incident to resume needs to know about a journal.
#[derive(Debug, Clone, PartialEq)]
pub struct Glance {
    pub id: String,
    pub path: PathBuf,
    pub demo: bool,
    /// Not resolved (its last status change, or as declared).
    pub open: bool,
    /// Responders who left it and have not joined again.
    pub left: BTreeSet<String>,
    /// The last entry's time: the incident's last activity.
    pub last_ts: DateTime<Utc>,
}

/// The kinds that change what a glance says, as the journal writes them.
const NEEDLES: [&[u8]; 3] = [
    br#""kind":"status_changed""#,
    br#""kind":"team_left""#,
    br#""kind":"team_joined""#,
];

/// Glance at one journal. `None` when it does not start with a
/// declaration (or a join) or has no readable entry.
pub fn glance(path: &Path) -> Result<Option<Glance>, JournalError> {
    let bytes = read_bytes(path)?;
    let mut lines = bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty());
    let Some(first) = lines.next().and_then(|l| parse_line(l).ok()) else {
        return Ok(None);
    };
    let Some(declared) = Incident::from_declaration(&first) else {
        return Ok(None);
    };
    let mut open = declared.is_open();
    let mut left = BTreeSet::new();
    // The lines to read, in file order.
    let mut at: Vec<usize> = NEEDLES
        .iter()
        .flat_map(|n| memmem::find_iter(&bytes, n))
        .collect();
    at.sort_unstable();
    let mut done_to = 0;
    for hit in at {
        if hit < done_to {
            continue;
        }
        let start = memchr::memrchr(b'\n', &bytes[..hit]).map_or(0, |i| i + 1);
        let end = memchr::memchr(b'\n', &bytes[hit..]).map_or(bytes.len(), |i| hit + i);
        done_to = end;
        let Ok(entry) = parse_line(&bytes[start..end]) else {
            continue;
        };
        match &entry.event {
            Event::StatusChanged { to, .. } => open = *to != Status::Resolved,
            Event::TeamLeft { .. } => {
                left.insert(entry.actor.clone());
            }
            Event::TeamJoined { .. } => {
                left.remove(&entry.actor);
            }
            _ => {}
        }
    }
    // The last whole entry (a torn tail is skipped).
    let last_ts = bytes
        .rsplit(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .take(3)
        .find_map(|l| parse_line(l).ok())
        .map_or(first.ts, |e| e.ts);
    let id = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_string();
    Ok(Some(Glance {
        id,
        path: path.to_path_buf(),
        demo: declared.demo,
        open,
        left,
        last_ts,
    }))
}

/// Glances at every journal of `data_dir`, most recently active first
/// (the order of [`super::list`]). Journals that cannot be read are
/// skipped with a warning.
pub fn glance_all(data_dir: &Path) -> Result<Vec<Glance>, JournalError> {
    let mut out = Vec::new();
    for path in super::journal_paths(data_dir)? {
        match glance(&path) {
            Ok(Some(g)) => out.push(g),
            Ok(None) => tracing::warn!(
                "skipping {}: does not start with an incident declaration",
                path.display()
            ),
            Err(e) => tracing::warn!("skipping journal: {e}"),
        }
    }
    out.sort_by(|a, b| b.last_ts.cmp(&a.last_ts).then_with(|| b.id.cmp(&a.id)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::incident::Severity;
    use crate::timeline::journal::{self, Journal};
    use chrono::TimeZone;

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 14, 0, 0).unwrap() + chrono::Duration::minutes(min)
    }

    fn status(from: Status, to: Status) -> Event {
        Event::StatusChanged { from, to }
    }

    /// A glance says what a full replay says: open or not, who left, the
    /// last activity; text that merely looks like a status change does
    /// not count.
    #[test]
    fn a_glance_agrees_with_the_full_replay() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::create(dir.path(), "inc-a").unwrap();
        j.append(
            at(0),
            "ann",
            Event::IncidentDeclared {
                id: "inc-a".into(),
                title: "A".into(),
                severity: Severity::Sev2,
                demo: false,
            },
        )
        .unwrap();
        let path = j.path().to_path_buf();
        let check = |want_open: bool, want_left: &[&str], last: i64| {
            let g = glance(&path).unwrap().unwrap();
            let full = journal::list(dir.path()).unwrap().remove(0);
            assert_eq!(g.open, full.incident.is_open());
            assert_eq!(g.open, want_open);
            assert_eq!(g.left, full.incident.left);
            let want: BTreeSet<String> = want_left.iter().map(|s| s.to_string()).collect();
            assert_eq!(g.left, want);
            assert_eq!(g.last_ts, at(last));
            assert_eq!((g.id.as_str(), g.demo), ("inc-a", false));
        };
        check(true, &[], 0);
        j.append(
            at(1),
            "ann",
            status(Status::Investigating, Status::Resolved),
        )
        .unwrap();
        check(false, &[], 1);
        // A note quoting the kind is not a status change.
        let fake = r#"{"kind":"status_changed","from":"resolved","to":"investigating"}"#;
        j.append(
            at(2),
            "ann",
            Event::Note {
                text: fake.into(),
                at: None,
            },
        )
        .unwrap();
        check(false, &[], 2);
        j.append(at(3), "bob", status(Status::Resolved, Status::Monitoring))
            .unwrap();
        j.append(at(4), "bob", Event::TeamLeft { id: "inc-a".into() })
            .unwrap();
        check(true, &["bob"], 4);
        j.append(
            at(5),
            "bob",
            Event::TeamJoined {
                id: "inc-a".into(),
                title: "A".into(),
                severity: Severity::Sev2,
                declared_by: "ann".into(),
                declared_at: at(0),
            },
        )
        .unwrap();
        check(true, &[], 5);
    }
}
