//! Reading a journal: parse each line, check its hash and its place in the
//! chain, and find a torn last line.

use sha2::{Digest, Sha256};

use super::{Problem, Replay, GENESIS_HASH, HASH_SUFFIX_LEN};
use crate::domain::Entry;

pub(super) fn hash_body(body_without_brace: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(body_without_brace);
    h.update(b"}");
    hex::encode(h.finalize())
}

/// How the file ends.
pub(super) enum Tail {
    Clean,
    /// The last entry is valid but lacks its `\n`.
    MissingNewline,
    /// The last line (1-based `line`, from byte `start` to the end) is torn.
    Torn {
        line: usize,
        start: usize,
    },
}

pub(super) struct Scan {
    pub(super) replay: Replay,
    pub(super) tail: Tail,
}

/// Verify every line. Lines that parse become entries (with problems noted);
/// the chain follows the stored hash and seq of the previous parsed entry.
pub(super) fn scan(bytes: &[u8]) -> Scan {
    let mut replay = Replay::default();
    let mut tail = Tail::Clean;
    let segments: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    let last = segments.len() - 1; // the part after the final '\n' (often empty)
    let ends_clean = segments[last].is_empty();
    let mut start = 0;
    let mut prev: Option<(u64, String)> = None;
    // Parsing and hashing every line is the expensive part and needs no
    // order: do it on all cores. The chain is then checked in order.
    replay.entries.reserve_exact(segments.len());
    // In pieces, each freed once read (not one copy of them all).
    let parsed = parse_all(&segments).into_iter().flatten();
    for (i, (seg, parsed)) in segments.iter().zip(parsed).enumerate() {
        let line = i + 1;
        let seg_start = start;
        start += seg.len() + 1;
        if i == last && ends_clean {
            break;
        }
        if seg.is_empty() {
            replay.problems.push(Problem {
                line,
                message: "empty line (firebreak never writes one)".into(),
            });
            continue;
        }
        let checked = parsed.map(|(entry, problems)| chain(entry, problems, prev.as_ref()));
        let is_final = i == last || (i + 1 == last && ends_clean);
        match checked {
            Err(message) => {
                if is_final {
                    tail = Tail::Torn {
                        line,
                        start: seg_start,
                    };
                } else {
                    replay.problems.push(Problem { line, message });
                }
            }
            Ok((entry, problems)) => {
                if i == last {
                    // No trailing newline: keep it only if it is perfect.
                    if !problems.is_empty() {
                        tail = Tail::Torn {
                            line,
                            start: seg_start,
                        };
                        continue;
                    }
                    tail = Tail::MissingNewline;
                }
                replay.problems.extend(
                    problems
                        .into_iter()
                        .map(|message| Problem { line, message }),
                );
                prev = Some((entry.seq, entry.hash.clone()));
                replay.entries.push(entry);
            }
        }
    }
    Scan { replay, tail }
}

type Parsed = Result<(Entry, Vec<String>), String>;

/// Parse and hash-check every segment, in parallel, results in order, in
/// pieces of up to [`PIECE`] lines.
fn parse_all(segments: &[&[u8]]) -> Vec<Vec<Parsed>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let pieces = |part: &[&[u8]]| -> Vec<Vec<Parsed>> {
        part.chunks(PIECE)
            .map(|piece| piece.iter().map(|s| parse_line(s)).collect())
            .collect()
    };
    if threads < 2 || segments.len() < 2048 {
        return pieces(segments);
    }
    let chunk = segments.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = segments
            .chunks(chunk)
            .map(|part| (part.len(), scope.spawn(move || pieces(part))))
            .collect();
        let mut all = Vec::new();
        for (len, h) in handles {
            all.extend(h.join().unwrap_or_else(|_| {
                vec![vec![
                    Err("internal error while reading this part".into());
                    len
                ]]
            }));
        }
        all
    })
}

/// Lines parsed into one piece (see [`parse_all`]).
const PIECE: usize = 1024;

/// Parse one line and check its own hash. `Err` when it is not an entry
/// at all; otherwise the entry and the problems found so far.
pub(super) fn parse_line(line: &[u8]) -> Parsed {
    if line.is_empty() {
        return Err(String::new());
    }
    let entry: Entry = serde_json::from_slice(line).map_err(|e| {
        if crate::depth::json_too_deep(&e).is_some() {
            return format!(
                "unreadable line: nested deeper than {} levels (at column {})",
                crate::depth::JSON_MAX_DEPTH,
                e.column()
            );
        }
        let msg = e.to_string();
        let msg = msg.rsplit_once(" at line ").map_or(&*msg, |(m, _)| m);
        format!("unreadable line: {msg} (at column {})", e.column())
    })?;
    let mut problems = Vec::new();
    match split_hash(line) {
        None => problems.push(format!(
            "entry {} has no hash at the end of its line (not written by firebreak, or edited)",
            entry.seq
        )),
        Some((head, stored)) => {
            if hash_body(head) != stored || entry.hash != stored {
                problems.push(format!(
                    "entry was modified: entry {} does not match its hash",
                    entry.seq
                ));
            }
        }
    }
    Ok((entry, problems))
}

/// Check an entry's place in the chain after the previous one (seq, hash).
fn chain(
    entry: Entry,
    mut problems: Vec<String>,
    prev: Option<&(u64, String)>,
) -> (Entry, Vec<String>) {
    let (expected_seq, expected_prev, after) = match prev {
        Some((seq, hash)) => (seq + 1, hash.as_str(), format!("entry {seq}")),
        None => (1, GENESIS_HASH, "the start of the journal".to_string()),
    };
    if entry.seq != expected_seq {
        let why = if entry.seq > expected_seq {
            "entries are missing"
        } else {
            "duplicated or out of order"
        };
        problems.push(format!(
            "seq gap: expected entry {expected_seq}, found entry {} ({why})",
            entry.seq
        ));
    }
    if entry.prev != expected_prev {
        problems.push(format!(
            "chain broken: entry {} does not follow {after}",
            entry.seq
        ));
    }
    (entry, problems)
}

/// Split `...,"hash":"<64 hex>"}` into the part before `,"hash"` and the hash.
pub(super) fn split_hash(line: &[u8]) -> Option<(&[u8], &str)> {
    let cut = line.len().checked_sub(HASH_SUFFIX_LEN)?;
    let (head, suffix) = line.split_at(cut);
    let hash = suffix.strip_prefix(b",\"hash\":\"")?.strip_suffix(b"\"}")?;
    let hash = std::str::from_utf8(hash).ok()?;
    hash.bytes()
        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        .then_some((head, hash))
}

/// What [`continue_chain`] found in bytes appended after a known entry.
pub(super) struct Continued {
    /// Valid entries that continue the chain, in order.
    pub(super) entries: Vec<Entry>,
    /// Bytes they take, each line with its `\n`.
    pub(super) consumed: usize,
    /// Why it stopped before the last complete line, if it did.
    pub(super) problem: Option<String>,
}

/// Read the complete lines of `bytes`, written after the entry `prev`
/// (seq and hash; `None` at the start of the journal), as long as each is
/// a valid next entry. An unfinished last line is left alone: its writer
/// may be writing it now.
pub(super) fn continue_chain(bytes: &[u8], mut prev: Option<(u64, String)>) -> Continued {
    let mut out = Continued {
        entries: Vec::new(),
        consumed: 0,
        problem: None,
    };
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        let Some(body) = line.strip_suffix(b"\n") else {
            break; // unfinished
        };
        match parse_line(body).map(|(entry, problems)| chain(entry, problems, prev.as_ref())) {
            Ok((entry, problems)) if problems.is_empty() => {
                prev = Some((entry.seq, entry.hash.clone()));
                out.consumed += line.len();
                out.entries.push(entry);
            }
            Ok((_, problems)) => {
                out.problem = Some(problems.join("; "));
                break;
            }
            Err(message) if message.is_empty() => {
                out.problem = Some("empty line (firebreak never writes one)".into());
                break;
            }
            Err(message) => {
                out.problem = Some(message);
                break;
            }
        }
    }
    out
}
