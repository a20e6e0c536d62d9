//! The two-person rule: a guarded action waits for a second responder's
//! approval, runs once when it arrives through the team, never on the
//! requester's own word (unless they break glass, which is recorded), and
//! never after its request expired. Cockpits are driven headless; the
//! cross-process test runs real firebreak processes against a real
//! PostgreSQL.

use chrono::Duration;
use crossterm::event::KeyCode;
use firebreak::domain::approvals::{Guarded, Standing, REQUEST_TTL};
use firebreak::domain::incident::Severity;
use firebreak::domain::{Entry, Event};
use firebreak::state::team::TeamMsg;
use firebreak::state::{Effect, Mode, Msg};
use firebreak::timeline::journal::Journal;

use crate::support::state::{code, key, new_state, t, Driver};

/// Alice's cockpit on a shared incident where rollbacks need a second
/// responder, and bob's feed of it (joined).
fn alice_and_bob(dir: &std::path::Path) -> (Driver, Journal, Entry) {
    let mut state = new_state(false);
    state.settings.responder = "alice".into();
    state.settings.two_person = vec![Guarded::Rollback];
    state.team.configured = true;
    state.viewport = (120, 40);
    let mut d = Driver::new(state, dir, t("2026-12-02T03:00:00Z"));
    d.send(key('D'));
    d.keys("Checkout errors");
    d.send(code(KeyCode::Enter));
    let mut bob = Journal::create(&dir.join("bob"), "bob-feed").unwrap();
    let id = d.state.incident.as_ref().unwrap().id.clone();
    let joined = bob
        .append(
            d.now,
            "bob",
            Event::TeamJoined {
                id,
                title: "Checkout errors".into(),
                severity: Severity::Sev2,
                declared_by: "alice".into(),
                declared_at: d.now,
            },
        )
        .unwrap();
    d.take_outbox();
    (d, bob, joined)
}

/// The team's view as the sync hands it over: alice's entries, then bob's.
fn merged(d: &mut Driver, bob: &[Entry]) {
    let mut canonical = d.state.timeline.entries.clone();
    canonical.retain(|e| e.actor != "bob");
    canonical.extend(bob.iter().cloned());
    d.send(Msg::Team(TeamMsg::Merged {
        canonical,
        responders: vec![("alice".into(), true), ("bob".into(), true)],
    }));
}

fn rollbacks(fx: &[Effect]) -> usize {
    fx.iter().filter(|e| matches!(e, Effect::Rollback)).count()
}

fn kinds(d: &Driver) -> Vec<String> {
    d.state
        .timeline
        .entries
        .iter()
        .map(|e| format!("{}: {}", e.actor, e.event.describe()))
        .collect()
}

fn screen(d: &Driver) -> String {
    crate::support::state::render_at(&d.state, 120, 40, d.now)
}

fn approve(bob: &mut Journal, at: chrono::DateTime<chrono::Utc>, id: &str) -> Entry {
    bob.append(
        at,
        "bob",
        Event::ApprovalGiven {
            id: id.into(),
            requester: "alice".into(),
            what: "roll back the last release".into(),
        },
    )
    .unwrap()
}

#[test]
fn a_guarded_rollback_waits_for_a_second_responder_and_runs_once_when_approved() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, mut bob, joined) = alice_and_bob(dir.path());
    d.send(key('B'));
    d.type_confirmation();
    assert_eq!(
        rollbacks(&d.take_outbox()),
        0,
        "confirmed, but not rolled back"
    );
    assert!(
        kinds(&d).iter().any(|k| k
            == "alice: Asked a second responder to approve alice/1: roll back the last release"),
        "{:?}",
        kinds(&d)
    );
    let s = screen(&d);
    assert!(
        s.contains("alice/1 waits for a second responder's approval"),
        "{s}"
    );
    // A second B does not ask twice.
    d.send(key('B'));
    d.type_confirmation();
    let asked = kinds(&d)
        .iter()
        .filter(|k| k.contains("Asked a second responder"))
        .count();
    assert_eq!(asked, 1, "{:?}", kinds(&d));
    // Alice's own A never approves: withdraw or go ahead alone.
    d.send(key('A'));
    let Mode::Choose {
        kind: firebreak::state::ChooseKind::Approval { choices },
        ..
    } = &d.state.mode
    else {
        panic!("A opens the approvals chooser: {:?}", d.state.mode);
    };
    assert!(
        choices
            .iter()
            .all(|c| !matches!(c, firebreak::state::approvals::ApprovalChoice::Approve(_))),
        "{choices:?}"
    );
    d.send(code(KeyCode::Esc));

    // Bob approves; it reaches alice's cockpit through the team.
    d.now += Duration::seconds(40);
    let b = vec![joined, approve(&mut bob, d.now, "alice/1")];
    merged(&mut d, &b);
    let fx = d.take_outbox();
    assert_eq!(rollbacks(&fx), 1, "approved: it runs, once: {fx:?}");
    let inc = d.state.incident.as_ref().unwrap();
    let r = inc.approvals.get("alice/1").unwrap();
    assert_eq!(r.standing(d.now), Standing::Used);
    assert_eq!(r.approver(), Some("bob"));
    assert!(
        kinds(&d)
            .iter()
            .any(|k| k == "alice: Started rollback last release (approved by bob (alice/1))"),
        "{:?}",
        kinds(&d)
    );
    // The same approval arriving again runs nothing more.
    merged(&mut d, &b);
    assert_eq!(rollbacks(&d.take_outbox()), 0);
    let s = screen(&d);
    assert!(!s.contains("waits for a second responder"), "{s}");
}

#[test]
fn the_second_responder_is_told_approves_by_typing_and_the_entry_is_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let (mut alice, _, _) = alice_and_bob(dir.path());
    alice.send(key('B'));
    alice.type_confirmation();
    let from_alice = alice.state.timeline.entries.clone();

    // Bob's cockpit: his own journal (joined), alice's entries arrive.
    let bob_dir = dir.path().join("bob-cockpit");
    let mut state = new_state(false);
    state.settings.responder = "bob".into();
    state.team.configured = true;
    state.viewport = (120, 40);
    let mut d = Driver::new(state, &bob_dir, alice.now);
    let id = alice.state.incident.as_ref().unwrap().id.clone();
    let mut j = Journal::create(&bob_dir, &id).unwrap();
    let joined = j
        .append(
            d.now,
            "bob",
            Event::TeamJoined {
                id: id.clone(),
                title: "Checkout errors".into(),
                severity: Severity::Sev2,
                declared_by: "alice".into(),
                declared_at: alice.now,
            },
        )
        .unwrap();
    d.send(Msg::Recorded {
        entry: joined.clone(),
        then: Vec::new(),
    });
    d.journal = Some(j);
    let mut canonical = from_alice.clone();
    canonical.push(joined);
    d.send(Msg::Team(TeamMsg::Merged {
        canonical,
        responders: vec![("alice".into(), true)],
    }));
    let notice = d.state.notice.as_ref().unwrap().text.clone();
    assert!(
        notice.contains("alice asks for your approval: roll back the last release (alice/1)"),
        "{notice}"
    );
    let s = screen(&d);
    assert!(s.contains("⚑ alice asks your approval"), "{s}");
    d.send(key('A'));
    let Mode::TypedConfirm {
        expect, question, ..
    } = &d.state.mode
    else {
        panic!("one request: A asks at once: {:?}", d.state.mode);
    };
    assert_eq!(expect, "approve");
    assert!(question.contains("alice/1"), "{question}");
    // A stray y or Enter does not approve.
    d.send(key('y'));
    d.send(code(KeyCode::Enter));
    assert!(!kinds(&d).iter().any(|k| k.starts_with("bob: Approved")));
    d.send(code(KeyCode::Esc));
    d.send(key('A'));
    d.type_confirmation();
    assert!(
        kinds(&d)
            .iter()
            .any(|k| k == "bob: Approved alice/1 (alice: roll back the last release)"),
        "{:?}",
        kinds(&d)
    );
    assert_eq!(
        rollbacks(&d.take_outbox()),
        0,
        "bob's cockpit does not roll back"
    );
}

#[test]
fn breaking_glass_goes_ahead_alone_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, _, _) = alice_and_bob(dir.path());
    d.send(key('B'));
    d.type_confirmation();
    d.take_outbox();
    d.send(key('A'));
    // The chooser: withdraw, go ahead alone.
    d.send(key('2'));
    let Mode::TypedConfirm { expect, .. } = &d.state.mode else {
        panic!("break glass asks for typing: {:?}", d.state.mode);
    };
    assert_eq!(expect, "break glass");
    d.type_confirmation();
    assert_eq!(rollbacks(&d.take_outbox()), 1);
    let k = kinds(&d);
    let withdrawn = k
        .iter()
        .position(|k| {
            k == "alice: Withdrew approval request alice/1 (break glass: went ahead without a second responder)"
        })
        .unwrap_or_else(|| panic!("{k:?}"));
    let started = k
        .iter()
        .rposition(|k| k.contains("rollback"))
        .unwrap_or_else(|| panic!("{k:?}"));
    assert!(withdrawn < started, "recorded before it ran: {k:?}");
}

#[test]
fn an_approval_after_the_request_expired_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, mut bob, joined) = alice_and_bob(dir.path());
    d.send(key('B'));
    d.type_confirmation();
    d.take_outbox();
    d.now += REQUEST_TTL + Duration::seconds(1);
    d.send(Msg::Tick);
    let notice = d.state.notice.as_ref().unwrap().text.clone();
    assert!(
        notice.contains("alice/1 expired without a second responder's approval: nothing was done"),
        "{notice}"
    );
    let b = vec![joined, approve(&mut bob, d.now, "alice/1")];
    merged(&mut d, &b);
    assert_eq!(rollbacks(&d.take_outbox()), 0);
    // B asks again, with a new request.
    d.send(key('B'));
    d.type_confirmation();
    assert!(kinds(&d).iter().any(|k| k.contains("approve alice/2")));
}

#[test]
fn without_the_rule_a_rollback_runs_on_its_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, _, _) = alice_and_bob(dir.path());
    d.state.settings.two_person.clear();
    d.send(key('B'));
    d.type_confirmation();
    assert_eq!(rollbacks(&d.take_outbox()), 1);
}

/// Three real processes and a real PostgreSQL: alice's cockpit asks, bob
/// approves headless (`firebreak approve`), carol sees it approved, alice
/// cannot approve her own, and alice's cockpit rolls back once the
/// approval arrives through the database.
#[tokio::test(flavor = "multi_thread")]
async fn a_two_person_rollback_across_firebreak_processes_and_the_database() {
    let s = crate::team::fresh_db("t_two_person").await;
    firebreak::team::db::Team::connect(&s)
        .await
        .unwrap()
        .init()
        .await
        .unwrap();
    let url = s.url.clone();
    tokio::task::spawn_blocking(move || {
        let homes: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
        let run = |who: usize, name: &str, args: &[&str]| {
            crate::team::fb_run(homes[who].path(), &url, name, args)
        };
        // Alice's cockpit (headless) writes her journal where her
        // processes find it.
        let mut state = new_state(false);
        state.settings.responder = "alice".into();
        state.settings.two_person = vec![Guarded::Rollback];
        state.team.configured = true;
        let data = homes[0].path().join("data");
        let mut d = Driver::new(state, &data, chrono::Utc::now());
        d.send(key('D'));
        d.keys("Checkout errors");
        d.send(code(KeyCode::Enter));
        let id = d.state.incident.as_ref().unwrap().id.clone();
        let (ok, text) = run(0, "alice", &["team", "sync"]);
        assert!(ok, "{text}");
        for (who, name) in [(1, "bob"), (2, "carol")] {
            let (ok, text) = run(who, name, &["team", "join", &id]);
            assert!(ok, "{text}");
        }
        let (ok, text) = run(1, "bob", &["approve"]);
        assert!(
            ok && text.contains("nothing waits for your approval"),
            "{text}"
        );

        d.now = chrono::Utc::now();
        d.send(key('B'));
        d.type_confirmation();
        assert_eq!(rollbacks(&d.take_outbox()), 0);
        let (ok, text) = run(0, "alice", &["team", "sync"]);
        assert!(ok, "{text}");

        let (ok, text) = run(2, "carol", &["approve"]);
        assert!(
            ok && text.contains("alice/1  alice: roll back the last release"),
            "{text}"
        );
        let (ok, text) = run(0, "alice", &["approve", "alice/1"]);
        assert!(
            !ok && text.contains("alice/1 is your own request"),
            "{text}"
        );
        let (ok, text) = run(1, "bob", &["approve", "alice/1"]);
        assert!(ok, "{text}");
        assert!(
            text.contains("approved alice/1") && text.contains("sent"),
            "{text}"
        );
        let (ok, text) = run(2, "carol", &["approve", "alice/1"]);
        assert!(!ok && text.contains("alice/1 is approved"), "{text}");

        // Alice's sync brings bob's approval; her cockpit carries it out.
        let (ok, text) = run(0, "alice", &["team", "sync"]);
        assert!(ok, "{text}");
        let path = firebreak::timeline::journal::journal_path(&data, &id);
        let m = firebreak::team::sync::merged(&path, &id).unwrap().unwrap();
        d.now = chrono::Utc::now();
        d.send(Msg::Team(TeamMsg::Merged {
            canonical: m.entries,
            responders: Vec::new(),
        }));
        assert_eq!(rollbacks(&d.take_outbox()), 1);
        let (ok, text) = run(0, "alice", &["team", "sync"]);
        assert!(ok, "{text}");
        let (ok, md) = run(2, "carol", &["team", "sync"]);
        assert!(ok, "{md}");
        let (ok, md) = run(2, "carol", &["timeline", "export"]);
        assert!(ok, "{md}");
        assert!(md.contains("Approved alice/1"), "{md}");
        assert!(
            md.contains("Asked a second responder to approve alice/1"),
            "{md}"
        );
    })
    .await
    .unwrap();
}

#[test]
fn a_guarded_flag_flip_waits_and_flips_once_approved() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, mut bob, joined) = alice_and_bob(dir.path());
    d.state.settings.two_person = vec![Guarded::Flag];
    let flag = firebreak::flags::Flag {
        name: "new-checkout-flow".into(),
        enabled: true,
        description: String::new(),
        provider: "unleash".into(),
        env: None,
        changed_at: None,
    };
    d.send(Msg::Flags(crate::support::state::polled(
        Ok(vec![flag]),
        d.now,
    )));
    d.keys("4x");
    d.type_confirmation();
    let flips = |fx: &[Effect]| {
        fx.iter()
            .filter(|e| matches!(e, Effect::FlipFlag { wanted: false, .. }))
            .count()
    };
    assert_eq!(flips(&d.take_outbox()), 0);
    let r = d.state.incident.as_ref().unwrap().approvals.list[0].clone();
    assert_eq!(
        (r.action.as_str(), r.target.as_str()),
        ("flag off", "new-checkout-flow")
    );
    assert_eq!(r.what, "turn new-checkout-flow off (via unleash)");
    // Rollback is not under the rule here: it does not wait.
    d.send(key('B'));
    d.type_confirmation();
    assert_eq!(rollbacks(&d.take_outbox()), 1);
    let b = vec![joined, approve(&mut bob, d.now, &r.id)];
    merged(&mut d, &b);
    assert_eq!(flips(&d.take_outbox()), 1);
    assert!(
        kinds(&d).iter().any(|k| {
            k
            == "alice: Started flag off new-checkout-flow (via unleash; approved by bob (alice/1))"
        }),
        "{:?}",
        kinds(&d)
    );
}

#[test]
fn the_demos_teammate_joins_takes_comms_and_approves_a_rollback() {
    use firebreak::state::teammate::NAME;
    let dir = tempfile::tempdir().unwrap();
    let start = t("2026-12-02T14:00:00Z");
    let mut d = Driver::started(dir.path(), start);
    d.state.settings.two_person = vec![Guarded::Rollback];
    let tick = |d: &mut Driver, secs: i64| {
        for _ in 0..secs {
            d.now += Duration::seconds(1);
            d.send(Msg::Tick);
        }
    };
    tick(&mut d, 19);
    assert!(kinds(&d).iter().all(|k| !k.starts_with(NAME)), "not yet");
    tick(&mut d, 40);
    let sams: Vec<String> = kinds(&d)
        .into_iter()
        .filter(|k| k.starts_with(NAME))
        .collect();
    assert_eq!(sams.len(), 3, "joined, took comms, a note: {sams:?}");
    assert!(sams[0].contains("joined"), "{sams:?}");
    assert!(sams[1].contains("Comms"), "{sams:?}");
    let inc = d.state.incident.as_ref().unwrap();
    assert!(inc.roles.holds(NAME, firebreak::domain::roles::Role::Comms));
    let screen = screen(&d);
    assert!(
        screen.contains("team (demo) · here: sam (demo)"),
        "{screen}"
    );
    // The rollback waits for a second responder; sam reads it, approves.
    d.send(key('B'));
    d.type_confirmation();
    assert_eq!(rollbacks(&d.take_outbox()), 0, "waits");
    assert!(screen_has(&d, "waits for a second responder"));
    tick(&mut d, 3);
    assert_eq!(rollbacks(&d.take_outbox()), 0, "sam is still reading");
    tick(&mut d, 5);
    assert_eq!(rollbacks(&d.take_outbox()), 1, "approved by sam: runs once");
    tick(&mut d, 30);
    assert_eq!(rollbacks(&d.take_outbox()), 0, "and only once");
    let approvals: Vec<String> = kinds(&d)
        .into_iter()
        .filter(|k| k.starts_with(&format!("{NAME}: Approved")))
        .collect();
    assert_eq!(approvals.len(), 1, "{approvals:?}");
    // A restart of the demo cockpit does not make sam say it all again.
    let (_, replay) = Journal::open(&firebreak::timeline::journal::journal_path(
        dir.path(),
        &d.state.incident.as_ref().unwrap().id,
    ))
    .unwrap();
    let mut again = Driver::new(new_state(true), dir.path(), d.now);
    again.state.resume(replay.entries, Vec::new());
    let before = again.state.timeline.entries.len();
    again.send(Msg::Tick);
    assert_eq!(again.take_outbox().len(), 0);
    assert_eq!(again.state.timeline.entries.len(), before);
}

fn screen_has(d: &Driver, text: &str) -> bool {
    screen(d).contains(text)
}
