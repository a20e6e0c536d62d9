//! Postmortem drafts from a journal: Markdown (Google SRE book template) and
//! JSON.
//!
//! # JSON schema (`firebreak.incident`, version 1)
//!
//! ```text
//! {
//!   "schema": "firebreak.incident",   // constant, identifies the document
//!   "version": 1,                     // bumped on incompatible changes only
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
//!     "detected_at": "..." | null,    // first alert seen firing
//!     "acknowledged_at": "..." | null,// first human action after declaration
//!     "mitigated_at": "..." | null,   // first status monitoring (or resolved)
//!     "resolved_at": "..." | null     // status resolved (null if reopened)
//!   },
//!   "durations_seconds": {            // whole seconds; null when an end is missing
//!     "measured_from": "impact_started" | "declared_at",
//!                                     // the start used below: impact start,
//!                                     //   or declaration when not recorded
//!     "time_to_detect": 120 | null,      // detected_at - start
//!     "time_to_acknowledge": 60 | null,  // acknowledged_at - detected_at
//!     "time_to_mitigate": 900 | null,    // mitigated_at - start
//!     "time_to_resolve": 1800 | null     // resolved_at - start
//!   },
//!   "integrity": {
//!     "chain_ok": true,               // false if any problem below
//!     "problems": [ { "line": 4, "message": "entry was modified: ..." } ],
//!                                     // 1-based journal line numbers
//!     "set_aside": "/path/x.jsonl.torn-..." | null  // torn tail moved here
//!   },
//!   "entries": [ ... ]                // every journal entry, in order, exactly
//!                                     //   as in the journal: {seq, ts, prev,
//!                                     //   actor, event: {kind, ...}, hash}
//! }
//! ```
//!
//! Durations may be negative (e.g. an alert that fired before the backdated
//! impact start).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{anyhow, Context as _};
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::journal::{self, Replay};
use super::{Entry, Event};
use crate::state::incident::{fmt_duration, t_plus, Incident};

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
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&json(incident, replay, now))
                .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
            s.push('\n');
            s
        }
    }
}

/// Export incident `id` (or, for `None`, the most recently active one,
/// open or not) from `data_dir`. Reads the journal without modifying it.
pub fn export_incident(
    data_dir: &Path,
    id: Option<&str>,
    format: Format,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let dir = journal::incidents_dir(data_dir);
    let known = journal::list(data_dir)?;
    let path = match id {
        None => match known.first() {
            Some(s) => s.path.clone(),
            None => return Err(anyhow!("no incidents recorded in {}", dir.display())),
        },
        Some(id) => {
            let path = journal::journal_path(data_dir, id);
            let plain = !id.is_empty() && !id.contains(['/', '\\']) && !id.starts_with('.');
            if !plain || !path.is_file() {
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
    let replay = journal::read(&path)?;
    let incident = Incident::replay(&replay.entries)
        .with_context(|| format!("{}: does not start with an incident declaration", path.display()))?;
    Ok(render(format, &incident, &replay, now))
}

/// The key durations, shared by both formats.
struct Durations {
    /// True when impact start was not recorded and declaration is used.
    from_declaration: bool,
    detect: Option<Duration>,
    acknowledge: Option<Duration>,
    mitigate: Option<Duration>,
    resolve: Option<Duration>,
}

fn durations(inc: &Incident) -> Durations {
    let start = inc.t0();
    Durations {
        from_declaration: inc.impact_started.is_none(),
        detect: inc.detected_at.map(|t| t - start),
        acknowledge: inc.acknowledged_at.zip(inc.detected_at).map(|(a, d)| a - d),
        mitigate: inc.mitigated_at.map(|t| t - start),
        resolve: inc.resolved_at.map(|t| t - start),
    }
}

/// The machine-readable export; schema in the module documentation.
pub fn json(incident: &Incident, replay: &Replay, now: DateTime<Utc>) -> Value {
    let d = durations(incident);
    let secs = |d: Option<Duration>| d.map(|d| d.num_seconds());
    json!({
        "schema": "firebreak.incident",
        "version": 1,
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
            "resolved_at": incident.resolved_at,
        },
        "durations_seconds": {
            "measured_from": if d.from_declaration { "declared_at" } else { "impact_started" },
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
        "entries": replay.entries,
    })
}

/// What a Markdown section writer sees.
struct Ctx<'a> {
    inc: &'a Incident,
    replay: &'a Replay,
    now: DateTime<Utc>,
}

type Section = fn(&Ctx, &mut String);

/// The Markdown sections, in order (after the title, metadata and any
/// integrity warning). A later "Hypotheses tried" section slots in just
/// before `timeline`.
const SECTIONS: &[Section] = &[
    summary,
    impact,
    key_times,
    root_causes,
    trigger,
    resolution,
    actions_taken,
    detection,
    action_items,
    lessons_learned,
    // hypotheses_tried, (planned: goes here, before the timeline)
    timeline,
];

/// The postmortem draft, following the Google SRE book template. Facts
/// firebreak recorded are filled in; everything else is a `_TODO: ..._`.
pub fn markdown(incident: &Incident, replay: &Replay, now: DateTime<Utc>) -> String {
    let cx = Ctx {
        inc: incident,
        replay,
        now,
    };
    let mut out = String::new();
    header(&cx, &mut out);
    integrity_warning(&cx, &mut out);
    for section in SECTIONS {
        out.push('\n');
        section(&cx, &mut out);
    }
    let _ = writeln!(
        out,
        "\n---\n\n_Draft generated by firebreak at {} from journal `{}` ({} entries, {})._",
        utc(now),
        incident.id,
        replay.entries.len(),
        if replay.chain_ok() {
            "hash chain verified"
        } else {
            "hash chain NOT verified, see warning above"
        }
    );
    out
}

fn todo(out: &mut String, hint: &str) {
    let _ = writeln!(out, "_TODO: {hint}_");
}

fn header(cx: &Ctx, out: &mut String) {
    let inc = cx.inc;
    let _ = writeln!(out, "# Postmortem: {}\n", one_line(&inc.title));
    let _ = writeln!(out, "- **Incident:** `{}`", inc.id);
    let _ = writeln!(
        out,
        "- **Severity:** {} ({})",
        inc.severity,
        inc.severity.meaning()
    );
    let _ = writeln!(out, "- **Status:** {} ({})", inc.status, inc.status.meaning());
    let _ = writeln!(
        out,
        "- **Date:** {} (declared {})",
        inc.declared_at.format("%Y-%m-%d"),
        utc(inc.declared_at)
    );
    let _ = writeln!(out, "- **Authors:** _TODO: who wrote this postmortem_");
    let _ = writeln!(
        out,
        "- **Postmortem status:** draft, generated {}",
        utc(cx.now)
    );
    if inc.demo {
        let _ = writeln!(
            out,
            "\n> **Demo:** this incident was recorded in demo mode; nothing real happened."
        );
    }
}

fn integrity_warning(cx: &Ctx, out: &mut String) {
    if cx.replay.chain_ok() {
        return;
    }
    let _ = writeln!(
        out,
        "\n> **Journal integrity warning:** the incident journal has {} problem(s). \
         Entries may have been lost or altered after they were recorded; \
         check the journal before relying on this timeline.\n>",
        cx.replay.problems.len()
    );
    for p in &cx.replay.problems {
        let _ = writeln!(out, "> - line {}: {}", p.line, one_line(&p.message));
    }
}

fn summary(cx: &Ctx, out: &mut String) {
    let inc = cx.inc;
    let _ = writeln!(out, "## Summary\n");
    let lasted = match inc.resolved_at {
        Some(r) => format!("resolved after {}", fmt_duration(r - inc.t0())),
        None => "not resolved when this draft was generated".to_string(),
    };
    let _ = writeln!(
        out,
        "{} incident \"{}\", {lasted}.\n",
        inc.severity,
        one_line(&inc.title)
    );
    todo(
        out,
        "one or two sentences: what broke, who was affected, for how long, and how it was fixed.",
    );
}

fn impact(cx: &Ctx, out: &mut String) {
    let inc = cx.inc;
    let _ = writeln!(out, "## Impact\n");
    let end = inc.resolved_at.map_or("ongoing".to_string(), utc);
    let start = match inc.impact_started {
        Some(t) => utc(t),
        None => format!("not recorded (declared {})", utc(inc.declared_at)),
    };
    let _ = writeln!(out, "Recorded impact window: {start} to {end}.\n");
    todo(
        out,
        "who and what was affected and how badly: users, requests failed, revenue, SLO error budget spent.",
    );
}

fn key_times(cx: &Ctx, out: &mut String) {
    let inc = cx.inc;
    let t0 = inc.t0();
    let _ = writeln!(out, "## Key times\n");
    let _ = writeln!(out, "| Milestone | UTC | T+ |\n|---|---|---|");
    let rows = [
        ("Impact started", inc.impact_started),
        ("Detected (first alert)", inc.detected_at),
        ("Declared", Some(inc.declared_at)),
        ("Acknowledged (first human action)", inc.acknowledged_at),
        ("Mitigated", inc.mitigated_at),
        ("Resolved", inc.resolved_at),
    ];
    for (name, at) in rows {
        match at {
            Some(at) => {
                let _ = writeln!(out, "| {name} | {} | {} |", utc(at), t_plus(t0, at));
            }
            None => {
                let _ = writeln!(out, "| {name} | not recorded | |");
            }
        }
    }
    let d = durations(inc);
    let from = if d.from_declaration {
        "declaration (impact start not recorded)"
    } else {
        "impact start"
    };
    let show = |d: Option<Duration>| d.map_or("not recorded".to_string(), fmt_duration);
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "- **Time to detect:** {} (from {from} to first alert)",
        show(d.detect)
    );
    let _ = writeln!(
        out,
        "- **Time to acknowledge:** {} (from first alert to first human action)",
        show(d.acknowledge)
    );
    let _ = writeln!(
        out,
        "- **Time to mitigate:** {} (from {from} to mitigation)",
        show(d.mitigate)
    );
    let _ = writeln!(
        out,
        "- **Time to resolve:** {} (from {from} to resolution)",
        show(d.resolve)
    );
}

fn root_causes(_: &Ctx, out: &mut String) {
    let _ = writeln!(out, "## Root Causes\n");
    todo(
        out,
        "the underlying causes, usually more than one (ask \"why?\" until it stops being useful).",
    );
}

fn trigger(_: &Ctx, out: &mut String) {
    let _ = writeln!(out, "## Trigger\n");
    todo(
        out,
        "what set the root causes off: a deploy, a config push, a traffic spike, an expiry.",
    );
}

fn resolution(cx: &Ctx, out: &mut String) {
    let _ = writeln!(out, "## Resolution\n");
    let show = |t: Option<DateTime<Utc>>| t.map_or("not recorded".to_string(), utc);
    let _ = writeln!(
        out,
        "Mitigated: {}. Resolved: {}. See *Actions taken* below.\n",
        show(cx.inc.mitigated_at),
        show(cx.inc.resolved_at)
    );
    todo(
        out,
        "what stopped the impact, and what was done to make the fix permanent.",
    );
}

/// One row of the "Actions taken" table.
struct ActionRow<'a> {
    entry: &'a Entry,
    action: String,
    target: String,
    result: String,
    detail: Vec<String>,
}

fn action_rows(entries: &[Entry], t0: DateTime<Utc>) -> Vec<ActionRow<'_>> {
    let mut rows: Vec<ActionRow> = Vec::new();
    let mut pending: Vec<usize> = Vec::new();
    for entry in entries {
        match &entry.event {
            Event::ActionStarted {
                action,
                target,
                detail,
            } => {
                pending.push(rows.len());
                rows.push(ActionRow {
                    entry,
                    action: action.clone(),
                    target: target.clone(),
                    result: "no result recorded".into(),
                    detail: vec![detail.clone()],
                });
            }
            Event::ActionFinished {
                action,
                target,
                ok,
                detail,
            } => {
                let result = format!(
                    "{} ({})",
                    if *ok { "ok" } else { "failed" },
                    t_plus(t0, entry.ts)
                );
                let found = pending
                    .iter()
                    .position(|&i| rows[i].action == *action && rows[i].target == *target);
                match found {
                    Some(p) => {
                        let row = &mut rows[pending.remove(p)];
                        row.result = result;
                        row.detail.push(detail.clone());
                    }
                    None => rows.push(ActionRow {
                        entry,
                        action: action.clone(),
                        target: target.clone(),
                        result: format!("{result}; start not recorded"),
                        detail: vec![detail.clone()],
                    }),
                }
            }
            Event::FlagChanged {
                provider,
                flag,
                before,
                after,
                wanted,
                ok,
                detail,
            } => {
                let state = |v: &Option<bool>| match v {
                    Some(true) => "on",
                    Some(false) => "off",
                    None => "unknown",
                };
                rows.push(ActionRow {
                    entry,
                    action: format!("turn flag {}", if *wanted { "on" } else { "off" }),
                    target: format!("{flag} ({provider})"),
                    result: if *ok { "ok" } else { "failed" }.into(),
                    detail: vec![
                        format!("was {}, now {}", state(before), state(after)),
                        detail.clone(),
                    ],
                });
            }
            _ => {}
        }
    }
    rows
}

fn actions_taken(cx: &Ctx, out: &mut String) {
    let t0 = cx.inc.t0();
    let _ = writeln!(out, "## Actions taken\n");
    let rows = action_rows(&cx.replay.entries, t0);
    if rows.is_empty() {
        let _ = writeln!(out, "_No actions were recorded by firebreak._\n");
    } else {
        let _ = writeln!(
            out,
            "| Started (UTC) | T+ | Who | Action | Target | Result | Detail |\n\
             |---|---|---|---|---|---|---|"
        );
        for r in &rows {
            let detail: Vec<&str> = r
                .detail
                .iter()
                .map(String::as_str)
                .filter(|d| !d.is_empty())
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                utc_cell(r.entry.ts),
                t_plus(t0, r.entry.ts),
                cell(&r.entry.actor),
                cell(&r.action),
                cell(&r.target),
                cell(&r.result),
                cell(&detail.join("; "))
            );
        }
        let _ = writeln!(out);
    }
    todo(out, "add anything done outside firebreak (manual rollbacks, calls, customer comms).");
}

fn detection(cx: &Ctx, out: &mut String) {
    let inc = cx.inc;
    let _ = writeln!(out, "## Detection\n");
    let first_alert = cx.replay.entries.iter().find_map(|e| match &e.event {
        Event::AlertFiring { name, since, .. } => Some((name, since.unwrap_or(e.ts).min(e.ts))),
        _ => None,
    });
    match first_alert {
        Some((name, at)) => {
            let ttd = inc
                .detected_at
                .map_or("not recorded".to_string(), |d| fmt_duration(d - inc.t0()));
            let _ = writeln!(
                out,
                "First alert: **{}** firing since {} ({}); time to detect {ttd}.\n",
                one_line(name),
                utc(at),
                t_plus(inc.t0(), at)
            );
        }
        None => {
            let _ = writeln!(out, "No alert was recorded firing during this incident.\n");
        }
    }
    todo(
        out,
        "how was the problem noticed (alert, customer report, a human)? Could it have been detected sooner?",
    );
}

fn action_items(_: &Ctx, out: &mut String) {
    let _ = writeln!(out, "## Action Items\n");
    let _ = writeln!(
        out,
        "| Action Item | Type | Owner | Bug |\n|---|---|---|---|\n\
         | _TODO: what will prevent a recurrence or shorten the next one_ \
         | _mitigate / prevent / process_ | _TODO_ | _TODO_ |"
    );
}

fn lessons_learned(_: &Ctx, out: &mut String) {
    let _ = writeln!(out, "## Lessons Learned\n");
    let _ = writeln!(out, "### What went well\n");
    todo(out, "what worked: alerts that fired, runbooks that helped, good handoffs.");
    let _ = writeln!(out, "\n### What went wrong\n");
    todo(out, "what made it worse or slower: missing alerts, confusing dashboards, risky tools.");
    let _ = writeln!(out, "\n### Where we got lucky\n");
    todo(out, "what limited the damage by chance rather than by design.");
}

fn timeline(cx: &Ctx, out: &mut String) {
    let t0 = cx.inc.t0();
    let _ = writeln!(out, "## Timeline\n");
    let _ = writeln!(
        out,
        "All times UTC; T+ is measured from {}.\n",
        if cx.inc.impact_started.is_some() {
            "the start of impact"
        } else {
            "the declaration (impact start not recorded)"
        }
    );
    let _ = writeln!(out, "| UTC | T+ | Who | What |\n|---|---|---|---|");
    for e in &cx.replay.entries {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            utc_cell(e.ts),
            t_plus(t0, e.ts),
            cell(&e.actor),
            cell(&e.event.describe())
        );
    }
}

/// `2024-05-01 14:03:00 UTC`.
fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// `2024-05-01 14:03:00` (the column header says UTC).
fn utc_cell(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Text safe inside a Markdown table cell: `|` escaped, line breaks as `<br>`.
pub fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '|' => out.push_str("\\|"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("<br>");
                }
            }
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}

/// Text safe on one Markdown line (titles, list items): line breaks as spaces.
fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_escape_pipes_and_newlines() {
        assert_eq!(cell("a|b\nc\r\nd"), "a\\|b<br>c<br>d");
        assert_eq!(cell("plain"), "plain");
    }
}
