//! Following a journal that another process writes: the read-only cockpit.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::verify::{continue_chain, scan};
use super::{io_err, JournalError, Replay};
use crate::domain::Entry;

/// A journal read up to its last complete line, and read on from there as
/// it grows. Takes no lock and never writes.
#[derive(Debug)]
pub struct Follower {
    path: PathBuf,
    file: File,
    /// Bytes read: always the end of a complete line.
    len: u64,
    lines: usize,
    prev: Option<(u64, String)>,
}

impl Follower {
    /// Read the journal as it is now (whole lines only: the last one may
    /// be being written) and position after it.
    pub fn open(path: &Path) -> Result<(Follower, Replay), JournalError> {
        let file = File::open(path).map_err(io_err(path))?;
        let bytes = super::read_bytes(path)?;
        let whole = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let replay = scan(&bytes[..whole]).replay;
        let prev = replay.entries.last().map(|e| (e.seq, e.hash.clone()));
        let lines = bytes[..whole].iter().filter(|b| **b == b'\n').count();
        let follower = Follower {
            path: path.to_path_buf(),
            file,
            len: whole as u64,
            lines,
            prev,
        };
        Ok((follower, replay))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// New complete entries since the last call (cheap when there are
    /// none: one `fstat`). An error when the file shrank or a new line does
    /// not continue the chain; the entries before it were returned by
    /// earlier calls, and following stops being trustworthy.
    pub fn poll(&mut self) -> Result<Vec<Entry>, JournalError> {
        let len = self.file.metadata().map_err(io_err(&self.path))?.len();
        if len == self.len {
            return Ok(Vec::new());
        }
        if len < self.len {
            return Err(JournalError::Invalid {
                path: self.path.clone(),
                message: format!(
                    "the journal shrank while following it ({} bytes, was {})",
                    len, self.len
                ),
            });
        }
        let mut new = vec![0; usize::try_from(len - self.len).unwrap_or(0)];
        self.file
            .read_exact_at(&mut new, self.len)
            .map_err(io_err(&self.path))?;
        let found = continue_chain(&new, self.prev.clone());
        self.len += found.consumed as u64;
        self.lines += found.entries.len();
        if let Some(last) = found.entries.last() {
            self.prev = Some((last.seq, last.hash.clone()));
        }
        match found.problem {
            Some(problem) if found.entries.is_empty() => Err(JournalError::Invalid {
                path: self.path.clone(),
                message: format!("line {}: {problem}", self.lines + 1),
            }),
            // Hand over the good ones first; the problem comes next call.
            _ => Ok(found.entries),
        }
    }
}
