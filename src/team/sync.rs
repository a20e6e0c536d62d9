//! Offline-first sharing of one incident: send this responder's feed,
//! receive everyone's, keep what was received on disk.
//!
//! A [`Sync`] owns, for one incident:
//! - this responder's journal (read only here: the cockpit or a headless
//!   command writes it, under the journal's locks);
//! - a mirror of every row received from the database, in arrival order
//!   (`<data>/incidents/<id>.jsonl.team`, one JSON object per line,
//!   fsync'd): what the incident looked like at the last contact, readable
//!   offline, and the cursor to catch up from.
//!
//! [`Sync::round`] sends what the database does not have yet (it asks,
//! so nothing is lost when a previous send's answer was: pushes are
//! idempotent) and receives everything after the cursor. Each received
//! row is checked ([`super::verify::Feeds`]) before it is believed; a row
//! that fails is kept in the mirror as rejected, with why, and reported.
//! With the database down a round fails and changes nothing: the journal
//! keeps everything, and the next round sends it.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::db::{SharedIncident, Team};
use super::keys::Identity;
use super::verify::Feeds;
use super::{Arrived, Fork, Row, TeamError};
use crate::domain::{Entry, Event};
use crate::timeline::journal;

/// Rows asked for at once.
const PAGE: i64 = 1000;

/// One line of the mirror.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Mirrored {
    arrival: i64,
    author: String,
    seq: i64,
    prev: String,
    hash: String,
    sig: String,
    line: String,
    /// Why the row was not believed; `None`: it checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rejected: Option<String>,
}

/// An entry received from another responder, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub arrival: i64,
    /// The author's key (hex).
    pub author: String,
    pub entry: Entry,
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Round {
    /// This responder's entries the database now has that it did not.
    pub sent: usize,
    /// Other responders' entries, checked, in arrival order.
    pub received: Vec<Received>,
    /// Rows that did not check: (arrival, why).
    pub rejected: Vec<(i64, String)>,
    /// Entries of this responder's feed that the database holds
    /// differently (the feed was forked).
    pub forks: Vec<Fork>,
}

pub struct Sync {
    incident: String,
    me: Identity,
    journal: PathBuf,
    mirror: PathBuf,
    /// Last arrival received.
    cursor: i64,
    feeds: Feeds,
    /// The highest seq of this responder the database is known to have.
    acked: i64,
    /// This responder's journal as read so far (lines kept byte for
    /// byte), and how far: each round reads only what is new.
    local: Vec<(Entry, String)>,
    local_len: u64,
}

/// `<id>.jsonl` → `<id>.jsonl.team` (not a `.jsonl`: incident listings
/// do not take it for a journal).
pub fn mirror_path(journal: &Path) -> PathBuf {
    let mut name = journal.as_os_str().to_owned();
    name.push(".team");
    PathBuf::from(name)
}

impl Sync {
    /// Sharing the incident of `journal` (this responder's own feed) as
    /// `me`. Reads the mirror (what was received before): the entries of
    /// others it holds are returned, checked again, so a restart shows
    /// them at once, with the database down too.
    pub fn open(
        incident: &str,
        me: Identity,
        journal: &Path,
    ) -> Result<(Sync, Vec<Received>), String> {
        let mirror = mirror_path(journal);
        let mut sync = Sync {
            incident: incident.to_string(),
            me,
            journal: journal.to_path_buf(),
            mirror,
            cursor: 0,
            feeds: Feeds::default(),
            acked: 0,
            local: Vec::new(),
            local_len: 0,
        };
        let mut received = Vec::new();
        let text = match std::fs::read_to_string(&sync.mirror) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(format!(
                    "cannot read the team mirror: {e}: {}",
                    sync.mirror.display()
                ))
            }
        };
        for (i, line) in text.lines().enumerate() {
            // A torn last line (a crash mid-write) is dropped: the rows it
            // held are received again from the cursor before it.
            let Ok(m) = serde_json::from_str::<Mirrored>(line) else {
                tracing::warn!(
                    "{}: line {} unreadable, ignored (received again)",
                    sync.mirror.display(),
                    i + 1
                );
                break;
            };
            sync.cursor = m.arrival;
            if m.rejected.is_some() {
                continue;
            }
            if let Some(r) = sync.believe_mirrored(m.arrival, &row_of(&m)).ok().flatten() {
                received.push(r);
            }
        }
        Ok((sync, received))
    }

    /// This responder's author id.
    pub fn author(&self) -> String {
        self.me.author()
    }

    /// How many of this responder's entries the database is not known to
    /// have (what the header shows as "N to send").
    pub fn unsent(&mut self) -> Result<usize, String> {
        self.refresh_local()?;
        Ok(self
            .local
            .iter()
            .filter(|(e, _)| e.seq as i64 > self.acked)
            .count())
    }

    /// Read what was appended to this responder's journal since the last
    /// look (all of it again if the file was rewritten).
    fn refresh_local(&mut self) -> Result<(), String> {
        let (lines, len) =
            journal::read_lines_from(&self.journal, self.local_len).map_err(|e| e.to_string())?;
        if len < self.local_len {
            self.local.clear();
        }
        self.local.extend(lines);
        self.local_len = len;
        Ok(())
    }

    /// Send what is not in the database yet, receive what arrived since
    /// the cursor. An error changes nothing (offline: try again later).
    pub async fn round(&mut self, team: &mut Team) -> Result<Round, TeamError> {
        let mut out = Round::default();
        let author = self.me.author();
        self.refresh_local().map_err(TeamError::Config)?;
        if let Some((first, _)) = self.local.first() {
            let pending: Vec<Row> = self
                .local
                .iter()
                .filter(|(e, _)| e.seq as i64 > self.acked)
                .map(|(e, line)| Row {
                    author: author.clone(),
                    seq: e.seq as i64,
                    prev: e.prev.clone(),
                    hash: e.hash.clone(),
                    sig: self.me.sign(&self.incident, e.seq as i64, &e.hash),
                    line: line.clone(),
                })
                .collect();
            if !pending.is_empty() {
                let pushed = team.push(&shared(&self.incident, first), &pending).await?;
                out.sent = pushed.inserted.len();
                out.forks = pushed.forks;
                self.acked = pending.last().map_or(self.acked, |r| r.seq);
            }
        }
        loop {
            let page = team.pull(&self.incident, self.cursor, PAGE).await?;
            let n = page.len() as i64;
            self.keep(&page, &mut out)?;
            if n < PAGE {
                break;
            }
        }
        Ok(out)
    }

    /// Check and mirror a page of rows (fsync'd once), then move the
    /// cursor past it.
    fn keep(&mut self, page: &[Arrived], out: &mut Round) -> Result<(), TeamError> {
        if page.is_empty() {
            return Ok(());
        }
        let mut buf = String::new();
        let rows: Vec<&Row> = page.iter().map(|a| &a.row).collect();
        let checked = self.feeds.accept_all(&self.incident, &rows);
        for (a, entry) in page.iter().zip(checked) {
            let believed = entry.map(|e| self.received(a.arrival, &a.row, e));
            let rejected = match believed {
                Ok(Some(r)) => {
                    out.received.push(r);
                    None
                }
                Ok(None) => None,
                Err(why) => {
                    out.rejected.push((a.arrival, why.clone()));
                    Some(why)
                }
            };
            let m = Mirrored {
                arrival: a.arrival,
                author: a.row.author.clone(),
                seq: a.row.seq,
                prev: a.row.prev.clone(),
                hash: a.row.hash.clone(),
                sig: a.row.sig.clone(),
                line: a.row.line.clone(),
                rejected,
            };
            buf.push_str(&serde_json::to_string(&m).unwrap_or_default());
            buf.push('\n');
        }
        append_synced(&self.mirror, buf.as_bytes()).map_err(TeamError::Config)?;
        if let Some(last) = page.last() {
            self.cursor = last.arrival;
        }
        Ok(())
    }

    /// Check a row of the mirror against its feed (its signature was
    /// checked on arrival): `Ok(Some)` another responder's entry,
    /// `Ok(None)` one of ours (already in our journal), `Err` why it is
    /// not believed.
    fn believe_mirrored(&mut self, arrival: i64, row: &Row) -> Result<Option<Received>, String> {
        let entry = self.feeds.accept_mirrored(&self.incident, row)?;
        Ok(self.received(arrival, row, entry))
    }

    fn received(&mut self, arrival: i64, row: &Row, entry: Entry) -> Option<Received> {
        if row.author == self.me.author() {
            self.acked = self.acked.max(row.seq);
            return None;
        }
        Some(Received {
            arrival,
            author: row.author.clone(),
            entry,
        })
    }
}

fn row_of(m: &Mirrored) -> Row {
    Row {
        author: m.author.clone(),
        seq: m.seq,
        prev: m.prev.clone(),
        hash: m.hash.clone(),
        sig: m.sig.clone(),
        line: m.line.clone(),
    }
}

/// The incident as registered, from its declaration (the first entry of
/// the declaring responder's feed).
fn shared(id: &str, first: &Entry) -> SharedIncident {
    let title = match &first.event {
        Event::IncidentDeclared { title, .. } => title.clone(),
        _ => id.to_string(),
    };
    SharedIncident {
        id: id.to_string(),
        title,
        declared_at: first.ts,
        declared_by: first.actor.clone(),
    }
}

fn append_synced(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut f: File = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot write the team mirror: {e}: {}", path.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_data())
        .map_err(|e| format!("cannot write the team mirror: {e}: {}", path.display()))
}

/// One responder's feed, as the export reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedReport {
    /// Their name on the timeline (the actor of their first entry).
    pub responder: String,
    pub author: String,
    /// Entries received and believed.
    pub entries: usize,
    /// Rows of theirs that did not check, with why (empty: verified).
    pub rejected: Vec<String>,
}

/// A shared incident as this responder knows it: every believed entry in
/// arrival order (the same order on every client), then this
/// responder's entries the database does not have yet.
#[derive(Debug, Clone, Default)]
pub struct Merged {
    pub entries: Vec<Entry>,
    pub feeds: Vec<FeedReport>,
    /// This responder's entries not sent yet.
    pub unsent: usize,
}

/// Merge the journal with its mirror (no database needed). `None` when
/// the incident was never shared (no mirror).
pub fn merged(journal: &Path, incident: &str) -> Result<Option<Merged>, String> {
    let mirror = mirror_path(journal);
    let text = match std::fs::read_to_string(&mirror) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(format!(
                "cannot read the team mirror: {e}: {}",
                mirror.display()
            ))
        }
    };
    let mut feeds = Feeds::default();
    let mut out = Merged::default();
    let mut reports: std::collections::BTreeMap<String, FeedReport> = Default::default();
    let mut seen = std::collections::HashSet::new();
    for line in text.lines() {
        let Ok(m) = serde_json::from_str::<Mirrored>(line) else {
            break;
        };
        let report = reports
            .entry(m.author.clone())
            .or_insert_with(|| FeedReport {
                responder: String::new(),
                author: m.author.clone(),
                entries: 0,
                rejected: Vec::new(),
            });
        let checked = match &m.rejected {
            Some(why) => Err(why.clone()),
            None => feeds.accept_mirrored(incident, &row_of(&m)),
        };
        match checked {
            Ok(entry) => {
                if report.responder.is_empty() {
                    report.responder = entry.actor.clone();
                }
                report.entries += 1;
                seen.insert(entry.hash.clone());
                out.entries.push(entry);
            }
            Err(why) => report.rejected.push(why),
        }
    }
    let local = journal::read_lines(journal).map_err(|e| e.to_string())?;
    for (entry, _) in local {
        if !seen.contains(&entry.hash) {
            out.unsent += 1;
            out.entries.push(entry);
        }
    }
    out.feeds = reports.into_values().collect();
    Ok(Some(out))
}
