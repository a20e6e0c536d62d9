//! Checking what the database says before believing it: each row's line
//! must be an entry whose hash matches its body, agree with the row's own
//! columns, continue its author's chain, and carry its author's signature.

use std::collections::BTreeMap;

use super::{keys, Row};
use crate::domain::Entry;
use crate::timeline::journal::GENESIS_HASH;

/// Where each author's feed has got to (seq, hash of the last entry).
#[derive(Debug, Clone, Default)]
pub struct Feeds {
    last: BTreeMap<String, (i64, String)>,
}

impl Feeds {
    /// Check `row` as the next entry of its author's feed in `incident`;
    /// on success the feed moves on and the entry is returned.
    pub fn accept(&mut self, incident: &str, row: &Row) -> Result<Entry, String> {
        self.accept_as(incident, row, Signature::Check)
    }

    /// [`Feeds::accept`] for a row read back from this responder's own
    /// mirror: its signature was checked when it arrived (a row that
    /// failed is kept marked rejected), so only the line, its hash and its
    /// place in the chain are checked again, which is what keeps opening a
    /// 10,000-entry incident fast.
    pub fn accept_mirrored(&mut self, incident: &str, row: &Row) -> Result<Entry, String> {
        self.accept_as(incident, row, Signature::CheckedOnArrival)
    }

    /// [`Feeds::accept`] for a page of rows, in order (what a sync round
    /// receives): the same answers, with the signatures checked together
    /// ([`keys::verify_all`]).
    pub fn accept_all(&mut self, incident: &str, rows: &[&Row]) -> Vec<Result<Entry, String>> {
        let signed: Vec<keys::Signed<'_>> = rows
            .iter()
            .map(|r| keys::Signed {
                author: &r.author,
                seq: r.seq,
                hash: &r.hash,
                sig: &r.sig,
            })
            .collect();
        let sigs = keys::verify_all(incident, &signed);
        rows.iter()
            .zip(sigs)
            .map(|(row, sig)| self.accept_as(incident, row, Signature::Checked(sig)))
            .collect()
    }

    fn accept_as(&mut self, incident: &str, row: &Row, sig: Signature) -> Result<Entry, String> {
        let entry = check_as(incident, row, sig)?;
        let (want_seq, want_prev) = match self.last.get(&row.author) {
            Some((seq, hash)) => (seq + 1, hash.as_str()),
            None => (1, GENESIS_HASH),
        };
        if row.seq != want_seq || row.prev != want_prev {
            return Err(format!(
                "entry {} of {} does not follow entry {} of that feed (rows missing or reordered in the database)",
                row.seq,
                short(&row.author),
                want_seq - 1
            ));
        }
        self.last
            .insert(row.author.clone(), (row.seq, row.hash.clone()));
        Ok(entry)
    }

    /// The authors seen, with their last seq.
    pub fn authors(&self) -> impl Iterator<Item = (&str, i64)> {
        self.last.iter().map(|(a, (s, _))| (a.as_str(), *s))
    }
}

enum Signature {
    Check,
    CheckedOnArrival,
    /// Checked already, with this answer.
    Checked(Result<(), String>),
}

/// Check one row on its own: line, hash, columns, signature.
pub fn check(incident: &str, row: &Row) -> Result<Entry, String> {
    check_as(incident, row, Signature::Check)
}

fn check_as(incident: &str, row: &Row, sig: Signature) -> Result<Entry, String> {
    let entry = crate::timeline::journal::parse_line(row.line.as_bytes())
        .map_err(|e| format!("entry {} of {}: {e}", row.seq, short(&row.author)))?;
    if entry.seq as i64 != row.seq || entry.prev != row.prev || entry.hash != row.hash {
        return Err(format!(
            "entry {} of {}: the row's columns do not match its line (edited in the database)",
            row.seq,
            short(&row.author)
        ));
    }
    let checked = match sig {
        Signature::Check => keys::verify(&row.author, incident, row.seq, &row.hash, &row.sig),
        Signature::CheckedOnArrival => Ok(()),
        Signature::Checked(answer) => answer,
    };
    checked.map_err(|e| format!("entry {} of {}: {e}", row.seq, short(&row.author)))?;
    Ok(entry)
}

/// An author id, short enough to read (like a git hash).
pub fn short(author: &str) -> &str {
    author.get(..12).unwrap_or(author)
}
