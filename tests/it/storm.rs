//! An alert storm with an incident open: the transitions of one poll are
//! journaled in batches (one entry per 1,000), every alert still counts
//! and is listed alert by alert in the export, and a restart does not
//! record them again.

use std::collections::BTreeMap;

use chrono::Duration;
use firebreak::domain::incident::Incident;
use firebreak::domain::{Event, ALERT_BATCH_MAX};
use firebreak::sources::{fingerprint, Alert, AlertState};
use firebreak::state::Msg;
use firebreak::timeline::export::{self, Format};
use firebreak::timeline::journal;

use crate::support::state::{new_state, polled, t, Driver};

/// `n` critical alerts of a storm, `storm-<i>` each, started 10 minutes
/// before `at`.
fn storm(n: usize, at: chrono::DateTime<chrono::Utc>) -> Vec<Alert> {
    (0..n)
        .map(|i| {
            let labels: BTreeMap<String, String> = [
                ("alertname", "NodeDown"),
                ("severity", "critical"),
                ("instance", &format!("storm-{i}")),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            Alert {
                fingerprint: fingerprint(&labels),
                annotations: [("summary".to_string(), format!("storm-{i} is down"))].into(),
                labels,
                state: AlertState::Active,
                starts_at: at - Duration::minutes(10),
                generator_url: None,
                source: "am".into(),
                detail: Default::default(),
            }
        })
        .collect()
}

/// (batch entries and their sizes, single firing entries, single
/// resolved entries) in the journal.
fn shape(d: &Driver) -> (Vec<usize>, usize, usize) {
    let mut batches = Vec::new();
    let (mut firing, mut resolved) = (0, 0);
    for e in &d.state.timeline.entries {
        match &e.event {
            Event::AlertBatch { events } => batches.push(events.len()),
            Event::AlertFiring { .. } => firing += 1,
            Event::AlertResolved { .. } => resolved += 1,
            _ => {}
        }
    }
    (batches, firing, resolved)
}

#[test]
fn a_storm_is_journaled_in_batches_and_exported_alert_by_alert() {
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-11-27T14:00:00Z");
    let mut d = Driver::started(dir.path(), now);
    let declared = d.state.timeline.entries.len();

    d.now = now + Duration::seconds(5);
    d.send(Msg::Alerts(polled(Ok(storm(2500, now)), d.now)));
    assert_eq!(
        shape(&d),
        (vec![ALERT_BATCH_MAX, ALERT_BATCH_MAX, 500], 0, 0)
    );
    let row = d.state.timeline.entries[declared].event.describe();
    assert_eq!(row, "Alerts: 1000 firing (NodeDown ×1000 [critical])");

    // The same alerts again: nothing new.
    d.now += Duration::seconds(5);
    d.send(Msg::Alerts(polled(Ok(storm(2500, now)), d.now)));
    assert_eq!(shape(&d).0.len(), 3);

    // The journal on disk says the same, and the incident counts them all:
    // detected when the storm started, 2,500 firing.
    let path = journal::journal_path(dir.path(), &d.state.incident.as_ref().unwrap().id);
    let replay = journal::read(&path).unwrap();
    assert!(replay.chain_ok(), "{:?}", replay.problems);
    let inc = Incident::replay(&replay.entries).unwrap();
    assert_eq!(inc.detected_at, Some(now - Duration::minutes(10)));

    // A restart (the journal replayed) does not record them again.
    let mut again = Driver::new(new_state(true), dir.path(), d.now);
    again.state.resume(replay.entries.clone(), Vec::new());
    again.journal = d.journal.take();
    again.send(Msg::Alerts(polled(Ok(storm(2500, now)), d.now)));
    assert_eq!(shape(&again).0.len(), 3, "recorded again after a restart");

    // They resolve while three others fire: one poll of 2,503
    // transitions, batched the same way.
    let wave = |n: usize, tag: &str| -> Vec<Alert> {
        storm(n, now + Duration::hours(1))
            .into_iter()
            .map(|mut a| {
                a.labels.insert("wave".into(), tag.into());
                a.fingerprint = fingerprint(&a.labels);
                a
            })
            .collect()
    };
    again.now += Duration::seconds(5);
    again.send(Msg::Alerts(polled(Ok(wave(3, "2")), again.now)));
    assert_eq!(
        shape(&again),
        (vec![1000, 1000, 500, 1000, 1000, 503], 0, 0)
    );
    // A few new ones are entries of their own, with their summaries.
    again.now += Duration::seconds(5);
    let mut more = wave(3, "2");
    more.extend(wave(2, "3"));
    again.send(Msg::Alerts(polled(Ok(more), again.now)));
    assert_eq!(
        shape(&again),
        (vec![1000, 1000, 500, 1000, 1000, 503], 2, 0)
    );

    // The export lists every transition on its own row.
    let md = export::export_incident(dir.path(), None, Format::Markdown, again.now).unwrap();
    let fired = md
        .lines()
        .filter(|l| l.contains("Alert firing: NodeDown"))
        .count();
    let gone = md
        .lines()
        .filter(|l| l.contains("Alert resolved: NodeDown"))
        .count();
    assert_eq!((fired, gone), (2505, 2500));
    for i in [0, 999, 1000, 2499] {
        assert!(
            md.contains(&format!("storm-{i} is down")),
            "storm-{i} missing"
        );
    }
    let json = export::export_incident(dir.path(), None, Format::Json, again.now).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rows = v["timeline"].as_array().unwrap();
    let alert_rows = rows.iter().filter(|r| r["category"] == "alert").count();
    assert_eq!(alert_rows, 2505 + 2500);
}

/// A batch's row names the worst alerts first, then the most frequent.
#[test]
fn a_batch_row_puts_the_critical_alerts_first() {
    let firing = |name: &str, severity: &str| Event::AlertFiring {
        fingerprint: format!("{name}-{severity}"),
        name: name.into(),
        severity: severity.into(),
        summary: String::new(),
        labels: Default::default(),
        since: None,
    };
    let mut events: Vec<Event> = (0..5).map(|_| firing("DiskAlmostFull", "info")).collect();
    events.extend((0..2).map(|_| firing("NodeDown", "critical")));
    events.push(firing("Latency", "warning"));
    events.push(Event::AlertResolved {
        fingerprint: "x".into(),
        name: "Old".into(),
    });
    assert_eq!(
        Event::AlertBatch { events }.describe(),
        "Alerts: 8 firing (NodeDown ×2 [critical], Latency [warning], DiskAlmostFull ×5 [info]), 1 resolved"
    );
}

/// The same alert reported twice in one poll (two sources that are not an
/// HA pair) counts once: another recorded alert missing from the poll is
/// still resolved, and a silenced one still there is not.
#[test]
fn an_alert_reported_twice_does_not_hide_one_that_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-11-27T14:00:00Z");
    let mut d = Driver::started(dir.path(), now);
    let three = storm(3, now);
    d.now = now + Duration::seconds(5);
    d.send(Msg::Alerts(polled(Ok(three.clone()), d.now)));
    assert_eq!(shape(&d), (vec![], 3, 0));
    // storm-0 twice, storm-1 silenced, storm-2 gone.
    let mut silenced = three[1].clone();
    silenced.state = AlertState::Suppressed;
    let poll = vec![three[0].clone(), three[0].clone(), silenced];
    d.now += Duration::seconds(5);
    d.send(Msg::Alerts(polled(Ok(poll), d.now)));
    assert_eq!(shape(&d), (vec![], 3, 1));
    let last = d
        .state
        .timeline
        .entries
        .iter()
        .rev()
        .find_map(|e| match &e.event {
            Event::AlertResolved { fingerprint, .. } => Some(fingerprint.clone()),
            _ => None,
        });
    assert_eq!(last, Some(three[2].fingerprint.clone()));
}
