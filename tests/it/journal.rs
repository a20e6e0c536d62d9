//! The incident journal: durable, private, tamper-evident, crash-tolerant.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use firebreak::domain::incident::{Severity, Status};
use firebreak::domain::Event;
use firebreak::domain::SYSTEM_ACTOR;
use firebreak::timeline::journal::{
    self, incidents_dir, journal_path, new_incident_id, open_incident, Journal, GENESIS_HASH,
};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn t(min: i64) -> DateTime<Utc> {
    at("2024-05-01T14:00:00Z") + Duration::minutes(min)
}

fn declared(id: &str) -> Event {
    Event::IncidentDeclared {
        id: id.into(),
        title: "Checkout errors".into(),
        severity: Severity::Sev2,
        demo: false,
    }
}

fn note(text: &str) -> Event {
    Event::Note {
        text: text.into(),
        at: None,
    }
}

fn status(from: Status, to: Status) -> Event {
    Event::StatusChanged { from, to }
}

/// A journal with a declaration and two notes.
fn three_entries(data: &Path) -> Journal {
    let mut j = Journal::create(data, "inc-1").unwrap();
    j.append(t(0), "ann", declared("inc-1")).unwrap();
    j.append(t(1), "ann", note("first note")).unwrap();
    j.append(t(2), "bob", note("second note")).unwrap();
    j
}

fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    fs::write(path, lines.join("\n") + "\n").unwrap();
}

#[test]
fn appended_entries_read_back_identically() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = Journal::create(dir.path(), "inc-1").unwrap();
    let written = vec![
        j.append(t(0), "ann", declared("inc-1")).unwrap(),
        j.append(t(1), "ann", note("pipes | and \"quotes\"\nand lines"))
            .unwrap(),
        j.append(
            t(2),
            SYSTEM_ACTOR,
            Event::AlertFiring {
                fingerprint: "abc".into(),
                name: "HighErrorRate".into(),
                severity: "critical".into(),
                summary: "5xx > 5%".into(),
                labels: [("service".to_string(), "checkout".to_string())].into(),
                since: Some(t(-3)),
            },
        )
        .unwrap(),
    ];
    assert_eq!(j.path(), journal_path(dir.path(), "inc-1"));
    assert_eq!(lines(j.path()).len(), 3, "one line per entry");
    let replay = journal::read(j.path()).unwrap();
    assert!(replay.chain_ok(), "{:?}", replay.problems);
    assert_eq!(replay.entries, written);
    assert_eq!(replay.set_aside, None);
}

#[test]
fn entries_are_numbered_and_hash_chained() {
    let dir = tempfile::tempdir().unwrap();
    let j = three_entries(dir.path());
    let entries = journal::read(j.path()).unwrap().entries;
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(entries[0].prev, GENESIS_HASH);
    for pair in entries.windows(2) {
        assert_eq!(pair[1].prev, pair[0].hash);
    }
    for e in &entries {
        assert_eq!(e.hash.len(), 64);
        assert!(e.hash.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    assert_ne!(entries[1].hash, entries[2].hash);
    assert_eq!((j.last_seq(), j.last_hash()), (3, entries[2].hash.as_str()));
}

#[test]
fn journal_file_is_0600_and_directory_0700() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fresh-data-dir");
    let j = three_entries(&data);
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(j.path()), 0o600);
    assert_eq!(mode(&incidents_dir(&data)), 0o700);
    assert_eq!(mode(&data), 0o700);
}

#[test]
fn create_refuses_to_overwrite_an_existing_journal() {
    let dir = tempfile::tempdir().unwrap();
    let j = three_entries(dir.path());
    let before = fs::read(j.path()).unwrap();
    let err = Journal::create(dir.path(), "inc-1").unwrap_err();
    assert!(err.is_already_exists());
    assert!(err.to_string().contains("inc-1.jsonl"), "{err}");
    assert_eq!(fs::read(j.path()).unwrap(), before);
}

#[test]
fn reopened_journal_continues_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = three_entries(dir.path()).path().to_path_buf();
    let (mut j, replay) = Journal::open(&path).unwrap();
    assert_eq!(replay.entries.len(), 3);
    assert!(replay.chain_ok() && replay.set_aside.is_none());
    let fourth = j.append(t(3), "ann", note("after restart")).unwrap();
    assert_eq!(fourth.seq, 4);
    assert_eq!(fourth.prev, replay.entries[2].hash);
    let replay = journal::read(&path).unwrap();
    assert!(replay.chain_ok(), "{:?}", replay.problems);
    assert_eq!(replay.entries.len(), 4);
}

#[test]
fn torn_last_line_is_set_aside_and_appending_continues() {
    let dir = tempfile::tempdir().unwrap();
    let path = three_entries(dir.path()).path().to_path_buf();
    let complete = fs::read(&path).unwrap();
    let torn = br#"{"seq":4,"ts":"2024-05-01T14:03:00Z","prev":"ab"#;
    fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(torn)
        .unwrap();

    // Reading reports it but never touches the file.
    let replay = journal::read(&path).unwrap();
    assert_eq!(replay.entries.len(), 3);
    assert_eq!(replay.problems.len(), 1);
    assert_eq!(replay.problems[0].line, 4);
    assert!(replay.problems[0].message.contains("torn last line"));
    assert_eq!(fs::read(&path).unwrap().len(), complete.len() + torn.len());

    let (mut j, replay) = Journal::open(&path).unwrap();
    assert_eq!(replay.entries.len(), 3, "no complete entry is lost");
    let aside = replay.set_aside.clone().expect("torn tail set aside");
    let name = aside.file_name().unwrap().to_str().unwrap();
    assert!(name.starts_with("inc-1.jsonl.torn-"), "{name}");
    assert_eq!(fs::read(&aside).unwrap(), torn, "exact bytes kept");
    assert_eq!(
        fs::metadata(&aside).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(replay.problems.len(), 1);
    let msg = &replay.problems[0].message;
    assert!(
        msg.contains(&format!(
            "torn last line ({} bytes) set aside to",
            torn.len()
        )) && msg.contains(name),
        "{msg}"
    );
    assert_eq!(
        fs::read(&path).unwrap(),
        complete,
        "ends at the last newline"
    );

    let fourth = j.append(t(4), "ann", note("after crash")).unwrap();
    assert_eq!(fourth.seq, 4);
    let replay = journal::read(&path).unwrap();
    assert!(replay.chain_ok(), "{:?}", replay.problems);
    assert_eq!(replay.entries.len(), 4);
    // The torn file is not mistaken for a journal.
    assert_eq!(journal::list(dir.path()).unwrap().len(), 1);
}

#[test]
fn unparseable_last_line_is_set_aside_even_with_a_newline() {
    let dir = tempfile::tempdir().unwrap();
    let path = three_entries(dir.path()).path().to_path_buf();
    let complete = fs::read(&path).unwrap();
    let junk = b"\0\0\0\0{\"seq\":4\n";
    let mut bytes = complete.clone();
    bytes.extend_from_slice(junk);
    fs::write(&path, &bytes).unwrap();
    let (_, replay) = Journal::open(&path).unwrap();
    assert_eq!(replay.entries.len(), 3);
    assert_eq!(fs::read(replay.set_aside.unwrap()).unwrap(), junk);
    assert_eq!(fs::read(&path).unwrap(), complete);
}

#[test]
fn complete_last_entry_missing_only_its_newline_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = three_entries(dir.path()).path().to_path_buf();
    let complete = fs::read(&path).unwrap();
    fs::write(&path, &complete[..complete.len() - 1]).unwrap();
    let (mut j, replay) = Journal::open(&path).unwrap();
    assert_eq!(replay.entries.len(), 3);
    assert!(replay.chain_ok() && replay.set_aside.is_none());
    assert_eq!(fs::read(&path).unwrap(), complete);
    assert_eq!(j.append(t(5), "ann", note("x")).unwrap().seq, 4);
    assert!(journal::read(&path).unwrap().chain_ok());
}

#[test]
fn edited_entry_is_detected_as_modified() {
    let dir = tempfile::tempdir().unwrap();
    let path = three_entries(dir.path()).path().to_path_buf();
    let mut l = lines(&path);
    l[1] = l[1].replace("first note", "nothing to see");
    write_lines(&path, &l);
    let replay = journal::read(&path).unwrap();
    assert_eq!(replay.entries.len(), 3, "the edited entry is still shown");
    assert_eq!(replay.problems.len(), 1, "{:?}", replay.problems);
    assert_eq!(replay.problems[0].line, 2);
    assert!(replay.problems[0].message.contains("entry was modified"));
}

#[test]
fn edited_entry_with_recomputed_hash_breaks_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = three_entries(dir.path()).path().to_path_buf();
    // Forge entry 2 in a journal of its own (valid hash, different text).
    let other = tempfile::tempdir().unwrap();
    let mut forger = Journal::create(other.path(), "inc-1").unwrap();
    forger.append(t(0), "ann", declared("inc-1")).unwrap();
    forger.append(t(1), "ann", note("forged")).unwrap();
    let forged = lines(forger.path());
    let mut l = lines(&path);
    assert_eq!(forged[0], l[0], "same declaration, same hash");
    // Entry 2 now differs in text only: same seq and prev, valid own hash.
    l[1] = forged[1].clone();
    write_lines(&path, &l);
    let replay = journal::read(&path).unwrap();
    assert_eq!(replay.problems.len(), 1, "{:?}", replay.problems);
    assert_eq!(replay.problems[0].line, 3);
    assert!(replay.problems[0]
        .message
        .contains("chain broken: entry 3 does not follow entry 2"));
}

#[test]
fn deleted_middle_line_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = three_entries(dir.path()).path().to_path_buf();
    let mut l = lines(&path);
    l.remove(1);
    write_lines(&path, &l);
    let replay = journal::read(&path).unwrap();
    assert_eq!(replay.entries.len(), 2);
    let messages: Vec<&str> = replay.problems.iter().map(|p| p.message.as_str()).collect();
    assert!(replay.problems.iter().all(|p| p.line == 2), "{messages:?}");
    assert!(messages
        .iter()
        .any(|m| m.contains("chain broken: entry 3 does not follow entry 1")));
    assert!(messages
        .iter()
        .any(|m| m.contains("seq gap: expected entry 2, found entry 3")));
}

#[test]
fn garbage_line_in_the_middle_is_reported_and_later_entries_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = three_entries(dir.path()).path().to_path_buf();
    let mut l = lines(&path);
    l.insert(1, "{not json".into());
    write_lines(&path, &l);
    let replay = journal::read(&path).unwrap();
    assert_eq!(replay.entries.len(), 3);
    assert_eq!(replay.problems.len(), 1, "{:?}", replay.problems);
    assert_eq!(replay.problems[0].line, 2);
    assert!(replay.problems[0].message.starts_with("unreadable line: "));
    // Opening does not treat a middle line as torn.
    let (_, replay) = Journal::open(&path).unwrap();
    assert_eq!(replay.set_aside, None);
    assert_eq!(lines(&path).len(), 4);
}

#[test]
fn full_disk_append_fails_naming_the_file_and_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(incidents_dir(dir.path())).unwrap();
    let path = journal_path(dir.path(), "inc-full");
    std::os::unix::fs::symlink("/dev/full", &path).unwrap();
    let (mut j, replay) = Journal::open(&path).unwrap();
    assert!(replay.entries.is_empty());
    for _ in 0..2 {
        let err = j.append(t(0), "ann", declared("inc-full")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains("No space left on device"), "{msg}");
        assert_eq!(j.last_seq(), 0, "a failed append does not advance");
    }
}

#[test]
fn unusable_journal_path_is_an_error_naming_it_after_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_path(dir.path(), "inc-dir");
    fs::create_dir_all(&path).unwrap();
    let shown = path.display().to_string();
    let err = Journal::create(dir.path(), "inc-dir").unwrap_err();
    assert!(err.to_string().ends_with(&shown), "{err}");
    let err = Journal::open(&path).unwrap_err();
    assert!(err.to_string().ends_with(&shown), "{err}");
    let err = journal::read(&path).unwrap_err();
    assert!(err.to_string().ends_with(&shown), "{err}");
    let missing = journal_path(dir.path(), "inc-none");
    let err = Journal::open(&missing).unwrap_err();
    assert!(err.to_string().contains("No such file"), "{err}");
}

/// A journal for `id`: declared at `t(start)`, a note at `t(last)`, and
/// resolved at `t(last)` if `resolved`.
fn incident(data: &Path, id: &str, start: i64, last: i64, resolved: bool) {
    let mut j = Journal::create(data, id).unwrap();
    j.append(t(start), "ann", declared(id)).unwrap();
    if resolved {
        j.append(
            t(last),
            "ann",
            status(Status::Investigating, Status::Resolved),
        )
        .unwrap();
    } else {
        j.append(t(last), "ann", note("still on it")).unwrap();
    }
}

#[test]
fn list_sorts_by_last_activity_and_skips_non_journals() {
    let dir = tempfile::tempdir().unwrap();
    incident(dir.path(), "inc-a", 0, 180, true);
    incident(dir.path(), "inc-b", 10, 60, false);
    incident(dir.path(), "inc-c", 5, 120, false);
    fs::write(incidents_dir(dir.path()).join("notes.jsonl"), "hello\n").unwrap();
    fs::write(incidents_dir(dir.path()).join("README.txt"), "hi").unwrap();
    let list = journal::list(dir.path()).unwrap();
    let ids: Vec<&str> = list.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["inc-a", "inc-c", "inc-b"]);
    assert_eq!(list[0].last_ts, t(180));
    assert_eq!(list[0].entries, 2);
    assert!(list.iter().all(|s| s.chain_ok));
    assert!(!list[0].incident.is_open());
}

#[test]
fn open_incident_resumes_the_most_recent_open_one() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(open_incident(dir.path()).unwrap(), None, "no data dir yet");
    incident(dir.path(), "inc-a", 0, 180, true);
    assert_eq!(open_incident(dir.path()).unwrap(), None, "only resolved");
    incident(dir.path(), "inc-b", 10, 60, false);
    incident(dir.path(), "inc-c", 5, 120, false);
    assert_eq!(
        open_incident(dir.path()).unwrap(),
        Some(journal_path(dir.path(), "inc-c"))
    );
}

#[test]
fn incident_ids_come_from_the_clock_and_collisions_get_a_suffix() {
    let now = at("2024-05-01T14:03:09Z");
    let id = new_incident_id(now);
    assert_eq!(id, "inc-20240501-140309");
    let dir = tempfile::tempdir().unwrap();
    let a = Journal::create_unique(dir.path(), &id).unwrap();
    let b = Journal::create_unique(dir.path(), &id).unwrap();
    assert_eq!(a.id(), "inc-20240501-140309");
    assert_eq!(b.id(), "inc-20240501-140309-2");
}

/// Large journals are verified in parallel: problems still name the right
/// line and the chain is still checked in order across the parts.
#[test]
fn a_large_journal_with_damage_in_the_middle_names_the_right_lines() {
    use firebreak::domain::incident::Severity;
    let dir = tempfile::tempdir().unwrap();
    let mut j = Journal::create(dir.path(), "inc-big").unwrap();
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-11-27T14:00:00Z")
        .unwrap()
        .to_utc();
    j.append(
        t0,
        "a",
        Event::IncidentDeclared {
            id: "inc-big".into(),
            title: "Big".into(),
            severity: Severity::Sev2,
            demo: false,
        },
    )
    .unwrap();
    for i in 0..2999 {
        j.append(
            t0,
            "a",
            Event::Note {
                text: format!("note {i}"),
                at: None,
            },
        )
        .unwrap();
    }
    let path = j.path().to_path_buf();
    drop(j);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[2000] = lines[2000].replace("note 1999", "note 1998");
    lines.remove(1000);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let r = firebreak::timeline::journal::read(&path).unwrap();
    assert_eq!(r.entries.len(), 2999);
    let where_: Vec<(usize, bool)> = r
        .problems
        .iter()
        .map(|p| (p.line, p.message.contains("modified")))
        .collect();
    assert!(
        where_.contains(&(1001, false)),
        "gap after the deleted line: {:?}",
        r.problems
    );
    assert!(
        where_.contains(&(2000, true)),
        "edited entry on its line: {:?}",
        r.problems
    );
}

/// A storm's worth of records queued at once: every one is recorded, in
/// the order it was asked, as one chain on disk (the journal thread writes
/// what waits in its queue together), and a note queued behind them too.
#[tokio::test(flavor = "multi_thread")]
async fn a_storm_of_records_is_written_in_order_and_whole() {
    use firebreak::effects::Runner;
    use firebreak::state::{Effect, Msg};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (tx, mut rx) = tokio::sync::mpsc::channel(100_000);
    let (parts, _themes) = crate::support::runner_parts(tx, &data, &dir.path().join("exports"));
    let runner = Runner::new(parts);
    const N: usize = 5_000;
    runner.run(Effect::Record {
        actor: "alice".into(),
        event: declared("inc-storm"),
        then: Vec::new(),
    });
    for i in 0..N {
        runner.run(Effect::Record {
            actor: SYSTEM_ACTOR.into(),
            event: note(&format!("transition {i}")),
            then: Vec::new(),
        });
    }
    runner.run(Effect::Record {
        actor: "alice".into(),
        event: note("typed during the storm"),
        then: Vec::new(),
    });
    let mut seqs = Vec::new();
    let mut texts = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while seqs.len() < N + 2 {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let m = tokio::time::timeout(left, rx.recv())
            .await
            .expect("all recorded within a minute")
            .expect("the runner is alive");
        match m {
            Msg::Recorded { entry, .. } => {
                seqs.push(entry.seq);
                if let Event::Note { text, .. } = &entry.event {
                    texts.push(text.clone());
                }
            }
            Msg::RecordFailed { error, .. } => panic!("{error}"),
            _ => {}
        }
    }
    assert_eq!(seqs, (1..=(N as u64 + 2)).collect::<Vec<_>>());
    assert_eq!(texts[0], "transition 0");
    assert_eq!(texts[N - 1], format!("transition {}", N - 1));
    assert_eq!(texts[N], "typed during the storm");
    let path = journal_path(&data, "inc-storm");
    let replay = firebreak::timeline::journal::read(&path).unwrap();
    assert!(replay.chain_ok(), "{:?}", replay.problems);
    assert_eq!(replay.entries.len(), N + 2);
}

/// A storm's transitions handed to the journal's thread whole
/// (`Effect::RecordAlerts`): it builds the `alert_batch` entries from the
/// shared alerts, appends them in order with the alerts' own labels, and a
/// note recorded after them comes after them.
#[tokio::test(flavor = "multi_thread")]
async fn a_storm_handed_to_the_journal_thread_is_built_into_batches_in_order() {
    use firebreak::domain::ALERT_BATCH_MAX;
    use firebreak::effects::Runner;
    use firebreak::sources::{fingerprint, Alert, AlertState};
    use firebreak::state::alerts::AlertTransitions;
    use firebreak::state::{Effect, Msg};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (tx, mut rx) = tokio::sync::mpsc::channel(10_000);
    let (parts, _themes) = crate::support::runner_parts(tx, &data, &dir.path().join("exports"));
    let runner = Runner::new(parts);
    let alerts: Vec<Alert> = (0..2_500)
        .map(|i| {
            let labels: std::collections::BTreeMap<String, String> = [
                ("alertname".to_string(), "NodeDown".to_string()),
                ("instance".to_string(), format!("node-{i}")),
            ]
            .into();
            Alert {
                fingerprint: fingerprint(&labels),
                labels,
                annotations: Default::default(),
                state: AlertState::Active,
                starts_at: chrono::Utc::now(),
                generator_url: None,
                source: "am".into(),
                detail: Default::default(),
            }
        })
        .collect();
    let fingerprints: Vec<String> = alerts.iter().map(|a| a.fingerprint.clone()).collect();
    runner.run(Effect::Record {
        actor: "alice".into(),
        event: declared("inc-storm"),
        then: Vec::new(),
    });
    runner.run(Effect::RecordAlerts(AlertTransitions {
        alerts: std::sync::Arc::new(alerts),
        firing: (0..2_500).collect(),
        resolved: vec![("gone-fp".into(), "OldAlert".into())],
    }));
    runner.run(Effect::Record {
        actor: "alice".into(),
        event: note("typed during the storm"),
        then: Vec::new(),
    });
    let mut recorded = Vec::new();
    while recorded.len() < 5 {
        let m = tokio::time::timeout(std::time::Duration::from_secs(30), rx.recv())
            .await
            .expect("recorded within 30 s")
            .expect("the runner is alive");
        match m {
            Msg::Recorded { entry, .. } => recorded.push(entry),
            Msg::RecordFailed { error, .. } => panic!("{error}"),
            _ => {}
        }
    }
    let sizes: Vec<usize> = recorded[1..4]
        .iter()
        .map(|e| match &e.event {
            Event::AlertBatch { events } => events.len(),
            other => panic!("not a batch: {other:?}"),
        })
        .collect();
    assert_eq!(sizes, [ALERT_BATCH_MAX, ALERT_BATCH_MAX, 501]);
    let mut firing = Vec::new();
    let mut resolved = Vec::new();
    for (event, _) in recorded[1..4].iter().flat_map(|e| e.parts()) {
        match event {
            Event::AlertFiring {
                fingerprint,
                labels,
                ..
            } => {
                assert!(labels["instance"].starts_with("node-"));
                firing.push(fingerprint.clone());
            }
            Event::AlertResolved { fingerprint, .. } => resolved.push(fingerprint.clone()),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(firing, fingerprints, "every alert, in the poll's order");
    assert_eq!(resolved, ["gone-fp"]);
    assert!(
        matches!(&recorded[4].event, Event::Note { text, .. } if text == "typed during the storm")
    );
    let replay = firebreak::timeline::journal::read(&journal_path(&data, "inc-storm")).unwrap();
    assert!(replay.chain_ok(), "{:?}", replay.problems);
    assert_eq!(replay.entries.len(), 5);
}
