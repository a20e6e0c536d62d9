//! Append-only, fsync'd, hash-chained JSON Lines journal (one per incident).
//!
//! # File format
//!
//! `<data_dir>/incidents/<id>.jsonl`, one [`Entry`] per line, each line
//! ending in `\n`. A line is the compact JSON of the entry *without* its
//! `hash` field (the "body", fields in the order `seq, ts, prev, actor,
//! event`), with `,"hash":"<hex sha256 of the body>"` spliced in before the
//! closing `}`. `prev` is the hash of the previous line's entry (64 zeros for
//! the first) and `seq` counts from 1, so removing, reordering or editing a
//! line is detected by [`read`].
//!
//! # Durability
//!
//! [`Journal::append`] writes one line with a single `write` and calls
//! `fsync` (`sync_data`) before it returns. If the write or the fsync fails
//! the in-memory chain is not advanced and the file is truncated back to its
//! previous length (best effort), so a retry produces a correct chain.
//! [`Journal::open`] repairs a torn last line (crash mid-write) by copying
//! its bytes to `<id>.jsonl.torn-<UTC time>` before truncating it away: no
//! byte is ever thrown away, and no complete entry is ever lost.
//!
//!
//! # More than one writer
//!
//! One cockpit writes an incident (it holds the writer lock,
//! [`lock::claim`]); a second one follows it read-only ([`Follower`]).
//! Headless commands append too. Every append takes the append lock on the
//! file, reads what others appended since ([`Journal::take_foreign`]) and
//! continues the chain after it, so the lines of two processes never
//! interleave and the chain stays whole.
//!
//! Why one file of this length: the durability rules (append, fsync, torn tail, hash chain, listing) must be read together; verification is in journal/verify.rs, locks in journal/lock.rs, following in journal/follow.rs.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::domain::incident::Incident;
use crate::domain::{Entry, Event};
use chrono::{DateTime, Utc};
use serde::Serialize;

mod follow;
pub mod glance;
pub mod lock;
mod verify;

pub use follow::Follower;
use lock::{lock_append, WriterLock, APPEND_WAIT};
pub use lock::{Claim, Holder};
use verify::{continue_chain, hash_body, scan, Tail};

/// The `prev` of the first entry of every journal.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// File name extension of journals.
pub const EXTENSION: &str = "jsonl";

/// `,"hash":"` + 64 hex digits + `"}`.
const HASH_SUFFIX_LEN: usize = 9 + 64 + 2;

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    // The cause first, then the path: a message cut to the width of a
    // notice still says what went wrong.
    #[error("{source}: {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{message}: {path}")]
    Invalid { path: PathBuf, message: String },
}

impl JournalError {
    /// True when `create` failed because the journal already exists.
    pub fn is_already_exists(&self) -> bool {
        matches!(self, JournalError::Io { source, .. } if source.kind() == io::ErrorKind::AlreadyExists)
    }
}

pub(super) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> JournalError + '_ {
    move |source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A problem found while reading a journal. Never fatal: every complete,
/// valid entry is still returned.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// 1-based line number in the journal file.
    pub line: usize,
    pub message: String,
}

/// What reading a journal found.
///
/// `entries` holds every complete line that parses as an entry, in file
/// order, *including* entries that have problems (a modified entry is still
/// shown, flagged by a [`Problem`] with its line number).
#[derive(Debug, Clone, Default)]
pub struct Replay {
    pub entries: Vec<Entry>,
    pub problems: Vec<Problem>,
    /// Where a torn last line was set aside, if there was one.
    pub set_aside: Option<PathBuf>,
}

impl Replay {
    pub fn chain_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Summary of one recorded incident, for `firebreak incident list`.
#[derive(Debug, Clone)]
pub struct IncidentSummary {
    /// The journal's file stem (what `export --id` takes).
    pub id: String,
    pub path: PathBuf,
    pub incident: Incident,
    pub entries: usize,
    /// Timestamp of the last entry: the incident's last activity.
    pub last_ts: DateTime<Utc>,
    pub chain_ok: bool,
}

impl IncidentSummary {
    /// The summary of the journal at `path`, read as `replay`. `None`
    /// when it does not start with a declaration.
    pub fn of(path: &Path, replay: &Replay) -> Option<IncidentSummary> {
        let incident = Incident::replay(&replay.entries)?;
        let last = replay.entries.last()?;
        Some(IncidentSummary {
            id: path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string(),
            last_ts: last.ts,
            entries: replay.entries.len(),
            chain_ok: replay.chain_ok(),
            incident,
            path: path.to_path_buf(),
        })
    }
}

/// An open journal, positioned after its last entry.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    /// Length of the file after the last complete line we know of.
    len: u64,
    /// Lines in those `len` bytes (to name a line in an error).
    lines: usize,
    last_seq: u64,
    last_hash: String,
    /// A failed append could not be rolled back: retry before writing.
    needs_truncate: bool,
    /// Entries other processes appended, read before our own append.
    foreign: Vec<Entry>,
    /// The writer lock, when this is the cockpit that writes the incident.
    writer: Option<WriterLock>,
}

/// The entry as hashed: every field but `hash`, in file order.
#[derive(Serialize)]
struct Body<'a> {
    seq: u64,
    ts: DateTime<Utc>,
    prev: &'a str,
    actor: &'a str,
    event: &'a Event,
}

impl Journal {
    /// Create a new, empty journal `<data_dir>/incidents/<id>.jsonl`
    /// (directories 0700, file 0600). Fails if it already exists
    /// ([`JournalError::is_already_exists`]); see [`Journal::create_unique`].
    pub fn create(data_dir: &Path, id: &str) -> Result<Journal, JournalError> {
        let dir = incidents_dir(data_dir);
        let path = journal_path(data_dir, id);
        if !valid_id(id) {
            return Err(JournalError::Invalid {
                path,
                message: format!(
                    "invalid incident id '{id}': use letters, digits, '-', '_' and '.' only"
                ),
            });
        }
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(io_err(&dir))?;
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(io_err(&path))?;
        sync_dir(&dir);
        Ok(Journal {
            path,
            file,
            len: 0,
            lines: 0,
            last_seq: 0,
            last_hash: GENESIS_HASH.to_string(),
            needs_truncate: false,
            foreign: Vec::new(),
            writer: None,
        })
    }

    /// Create `<id>`, or `<id>-2`, `<id>-3`, ... when taken (two incidents
    /// declared in the same second). The id used is [`Journal::id`]; put it
    /// in the [`Event::IncidentDeclared`] entry.
    pub fn create_unique(data_dir: &Path, id: &str) -> Result<Journal, JournalError> {
        let mut n = 1;
        loop {
            let candidate = if n == 1 {
                id.to_string()
            } else {
                format!("{id}-{n}")
            };
            match Journal::create(data_dir, &candidate) {
                Err(e) if e.is_already_exists() && n < 1000 => n += 1,
                other => return other,
            }
        }
    }

    /// Open an existing journal for appending, after reading it like
    /// [`read`]. A torn last line (no trailing newline, or not parseable) is
    /// copied to `<file>.torn-<UTC time>` (0600) and truncated away; the
    /// returned [`Replay`] records where (`set_aside`) and has a
    /// [`Problem`] describing it. Appends continue the chain after the last
    /// entry that was read. Waits (briefly) for another process's append
    /// to finish first.
    pub fn open(path: &Path) -> Result<(Journal, Replay), JournalError> {
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .map_err(io_err(path))?;
        lock_append(&file, path, APPEND_WAIT)?;
        let opened = Journal::open_locked(path, file);
        if let Ok((j, _)) = &opened {
            let _ = j.file.unlock();
        }
        opened
    }

    fn open_locked(path: &Path, file: File) -> Result<(Journal, Replay), JournalError> {
        let bytes = read_bytes(path)?;
        let mut scan = scan(&bytes);
        let mut len = bytes.len() as u64;
        match scan.tail {
            Tail::Clean => {}
            Tail::MissingNewline => {
                // The last entry is complete and valid; only its newline was
                // lost. Finish the line instead of setting it aside.
                (&file).write_all(b"\n").map_err(io_err(path))?;
                file.sync_data().map_err(io_err(path))?;
                len += 1;
            }
            Tail::Torn { line, start } => {
                if scan.replay.entries.is_empty() && bytes[..start].contains(&b'\n') {
                    return Err(JournalError::Invalid {
                        path: path.to_path_buf(),
                        message: "not a firebreak journal (no line is an entry); not opening it"
                            .to_string(),
                    });
                }
                let torn = &bytes[start..];
                let aside = set_aside(path, torn)?;
                file.set_len(start as u64).map_err(io_err(path))?;
                file.sync_all().map_err(io_err(path))?;
                len = start as u64;
                scan.replay.problems.push(Problem {
                    line,
                    message: format!(
                        "torn last line ({} bytes) set aside to {}",
                        torn.len(),
                        aside.display()
                    ),
                });
                scan.replay.set_aside = Some(aside);
            }
        }
        let (last_seq, last_hash) = match scan.replay.entries.last() {
            Some(e) => (e.seq, e.hash.clone()),
            None => (0, GENESIS_HASH.to_string()),
        };
        let lines = bytes[..len.min(bytes.len() as u64) as usize]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        let journal = Journal {
            path: path.to_path_buf(),
            file,
            len,
            lines,
            last_seq,
            last_hash,
            needs_truncate: false,
            foreign: Vec::new(),
            writer: None,
        };
        Ok((journal, scan.replay))
    }

    /// Append one entry and fsync it. On error nothing is advanced (and a
    /// partly written line is truncated away, best effort): retrying is safe.
    ///
    /// Under the append lock: what other processes appended since is read
    /// first (see [`Journal::take_foreign`]) and the entry follows it.
    pub fn append(
        &mut self,
        ts: DateTime<Utc>,
        actor: &str,
        event: Event,
    ) -> Result<Entry, JournalError> {
        lock_append(&self.file, &self.path, APPEND_WAIT)?;
        let appended = self.append_locked(ts, actor, event);
        let _ = self.file.unlock();
        appended
    }

    fn append_locked(
        &mut self,
        ts: DateTime<Utc>,
        actor: &str,
        event: Event,
    ) -> Result<Entry, JournalError> {
        let mut entries = self.append_all_locked(vec![(ts, actor.to_string(), event)])?;
        entries.pop().ok_or_else(|| JournalError::Invalid {
            path: self.path.clone(),
            message: "nothing appended".into(),
        })
    }

    /// Append several entries with one write and one fsync (group commit:
    /// an alert storm's transitions cost one fsync per batch, not one
    /// each). All or nothing: on error none is advanced and the lines are
    /// truncated away, so retrying any of them is safe.
    pub fn append_batch(
        &mut self,
        items: Vec<(DateTime<Utc>, String, Event)>,
    ) -> Result<Vec<Entry>, JournalError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        lock_append(&self.file, &self.path, APPEND_WAIT)?;
        let appended = self.append_all_locked(items);
        let _ = self.file.unlock();
        appended
    }

    fn append_all_locked(
        &mut self,
        items: Vec<(DateTime<Utc>, String, Event)>,
    ) -> Result<Vec<Entry>, JournalError> {
        self.absorb()?;
        let mut seq = self.last_seq;
        let mut last_hash = self.last_hash.clone();
        let mut text = String::new();
        let mut entries = Vec::with_capacity(items.len());
        for (ts, actor, event) in items {
            seq += 1;
            let body = serde_json::to_string(&Body {
                seq,
                ts,
                prev: &last_hash,
                actor: &actor,
                event: &event,
            })
            .map_err(|e| JournalError::Invalid {
                path: self.path.clone(),
                message: format!("cannot encode entry: {e}"),
            })?;
            let hash = hash_body(&body.as_bytes()[..body.len() - 1]);
            text.reserve(body.len() + HASH_SUFFIX_LEN + 1);
            text.push_str(&body[..body.len() - 1]);
            text.push_str(",\"hash\":\"");
            text.push_str(&hash);
            text.push_str("\"}\n");
            entries.push(Entry {
                seq,
                ts,
                prev: std::mem::replace(&mut last_hash, hash.clone()),
                actor,
                event,
                hash,
            });
        }
        let written = (&self.file)
            .write_all(text.as_bytes())
            .and_then(|()| self.file.sync_data());
        if let Err(source) = written {
            // The lines may be partly (or wholly) on disk: roll them back
            // so a retry does not follow a torn or duplicate line.
            if self.rollback().is_err() {
                self.needs_truncate = true;
            }
            return Err(JournalError::Io {
                path: self.path.clone(),
                source,
            });
        }
        self.len += text.len() as u64;
        self.lines += entries.len();
        self.last_seq = seq;
        self.last_hash = last_hash;
        Ok(entries)
    }

    fn rollback(&self) -> io::Result<()> {
        if self.file.metadata()?.is_file() {
            self.file.set_len(self.len)?;
            self.file.sync_data()?;
        }
        Ok(())
    }

    /// Under the append lock, before writing: finish an earlier failed
    /// rollback, then take in what other writers appended since (a torn
    /// line of one that crashed is set aside). Refuse to write after
    /// anything that does not continue the chain.
    fn absorb(&mut self) -> Result<(), JournalError> {
        if self.needs_truncate {
            self.rollback().map_err(io_err(&self.path))?;
            self.needs_truncate = false;
        }
        let meta = self.file.metadata().map_err(io_err(&self.path))?;
        if !meta.is_file() || meta.len() == self.len {
            return Ok(());
        }
        if meta.len() < self.len {
            return Err(self.changed(format!(
                "shortened by something else since it was opened (expected {} bytes, found {})",
                self.len,
                meta.len()
            )));
        }
        let mut new = vec![0; usize::try_from(meta.len() - self.len).unwrap_or(0)];
        self.file
            .read_exact_at(&mut new, self.len)
            .map_err(io_err(&self.path))?;
        let prev = (self.last_seq > 0).then(|| (self.last_seq, self.last_hash.clone()));
        let found = continue_chain(&new, prev);
        self.len += found.consumed as u64;
        self.lines += found.entries.len();
        if let Some(last) = found.entries.last() {
            self.last_seq = last.seq;
            self.last_hash = last.hash.clone();
        }
        self.foreign.extend(found.entries);
        if let Some(problem) = found.problem {
            return Err(self.changed(format!("line {}: {problem}", self.lines + 1)));
        }
        if found.consumed < new.len() {
            // Nobody is writing (we hold the lock): a writer died mid-line.
            let torn = &new[found.consumed..];
            let aside = set_aside(&self.path, torn)?;
            tracing::warn!(
                "{}: a torn line ({} bytes) of another writer set aside to {}",
                self.path.display(),
                torn.len(),
                aside.display()
            );
            self.rollback().map_err(io_err(&self.path))?;
        }
        Ok(())
    }

    fn changed(&self, what: String) -> JournalError {
        JournalError::Invalid {
            path: self.path.clone(),
            message: format!(
                "{what}; not appending (something other than firebreak wrote to it): \
                 `firebreak incident list` shows whether its chain is intact"
            ),
        }
    }

    /// Read what other processes appended since our last look (cheap when
    /// nothing was: one `fstat`). The entries are also those of the next
    /// [`Journal::take_foreign`].
    pub fn catch_up(&mut self) -> Result<Vec<Entry>, JournalError> {
        let len = self.file.metadata().map_err(io_err(&self.path))?.len();
        if len != self.len {
            lock_append(&self.file, &self.path, APPEND_WAIT)?;
            let absorbed = self.absorb();
            let _ = self.file.unlock();
            absorbed?;
        }
        Ok(self.take_foreign())
    }

    /// Entries other processes appended that an append or
    /// [`Journal::catch_up`] read, in order, since the last call.
    pub fn take_foreign(&mut self) -> Vec<Entry> {
        std::mem::take(&mut self.foreign)
    }

    /// Become the one cockpit that writes this incident: take its writer
    /// lock and say who we are in it. `Ok(Some(holder))` when someone else
    /// holds it.
    pub fn hold(&mut self, me: &Holder) -> Result<Option<Option<Holder>>, JournalError> {
        match lock::claim(&self.path, me)? {
            Claim::Won(l) => {
                self.writer = Some(l);
                Ok(None)
            }
            Claim::Held(h) => Ok(Some(h)),
        }
    }

    /// Is this the cockpit that holds the writer lock?
    pub fn holds_writer_lock(&self) -> bool {
        self.writer.is_some()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The incident id: the file name without `.jsonl`.
    pub fn id(&self) -> &str {
        self.path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
    }

    /// Seq of the last entry (0 when empty); the next append gets this + 1.
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Hash of the last entry ([`GENESIS_HASH`] when empty).
    pub fn last_hash(&self) -> &str {
        &self.last_hash
    }
}

/// One journal line (without its `\n`) as an entry, if it is one whose
/// hash matches its body: how a line received from elsewhere (the team
/// database) is checked before it is believed.
pub fn parse_line(line: &[u8]) -> Result<Entry, String> {
    match verify::parse_line(line) {
        Ok((entry, problems)) if problems.is_empty() => Ok(entry),
        Ok((_, problems)) => Err(problems.join("; ")),
        Err(e) if e.is_empty() => Err("empty line".into()),
        Err(e) => Err(e),
    }
}

/// Every whole line of a journal with its entry, in file order (lines
/// that are not entries are left out): what is sent to the team database,
/// byte for byte.
pub fn read_lines(path: &Path) -> Result<Vec<(Entry, String)>, JournalError> {
    let bytes = read_bytes(path)?;
    Ok(bytes
        .split(|b| *b == b'\n')
        .filter_map(|l| {
            let entry = parse_line(l).ok()?;
            Some((entry, String::from_utf8(l.to_vec()).ok()?))
        })
        .collect())
}

/// [`read_lines`] of what follows byte `offset` (the end of a complete
/// line an earlier call returned), and the offset after the last complete
/// line now: how the team sync reads only what is new. A journal shorter
/// than `offset` (rewritten) is read from the start.
pub fn read_lines_from(
    path: &Path,
    offset: u64,
) -> Result<(Vec<(Entry, String)>, u64), JournalError> {
    let file = File::open(path).map_err(io_err(path))?;
    let len = file.metadata().map_err(io_err(path))?.len();
    let offset = if len < offset { 0 } else { offset };
    let mut bytes = vec![0; usize::try_from(len - offset).unwrap_or(0)];
    file.read_exact_at(&mut bytes, offset)
        .map_err(io_err(path))?;
    let whole = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let lines = bytes[..whole]
        .split(|b| *b == b'\n')
        .filter_map(|l| {
            let entry = parse_line(l).ok()?;
            Some((entry, String::from_utf8(l.to_vec()).ok()?))
        })
        .collect();
    Ok((lines, offset + whole as u64))
}

/// Read and verify a journal without modifying it. Fails only when the file
/// cannot be read; everything wrong inside it is a [`Problem`].
pub fn read(path: &Path) -> Result<Replay, JournalError> {
    Ok(verify_bytes(&read_bytes(path)?))
}

/// Verify a journal's bytes: what [`read`] does once it has read the file.
pub fn verify_bytes(bytes: &[u8]) -> Replay {
    let scan = scan(bytes);
    let mut replay = scan.replay;
    if let Tail::Torn { line, start } = scan.tail {
        replay.problems.push(Problem {
            line,
            message: format!(
                "torn last line ({} bytes): an incomplete write, e.g. after a crash; \
                 it is set aside when the journal is next opened",
                bytes.len() - start
            ),
        });
    }
    replay
}

pub fn incidents_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("incidents")
}

/// `<data_dir>/incidents/<id>.jsonl`.
pub fn journal_path(data_dir: &Path, id: &str) -> PathBuf {
    incidents_dir(data_dir).join(format!("{id}.{EXTENSION}"))
}

/// A fresh incident id, `inc-YYYYMMDD-HHMMSS` (UTC). Two incidents declared
/// in the same second collide: use [`Journal::create_unique`], which adds
/// `-2`, `-3`, ... as needed.
pub fn new_incident_id(now: DateTime<Utc>) -> String {
    now.format("inc-%Y%m%d-%H%M%S").to_string()
}

/// Every incident journal in `<data_dir>/incidents`, most recently active
/// first. Files that cannot be read or do not start with a declaration are
/// skipped with a warning. A missing directory is an empty list.
pub fn list(data_dir: &Path) -> Result<Vec<IncidentSummary>, JournalError> {
    let mut out = Vec::new();
    for path in journal_paths(data_dir)? {
        let replay = match read(&path) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!("skipping journal: {e}");
                continue;
            }
        };
        match IncidentSummary::of(&path, &replay) {
            Some(s) => out.push(s),
            None => tracing::warn!(
                "skipping {}: does not start with an incident declaration",
                path.display()
            ),
        }
    }
    out.sort_by(|a, b| b.last_ts.cmp(&a.last_ts).then_with(|| b.id.cmp(&a.id)));
    Ok(out)
}

/// The journal files of `<data_dir>/incidents` (with a UTF-8 id), in no
/// order; a missing directory has none.
pub(crate) fn journal_paths(data_dir: &Path) -> Result<Vec<PathBuf>, JournalError> {
    let dir = incidents_dir(data_dir);
    let read_dir = match fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(&dir)(e)),
    };
    let mut out = Vec::new();
    for dirent in read_dir {
        let path = dirent.map_err(io_err(&dir))?.path();
        let ours = path.extension().and_then(|e| e.to_str()) == Some(EXTENSION)
            && path.file_stem().and_then(|s| s.to_str()).is_some();
        if ours {
            out.push(path);
        }
    }
    Ok(out)
}

/// The journal of the most recently active incident that is still open
/// (not resolved), to resume on start. Demo incidents are included; check
/// `Incident::demo` after opening if that matters.
pub fn open_incident(data_dir: &Path) -> Result<Option<PathBuf>, JournalError> {
    Ok(list(data_dir)?
        .into_iter()
        .find(|s| s.incident.is_open())
        .map(|s| s.path))
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Read the file as it is now: exactly the length `fstat` reports, so a
/// concurrent append is not half-read and a device reads as empty.
fn read_bytes(path: &Path) -> Result<Vec<u8>, JournalError> {
    let file = File::open(path).map_err(io_err(path))?;
    let len = file.metadata().map_err(io_err(path))?.len();
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(len)
        .read_to_end(&mut bytes)
        .map_err(io_err(path))?;
    Ok(bytes)
}

/// Best-effort fsync of a directory, so a new file's name is durable.
fn sync_dir(dir: &Path) {
    if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
        tracing::warn!("{}: could not fsync directory: {e}", dir.display());
    }
}

/// Copy a torn tail to `<path>.torn-<UTC time>` (0600, fsync'd).
fn set_aside(path: &Path, bytes: &[u8]) -> Result<PathBuf, JournalError> {
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
    let mut n = 1;
    loop {
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".torn-{stamp}"));
        if n > 1 {
            name.push(format!("-{n}"));
        }
        let aside = PathBuf::from(name);
        let opened = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&aside);
        match opened {
            Ok(mut f) => {
                f.write_all(bytes)
                    .and_then(|()| f.sync_all())
                    .map_err(io_err(&aside))?;
                if let Some(dir) = aside.parent() {
                    sync_dir(dir);
                }
                return Ok(aside);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
            Err(e) => return Err(io_err(&aside)(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::verify::split_hash;
    use super::*;
    use sha2::{Digest, Sha256};

    fn note(text: &str) -> Event {
        Event::Note {
            text: text.into(),
            at: None,
        }
    }

    #[test]
    fn line_format_is_body_plus_hash() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::create(dir.path(), "inc-1").unwrap();
        let e = j.append(Utc::now(), "ann", note("hi")).unwrap();
        let text = fs::read_to_string(j.path()).unwrap();
        let line = text.strip_suffix('\n').unwrap();
        assert!(line.starts_with("{\"seq\":1,\"ts\":"));
        let (head, hash) = split_hash(line.as_bytes()).unwrap();
        assert_eq!(hash, e.hash);
        let parsed: Entry = serde_json::from_str(line).unwrap();
        assert_eq!(parsed, e);
        // The hash covers the body as written, not a re-serialisation.
        let body = format!("{}}}", std::str::from_utf8(head).unwrap());
        assert_eq!(hex::encode(Sha256::digest(body.as_bytes())), e.hash);
    }

    #[test]
    fn failed_write_does_not_advance_the_chain() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::create(dir.path(), "inc-1").unwrap();
        let first = j.append(Utc::now(), "ann", note("one")).unwrap();
        let real = std::mem::replace(
            &mut j.file,
            OpenOptions::new().write(true).open("/dev/full").unwrap(),
        );
        let err = j.append(Utc::now(), "ann", note("two")).unwrap_err();
        assert!(err.to_string().contains("No space left"), "{err}");
        assert_eq!(j.last_seq(), 1);
        assert_eq!(j.last_hash(), first.hash);
        j.file = real;
        let second = j.append(Utc::now(), "ann", note("two")).unwrap();
        assert_eq!((second.seq, second.prev.as_str()), (2, first.hash.as_str()));
        let replay = read(j.path()).unwrap();
        assert!(replay.chain_ok(), "{:?}", replay.problems);
        assert_eq!(replay.entries.len(), 2);
    }

    #[test]
    fn a_batch_is_written_whole_with_one_fsync_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::create(dir.path(), "inc-1").unwrap();
        let first = j.append(Utc::now(), "ann", note("one")).unwrap();
        let batch = |texts: &[&str]| -> Vec<(DateTime<Utc>, String, Event)> {
            texts
                .iter()
                .map(|t| (Utc::now(), "firebreak".to_string(), note(t)))
                .collect()
        };
        let got = j.append_batch(batch(&["two", "three", "four"])).unwrap();
        assert_eq!(got.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3, 4]);
        assert_eq!(got[0].prev, first.hash);
        assert_eq!(got[2].prev, got[1].hash);
        // A failed batch leaves nothing, and the chain goes on after it.
        let real = std::mem::replace(
            &mut j.file,
            OpenOptions::new().write(true).open("/dev/full").unwrap(),
        );
        assert!(j.append_batch(batch(&["lost", "lost too"])).is_err());
        assert_eq!(j.last_seq(), 4);
        j.file = real;
        let five = j.append(Utc::now(), "ann", note("five")).unwrap();
        assert_eq!((five.seq, five.prev.as_str()), (5, got[2].hash.as_str()));
        let replay = read(j.path()).unwrap();
        assert!(replay.chain_ok(), "{:?}", replay.problems);
        assert_eq!(replay.entries.len(), 5);
        assert!(j.append_batch(Vec::new()).unwrap().is_empty());
    }

    #[test]
    fn refuses_to_append_after_someone_else_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::create(dir.path(), "inc-1").unwrap();
        j.append(Utc::now(), "ann", note("one")).unwrap();
        OpenOptions::new()
            .append(true)
            .open(j.path())
            .unwrap()
            .write_all(b"junk\n")
            .unwrap();
        let err = j.append(Utc::now(), "ann", note("two")).unwrap_err();
        assert!(
            err.to_string()
                .contains("something other than firebreak wrote to it"),
            "{err}"
        );
    }

    #[test]
    fn ids_are_validated() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["", "../x", "a/b", ".hidden"] {
            assert!(Journal::create(dir.path(), bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn create_unique_adds_a_suffix() {
        let dir = tempfile::tempdir().unwrap();
        let a = Journal::create_unique(dir.path(), "inc-x").unwrap();
        let b = Journal::create_unique(dir.path(), "inc-x").unwrap();
        let c = Journal::create_unique(dir.path(), "inc-x").unwrap();
        assert_eq!((a.id(), b.id(), c.id()), ("inc-x", "inc-x-2", "inc-x-3"));
    }
}
