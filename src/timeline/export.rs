//! Postmortem drafts from a journal: Markdown (Google SRE book template) and
//! JSON.
//!
//! # JSON schema (`firebreak.incident`, version 2)
//!
//! ```text
//! {
//!   "schema": "firebreak.incident",   // constant, identifies the document
//!   "version": 2,                     // bumped on incompatible changes only
//!   "exported_at": "2024-05-01T15:00:00Z",   // RFC 3339 UTC, when exported
//!   "incident": {                     // the incident as the journal tells it
//!     "id": "inc-20240501-140300",    // journal file stem
//!     "title": "Checkout errors",     // latest title
//!     "severity": "sev2",             // latest: "sev1" (worst) .. "sev4"
//!     "status": "resolved",           // "investigating" | "identified" |
//!                                     //   "monitoring" | "resolved"
//!     "demo": false,                  // recorded in demo mode (nothing real)
//!     "declared_at": "...",           // RFC 3339 UTC; always present
//!     "impact_started": "..." | null, // as the responder said (may be backdated)
//!     "detected_at": "..." | null,    // when the first critical or warning alert
//!                                     //   started firing (its startsAt)
//!     "acknowledged_at": "..." | null,// first human action after declaration
//!     "mitigated_at": "..." | null,   // when the impact stopped (see mitigated_from)
//!     "mitigated_from": "recorded" | "action" | "status" | null,
//!                                     // the responder recorded it (the latest
//!                                     //   correction wins); else the first
//!                                     //   successful mitigation after which the
//!                                     //   firing alerts all resolved; else the
//!                                     //   first status monitoring / resolved
//!     "resolved_at": "..." | null,    // status resolved (null if reopened)
//!     "impact_ended": "..." | null,   // when the impact ended (see below)
//!     "impact_ended_from": "recorded" | "alerts_resolved" | "metrics_verified"
//!                        | "resolved_at" | null
//!                                     // how that is known: the responder
//!                                     //   recorded it (the latest correction
//!                                     //   wins); else the firing critical and
//!                                     //   warning alerts all resolved after a
//!                                     //   mitigation; "metrics_verified" when
//!                                     //   a playbook's metric check passed
//!                                     //   after that, later; only else the
//!                                     //   resolve (resolved_at)
//!   },
//!   "durations_seconds": {            // whole seconds, never negative; null
//!                                     //   when an end is missing
//!     "measured_from": "impact_started" | "detected_at" | "declared_at",
//!                                     // the start used below (and for T+), a
//!                                     //   field of `incident`: the recorded
//!                                     //   impact start; without one the first
//!                                     //   alert if it fired before the
//!                                     //   declaration, else the declaration
//!     "time_to_detect": 120 | null,      // detected_at - start; null when
//!                                     //   measured from detected_at itself
//!     "time_to_acknowledge": 60 | null,  // acknowledged_at - detected_at
//!     "time_to_mitigate": 900 | null,    // mitigated_at - start
//!     "time_to_resolve": 1800 | null     // impact_ended - start
//!   },
//!   "integrity": {
//!     "chain_ok": true,               // false if any problem below
//!     "problems": [ { "line": 4, "message": "entry was modified: ..." } ],
//!                                     // 1-based journal line numbers
//!     "set_aside": "/path/x.jsonl.torn-..." | null  // torn tail moved here
//!   },
//!   "hypotheses": {                   // quick hypotheses (derived from entries)
//!     "tried": [ { "id": 1, "text": "...", "planned": "...",
//!                  "started_at": "...", "time_box_seconds": 600,
//!                  "extension": {"seconds": 300, "reason": "..."} | null,
//!                  "spent_seconds": 540,
//!                  "outcome": "supported" | "refuted" | "abandoned" | null,
//!                  "outcome_at": "..." | null,
//!                  "override_reason": "..." | null,   // started on the systematic path
//!                  "linked_seqs": [5, 6] } ],         // entries done while it was tested
//!     "systematic": { "at": "...", "reason": "..." } | null
//!   },
//!   "roles": {                        // who held which role (derived from entries)
//!     "holders": {                    // every key always present, each a list
//!       "incident_commander": [ { "name": "bob", "since": "..." } ],
//!                                     //   exactly one from the declaration on
//!       "comms": [], "scribe": [],    // at most one holder each
//!       "operations": [], "observer": []  // any number, in the order they joined
//!     },
//!     "changes": [ { "seq": 1,        // the entry (the declaration, for the first IC)
//!                    "at": "...", "by": "alice",   // when, and who recorded it
//!                    "role": "incident_commander" | "comms" | "scribe"
//!                          | "operations" | "observer",
//!                    "from": "alice" | null,  // who held it before (operations,
//!                                             //   observer: who left), in entry order
//!                    "to": "bob" | null } ]   // who holds it after (null: released)
//!                                     // in entry order (the team database's, shared)
//!   },
//!   "follow_ups": [ {                 // action items captured during the incident
//!       "id": "3f2a9c01d4e5",         // stable: the start of the capturing entry's
//!                                     //   hash (file each ticket once by it)
//!       "type": "mitigate" | "prevent" | "process",
//!       "text": "alert on queue depth",
//!       "owner": "bob" | null, "due": "2026-12-10" | null,
//!       "captured_by": "ann", "captured_at": "...", "seq": 12 } ],
//!                                     // in the order they were captured
//!   "status_updates": [ {             // what stakeholders were told, in the
//!                                     //   order recorded (the team's, shared)
//!       "id": "u2" | "alice/u2",      // unique per incident; shared with a team,
//!                                     //   it names its author
//!       "recorded_at": "...", "seq": 9, "by": "ann",   // the entry, who wrote it
//!       "headline": "SEV2 · Investigating · Checkout errors",
//!                                     // severity, status and title then ("" in
//!                                     //   journals from before it was recorded)
//!       "conditions": "...", "actions": "...", "needs": "...",
//!                                     // the three parts as sent (may span lines)
//!       "next_update_at": "..." | null,   // the time it promised the next one
//!       "channels": ["incident-room"],    // the channels it was meant for
//!                                     //   (configured names; [] : none, pasted by hand)
//!       "delivery": [ { "channel": "incident-room",
//!                       "ok": true | false | null,   // null: no outcome recorded
//!                                     //   (firebreak stopped before it knew; it
//!                                     //   may or may not have arrived)
//!                       "detail": "sent (HTTP 200)" | "HTTP 500: ..." | null,
//!                       "at": "..." | null } ] } ],  // when the outcome was recorded
//!                                     // one per channel in `channels`, then any it
//!                                     //   was resent to; a success stays a success
//!   "highlights": [ { "seq": 7, "hash": "...", "at": "...", "actor": "ann",
//!                     "category": "note", "what": "..." } ],
//!                                     // the entries pinned now (the latest pin or
//!                                     //   unpin wins), in the order they happened
//!   "evidence": [ {                   // every mitigation that changed something
//!                                     //   (a flag flipped, a rollback, a playbook
//!                                     //   command marked mitigation), in order
//!       "action_seq": 14, "action_hash": "...",   // the action's entry
//!       "what": "flag new-checkout-flow off",
//!       "at": "...", "actor": "ann",  // when it was done, by whom
//!       "before": { "at": "...",      // the panels at the moment of the action
//!                   "seconds_after_action": 0,
//!                   "reason": "at the action",
//!                   "readings": [ { "panel": "Error ratio", "unit": "%",
//!                                   "value": 13.9 | null,
//!                                   "unknown": "prometheus down" } ],
//!                                     //   unit and unknown omitted when empty;
//!                                     //   value null: not known, unknown says why
//!                   "seq": 15 } | null,   // the evidence entry; null: not taken
//!       "after": { ... as before, "seconds_after_action": 300,
//!                  "reason": "5m after" | "1m30s after, verified: ..." } | null,
//!                                     //   the settling time ([evidence]
//!                                     //   settle_minutes) or a playbook check
//!                                     //   that passed sooner; null: not yet
//!       "summary": "Error ratio 13.9% → 0.4% (5m after)" | null } ],
//!   "auto_filled": {                  // written by firebreak from the journal, not
//!                                     //   by a person (the Markdown marks it _(auto)_)
//!     "summary": "HighErrorRate fired; the response ...",
//!     "trigger_candidates": [ { "seq": 2, "at": "...", "what": "flag x turned on",
//!                               "by": "bob" | null,
//!                               "source": "journal" | "unleash" | ...,
//!                               "before_impact_seconds": 240 } ],
//!                                     // changes made in the 6 h before the start
//!                                     //   (durations_seconds.measured_from), closest
//!                                     //   first: recorded by firebreak ("journal";
//!                                     //   seq is the change's entry) or reported at
//!                                     //   the declaration by release control or a
//!                                     //   flag service (source is its name; seq is
//!                                     //   the changes_reported entry)
//!     "detection": { "alert": "HighErrorRate", "at": "...",
//!                    "after_impact_start_seconds": 120 | null } | null,
//!     "went_well": ["Time to acknowledge was 1m."],  // facts to start from
//!     "went_wrong": ["Failed: ..."]
//!   },
//!   "timeline": [ { "seq": 3,         // the entry's seq
//!                   "at": "...",      // when it happened: an alert when it
//!                                     //   started firing (its startsAt), a
//!                                     //   backfilled note when it says,
//!                                     //   anything else when recorded
//!                   "recorded_at": "...", // when firebreak saw / recorded it
//!                   "backfilled": false,  // a note written afterwards
//!                   "actor": "ann", "category": "alert",
//!                   "what": "Alert firing: ..." } ],
//!                                     // every entry, ordered by "at" (ties
//!                                     //   in journal order); each alert of an
//!                                     //   alert_batch entry is a row of its
//!                                     //   own, with the batch's seq
//!   "entries": [ ... ]                // every journal entry, in order, exactly
//!                                     //   as in the journal: {seq, ts, prev,
//!                                     //   actor, event: {kind, ...}, hash}
//! }
//! ```
//!
//! Added within version 2 (new fields only; nothing changed meaning):
//! `evidence`, `auto_filled.trigger_candidates[].by` and `.source`,
//! `status_updates`, and the entry kinds `evidence_recorded`,
//! `changes_reported`, `status_update_recorded`, `status_update_sent` and
//! `alert_batch` (`events`: the `alert_firing` / `alert_resolved` of one
//! poll of a storm) in `entries`. A trigger candidate's `at` is when the
//! change was made (for a reported one, not when it was reported).
//!
//! ## From version 1 to 2
//!
//! Version 2 adds `follow_ups`, `highlights`, `auto_filled` and
//! `timeline[].backfilled`, and new entry kinds in `entries`
//! (`follow_up_added`, `pinned`; a `note` may carry `at`). What changes
//! meaning: a backfilled note's `timeline[].at` is when it says it
//! happened, no longer when it was recorded (that stays in
//! `recorded_at`). A reader of version 1 that ignores unknown fields and
//! entry kinds reads version 2 unchanged; one that relies on `at` being
//! the recording time should read `recorded_at`.
//!
//! No duration is negative: an end recorded before its start (an alert
//! that fired before the recorded impact start, a human who acted before
//! the first alert) counts as 0, and the Markdown says which time to check.

use std::path::Path;

use anyhow::{anyhow, Context as _};
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::journal::{self, Replay};
use crate::domain::incident::{Incident, MeasuredFrom};
use crate::domain::{Entry, Event};

mod auto;
mod markdown;

pub use markdown::{cell, markdown};

/// The output format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Json,
}

impl Format {
    /// File name extension: `md` or `json`.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Json => "json",
        }
    }
}

/// Render `incident` in `format` (JSON pretty-printed, newline-terminated).
pub fn render(format: Format, incident: &Incident, replay: &Replay, now: DateTime<Utc>) -> String {
    match format {
        Format::Markdown => markdown(incident, replay, now),
        Format::Json => pretty(&document(incident, replay, now)),
    }
}

/// `doc` as pretty-printed JSON, newline-terminated, with no character a
/// terminal acts on or hides left as itself (see [`VisibleJson`]).
fn pretty(doc: &impl serde::Serialize) -> String {
    let mut out = Vec::with_capacity(1 << 16);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, VisibleJson::default());
    if let Err(e) = doc.serialize(&mut ser) {
        return format!("{{\"error\": {}}}\n", Value::from(e.to_string()));
    }
    out.push(b'\n');
    // serde_json writes valid UTF-8 only.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// serde_json's pretty printer, except that in strings the characters a
/// terminal acts on or that reorder or hide text ([`crate::text::is_hazard`]:
/// C1 controls, bidi overrides, zero-width characters) are written as
/// `\uXXXX` escapes: the same string to a JSON reader, inert to a person
/// who reads the file with `cat` or `less` (a tool that decodes it, such as
/// `jq -r`, gets the text back as it came). serde_json escapes the C0
/// controls itself.
#[derive(Default)]
struct VisibleJson(serde_json::ser::PrettyFormatter<'static>);

impl serde_json::ser::Formatter for VisibleJson {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        if fragment.is_ascii() {
            return w.write_all(fragment.as_bytes());
        }
        let mut rest = fragment;
        while let Some((i, c)) = rest
            .char_indices()
            .find(|(_, c)| crate::text::is_hazard(*c))
        {
            w.write_all(&rest.as_bytes()[..i])?;
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                write!(w, "\\u{u:04x}")?;
            }
            rest = &rest[i + c.len_utf8()..];
        }
        w.write_all(rest.as_bytes())
    }

    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// A shared incident (the team database): every responder's entries, in
/// the order the database received them, and how each feed checked.
#[derive(Debug, Clone, Default)]
pub struct Shared {
    pub entries: Vec<Entry>,
    pub feeds: Vec<FeedSummary>,
}

/// Where a shared incident's other feeds come from, given the journal's
/// path and the incident id (`None`: not shared).
pub type SharedPart = dyn Fn(&Path, &str) -> Result<Option<Shared>, String>;

/// One responder's feed in a shared incident.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedSummary {
    pub responder: String,
    /// Their public key (hex).
    pub author: String,
    pub entries: usize,
    /// Why rows of theirs were not believed; empty: every row verified.
    pub rejected: Vec<String>,
}

/// Export incident `id` (or, for `None`, the most recently active one,
/// open or not) from `data_dir`. Reads the journal without modifying it.
pub fn export_incident(
    data_dir: &Path,
    id: Option<&str>,
    format: Format,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    export_incident_shared(data_dir, id, format, now, &|_, _| Ok(None))
}

/// [`export_incident`], with every responder's entries when `shared` has
/// them for the journal (path, incident id): the team database's part,
/// given by the caller (this floor does not know the database).
pub fn export_incident_shared(
    data_dir: &Path,
    id: Option<&str>,
    format: Format,
    now: DateTime<Utc>,
    shared: &SharedPart,
) -> anyhow::Result<String> {
    let (incident, replay, feeds) = load(data_dir, id, shared)?;
    Ok(render_shared(format, &incident, &replay, &feeds, now))
}

/// An incident as the exports see it: `id` (or the most recently active
/// one), its journal read without modifying it, with every responder's
/// entries when `shared` has them.
pub fn load(
    data_dir: &Path,
    id: Option<&str>,
    shared: &SharedPart,
) -> anyhow::Result<(Incident, Replay, Vec<FeedSummary>)> {
    let dir = journal::incidents_dir(data_dir);
    let path = match id {
        // Which one was active last: every journal is read for that.
        None => match journal::list(data_dir)?.first() {
            Some(s) => s.path.clone(),
            None => return Err(anyhow!("no incidents recorded in {}", dir.display())),
        },
        Some(id) => {
            let path = journal::journal_path(data_dir, id);
            let plain = !id.is_empty() && !id.contains(['/', '\\']) && !id.starts_with('.');
            if !plain || !path.is_file() {
                // Only to say which ones there are (reading them all
                // first doubled the time of every export).
                let known = journal::list(data_dir)?;
                let ids: Vec<&str> = known.iter().map(|s| s.id.as_str()).collect();
                let known = if ids.is_empty() {
                    "none".to_string()
                } else {
                    ids.join(", ")
                };
                return Err(anyhow!(
                    "no incident '{id}' in {}; known: {known}",
                    dir.display()
                ));
            }
            path
        }
    };
    let mut replay = journal::read(&path)?;
    let id = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_string();
    let team = shared(&path, &id).map_err(|e| anyhow!(e))?;
    if let Some(t) = &team {
        replay.entries = t.entries.clone();
    }
    let incident = Incident::replay(&replay.entries).with_context(|| {
        format!(
            "{}: does not start with an incident declaration",
            path.display()
        )
    })?;
    let feeds = team.map(|t| t.feeds).unwrap_or_default();
    Ok((incident, replay, feeds))
}

/// [`render`], and for a shared incident a section on every responder's
/// feed: how many entries, and whether each verified.
pub fn render_shared(
    format: Format,
    incident: &Incident,
    replay: &Replay,
    feeds: &[FeedSummary],
    now: DateTime<Utc>,
) -> String {
    if feeds.is_empty() {
        return render(format, incident, replay, now);
    }
    match format {
        Format::Markdown => {
            let mut s = markdown(incident, replay, now);
            s.push_str("\n## Responders' feeds\n\n");
            s.push_str(
                "Each responder's entries are signed with their key; a feed is verified when every \
                 entry's hash, chain and signature check.\n\n",
            );
            s.push_str("| Responder | Key | Entries | Verified |\n|---|---|---|---|\n");
            for f in feeds {
                let verified = if f.rejected.is_empty() {
                    "yes".to_string()
                } else {
                    format!("**NO**: {}", f.rejected.join("; "))
                };
                s.push_str(&format!(
                    "| {} | `{}` | {} | {} |\n",
                    cell(&f.responder),
                    f.author.get(..16).unwrap_or(&f.author),
                    f.entries,
                    cell(&verified)
                ));
            }
            s
        }
        Format::Json => {
            let mut doc = document(incident, replay, now);
            doc.head["feeds"] = feeds
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "responder": f.responder,
                        "author": f.author,
                        "entries": f.entries,
                        "verified": f.rejected.is_empty(),
                        "rejected": f.rejected,
                    })
                })
                .collect();
            pretty(&doc)
        }
    }
}

/// The key durations, shared by both formats. None is negative: an end
/// recorded before its start counts as zero, and says by how much.
struct Durations {
    /// Where they are measured from, and which time that is.
    start: DateTime<Utc>,
    from: MeasuredFrom,
    /// `None` when measured from the first alert: detection is then the
    /// start itself, and how long the impact went unseen is not known.
    detect: Option<Span>,
    acknowledge: Option<Span>,
    mitigate: Option<Span>,
    resolve: Option<Span>,
}

/// One duration: `length` is never negative; `early` is how long before
/// its start the end was recorded (zero when it was not).
#[derive(Debug, Clone, Copy)]
struct Span {
    length: Duration,
    early: Duration,
}

fn span(start: DateTime<Utc>, end: DateTime<Utc>) -> Span {
    let d = end - start;
    if d < Duration::zero() {
        Span {
            length: Duration::zero(),
            early: -d,
        }
    } else {
        Span {
            length: d,
            early: Duration::zero(),
        }
    }
}

fn durations(inc: &Incident) -> Durations {
    let (start, from) = inc.measured_from();
    let detect = match from {
        MeasuredFrom::FirstAlert => None,
        _ => inc.detected_at.map(|t| span(start, t)),
    };
    Durations {
        start,
        from,
        detect,
        acknowledge: inc
            .acknowledged_at
            .zip(inc.detected_at)
            .map(|(a, d)| span(d, a)),
        mitigate: inc.mitigated_at.map(|t| span(start, t)),
        resolve: inc.impact_ended.map(|e| span(start, e.at)),
    }
}

/// What the entries record in the order it happened: an alert when it
/// started firing (its `startsAt`), everything else when it was recorded;
/// each transition of an alert batch on its own; entries of the same
/// moment stay in journal order.
fn chronological(entries: &[Entry]) -> Vec<(DateTime<Utc>, &Entry, &Event)> {
    let mut rows: Vec<(DateTime<Utc>, &Entry, &Event)> = entries
        .iter()
        .flat_map(|e| e.parts().map(move |(ev, at)| (at, e, ev)))
        .collect();
    rows.sort_by_key(|(at, _, _)| *at);
    rows
}

/// The machine-readable export; schema in the module documentation.
pub fn json(incident: &Incident, replay: &Replay, now: DateTime<Utc>) -> Value {
    serde_json::to_value(document(incident, replay, now))
        .unwrap_or_else(|e| json!({"error": e.to_string()}))
}

/// The JSON export as written: the summary parts as a tree, the two lists
/// with a row per entry (`timeline`, `entries`) written straight from the
/// entries (a tree of 100,000 entries was most of an export's second).
#[derive(serde::Serialize)]
struct Document<'a> {
    #[serde(flatten)]
    head: Value,
    timeline: Timeline<'a>,
    entries: &'a [Entry],
}

struct Timeline<'a>(Vec<(DateTime<Utc>, &'a Entry, &'a Event)>);

impl serde::Serialize for Timeline<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct Row<'a> {
            seq: u64,
            at: DateTime<Utc>,
            recorded_at: DateTime<Utc>,
            backfilled: bool,
            actor: &'a str,
            category: &'static str,
            what: String,
        }
        s.collect_seq(self.0.iter().map(|(at, e, ev)| Row {
            seq: e.seq,
            at: *at,
            recorded_at: e.ts,
            backfilled: e.backfilled().is_some(),
            actor: &e.actor,
            category: ev.category(),
            what: ev.describe(),
        }))
    }
}

fn document<'a>(incident: &Incident, replay: &'a Replay, now: DateTime<Utc>) -> Document<'a> {
    Document {
        head: head(incident, replay, now),
        timeline: Timeline(chronological(&replay.entries)),
        entries: &replay.entries,
    }
}

fn head(incident: &Incident, replay: &Replay, now: DateTime<Utc>) -> Value {
    let d = durations(incident);
    let secs = |d: Option<Span>| d.map(|d| d.length.num_seconds());
    json!({
        "schema": "firebreak.incident",
        "version": 2,
        "exported_at": now,
        "incident": {
            "id": incident.id,
            "title": incident.title,
            "severity": incident.severity,
            "status": incident.status,
            "demo": incident.demo,
            "declared_at": incident.declared_at,
            "impact_started": incident.impact_started,
            "detected_at": incident.detected_at,
            "acknowledged_at": incident.acknowledged_at,
            "mitigated_at": incident.mitigated_at,
            "mitigated_from": incident.mitigated_from.map(|m| m.key()),
            "resolved_at": incident.resolved_at,
            "impact_ended": incident.impact_ended.map(|e| e.at),
            "impact_ended_from": incident.impact_ended.map(|e| e.source.key()),
        },
        "durations_seconds": {
            "measured_from": d.from.key(),
            "time_to_detect": secs(d.detect),
            "time_to_acknowledge": secs(d.acknowledge),
            "time_to_mitigate": secs(d.mitigate),
            "time_to_resolve": secs(d.resolve),
        },
        "integrity": {
            "chain_ok": replay.chain_ok(),
            "problems": replay.problems.iter()
                .map(|p| json!({"line": p.line, "message": p.message}))
                .collect::<Vec<_>>(),
            "set_aside": replay.set_aside.as_ref().map(|p| p.display().to_string()),
        },
        "hypotheses": hypotheses_json(replay, now),
        "roles": roles_json(incident),
        "follow_ups": follow_ups_json(&replay.entries),
        "status_updates": status_updates_json(&replay.entries),
        "highlights": crate::domain::followups::highlights(&replay.entries).into_iter().map(|e| json!({
            "seq": e.seq,
            "hash": e.hash,
            "at": e.happened_at(),
            "actor": e.actor,
            "category": e.event.category(),
            "what": e.event.describe(),
        })).collect::<Vec<_>>(),
        "evidence": evidence_json(&replay.entries),
        "auto_filled": auto_json(incident, &replay.entries),
    })
}

/// The `follow_ups` list of the JSON export (also `firebreak followups`).
pub fn follow_ups_json(entries: &[Entry]) -> Value {
    crate::domain::followups::follow_ups(entries)
        .into_iter()
        .map(|f| {
            json!({
                "id": f.id,
                "type": f.kind,
                "text": f.text,
                "owner": f.owner,
                "due": f.due,
                "captured_by": f.by,
                "captured_at": f.at,
                "seq": f.seq,
            })
        })
        .collect()
}

/// The `status_updates` list of the JSON export: every update as
/// recorded (the domain's fold) and, per channel, how its delivery went.
fn status_updates_json(entries: &[Entry]) -> Value {
    crate::domain::updates::Updates::replay(entries)
        .list
        .iter()
        .map(|p| {
            // Every channel it was meant for, then any it was resent to.
            let mut channels: Vec<&str> = p.channels.iter().map(String::as_str).collect();
            for c in p.results.keys() {
                if !channels.contains(&c.as_str()) {
                    channels.push(c);
                }
            }
            let delivery: Vec<Value> = channels
                .iter()
                .map(|c| match p.results.get(*c) {
                    Some(d) => json!({"channel": c, "ok": d.ok, "detail": d.detail, "at": d.at}),
                    None => json!({"channel": c, "ok": null, "detail": null, "at": null}),
                })
                .collect();
            json!({
                "id": p.id,
                "recorded_at": p.at,
                "seq": p.seq,
                "by": p.by,
                "headline": p.headline,
                "conditions": p.draft.conditions,
                "actions": p.draft.actions,
                "needs": p.draft.needs,
                "next_update_at": p.draft.next_update_at,
                "channels": p.channels,
                "delivery": delivery,
            })
        })
        .collect()
}

/// The `evidence` list of the JSON export: every mitigation action with
/// what the panels said at it and after it.
fn evidence_json(entries: &[Entry]) -> Value {
    let snapshot = |a: &crate::domain::evidence::ActionEvidence,
                    s: &Option<crate::domain::evidence::Snapshot>| {
        s.as_ref().map(|s| {
            json!({
                "at": s.at,
                "seconds_after_action": (s.at - a.at).num_seconds().max(0),
                "reason": s.reason,
                "readings": s.readings,
                "seq": s.seq,
            })
        })
    };
    crate::domain::evidence::Evidence::replay(entries)
        .actions
        .iter()
        .map(|a| {
            json!({
                "action_seq": a.seq,
                "action_hash": a.hash,
                "what": a.what,
                "at": a.at,
                "actor": a.actor,
                "before": snapshot(a, &a.before),
                "after": snapshot(a, &a.after),
                "summary": a.summary(),
            })
        })
        .collect()
}

/// The `auto_filled` object of the JSON export.
fn auto_json(incident: &Incident, entries: &[Entry]) -> Value {
    let a = auto::auto(incident, entries);
    json!({
        "summary": a.summary,
        "trigger_candidates": a.triggers.iter().map(|t| json!({
            "seq": t.entry.seq,
            "at": t.at,
            "what": t.what,
            "by": t.by,
            "source": t.source,
            "before_impact_seconds": t.before.num_seconds(),
        })).collect::<Vec<_>>(),
        "detection": a.detection.map(|d| json!({
            "alert": d.alert,
            "at": d.at,
            "after_impact_start_seconds": d.after_impact.map(|x| x.num_seconds()),
        })),
        "went_well": a.went_well,
        "went_wrong": a.went_wrong,
    })
}

/// The `roles` object of the JSON export: every role's holders (all five
/// keys, always) and every change in order.
fn roles_json(incident: &Incident) -> Value {
    use crate::domain::roles::Role;
    let roles = &incident.roles;
    let holders: serde_json::Map<String, Value> = Role::ALL
        .iter()
        .map(|r| {
            let list: Vec<Value> = roles
                .holders(*r)
                .iter()
                .map(|h| json!({"name": h.name, "since": h.since}))
                .collect();
            (r.key().to_string(), Value::Array(list))
        })
        .collect();
    json!({
        "holders": holders,
        "changes": roles.changes.iter().map(|c| json!({
            "seq": c.seq,
            "at": c.at,
            "by": c.by,
            "role": c.role.key(),
            "from": c.from,
            "to": c.to,
        })).collect::<Vec<_>>(),
    })
}

/// The `hypotheses` object of the JSON export.
fn hypotheses_json(replay: &Replay, now: DateTime<Utc>) -> Value {
    use crate::domain::hypotheses::{linked, Hypotheses};
    let hyp = Hypotheses::replay(&replay.entries);
    let tried: Vec<Value> = hyp
        .list
        .iter()
        .map(|h| {
            json!({
                "id": h.id,
                "by": h.by,
                "text": h.text,
                "planned": h.planned,
                "started_at": h.started_at,
                "time_box_seconds": h.time_box.num_seconds(),
                "extension": h.extension.as_ref().map(|(d, r)| json!({"seconds": d.num_seconds(), "reason": r})),
                "spent_seconds": h.spent(now).num_seconds(),
                "outcome": h.outcome.as_ref().map(|o| o.0),
                "outcome_at": h.outcome.as_ref().map(|o| o.1),
                "override_reason": h.override_reason,
                "linked_seqs": linked(h, &replay.entries).iter().map(|e| e.seq).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "tried": tried,
        "systematic": hyp.systematic.as_ref().map(|(at, reason)| json!({"at": at, "reason": reason})),
    })
}
