//! The incident before this one: when firebreak starts with no open
//! incident but one was resolved recently, say where it went (its
//! journal, its exports), so a fresh screen never looks like the last
//! incident was lost.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};

use crate::domain::Event;
use crate::timeline::journal;

/// How far back "recently resolved" looks.
pub const RECENT_HOURS: i64 = 24;

/// A line about the most recently resolved incident of this mode (the
/// demo's, or real ones), if it was resolved within [`RECENT_HOURS`] of
/// `now`: which one, when, its journal, and its exports (or how to make
/// one). None when there is none, or reading failed (the start goes on).
pub fn resolved_notice(data_dir: &Path, demo: bool, now: DateTime<Utc>) -> Option<String> {
    let list = journal::list(data_dir).ok()?;
    let last = list
        .into_iter()
        .filter(|s| s.incident.demo == demo && !s.incident.is_open())
        .max_by_key(|s| s.last_ts)?;
    let resolved = last.incident.resolved_at.unwrap_or(last.last_ts);
    if now - resolved > Duration::hours(RECENT_HOURS) {
        return None;
    }
    // The exports it recorded, the latest of each format.
    let mut exports: Vec<(String, String)> = Vec::new();
    if let Ok(replay) = journal::read(&last.path) {
        for e in &replay.entries {
            if let Event::Exported { format, path } = &e.event {
                exports.retain(|(f, _)| f != format);
                exports.push((format.clone(), path.clone()));
            }
        }
    }
    let exported = if exports.is_empty() {
        format!(
            "not exported yet: firebreak timeline export --incident {}",
            last.id
        )
    } else {
        exports
            .iter()
            .map(|(f, p)| format!("{f} export {p}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let fresh = if demo {
        "this is a fresh demo incident"
    } else {
        "no incident is open"
    };
    Some(format!(
        "Previous incident {} \"{}\" was resolved at {} ({fresh}): journal {}; {exported}",
        last.id,
        crate::text::visible(&last.incident.title),
        resolved.format("%Y-%m-%d %H:%MZ"),
        last.path.display(),
    ))
}
