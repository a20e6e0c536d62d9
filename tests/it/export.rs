//! Postmortem drafts: every template section, the right key times, a
//! faithful timeline, and a loud warning when the journal was tampered with.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use firebreak::domain::incident::{fmt_duration, t_plus, Incident, Severity, Status};
use firebreak::domain::SYSTEM_ACTOR;
use firebreak::domain::{Entry, Event};
use firebreak::timeline::export::{self, export_incident, Format};
use firebreak::timeline::journal::{self, Journal, Replay};

const ID: &str = "inc-20240501-140300";

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn now() -> DateTime<Utc> {
    at("2024-05-02T09:00:00Z")
}

// The chosen times of the mini incident.
fn impact() -> DateTime<Utc> {
    at("2024-05-01T13:55:00Z") // backdated by the responder
}
fn alert_since() -> DateTime<Utc> {
    at("2024-05-01T13:58:00Z") // detection
}
fn first_human() -> DateTime<Utc> {
    at("2024-05-01T14:03:30Z") // acknowledgement
}
fn flag_off() -> DateTime<Utc> {
    // Mitigation: the flag turned off, after which the alert resolved
    // (not the later status click).
    at("2024-05-01T14:09:00Z")
}
fn alerts_recovered() -> DateTime<Utc> {
    // The end of impact: the alert resolved after the flag flip (not the
    // later resolve click).
    at("2024-05-01T14:20:00Z")
}
fn resolved() -> DateTime<Utc> {
    at("2024-05-01T14:31:05Z")
}

/// A realistic mini incident, recorded through the journal API.
fn record(data: &Path) -> PathBuf {
    let mut j = Journal::create(data, ID).unwrap();
    let mut add = |ts: &str, actor: &str, event: Event| {
        j.append(at(ts), actor, event).unwrap();
    };
    add(
        "2024-05-01T14:03:00Z",
        "ann",
        Event::IncidentDeclared {
            id: ID.into(),
            title: "Checkout errors in EU".into(),
            severity: Severity::Sev2,
            demo: false,
        },
    );
    add(
        "2024-05-01T14:03:30Z",
        "ann",
        Event::ImpactStarted { at: impact() },
    );
    add(
        "2024-05-01T14:04:00Z",
        SYSTEM_ACTOR,
        Event::AlertFiring {
            fingerprint: "f1".into(),
            name: "HighErrorRate".into(),
            severity: "critical".into(),
            summary: "5xx ratio > 5% | checkout".into(),
            labels: Default::default(),
            since: Some(alert_since()),
        },
    );
    add(
        "2024-05-01T14:06:10Z",
        "ann",
        Event::Note {
            text: "new checkout flow suspected\nturning it off".into(),
            at: None,
        },
    );
    add(
        "2024-05-01T14:07:00Z",
        "ann",
        Event::ActionStarted {
            action: "restart".into(),
            target: "deploy/checkout".into(),
            detail: "rollout restart".into(),
        },
    );
    add(
        "2024-05-01T14:07:30Z",
        "ann",
        Event::ActionFinished {
            action: "restart".into(),
            target: "deploy/checkout".into(),
            ok: false,
            detail: "timed out after 30s".into(),
        },
    );
    add(
        "2024-05-01T14:09:00Z",
        "ann",
        Event::FlagChanged {
            provider: "unleash".into(),
            flag: "new-checkout".into(),
            before: Some(true),
            after: Some(false),
            wanted: false,
            ok: true,
            detail: String::new(),
        },
    );
    add(
        "2024-05-01T14:12:00Z",
        "ann",
        Event::StatusChanged {
            from: Status::Investigating,
            to: Status::Monitoring,
        },
    );
    add(
        "2024-05-01T14:20:00Z",
        SYSTEM_ACTOR,
        Event::AlertResolved {
            fingerprint: "f1".into(),
            name: "HighErrorRate".into(),
        },
    );
    add(
        "2024-05-01T14:31:05Z",
        "ann",
        Event::StatusChanged {
            from: Status::Monitoring,
            to: Status::Resolved,
        },
    );
    j.path().to_path_buf()
}

fn load(path: &Path) -> (Incident, Replay) {
    let replay = journal::read(path).unwrap();
    (Incident::replay(&replay.entries).unwrap(), replay)
}

fn section<'a>(md: &'a str, heading: &str) -> &'a str {
    let start = md.find(heading).unwrap_or_else(|| panic!("no {heading}"));
    let rest = &md[start + heading.len()..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    &rest[..end]
}

/// Count `|` not preceded by a backslash.
fn unescaped_pipes(row: &str) -> usize {
    let b = row.as_bytes();
    (0..b.len())
        .filter(|&i| b[i] == b'|' && (i == 0 || b[i - 1] != b'\\'))
        .count()
}

#[test]
fn markdown_has_every_template_section_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (inc, replay) = load(&record(dir.path()));
    let md = export::markdown(&inc, &replay, now());
    assert!(md.starts_with("# Postmortem: Checkout errors in EU\n"));
    let order = [
        "## Summary",
        "## Impact",
        "## Root Causes",
        "## Trigger",
        "## Resolution",
        "## Detection",
        "## Action Items",
        "## Lessons Learned",
        "### What went well",
        "### What went wrong",
        "### Where we got lucky",
        "## Timeline",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|h| md.find(h).unwrap_or_else(|| panic!("missing {h}")))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    for extra in ["## Key times", "## Actions taken"] {
        assert!(md.contains(extra), "missing {extra}");
    }
    assert!(md.contains(&format!("- **Incident:** `{ID}`")));
    assert!(md.contains("- **Severity:** SEV2"));
    assert!(md.contains("- **Status:** resolved"));
    assert!(md.contains("- **Date:** 2024-05-01"));
    assert!(md.contains("- **Authors:** _TODO:"));
    for blank in ["## Root Causes", "## Trigger", "### Where we got lucky"] {
        assert!(
            section(&md, blank).contains("_TODO: "),
            "{blank} is not marked as a blank to fill"
        );
    }
    assert!(!md.contains("integrity warning"));
}

#[test]
fn key_times_and_durations_match_the_recorded_times() {
    let dir = tempfile::tempdir().unwrap();
    let (inc, replay) = load(&record(dir.path()));
    assert_eq!(inc.impact_started, Some(impact()));
    assert_eq!(inc.detected_at, Some(alert_since()));
    assert_eq!(inc.acknowledged_at, Some(first_human()));
    let md = export::markdown(&inc, &replay, now());
    let keys = section(&md, "## Key times");
    for (name, ts) in [
        ("Impact started", impact()),
        ("Detected (first alert)", alert_since()),
        ("Acknowledged (first human action)", first_human()),
        ("Mitigated", flag_off()),
        ("Impact ended", alerts_recovered()),
        ("Resolved", resolved()),
    ] {
        let row = format!(
            "| {name} | {} | {} |",
            ts.format("%Y-%m-%d %H:%M:%S UTC"),
            t_plus(impact(), ts)
        );
        assert!(keys.contains(&row), "missing {row} in\n{keys}");
    }
    let expect = [
        ("Time to detect", alert_since() - impact()),
        ("Time to acknowledge", first_human() - alert_since()),
        ("Time to mitigate", flag_off() - impact()),
        ("Time to resolve", alerts_recovered() - impact()),
    ];
    for (name, d) in expect {
        let line = format!("- **{name}:** {} ", fmt_duration(d));
        assert!(keys.contains(&line), "missing {line} in\n{keys}");
    }
    // The same figures, spelled out, as a check on the arithmetic above.
    assert!(keys.contains("**Time to detect:** 3m00s"));
    assert!(keys.contains("**Time to acknowledge:** 5m30s"));
    assert!(keys.contains("**Time to mitigate:** 14m00s"));
    assert!(keys.contains(
        "**Time to resolve:** 25m00s (from the recorded impact start to the end of impact, \
         when the firing alerts all resolved after the mitigation)"
    ));
}

#[test]
fn timeline_rows_follow_what_happened_with_t_plus_and_escaped_cells() {
    let dir = tempfile::tempdir().unwrap();
    let (inc, replay) = load(&record(dir.path()));
    let md = export::markdown(&inc, &replay, now());
    let timeline = section(&md, "## Timeline");
    assert!(timeline.contains("| UTC | T+ | Who | What |"));
    let rows: Vec<&str> = timeline
        .lines()
        .filter(|l| l.starts_with("| 2024-"))
        .collect();
    assert_eq!(rows.len(), replay.entries.len());
    // In the order things happened: the alert (firing since 13:58, seen
    // at 14:04) comes first; the rest in journal order.
    let mut order: Vec<&Entry> = replay.entries.iter().collect();
    order.sort_by_key(|e| e.happened_at());
    assert_eq!(order[0].seq, 3, "the alert");
    for (row, e) in rows.iter().zip(order) {
        let want = format!(
            "| {} | {} | {} |",
            e.happened_at().format("%Y-%m-%d %H:%M:%S"),
            t_plus(impact(), e.happened_at()),
            e.actor
        );
        assert!(row.starts_with(&want), "{row} should start with {want}");
        assert_eq!(unescaped_pipes(row), 5, "4 cells exactly: {row}");
    }
    assert!(rows[0].contains("5xx ratio > 5% \\| checkout"));
    assert!(rows[1].contains("| T+8m00s | ann | Incident declared: Checkout errors in EU"));
    assert!(rows[3].contains("new checkout flow suspected<br>turning it off"));
    assert!(rows[9].contains("| T+36m05s | ann | Status monitoring -> resolved |"));
}

#[test]
fn actions_taken_pairs_starts_with_results_and_lists_flags() {
    let dir = tempfile::tempdir().unwrap();
    let (inc, replay) = load(&record(dir.path()));
    let md = export::markdown(&inc, &replay, now());
    let actions = section(&md, "## Actions taken");
    let rows: Vec<&str> = actions
        .lines()
        .filter(|l| l.starts_with("| 2024-"))
        .collect();
    assert_eq!(rows.len(), 2, "{actions}");
    assert_eq!(
        rows[0],
        "| 2024-05-01 14:07:00 | T+12m00s | ann | restart | deploy/checkout \
         | failed (T+12m30s) |  | rollout restart; timed out after 30s |"
    );
    assert_eq!(
        rows[1],
        "| 2024-05-01 14:09:00 | T+14m00s | ann | flag off | new-checkout (unleash) \
         | ok (T+14m00s) |  | was on, now off |"
    );
}

#[test]
fn tampered_journal_gets_an_integrity_warning_at_the_top() {
    let dir = tempfile::tempdir().unwrap();
    let path = record(dir.path());
    let text = fs::read_to_string(&path).unwrap();
    fs::write(
        &path,
        text.replace("new checkout flow suspected", "all fine"),
    )
    .unwrap();
    let (inc, replay) = load(&path);
    assert!(!replay.chain_ok());
    let md = export::markdown(&inc, &replay, now());
    let warning = md
        .find("> **Journal integrity warning:**")
        .expect("integrity warning");
    assert!(warning < md.find("## Summary").unwrap(), "near the top");
    assert!(md.contains("> - line 4: entry was modified"), "{md}");

    let v = export::json(&inc, &replay, now());
    assert_eq!(v["integrity"]["chain_ok"], false);
    assert_eq!(v["integrity"]["problems"][0]["line"], 4);
}

#[test]
fn json_export_has_the_documented_schema_and_round_trips_entries() {
    let dir = tempfile::tempdir().unwrap();
    let (inc, replay) = load(&record(dir.path()));
    let v = export::json(&inc, &replay, now());
    assert_eq!(v["schema"], "firebreak.incident");
    assert_eq!(v["version"], 2);
    assert_eq!(v["exported_at"], "2024-05-02T09:00:00Z");
    let i = &v["incident"];
    assert_eq!(i["id"], ID);
    assert_eq!(i["title"], "Checkout errors in EU");
    assert_eq!(i["severity"], "sev2");
    assert_eq!(i["status"], "resolved");
    assert_eq!(i["demo"], false);
    assert_eq!(i["declared_at"], "2024-05-01T14:03:00Z");
    assert_eq!(i["impact_started"], "2024-05-01T13:55:00Z");
    assert_eq!(i["detected_at"], "2024-05-01T13:58:00Z");
    assert_eq!(i["acknowledged_at"], "2024-05-01T14:03:30Z");
    assert_eq!(i["mitigated_at"], "2024-05-01T14:09:00Z");
    assert_eq!(i["resolved_at"], "2024-05-01T14:31:05Z");
    assert_eq!(i["impact_ended"], "2024-05-01T14:20:00Z");
    assert_eq!(i["impact_ended_from"], "alerts_resolved");
    let d = &v["durations_seconds"];
    assert_eq!(d["measured_from"], "impact_started");
    assert_eq!(
        d["time_to_detect"],
        (alert_since() - impact()).num_seconds()
    );
    assert_eq!(d["time_to_acknowledge"], 330);
    assert_eq!(d["time_to_mitigate"], (flag_off() - impact()).num_seconds());
    assert_eq!(d["time_to_resolve"], 1500);
    assert_eq!(v["integrity"]["chain_ok"], true);
    assert_eq!(v["integrity"]["problems"].as_array().unwrap().len(), 0);
    assert_eq!(v["integrity"]["set_aside"], serde_json::Value::Null);
    let entries: Vec<Entry> = serde_json::from_value(v["entries"].clone()).unwrap();
    assert_eq!(entries.len(), 10);
    assert_eq!(entries, replay.entries);
    // render() gives the same document as text.
    let text = export::render(Format::Json, &inc, &replay, now());
    assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), v);
}

#[test]
fn without_an_impact_start_times_are_measured_from_declaration() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = Journal::create(dir.path(), "inc-x").unwrap();
    let declared = at("2024-05-01T10:00:00Z");
    j.append(
        declared,
        "ann",
        Event::IncidentDeclared {
            id: "inc-x".into(),
            title: "Slow search".into(),
            severity: Severity::Sev3,
            demo: true,
        },
    )
    .unwrap();
    j.append(
        at("2024-05-01T10:10:00Z"),
        "ann",
        Event::StatusChanged {
            from: Status::Investigating,
            to: Status::Resolved,
        },
    )
    .unwrap();
    let (inc, replay) = load(j.path());
    let md = export::markdown(&inc, &replay, now());
    assert!(md.contains("| Impact started | not recorded | |"));
    assert!(md.contains("| Detected (first alert) | not recorded | |"));
    assert!(md.contains("- **Time to detect:** not recorded"));
    assert!(md.contains("- **Time to resolve:** 10m00s (from the declaration to the end of impact"));
    assert!(md.contains("**Demo:**"));
    let v = export::json(&inc, &replay, now());
    assert_eq!(v["durations_seconds"]["measured_from"], "declared_at");
    assert_eq!(v["durations_seconds"]["time_to_resolve"], 600);
    assert_eq!(
        v["durations_seconds"]["time_to_detect"],
        serde_json::Value::Null
    );
}

#[test]
fn export_incident_finds_by_id_or_most_recent_and_names_known_ids() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    record(data); // last activity 2024-05-01 14:31:05
    let mut older = Journal::create(data, "inc-old").unwrap();
    older
        .append(
            at("2024-04-01T09:00:00Z"),
            "bob",
            Event::IncidentDeclared {
                id: "inc-old".into(),
                title: "Old one".into(),
                severity: Severity::Sev4,
                demo: false,
            },
        )
        .unwrap();

    let latest = export_incident(data, None, Format::Markdown, now()).unwrap();
    assert!(latest.starts_with("# Postmortem: Checkout errors in EU"));
    let old = export_incident(data, Some("inc-old"), Format::Json, now()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&old).unwrap();
    assert_eq!(v["incident"]["id"], "inc-old");

    for bad in ["nope", "../inc-old"] {
        let err = export_incident(data, Some(bad), Format::Markdown, now())
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("no incident '{bad}' in ")), "{err}");
        assert!(err.contains(&format!("known: {ID}, inc-old")), "{err}");
    }
    let empty = tempfile::tempdir().unwrap();
    let err = export_incident(empty.path(), None, Format::Json, now()).unwrap_err();
    assert!(err.to_string().contains("no incidents recorded"), "{err}");
}

#[test]
fn exporting_never_modifies_a_torn_journal() {
    let dir = tempfile::tempdir().unwrap();
    let path = record(dir.path());
    let mut bytes = fs::read(&path).unwrap();
    bytes.extend_from_slice(b"{\"seq\":11,\"ts\"");
    fs::write(&path, &bytes).unwrap();
    let md = export_incident(dir.path(), Some(ID), Format::Markdown, now()).unwrap();
    assert!(
        md.contains("> - line 11: torn last line (14 bytes)"),
        "{md}"
    );
    assert_eq!(fs::read(&path).unwrap(), bytes);
}

/// A flip from the TUI is recorded as "flag off X" before it runs and as
/// FlagChanged after: one row, with its result, not two.
#[test]
fn a_flip_started_and_finished_is_one_action_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = firebreak::timeline::journal::Journal::create(dir.path(), "inc-flip").unwrap();
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-11-27T14:00:00Z")
        .unwrap()
        .to_utc();
    let ev = |e| e;
    j.append(
        t0,
        "ann",
        ev(Event::IncidentDeclared {
            id: "inc-flip".into(),
            title: "x".into(),
            severity: firebreak::domain::incident::Severity::Sev2,
            demo: true,
        }),
    )
    .unwrap();
    j.append(
        t0,
        "ann",
        Event::ActionStarted {
            action: "flag off".into(),
            target: "new-checkout-flow".into(),
            detail: "via demo".into(),
        },
    )
    .unwrap();
    j.append(
        t0 + chrono::Duration::seconds(1),
        "ann",
        Event::FlagChanged {
            provider: "demo".into(),
            flag: "new-checkout-flow".into(),
            before: Some(true),
            after: Some(false),
            wanted: false,
            ok: true,
            detail: String::new(),
        },
    )
    .unwrap();
    let md = firebreak::timeline::export::export_incident(
        dir.path(),
        Some("inc-flip"),
        export::Format::Markdown,
        t0,
    )
    .unwrap();
    let actions = section(&md, "## Actions taken");
    let rows: Vec<&str> = actions
        .lines()
        .filter(|l| l.starts_with("| 2026-"))
        .collect();
    assert_eq!(rows.len(), 1, "{actions}");
    assert!(
        rows[0].contains("flag off | new-checkout-flow (demo) | ok"),
        "{}",
        rows[0]
    );
    assert!(!actions.contains("no result recorded"));
}

/// Hostile remote text (an alert's name, summary and labels full of
/// terminal escapes, a forged table row, a right-to-left override) never
/// leaves the export as itself: `cat postmortem.md` is safe, and the text
/// stays readable as evidence.
#[test]
fn hostile_alert_text_is_made_visible_in_the_markdown_export() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = Journal::create(dir.path(), ID).unwrap();
    j.append(
        at("2024-05-01T14:03:00Z"),
        "ann",
        Event::IncidentDeclared {
            id: ID.into(),
            title: "Title \x1b]0;owned\x07".into(),
            severity: Severity::Sev2,
            demo: false,
        },
    )
    .unwrap();
    let mut labels = std::collections::BTreeMap::new();
    labels.insert("service".to_string(), "check\u{202e}tuo".to_string());
    j.append(
        at("2024-05-01T14:04:00Z"),
        SYSTEM_ACTOR,
        Event::AlertFiring {
            fingerprint: "f1".into(),
            name: "Evil\x1b[2J".into(),
            severity: "critical".into(),
            summary: "row\n| 14:00 | forged | row |\x1b]52;c;cm0gLXJmIC8=\x07".into(),
            labels,
            since: Some(at("2024-05-01T14:04:00Z")),
        },
    )
    .unwrap();
    let path = journal::journal_path(dir.path(), ID);
    let replay = journal::read(&path).unwrap();
    let inc = Incident::replay(&replay.entries).unwrap();
    let md = export::render(Format::Markdown, &inc, &replay, now());
    for bad in ['\x1b', '\x07', '\u{202e}'] {
        assert!(!md.contains(bad), "{bad:?} reached the export:\n{md}");
    }
    assert!(md.contains("Evil\\x1b[2J"), "{md}");
    assert!(md.contains("\\x1b]52;c;cm0gLXJmIC8=\\x07"), "{md}");
    // The newline did not start a forged table row.
    assert!(
        !md.lines().any(|l| l.starts_with("| 14:00 | forged")),
        "{md}"
    );
}

/// The JSON export carries the same hostile text as escapes: every
/// character a terminal acts on or that reorders text is a `\u` escape
/// (`jq -r` and a JSON reader get the text back unchanged; `cat` and
/// `less` show it inert).
#[test]
fn hostile_text_is_escaped_in_the_json_export_and_reads_back_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let summary = "csi \u{9b}2J, override a\u{202e}live, zero\u{200b}width, esc \x1b[31m";
    let (inc, replay) = journal_of(
        dir.path(),
        ID,
        vec![
            ("2024-05-01T14:03:00Z", "ann", declared(ID)),
            (
                "2024-05-01T14:04:00Z",
                SYSTEM_ACTOR,
                Event::AlertFiring {
                    fingerprint: "f1".into(),
                    name: "Evil".into(),
                    severity: "critical".into(),
                    summary: summary.into(),
                    labels: Default::default(),
                    since: None,
                },
            ),
        ],
    );
    let text = export::render(Format::Json, &inc, &replay, now());
    for bad in ['\x1b', '\u{9b}', '\u{202e}', '\u{200b}'] {
        assert!(!text.contains(bad), "{bad:?} reached the JSON export");
    }
    for escaped in ["\\u009b", "\\u202e", "\\u200b", "\\u001b"] {
        assert!(text.contains(escaped), "{escaped} missing");
    }
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let event = &v["entries"][1]["event"];
    assert_eq!(event["summary"], summary);
    assert_eq!(v, export::json(&inc, &replay, now()));
}

/// A journal of `(time, actor, event)`, read back as an export sees it.
fn journal_of(dir: &Path, id: &str, entries: Vec<(&str, &str, Event)>) -> (Incident, Replay) {
    let mut j = Journal::create(dir, id).unwrap();
    for (ts, actor, event) in entries {
        j.append(at(ts), actor, event).unwrap();
    }
    load(j.path())
}

fn declared(id: &str) -> Event {
    Event::IncidentDeclared {
        id: id.into(),
        title: "Checkout errors".into(),
        severity: Severity::Sev2,
        demo: false,
    }
}

fn alert(fp: &str, severity: &str, since: &str) -> Event {
    Event::AlertFiring {
        fingerprint: fp.into(),
        name: format!("Alert{fp}"),
        severity: severity.into(),
        summary: String::new(),
        labels: Default::default(),
        since: Some(at(since)),
    }
}

fn alert_resolved(fp: &str) -> Event {
    Event::AlertResolved {
        fingerprint: fp.into(),
        name: format!("Alert{fp}"),
    }
}

fn flag_turned_off() -> Event {
    Event::FlagChanged {
        provider: "unleash".into(),
        flag: "new-checkout".into(),
        before: Some(true),
        after: Some(false),
        wanted: false,
        ok: true,
        detail: String::new(),
    }
}

fn status(from: Status, to: Status) -> Event {
    Event::StatusChanged { from, to }
}

/// Every duration of the JSON export is a whole number of seconds, never
/// below zero, or null.
fn assert_no_negative_duration(v: &serde_json::Value) {
    let d = v["durations_seconds"].as_object().unwrap();
    for (k, x) in d {
        if k.starts_with("time_to_") {
            assert!(
                x.is_null() || x.as_i64().is_some_and(|s| s >= 0),
                "{k} = {x}"
            );
        }
    }
}

/// The usual case: nobody recorded the impact start, and the alert fired
/// 4m27s before anyone declared. Durations run from that alert; none is
/// negative, and the draft never says an end came before its start.
#[test]
fn without_an_impact_start_durations_run_from_the_first_alert_and_are_never_negative() {
    let dir = tempfile::tempdir().unwrap();
    let (inc, replay) = journal_of(
        dir.path(),
        "inc-a",
        vec![
            ("2024-05-01T14:00:00Z", "ann", declared("inc-a")),
            // Seen on the first poll after declaring; firing since 13:55:33.
            (
                "2024-05-01T14:00:05Z",
                SYSTEM_ACTOR,
                alert("a", "critical", "2024-05-01T13:55:33Z"),
            ),
            (
                "2024-05-01T14:01:00Z",
                "ann",
                Event::Note {
                    text: "looking".into(),
                    at: None,
                },
            ),
            ("2024-05-01T14:10:00Z", "ann", flag_turned_off()),
            ("2024-05-01T14:12:00Z", SYSTEM_ACTOR, alert_resolved("a")),
            (
                "2024-05-01T14:30:00Z",
                "ann",
                status(Status::Investigating, Status::Resolved),
            ),
        ],
    );
    let v = export::json(&inc, &replay, now());
    assert_no_negative_duration(&v);
    let d = &v["durations_seconds"];
    assert_eq!(d["measured_from"], "detected_at", "{d}");
    assert_eq!(v["incident"]["detected_at"], "2024-05-01T13:55:33Z");
    // Detection is the start itself: how long impact went unseen is unknown.
    assert_eq!(d["time_to_detect"], serde_json::Value::Null);
    assert_eq!(d["time_to_acknowledge"], 327); // 13:55:33 -> 14:01:00
    assert_eq!(d["time_to_mitigate"], 867); // 13:55:33 -> 14:10:00

    let md = export::markdown(&inc, &replay, now());
    let keys = section(&md, "## Key times");
    assert!(
        keys.contains("measured from the first alert (no impact start was recorded; "),
        "{keys}"
    );
    assert!(
        keys.contains("| Declared | 2024-05-01 14:00:00 UTC | T+4m27s |"),
        "{keys}"
    );
    assert!(keys.contains("- **Time to detect:** not known"), "{keys}");
    assert!(keys.contains("- **Time to acknowledge:** 5m27s "), "{keys}");
    assert!(keys.contains("- **Time to mitigate:** 14m27s "), "{keys}");
    assert!(!md.contains("BEFORE"), "{md}");
    assert!(!md.contains("-4m27s"), "{md}");
    assert!(
        section(&md, "## Detection").contains("(T+0s); time to detect not known"),
        "{md}"
    );
}

/// A recorded impact start later than the first alert, and a human who
/// acted before any alert: zero, with what to check, never negative.
#[test]
fn an_end_recorded_before_its_start_counts_as_zero_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (inc, replay) = journal_of(
        dir.path(),
        "inc-b",
        vec![
            ("2024-05-01T14:00:00Z", "ann", declared("inc-b")),
            (
                "2024-05-01T14:00:30Z",
                "ann",
                Event::Note {
                    text: "customers report errors".into(),
                    at: None,
                },
            ),
            (
                "2024-05-01T14:01:00Z",
                "ann",
                Event::ImpactStarted {
                    at: at("2024-05-01T13:58:00Z"),
                },
            ),
            // Firing since 13:57, a minute before the impact start said.
            (
                "2024-05-01T14:02:00Z",
                SYSTEM_ACTOR,
                alert("a", "warning", "2024-05-01T13:57:00Z"),
            ),
        ],
    );
    let v = export::json(&inc, &replay, now());
    assert_no_negative_duration(&v);
    assert_eq!(v["durations_seconds"]["measured_from"], "impact_started");
    assert_eq!(v["durations_seconds"]["time_to_detect"], 0);
    // The note (14:00:30) came after the alert started firing (13:57).
    assert_eq!(v["durations_seconds"]["time_to_acknowledge"], 210);
    let md = export::markdown(&inc, &replay, now());
    assert!(
        md.contains(
            "- **Time to detect:** 0s (recorded 1m00s before the recorded impact start: \
             check the recorded times)"
        ),
        "{md}"
    );

    // An alert that fires only after the declaration: measured from the
    // declaration, and a human who acted first acknowledged it in 0s.
    let (inc, replay) = journal_of(
        dir.path(),
        "inc-c",
        vec![
            ("2024-05-01T14:00:00Z", "ann", declared("inc-c")),
            (
                "2024-05-01T14:00:30Z",
                "ann",
                Event::Note {
                    text: "customers report errors".into(),
                    at: None,
                },
            ),
            (
                "2024-05-01T14:05:00Z",
                SYSTEM_ACTOR,
                alert("a", "critical", "2024-05-01T14:04:00Z"),
            ),
        ],
    );
    let v = export::json(&inc, &replay, now());
    assert_no_negative_duration(&v);
    assert_eq!(v["durations_seconds"]["measured_from"], "declared_at");
    assert_eq!(v["durations_seconds"]["time_to_detect"], 240);
    assert_eq!(v["durations_seconds"]["time_to_acknowledge"], 0);
    let md = export::markdown(&inc, &replay, now());
    assert!(
        md.contains("- **Time to acknowledge:** 0s (recorded 3m30s before the first alert"),
        "{md}"
    );
}

/// The issue's incident: flag off at T+10m42s, the alerts resolved at
/// T+11m26s, resolve pressed at T+15m13s. The impact ended with the
/// alerts, and the export says that is what it used.
#[test]
fn impact_end_is_when_the_alerts_recovered_not_when_resolve_was_pressed() {
    let dir = tempfile::tempdir().unwrap();
    let (inc, replay) = journal_of(
        dir.path(),
        "inc-d",
        vec![
            ("2024-05-01T14:00:00Z", "ann", declared("inc-d")),
            (
                "2024-05-01T14:00:01Z",
                SYSTEM_ACTOR,
                alert("a", "critical", "2024-05-01T14:00:00Z"),
            ),
            (
                "2024-05-01T14:00:01Z",
                SYSTEM_ACTOR,
                alert("b", "warning", "2024-05-01T14:00:00Z"),
            ),
            ("2024-05-01T14:10:42Z", "ann", flag_turned_off()),
            ("2024-05-01T14:11:10Z", SYSTEM_ACTOR, alert_resolved("a")),
            ("2024-05-01T14:11:26Z", SYSTEM_ACTOR, alert_resolved("b")),
            (
                "2024-05-01T14:15:13Z",
                "ann",
                status(Status::Investigating, Status::Resolved),
            ),
        ],
    );
    let v = export::json(&inc, &replay, now());
    assert_eq!(v["incident"]["impact_ended"], "2024-05-01T14:11:26Z");
    assert_eq!(v["incident"]["impact_ended_from"], "alerts_resolved");
    assert_eq!(v["incident"]["resolved_at"], "2024-05-01T14:15:13Z");
    assert_eq!(v["durations_seconds"]["time_to_resolve"], 686);
    let md = export::markdown(&inc, &replay, now());
    let keys = section(&md, "## Key times");
    assert!(
        keys.contains("| Impact ended | 2024-05-01 14:11:26 UTC | T+11m26s |"),
        "{keys}"
    );
    assert!(
        keys.contains(
            "- **Time to resolve:** 11m26s (from the declaration to the end of impact, \
             when the firing alerts all resolved after the mitigation)"
        ),
        "{keys}"
    );
    assert!(
        section(&md, "## Impact").contains(
            "to 2024-05-01 14:11:26 UTC (when the firing alerts all resolved after the mitigation)"
        ),
        "{md}"
    );
}

/// A metric check that passed after the alerts resolved moves the end to
/// it; with no recovery at all the resolve stands in, and says so; a
/// responder's correction wins and the draft shows what firebreak saw.
#[test]
fn impact_end_says_where_it_comes_from_and_a_correction_wins() {
    let dir = tempfile::tempdir().unwrap();
    let base = |id: &'static str| {
        vec![
            ("2024-05-01T14:00:00Z", "ann", declared(id)),
            (
                "2024-05-01T14:00:01Z",
                SYSTEM_ACTOR,
                alert("a", "critical", "2024-05-01T14:00:00Z"),
            ),
            ("2024-05-01T14:10:00Z", "ann", flag_turned_off()),
        ]
    };
    let check_passed = Event::StepFinished {
        run_id: "r1".into(),
        step: 4,
        title: "Error ratio under 1%".into(),
        step_kind: "query".into(),
        ok: true,
        exit_code: None,
        duration_ms: 90_000,
        output_tail: String::new(),
        detail: String::new(),
        changed: None,
    };

    let mut verified = base("inc-e");
    verified.push(("2024-05-01T14:11:00Z", SYSTEM_ACTOR, alert_resolved("a")));
    verified.push(("2024-05-01T14:12:30Z", "ann", check_passed));
    let (inc, replay) = journal_of(dir.path(), "inc-e", verified);
    let v = export::json(&inc, &replay, now());
    assert_eq!(v["incident"]["impact_ended"], "2024-05-01T14:12:30Z");
    assert_eq!(v["incident"]["impact_ended_from"], "metrics_verified");
    assert_eq!(v["durations_seconds"]["time_to_resolve"], 750);
    assert_eq!(v["incident"]["resolved_at"], serde_json::Value::Null);
    let md = export::markdown(&inc, &replay, now());
    assert!(
        md.contains("the impact lasted 12m30s; not resolved when this draft was generated"),
        "{md}"
    );

    let mut unresolved = base("inc-f");
    unresolved.push((
        "2024-05-01T14:40:00Z",
        "ann",
        status(Status::Investigating, Status::Resolved),
    ));
    let (inc, replay) = journal_of(dir.path(), "inc-f", unresolved);
    let v = export::json(&inc, &replay, now());
    assert_eq!(v["incident"]["impact_ended_from"], "resolved_at");
    assert_eq!(v["durations_seconds"]["time_to_resolve"], 2400);
    let md = export::markdown(&inc, &replay, now());
    assert!(
        md.contains("when the status was set to resolved (no recovery of the alerts was recorded)"),
        "{md}"
    );

    let mut corrected = base("inc-g");
    corrected.push(("2024-05-01T14:11:00Z", SYSTEM_ACTOR, alert_resolved("a")));
    corrected.push((
        "2024-05-01T14:20:00Z",
        "ann",
        Event::ImpactEnded {
            at: at("2024-05-01T14:16:00Z"),
        },
    ));
    let (inc, replay) = journal_of(dir.path(), "inc-g", corrected);
    let v = export::json(&inc, &replay, now());
    assert_eq!(v["incident"]["impact_ended"], "2024-05-01T14:16:00Z");
    assert_eq!(v["incident"]["impact_ended_from"], "recorded");
    assert_eq!(v["durations_seconds"]["time_to_resolve"], 960);
    let md = export::markdown(&inc, &replay, now());
    assert!(
        md.contains(
            "- **Impact end corrected:** the responder recorded 2024-05-01 14:16:00 UTC; \
             firebreak saw it end at 2024-05-01 14:11:00 UTC (when the firing alerts all \
             resolved after the mitigation)."
        ),
        "{md}"
    );
    // The correction is on the timeline.
    assert!(
        section(&md, "## Timeline").contains("Impact ended at 2024-05-01 14:16:00 UTC"),
        "{md}"
    );
}

/// An alert is on the timeline when it started firing (its startsAt),
/// not when firebreak first polled it, and the time firebreak saw it is
/// kept: in the Markdown row and in the JSON export's timeline.
#[test]
fn the_timeline_lists_an_alert_when_it_started_firing_and_keeps_when_it_was_seen() {
    let dir = tempfile::tempdir().unwrap();
    let (inc, replay) = load(&record(dir.path()));
    let md = export::markdown(&inc, &replay, now());
    let rows: Vec<&str> = section(&md, "## Timeline")
        .lines()
        .filter(|l| l.starts_with("| 2024-"))
        .collect();
    assert_eq!(
        rows[0],
        "| 2024-05-01 13:58:00 | T+3m00s | firebreak | Alert firing: HighErrorRate [critical] \
         5xx ratio > 5% \\| checkout (firebreak saw it at 2024-05-01 14:04:00, T+9m00s) |"
    );
    // Declared at 14:03, after the alert started: it follows it.
    assert!(rows[1].starts_with("| 2024-05-01 14:03:00 | T+8m00s | ann | Incident declared"));

    let v = export::json(&inc, &replay, now());
    let timeline = v["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), replay.entries.len());
    let alert = &timeline[0];
    assert_eq!(alert["seq"], 3);
    assert_eq!(alert["at"], "2024-05-01T13:58:00Z");
    assert_eq!(alert["recorded_at"], "2024-05-01T14:04:00Z");
    assert_eq!(alert["category"], "alert");
    assert_eq!(timeline[1]["seq"], 1);
    assert_eq!(timeline[1]["at"], timeline[1]["recorded_at"]);
    let ats: Vec<&str> = timeline.iter().map(|r| r["at"].as_str().unwrap()).collect();
    assert!(ats.windows(2).all(|w| w[0] <= w[1]), "{ats:?}");
    // The journal's entries are still exported exactly as recorded.
    assert_eq!(v["entries"][2]["ts"], "2024-05-01T14:04:00Z");
}

#[test]
fn a_corrected_time_says_in_the_timeline_which_value_it_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let (inc, replay) = journal_of(
        dir.path(),
        "inc-c",
        vec![
            ("2024-05-01T14:00:00Z", "ann", declared("inc-c")),
            (
                "2024-05-01T14:05:00Z",
                "ann",
                Event::ImpactStarted {
                    at: at("2024-05-01T13:50:00Z"),
                },
            ),
            (
                "2024-05-01T14:09:00Z",
                "ann",
                Event::ImpactStarted {
                    at: at("2024-05-01T13:40:00Z"),
                },
            ),
        ],
    );
    let md = export::markdown(&inc, &replay, now());
    assert!(
        md.contains("Impact started at 2024-05-01 13:40:00 UTC (corrects the earlier 2024-05-01 13:50:00 UTC)"),
        "{md}"
    );
    assert_eq!(md.matches("corrects the earlier").count(), 1, "{md}");
}

/// Ann declares (so she is IC), hands IC to bob, takes comms, dan joins
/// operations; the exports list who held what from when, and every change.
#[test]
fn roles_and_their_handoffs_are_in_both_exports() {
    use firebreak::domain::Role;
    let dir = tempfile::tempdir().unwrap();
    let mut j = Journal::create(dir.path(), "inc-r").unwrap();
    let mut add = |ts: &str, actor: &str, event: Event| {
        j.append(at(ts), actor, event).unwrap();
    };
    add(
        "2024-05-01T10:00:00Z",
        "ann",
        Event::IncidentDeclared {
            id: "inc-r".into(),
            title: "Slow search".into(),
            severity: Severity::Sev3,
            demo: false,
        },
    );
    let role = |role, from: Option<&str>, to: Option<&str>| Event::RoleChanged {
        role,
        from: from.map(Into::into),
        to: to.map(Into::into),
    };
    add(
        "2024-05-01T10:05:00Z",
        "ann",
        role(Role::IncidentCommander, Some("ann"), Some("bob")),
    );
    add(
        "2024-05-01T10:06:00Z",
        "ann",
        role(Role::Comms, None, Some("ann")),
    );
    add(
        "2024-05-01T10:07:00Z",
        "dan",
        role(Role::Operations, None, Some("dan")),
    );
    let (inc, replay) = load(&journal::journal_path(dir.path(), "inc-r"));
    let md = export::markdown(&inc, &replay, now());
    let roles = section(&md, "## Roles");
    assert!(
        roles.contains("| Incident commander | bob | 2024-05-01 10:05:00 | T+5m00s |"),
        "{roles}"
    );
    assert!(
        roles.contains("| Comms | ann | 2024-05-01 10:06:00 |"),
        "{roles}"
    );
    assert!(roles.contains("| Operations | dan |"), "{roles}");
    assert!(roles.contains("Nobody held: scribe, observer."), "{roles}");
    assert!(
        roles.contains("- 2024-05-01 10:00:00 UTC (T+0s): Incident commander: ann (by ann)"),
        "the declarer is the first IC: {roles}"
    );
    assert!(
        roles.contains(
            "- 2024-05-01 10:05:00 UTC (T+5m00s): Incident commander: ann → bob (by ann)"
        ),
        "{roles}"
    );
    // After the key times, before the root causes.
    let (k, r, c) = (
        md.find("## Key times").unwrap(),
        md.find("## Roles").unwrap(),
        md.find("## Root Causes").unwrap(),
    );
    assert!(k < r && r < c);
    // The timeline shows every change.
    assert!(
        md.contains("| ann | Incident commander: ann → bob |"),
        "{md}"
    );

    let v = export::json(&inc, &replay, now());
    let h = &v["roles"]["holders"];
    assert_eq!(
        h["incident_commander"],
        serde_json::json!([{"name": "bob", "since": "2024-05-01T10:05:00Z"}])
    );
    assert_eq!(h["comms"][0]["name"], "ann");
    assert_eq!(h["operations"][0]["name"], "dan");
    assert_eq!(h["scribe"], serde_json::json!([]));
    assert_eq!(h["observer"], serde_json::json!([]));
    let changes = v["roles"]["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 4);
    assert_eq!(
        changes[1],
        serde_json::json!({"seq": 2, "at": "2024-05-01T10:05:00Z", "by": "ann",
            "role": "incident_commander", "from": "ann", "to": "bob"})
    );
    assert_eq!(changes[0]["to"], "ann", "the declaration made ann IC");
    assert_eq!(changes[0]["from"], serde_json::Value::Null);
}

/// The postmortem lists what stakeholders were told: each status update
/// with who wrote it when (UTC and T+), its three parts, the next time it
/// promised, and each channel's delivery (sent, failed and why, or no
/// answer). Alert text quoted in an update is remote: its escapes are
/// shown, never sent to the terminal, and its line breaks forge no row.
#[test]
fn status_updates_are_in_both_exports_with_their_deliveries() {
    let dir = tempfile::tempdir().unwrap();
    let (inc, replay) = journal_of(
        dir.path(),
        "inc-u",
        vec![
            ("2024-05-01T14:00:00Z", "ann", declared("inc-u")),
            (
                "2024-05-01T14:10:00Z",
                "ann",
                Event::StatusUpdateRecorded {
                    id: "u1".into(),
                    headline: "SEV2 · Investigating · Checkout errors".into(),
                    conditions: "Checkout failing.\nFiring:\n- Evil\x1b[2J [critical]: row\n| 14:00 | forged | row |\x1b]52;c;cm0gLXJmIC8=\x07".into(),
                    actions: "- 14:04 flag new-checkout off".into(),
                    needs: "A DBA".into(),
                    next_update_at: Some(at("2024-05-01T14:40:00Z")),
                    channels: vec!["incident-room".into(), "execs".into(), "status-page".into()],
                },
            ),
            (
                "2024-05-01T14:10:01Z",
                SYSTEM_ACTOR,
                Event::StatusUpdateSent {
                    id: "u1".into(),
                    channel: "incident-room".into(),
                    ok: true,
                    detail: "sent (HTTP 200)".into(),
                },
            ),
            (
                "2024-05-01T14:10:03Z",
                SYSTEM_ACTOR,
                Event::StatusUpdateSent {
                    id: "u1".into(),
                    channel: "execs".into(),
                    ok: false,
                    detail: "HTTP 500: \x1b[31mrollup_error (after 3 attempts)".into(),
                },
            ),
            (
                "2024-05-01T14:30:00Z",
                "bob",
                Event::StatusUpdateRecorded {
                    id: "u2".into(),
                    headline: String::new(),
                    conditions: "Recovered".into(),
                    actions: String::new(),
                    needs: String::new(),
                    next_update_at: None,
                    channels: Vec::new(),
                },
            ),
        ],
    );
    let md = export::render(Format::Markdown, &inc, &replay, now());
    let s = section(&md, "## Status updates");
    // After what was done, before how it was detected.
    let pos = |h: &str| md.find(h).unwrap_or_else(|| panic!("missing {h}"));
    assert!(pos("## Actions taken") < pos("## Status updates"));
    assert!(pos("## Status updates") < pos("## Detection"));
    assert!(
        s.contains("### u1: SEV2 · Investigating · Checkout errors"),
        "{s}"
    );
    assert!(
        s.contains("- **Recorded:** 2024-05-01 14:10:00 UTC (T+10m00s) by ann"),
        "{s}"
    );
    assert!(
        s.contains("- **Next update:** by 2024-05-01 14:40:00 UTC (T+40m00s)"),
        "{s}"
    );
    assert!(
        s.contains("  - incident-room: sent (HTTP 200) at 2024-05-01 14:10:01 UTC"),
        "{s}"
    );
    assert!(
        s.contains("  - execs: **FAILED** at 2024-05-01 14:10:03 UTC: HTTP 500: \\x1b[31mrollup_error (after 3 attempts)"),
        "{s}"
    );
    assert!(s.contains("  - status-page: **no answer recorded**"), "{s}");
    assert!(
        s.contains("| Actions | - 14:04 flag new-checkout off |"),
        "{s}"
    );
    assert!(s.contains("| Needs | A DBA |"), "{s}");
    // bob's, with no headline, no promise and no channel.
    assert!(s.contains("### u2\n"), "{s}");
    assert!(s.contains("by bob"), "{s}");
    assert!(s.contains("- **Next update:** not promised"), "{s}");
    assert!(s.contains("- **Delivered:** to no channel"), "{s}");
    // The hostile alert text: visible, inert, one cell.
    for bad in ['\x1b', '\x07'] {
        assert!(!md.contains(bad), "{bad:?} reached the export:\n{md}");
    }
    assert!(s.contains("Evil\\x1b[2J"), "{s}");
    assert!(s.contains("\\x1b]52;c;cm0gLXJmIC8=\\x07"), "{s}");
    assert!(
        !md.lines().any(|l| l.starts_with("| 14:00 | forged")),
        "{md}"
    );
    let conditions = s.lines().find(|l| l.starts_with("| Conditions |")).unwrap();
    assert_eq!(unescaped_pipes(conditions), 3, "{conditions}");

    let v = export::json(&inc, &replay, now());
    let u = v["status_updates"].as_array().unwrap();
    assert_eq!(u.len(), 2);
    assert_eq!(u[0]["id"], "u1");
    assert_eq!(u[0]["recorded_at"], "2024-05-01T14:10:00Z");
    assert_eq!(u[0]["seq"], 2);
    assert_eq!(u[0]["by"], "ann");
    assert_eq!(u[0]["headline"], "SEV2 · Investigating · Checkout errors");
    assert_eq!(u[0]["needs"], "A DBA");
    assert_eq!(u[0]["next_update_at"], "2024-05-01T14:40:00Z");
    assert_eq!(
        u[0]["channels"],
        serde_json::json!(["incident-room", "execs", "status-page"])
    );
    assert_eq!(
        u[0]["delivery"],
        serde_json::json!([
            {"channel": "incident-room", "ok": true, "detail": "sent (HTTP 200)",
             "at": "2024-05-01T14:10:01Z"},
            {"channel": "execs", "ok": false,
             "detail": "HTTP 500: \u{1b}[31mrollup_error (after 3 attempts)",
             "at": "2024-05-01T14:10:03Z"},
            {"channel": "status-page", "ok": null, "detail": null, "at": null},
        ])
    );
    assert_eq!(u[1]["by"], "bob");
    assert_eq!(u[1]["next_update_at"], serde_json::Value::Null);
    assert_eq!(u[1]["delivery"], serde_json::json!([]));
    // The JSON text escapes the control characters it carries.
    let text = export::render(Format::Json, &inc, &replay, now());
    assert!(!text.contains('\x1b'), "{text}");
}
