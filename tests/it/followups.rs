//! Following through: follow-up action items, pinned entries (the
//! postmortem's Highlights), backfilled notes, and the parts of the
//! postmortem firebreak writes itself — from the keys a responder presses
//! to the exports and `firebreak followups`.

use crate::support::state::*;
use assert_cmd::Command;
use chrono::Duration;
use crossterm::event::KeyCode;
use firebreak::domain::followups::FollowUpKind;
use firebreak::domain::Event;
use firebreak::state::{Mode, Pane};
use firebreak::timeline::export::{self, Format};
use firebreak::timeline::journal;

fn exported(d: &Driver, format: Format) -> String {
    let replay = journal::read(d.journal.as_ref().unwrap().path()).unwrap();
    let inc = firebreak::domain::Incident::replay(&replay.entries).unwrap();
    export::render(format, &inc, &replay, d.now)
}

fn last_event(d: &Driver) -> &Event {
    &d.state.timeline.entries.last().unwrap().event
}

#[test]
fn f_captures_a_follow_up_and_it_fills_the_action_items_of_both_exports() {
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-11-27T14:30:00Z");
    let mut d = Driver::started(dir.path(), now);
    d.keys("fprev: alert on queue depth @bob due:7d");
    d.send(code(KeyCode::Enter));
    assert_eq!(d.state.mode, Mode::Normal);
    assert_eq!(
        last_event(&d),
        &Event::FollowUpAdded {
            kind: FollowUpKind::Prevent,
            text: "alert on queue depth".into(),
            owner: Some("bob".into()),
            due: Some(chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()),
        }
    );
    // Nonsense keeps the prompt, and what was typed, with the reason.
    d.keys("fmitigate: cap retries due:someday");
    d.send(code(KeyCode::Enter));
    match &d.state.mode {
        Mode::Prompt {
            input,
            error: Some(e),
            ..
        } => {
            assert!(e.contains("due:7d"), "{e}");
            assert_eq!(input, "mitigate: cap retries due:someday");
        }
        m => panic!("expected the prompt to stay, got {m:?}"),
    }
    d.send(code(KeyCode::Esc));

    let md = exported(&d, Format::Markdown);
    let items = md.split("## Action Items").nth(1).unwrap();
    let row = items
        .lines()
        .find(|l| l.contains("alert on queue depth"))
        .expect("the follow-up is a row of Action Items");
    assert!(row.contains("| prevent | bob | 2026-12-04 |"), "{row}");
    assert!(!items
        .split("## ")
        .next()
        .unwrap()
        .contains("_TODO: what will prevent"));

    let v: serde_json::Value = serde_json::from_str(&exported(&d, Format::Json)).unwrap();
    assert_eq!(v["version"], 2);
    let f = &v["follow_ups"][0];
    assert_eq!(f["type"], "prevent");
    assert_eq!(f["owner"], "bob");
    assert_eq!(f["due"], "2026-12-04");
    // The id is the capturing entry's, so it is the same in every export.
    let hash = &d.state.timeline.entries.last().unwrap().hash;
    assert!(hash.starts_with(f["id"].as_str().unwrap()));
    assert_eq!(f["id"].as_str().unwrap().len(), 12);
}

#[test]
fn star_pins_the_selected_entry_p_shows_pinned_only_and_the_export_has_highlights() {
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-11-27T14:30:00Z");
    let mut d = Driver::started(dir.path(), now);
    d.keys("nthe db is at 100% cpu");
    d.send(code(KeyCode::Enter));
    d.now += Duration::seconds(30);
    d.keys("nchecking the pool");
    d.send(code(KeyCode::Enter));
    // Outside the timeline, * says where to go and records nothing.
    let before = d.state.timeline.entries.len();
    d.state.focus = Pane::Alerts;
    d.keys("*");
    assert_eq!(d.state.timeline.entries.len(), before);
    // In the timeline: select the first note, pin it.
    d.keys("3");
    assert_eq!(d.state.focus, Pane::Timeline);
    d.send(code(KeyCode::Up));
    let sel = d.state.timeline.list.selected_index().unwrap();
    let target = d.state.timeline.entries[sel].clone();
    assert!(target.event.describe().contains("100% cpu"));
    d.keys("*");
    assert!(matches!(
        last_event(&d),
        Event::Pinned { entry, pinned: true, .. } if *entry == target.hash
    ));
    // Pinned only: that one entry.
    d.keys("P");
    let shown: Vec<&str> = d
        .state
        .timeline
        .list
        .view
        .iter()
        .map(|i| d.state.timeline.entries[*i].hash.as_str())
        .collect();
    assert_eq!(shown, vec![target.hash.as_str()]);
    let screen = render_at(&d.state, 160, 45, d.now);
    assert!(screen.contains("pinned only"), "{screen}");
    assert!(screen.contains("★"), "{screen}");
    let md = exported(&d, Format::Markdown);
    let hl = md
        .split("## Highlights")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap();
    assert!(hl.contains("the db is at 100% cpu"), "{hl}");
    assert!(!hl.contains("checking the pool"), "{hl}");
    // Pressed again on the same entry: unpinned, and the Highlights empty.
    d.keys("P");
    let i = d
        .state
        .timeline
        .list
        .view
        .iter()
        .position(|i| d.state.timeline.entries[*i].hash == target.hash)
        .unwrap();
    d.state.timeline.list.selected = i;
    d.state.timeline.list.follow = false;
    d.keys("*");
    assert!(matches!(
        last_event(&d),
        Event::Pinned { pinned: false, .. }
    ));
    let v: serde_json::Value = serde_json::from_str(&exported(&d, Format::Json)).unwrap();
    assert_eq!(v["highlights"], serde_json::json!([]));
}

#[test]
fn a_note_that_starts_with_a_time_is_backfilled_and_placed_where_it_happened() {
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-11-27T14:30:00Z");
    let mut d = Driver::started(dir.path(), now);
    d.keys("nsomething now");
    d.send(code(KeyCode::Enter));
    // 14:02 local is 13:02 UTC in these tests (UTC+1): before the
    // declaration, so it goes to the top.
    d.keys("n14:02 customer reports started");
    d.send(code(KeyCode::Enter));
    let e = d.state.timeline.entries.last().unwrap().clone();
    assert_eq!(
        e.event,
        Event::Note {
            text: "customer reports started".into(),
            at: Some(t("2026-11-27T13:02:00Z")),
        }
    );
    assert_eq!(e.ts, now, "recorded now, happened then");
    let first = d.state.timeline.list.view[0];
    assert_eq!(d.state.timeline.entries[first].hash, e.hash);
    // A note about the present with a time in it is just a note.
    d.keys("n-30s restarted");
    d.send(code(KeyCode::Enter));
    assert!(matches!(last_event(&d), Event::Note { at: None, .. }));
    // A clock in the future is refused, not guessed.
    d.keys("n99:99 what");
    d.send(code(KeyCode::Enter));
    assert!(matches!(d.state.mode, Mode::Prompt { error: Some(_), .. }));
    d.send(code(KeyCode::Esc));

    let md = exported(&d, Format::Markdown);
    let tl = md.split("## Timeline").nth(1).unwrap();
    let rows: Vec<&str> = tl.lines().filter(|l| l.starts_with("| 2026")).collect();
    assert!(rows[0].contains("customer reports started"), "{}", rows[0]);
    assert!(rows[0].contains("backfilled: written at 2026-11-27 14:30:00"));
    let v: serde_json::Value = serde_json::from_str(&exported(&d, Format::Json)).unwrap();
    let first = &v["timeline"][0];
    assert_eq!(first["backfilled"], true);
    assert_eq!(first["at"], "2026-11-27T13:02:00Z");
    assert_eq!(first["recorded_at"], "2026-11-27T14:30:00Z");
}

#[test]
fn the_postmortem_writes_its_summary_detection_and_facts_and_marks_them() {
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-11-27T14:30:00Z");
    let mut d = Driver::started(dir.path(), now);
    let entry = |d: &mut Driver, actor: &str, e: Event| {
        let j = d.journal.as_mut().unwrap();
        j.append(d.now, actor, e).unwrap();
    };
    entry(
        &mut d,
        "firebreak",
        Event::AlertFiring {
            fingerprint: "a1".into(),
            name: "CheckoutErrorRate".into(),
            severity: "critical".into(),
            summary: String::new(),
            labels: Default::default(),
            since: Some(now - Duration::minutes(3)),
        },
    );
    d.now += Duration::minutes(7);
    entry(
        &mut d,
        "ann",
        Event::FlagChanged {
            provider: "unleash".into(),
            flag: "checkout-v2".into(),
            before: Some(true),
            after: Some(false),
            wanted: false,
            ok: true,
            detail: String::new(),
        },
    );
    d.now += Duration::minutes(1);
    entry(
        &mut d,
        "firebreak",
        Event::SourceHealth {
            source: "prometheus".into(),
            healthy: false,
            detail: "timeout".into(),
        },
    );
    let md = exported(&d, Format::Markdown);
    let summary = md
        .split("## Summary")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap();
    let auto = summary
        .lines()
        .find(|l| l.starts_with("_(auto)_"))
        .expect("an auto-filled summary line");
    assert!(auto.contains("CheckoutErrorRate fired"), "{auto}");
    assert!(auto.contains("flag checkout-v2 turned off"), "{auto}");
    assert!(md.contains("_(auto)_ First alert: **CheckoutErrorRate**"));
    let wrong = md.split("### What went wrong").nth(1).unwrap();
    assert!(
        wrong.contains("_(auto)_ Source(s) unreachable during the incident: prometheus."),
        "{wrong}"
    );
    assert!(md.contains("Text marked _(auto)_ was written by firebreak"));
    let v: serde_json::Value = serde_json::from_str(&exported(&d, Format::Json)).unwrap();
    assert_eq!(v["auto_filled"]["detection"]["alert"], "CheckoutErrorRate");
    assert!(v["auto_filled"]["summary"]
        .as_str()
        .unwrap()
        .contains("flag checkout-v2 turned off"));
    // Nothing recorded before the impact started: no candidate is made up.
    assert_eq!(
        v["auto_filled"]["trigger_candidates"],
        serde_json::json!([])
    );
}

#[test]
fn firebreak_followups_prints_them_as_markdown_and_json() {
    let data = tempfile::tempdir().unwrap();
    let mut j = journal::Journal::create(data.path(), "inc-fu").unwrap();
    let at = t("2026-11-27T14:00:00Z");
    j.append(
        at,
        "ann",
        Event::IncidentDeclared {
            id: "inc-fu".into(),
            title: "Checkout errors".into(),
            severity: firebreak::domain::Severity::Sev2,
            demo: false,
        },
    )
    .unwrap();
    j.append(
        at,
        "ann",
        Event::FollowUpAdded {
            kind: FollowUpKind::Process,
            text: "page the db team | not the app team".into(),
            owner: None,
            due: None,
        },
    )
    .unwrap();
    let run = |format: &str| {
        let out = Command::cargo_bin("firebreak")
            .unwrap()
            .env("FIREBREAK_DATA_DIR", data.path())
            .env_remove("FIREBREAK_CONFIG")
            .env("XDG_CONFIG_HOME", data.path().join("no-config"))
            .args(["followups", "--incident", "inc-fu", "--format", format])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let md = run("markdown");
    assert!(
        md.contains("| page the db team \\| not the app team | process |"),
        "{md}"
    );
    let v: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(v["schema"], "firebreak.follow_ups");
    assert_eq!(v["follow_ups"][0]["type"], "process");
    assert_eq!(v["follow_ups"][0]["owner"], serde_json::Value::Null);
}

#[tokio::test]
async fn the_deploy_before_the_incident_is_a_trigger_candidate_as_release_control_reported_it() {
    use firebreak::flags::FlagProvider;
    use firebreak::sources::ReleaseControl;
    use firebreak::state::Msg;
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-11-27T14:30:00Z");
    let w = demo_world(now);
    let mut d = Driver::started(dir.path(), now);
    // Declaring asks what changed in the 6 h before, once.
    let asks = d.asked.clone();
    assert_eq!(asks, [now - Duration::hours(6)]);
    let since = asks[0];
    // The demo's release control knows its deploy; its flags have no
    // change yet (nothing to record for them), and a flag service that
    // cannot be asked says so.
    let deploys = w.demo.deploys_since(since).await.map_err(|e| e.to_string());
    d.send(Msg::ChangesReported {
        source: "demo".into(),
        since,
        result: deploys,
    });
    let flags = w.demo.changes_since(since).await.map_err(|e| e.to_string());
    assert_eq!(flags, Ok(None));
    d.send(Msg::ChangesReported {
        source: "demo".into(),
        since,
        result: flags,
    });
    d.send(Msg::ChangesReported {
        source: "unleash".into(),
        since,
        result: Err("HTTP 403 Forbidden: the token may not read the event log".into()),
    });
    let reported: Vec<String> = d
        .state
        .timeline
        .entries
        .iter()
        .filter(|e| matches!(e.event, Event::ChangesReported { .. }))
        .map(|e| e.event.describe())
        .collect();
    assert_eq!(reported.len(), 2, "{reported:?}");
    assert!(
        reported[0].starts_with("demo reported 1 change since 08:30:00Z: deploy checkout v2.14.0"),
        "{reported:?}"
    );
    assert!(reported[1].starts_with("Could not ask unleash what changed: HTTP 403"));

    // The postmortem names the deploy, when it was made and who says so.
    let md = exported(&d, Format::Markdown);
    let trigger = md.split("## Trigger").nth(1).unwrap();
    assert!(
        trigger.contains(
            "- 2026-11-27 14:24:00 UTC: deploy checkout v2.14.0 (from v2.13.2) (6m00s before, by ci-bot (demo), reported by demo)"
        ),
        "{trigger}"
    );
    assert!(
        trigger.contains("asked at the declaration: demo"),
        "{trigger}"
    );
    assert!(
        trigger.contains("could not ask unleash: HTTP 403"),
        "{trigger}"
    );
    let v: serde_json::Value = serde_json::from_str(&exported(&d, Format::Json)).unwrap();
    let c = &v["auto_filled"]["trigger_candidates"][0];
    assert_eq!(c["what"], "deploy checkout v2.14.0 (from v2.13.2)");
    assert_eq!(c["source"], "demo");
    assert_eq!(c["at"], "2026-11-27T14:24:00Z");
    assert_eq!(c["before_impact_seconds"], 360);
}
