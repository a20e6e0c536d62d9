//! Who may write an incident, enforced by advisory locks (`flock`).
//!
//! Two locks, for two different promises:
//!
//! - **The writer lock**, on `<id>.jsonl.writer`: held for its whole life
//!   by the one cockpit that writes the incident. A second cockpit finds it
//!   taken and opens the incident read-only, following the journal; the
//!   file's content says who holds it ([`Holder`]). The kernel releases
//!   it when the holder exits, however it exits (even `kill -9`).
//! - **The append lock**, on the journal itself: held for the few
//!   milliseconds of one append, by the cockpit and by headless writers
//!   (`firebreak note`, `silence`, `flag on/off`, `playbook run --record`)
//!   alike, so that their lines never interleave and each continues the
//!   chain after the other's (see [`super::Journal::append`]).
//!
//! Readers take no lock: they read whole lines only.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{io_err, JournalError};

/// How long an append waits for another writer's append to finish.
pub const APPEND_WAIT: Duration = Duration::from_secs(2);

/// Who holds an incident's writer lock (the content of its lock file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub responder: String,
    pub host: String,
    pub pid: u32,
    pub since: DateTime<Utc>,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} on {} (pid {})",
            crate::text::visible(&self.responder),
            crate::text::visible(&self.host),
            self.pid
        )
    }
}

/// The writer lock, held until dropped.
#[derive(Debug)]
pub struct WriterLock {
    _file: File,
    path: PathBuf,
}

impl WriterLock {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// What asking for the writer lock found.
#[derive(Debug)]
pub enum Claim {
    /// It is ours.
    Won(WriterLock),
    /// Someone holds it; who, if their lock file says.
    Held(Option<Holder>),
}

/// `<journal>.writer`.
pub fn writer_path(journal: &Path) -> PathBuf {
    let mut name = journal.as_os_str().to_owned();
    name.push(".writer");
    PathBuf::from(name)
}

/// Take the writer lock of `journal` if it is free, and write `me` into it.
pub fn claim(journal: &Path, me: &Holder) -> Result<Claim, JournalError> {
    let path = writer_path(journal);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .map_err(io_err(&path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Ok(Claim::Held(read_holder(&path))),
        Err(TryLockError::Error(e)) => return Err(io_err(&path)(e)),
    }
    let body = serde_json::to_vec(me).map_err(|e| JournalError::Invalid {
        path: path.clone(),
        message: format!("cannot encode the lock holder: {e}"),
    })?;
    file.set_len(0)
        .and_then(|()| (&file).write_all(&body))
        .and_then(|()| file.sync_data())
        .map_err(io_err(&path))?;
    Ok(Claim::Won(WriterLock { _file: file, path }))
}

/// Is the writer lock of `journal` held by someone? `Ok(None)` when it is
/// free (its holder exited); `Ok(Some(holder))` when held. Only looks: a
/// shared lock for an instant, released at once.
pub fn holder(journal: &Path) -> Result<Option<Option<Holder>>, JournalError> {
    let path = writer_path(journal);
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(&path)(e)),
    };
    match file.try_lock_shared() {
        Ok(()) => Ok(None),
        Err(TryLockError::WouldBlock) => Ok(Some(read_holder(&path))),
        Err(TryLockError::Error(e)) => Err(io_err(&path)(e)),
    }
}

fn read_holder(path: &Path) -> Option<Holder> {
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Take the append lock on `file` (the journal), waiting up to `wait` for
/// another writer's append to finish.
pub(super) fn lock_append(file: &File, path: &Path, wait: Duration) -> Result<(), JournalError> {
    let deadline = Instant::now() + wait;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(TryLockError::WouldBlock) => {
                return Err(JournalError::Invalid {
                    path: path.to_path_buf(),
                    message: format!(
                        "journal busy: another firebreak process has been appending for over {} s",
                        wait.as_secs()
                    ),
                })
            }
            Err(TryLockError::Error(e)) => return Err(io_err(path)(e)),
        }
    }
}
