//! One writer per incident: the writer lock, the append lock shared with
//! headless writers, the read-only cockpit that follows, and taking over.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use chrono::Utc;
use firebreak::domain::incident::Severity;
use firebreak::domain::Event;
use firebreak::state::{update, Effect, Msg};
use firebreak::timeline::journal::{self, lock, Claim, Follower, Holder, Journal};

use crate::support::state::{ctrl, key, new_state, t, Driver};

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

fn holder(name: &str, pid: u32) -> Holder {
    Holder {
        responder: name.into(),
        host: "laptop".into(),
        pid,
        since: t("2026-12-02T03:00:00Z"),
    }
}

fn notes(entries: &[firebreak::domain::Entry]) -> Vec<String> {
    entries
        .iter()
        .filter_map(|e| match &e.event {
            Event::Note { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_second_cockpit_finds_the_writer_lock_taken_and_learns_who_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Journal::create(dir.path(), "inc-1").unwrap();
    first
        .append(Utc::now(), "alice", declared("inc-1"))
        .unwrap();
    assert_eq!(first.hold(&holder("alice", 4242)).unwrap(), None);
    assert!(first.holds_writer_lock());

    let (mut second, _) = Journal::open(first.path()).unwrap();
    let seen = second.hold(&holder("bob", 77)).unwrap();
    assert_eq!(seen, Some(Some(holder("alice", 4242))));
    assert!(!second.holds_writer_lock());
    assert_eq!(
        lock::holder(first.path()).unwrap(),
        Some(Some(holder("alice", 4242)))
    );

    // The writer quits: the lock is free, and the next one gets it.
    let path = first.path().to_path_buf();
    drop(first);
    assert_eq!(lock::holder(&path).unwrap(), None);
    assert!(matches!(
        lock::claim(&path, &holder("bob", 77)).unwrap(),
        Claim::Won(_)
    ));
}

#[test]
fn a_headless_append_lands_between_the_cockpits_and_the_chain_stays_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut cockpit = Journal::create(dir.path(), "inc-1").unwrap();
    cockpit
        .append(Utc::now(), "alice", declared("inc-1"))
        .unwrap();
    cockpit.append(Utc::now(), "alice", note("one")).unwrap();

    // `firebreak note` opens the same journal and appends.
    let (mut headless, _) = Journal::open(cockpit.path()).unwrap();
    let h = headless
        .append(Utc::now(), "bob", note("from bob"))
        .unwrap();
    assert_eq!(h.seq, 3);

    // The cockpit's next append reads bob's entry first and follows it.
    let mine = cockpit.append(Utc::now(), "alice", note("two")).unwrap();
    assert_eq!(mine.seq, 4);
    assert_eq!(mine.prev, h.hash);
    assert_eq!(notes(&cockpit.take_foreign()), ["from bob"]);
    // And bob's next one follows alice's.
    let h2 = headless.append(Utc::now(), "bob", note("again")).unwrap();
    assert_eq!((h2.seq, h2.prev.as_str()), (5, mine.hash.as_str()));

    // Without writing, the cockpit picks it up on its next look.
    assert_eq!(notes(&cockpit.catch_up().unwrap()), ["again"]);
    assert!(cockpit.catch_up().unwrap().is_empty());

    let replay = journal::read(cockpit.path()).unwrap();
    assert!(replay.chain_ok(), "{:?}", replay.problems);
    assert_eq!(notes(&replay.entries), ["one", "from bob", "two", "again"]);
}

#[test]
fn many_writers_at_once_never_interleave_or_fork_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = Journal::create(dir.path(), "inc-1").unwrap();
    j.append(Utc::now(), "alice", declared("inc-1")).unwrap();
    let path = j.path().to_path_buf();
    drop(j);
    let threads: Vec<_> = (0..4)
        .map(|w| {
            let path = path.clone();
            std::thread::spawn(move || {
                let (mut j, _) = Journal::open(&path).unwrap();
                for i in 0..50 {
                    j.append(Utc::now(), &format!("w{w}"), note(&format!("{w}-{i}")))
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let replay = journal::read(&path).unwrap();
    assert!(replay.chain_ok(), "{:?}", replay.problems);
    assert_eq!(replay.entries.len(), 1 + 4 * 50);
}

#[test]
fn a_follower_sees_whole_entries_only_and_a_foreign_line_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = Journal::create(dir.path(), "inc-1").unwrap();
    writer
        .append(Utc::now(), "alice", declared("inc-1"))
        .unwrap();
    let (mut f, replay) = Follower::open(writer.path()).unwrap();
    assert_eq!(replay.entries.len(), 1);
    assert!(f.poll().unwrap().is_empty());

    writer.append(Utc::now(), "alice", note("live")).unwrap();
    assert_eq!(notes(&f.poll().unwrap()), ["live"]);

    // Half a line (a write in progress) is not an entry yet.
    let mut raw = OpenOptions::new().append(true).open(writer.path()).unwrap();
    raw.write_all(b"{\"seq\":3,").unwrap();
    assert!(f.poll().unwrap().is_empty());
    raw.write_all(b"garbage}\n").unwrap();
    let err = f.poll().unwrap_err().to_string();
    assert!(err.starts_with("line 3: unreadable line"), "{err}");
    assert!(
        err.ends_with("inc-1.jsonl"),
        "cause first, then the path: {err}"
    );
}

#[test]
fn journal_errors_say_the_cause_before_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let err = Journal::open(&dir.path().join("incidents/none.jsonl")).unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("No such file"), "{text}");
    assert!(text.ends_with("none.jsonl"), "{text}");
}

/// A cockpit following alice's incident (as one opened second).
fn follower(dir: &Path) -> (Driver, Journal) {
    let mut j = Journal::create(dir, "inc-1").unwrap();
    j.append(t("2026-12-02T03:00:00Z"), "alice", declared("inc-1"))
        .unwrap();
    j.hold(&holder("alice", 4242)).unwrap();
    let (_, replay) = Follower::open(j.path()).unwrap();
    let mut state = new_state(false);
    state.resume(replay.entries, replay.problems);
    state.follow(Some(holder("alice", 4242)));
    (Driver::new(state, dir, t("2026-12-02T03:05:00Z")), j)
}

#[test]
fn read_only_refuses_every_key_that_writes_and_says_who_writes() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, _writer) = follower(dir.path());
    for k in [
        'n', 's', 'S', 'i', 'I', 'm', 'x', 'B', 'h', 'z', 'a', 'D', 'R',
    ] {
        let fx = update(&mut d.state, key(k), d.now);
        assert!(fx.is_empty(), "{k}: {fx:?}");
        assert_eq!(d.state.mode, firebreak::state::Mode::Normal, "{k}");
        let notice = d.state.notice.as_ref().map(|n| n.text.clone());
        let notice = notice.unwrap_or_default();
        assert!(
            notice.starts_with(
                "View only, nothing done: alice on laptop (pid 4242) writes this incident"
            ),
            "{k}: {notice}"
        );
        d.state.notice = None;
    }
    // Looking still works.
    d.send(key('3'));
    assert_eq!(d.state.focus, firebreak::state::Pane::Timeline);
    // Quitting does not claim to have saved anything.
    d.send(key('q'));
    let firebreak::state::Mode::Confirm { question, .. } = &d.state.mode else {
        panic!("{:?}", d.state.mode);
    };
    assert!(question.contains("You only followed it"), "{question}");
    assert!(!question.contains("It is saved"), "{question}");
}

#[test]
fn read_only_records_nothing_it_observes_the_writer_does() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, _writer) = follower(dir.path());
    let alert = firebreak::sources::Alert {
        fingerprint: "f1".into(),
        labels: [("alertname".to_string(), "HighErrorRate".to_string())].into(),
        state: firebreak::sources::AlertState::Active,
        starts_at: d.now,
        annotations: Default::default(),
        generator_url: None,
        source: "am".into(),
        detail: Default::default(),
    };
    let fx = update(
        &mut d.state,
        Msg::Alerts(crate::support::state::polled(Ok(vec![alert]), d.now)),
        d.now,
    );
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Record { .. })),
        "{fx:?}"
    );
    assert_eq!(d.state.alerts.items.len(), 1, "but it shows the alert");
    // Once it writes, what the writer never recorded is recorded.
    d.state.access.following = None;
    let seen = d.state.alerts.items.to_vec();
    let fx = update(
        &mut d.state,
        Msg::Alerts(crate::support::state::polled(Ok(seen), d.now)),
        d.now,
    );
    assert!(
        fx.iter().any(|e| matches!(
            e,
            Effect::Record {
                event: Event::AlertFiring { .. },
                ..
            }
        )),
        "{fx:?}"
    );
}

#[test]
fn the_follower_shows_the_writers_entries_and_takes_over_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, mut writer) = follower(dir.path());
    let (mut f, _) = Follower::open(writer.path()).unwrap();
    writer
        .append(d.now, "alice", note("rolled back checkout"))
        .unwrap();
    d.send(Msg::Followed(f.poll().unwrap()));
    assert_eq!(notes(&d.state.timeline.entries), ["rolled back checkout"]);
    // The same entries twice (a catch-up after a take-over) are applied once.
    let again = journal::read(writer.path()).unwrap().entries;
    d.send(Msg::Followed(again));
    assert_eq!(d.state.timeline.entries.len(), 2);
    assert_eq!(
        d.state.timeline.list.view.len(),
        2,
        "and shown once each: {:?}",
        d.state.timeline.list.view
    );

    // While alice writes, take over is refused.
    d.send(ctrl('t'));
    assert!(d.take_outbox().is_empty());
    let banner = d.state.access.following.as_ref().unwrap().banner("ctrl-t");
    assert!(
        banner.contains("alice on laptop (pid 4242) writes this incident"),
        "{banner}"
    );

    // Alice quits.
    drop(writer);
    d.send(Msg::WriterSeen(None));
    let banner = d.state.access.following.as_ref().unwrap().banner("ctrl-t");
    assert!(banner.contains("has quit · ctrl-t takes over"), "{banner}");
    d.send(ctrl('t'));
    assert_eq!(d.take_outbox(), [Effect::TakeOver { id: "inc-1".into() }]);
    let entries = journal::read(&journal::journal_path(dir.path(), "inc-1"))
        .unwrap()
        .entries;
    d.send(Msg::TookOver(Ok(entries)));
    assert!(!d.state.access.read_only());
    // Now a note is recorded.
    let (j, _) = Journal::open(&journal::journal_path(dir.path(), "inc-1")).unwrap();
    d.journal = Some(j);
    d.send(key('n'));
    d.keys("mine now");
    d.send(crate::support::state::code(
        crossterm::event::KeyCode::Enter,
    ));
    assert_eq!(
        notes(&d.state.timeline.entries),
        ["rolled back checkout", "mine now"]
    );
}

#[test]
fn an_export_that_cannot_be_written_says_why_before_where() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = Journal::create(dir.path(), "inc-1").unwrap();
    j.append(Utc::now(), "alice", declared("inc-1")).unwrap();
    // A file where the export directory should be.
    let blocked = dir.path().join("exports");
    std::fs::write(&blocked, "not a directory").unwrap();
    let err = firebreak::effects::export_to_file(
        dir.path(),
        &blocked.join("sub"),
        "inc-1",
        firebreak::timeline::export::Format::Markdown,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("cannot create the export directory: Not a directory"),
        "{err}"
    );
    assert!(err.ends_with("exports/sub"), "{err}");
}

#[tokio::test]
async fn in_the_demo_a_headless_flip_reaches_the_open_cockpit_and_stays() {
    use firebreak::flags::FlagProvider;
    use firebreak::sources::AlertSource;
    let dir = tempfile::tempdir().unwrap();
    // The cockpit's demo world, and (later) the one `firebreak flag off`
    // builds in its own process: the same saved world.
    let (cockpit, _) = firebreak::wiring::demo(dir.path(), true, Utc::now()).unwrap();
    let on = |flags: &[firebreak::flags::Flag], name: &str| {
        flags.iter().find(|f| f.name == name).map(|f| f.enabled)
    };
    assert_eq!(
        on(&cockpit.list().await.unwrap(), "new-checkout-flow"),
        Some(true)
    );
    // A file's time can be coarse: make the headless save a later one.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let (headless, _) = firebreak::wiring::demo(dir.path(), false, Utc::now()).unwrap();
    headless.set("new-checkout-flow", false).await.unwrap();
    assert_eq!(
        on(&cockpit.list().await.unwrap(), "new-checkout-flow"),
        Some(false),
        "the cockpit sees the headless flip"
    );
    // The cockpit's next change (an ack) keeps it: the flip is not undone.
    let alerts = cockpit.alerts().await.unwrap();
    let a = &alerts[0];
    let now = Utc::now();
    cockpit
        .create_silence(&firebreak::sources::NewSilence {
            matchers: vec![firebreak::sources::silence::SilenceMatcher {
                name: "alertname".into(),
                value: a.name().to_string(),
                is_regex: false,
                is_equal: true,
            }],
            starts_at: now,
            ends_at: now + chrono::Duration::minutes(10),
            created_by: "alice".into(),
            comment: "ACK".into(),
        })
        .await
        .unwrap();
    let (again, _) = firebreak::wiring::demo(dir.path(), false, Utc::now()).unwrap();
    assert_eq!(
        on(&again.list().await.unwrap(), "new-checkout-flow"),
        Some(false)
    );
}

#[test]
fn an_observer_adds_notes_but_never_acts_on_the_world() {
    use crate::support::state::code;
    use crossterm::event::KeyCode;
    let dir = tempfile::tempdir().unwrap();
    let mut d = Driver::started(dir.path(), t("2026-12-02T03:00:00Z"));
    d.state.access.readonly = true;
    for k in ['B', 'x', 'o', 'a', 'z', 'p'] {
        let fx = update(&mut d.state, key(k), d.now);
        assert!(fx.is_empty(), "{k}: {fx:?}");
        let notice = d.state.notice.take().map(|n| n.text).unwrap_or_default();
        assert!(
            notice.starts_with("Observer, nothing done (started with --readonly)"),
            "{k}: {notice}"
        );
    }
    // A note is fine.
    d.send(key('n'));
    d.keys("watching the error ratio");
    d.send(code(KeyCode::Enter));
    assert!(notes(&d.state.timeline.entries).contains(&"watching the error ratio".to_string()));
    // The header says so.
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).unwrap();
    let theme = firebreak::config::theme::Theme::default_theme();
    term.draw(|f| firebreak::ui::draw(f, &d.state, &theme, d.now))
        .unwrap();
    assert!(format!("{}", term.backend()).contains(" OBSERVER "));

    // Holding the observer role does the same, without --readonly.
    d.state.access.readonly = false;
    let me = d.state.settings.responder.clone();
    d.run(vec![Effect::Record {
        actor: me.clone(),
        event: Event::RoleChanged {
            role: firebreak::domain::roles::Role::Observer,
            from: None,
            to: Some(me),
        },
        then: Vec::new(),
    }]);
    let fx = update(&mut d.state, key('B'), d.now);
    assert!(fx.is_empty(), "{fx:?}");
    let notice = d.state.notice.take().map(|n| n.text).unwrap_or_default();
    assert!(notice.contains("you hold the observer role"), "{notice}");
}
