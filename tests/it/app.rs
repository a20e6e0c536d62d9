//! Headless tests of the whole app logic: messages in, state and effects
//! out, with a real journal on disk and the demo world behind the same
//! interfaces the real sources use. No terminal, no network, no clock.

use std::time::Duration as StdDuration;

use crate::support::state::*;
use chrono::Duration;
use crossterm::event::KeyCode;
use firebreak::demo::{Scenario, World};
use firebreak::domain::incident::{Severity, Status};
use firebreak::domain::Event;
use firebreak::flags::{self, FlagProvider};
use firebreak::sources::ReleaseControl;
use firebreak::state::{update, Effect, Mode, Msg, Pane, Pending, Settings, State};
use firebreak::timeline::export::{self, Format};
use firebreak::timeline::journal;

fn events(d: &Driver) -> Vec<&Event> {
    d.state.timeline.entries.iter().map(|e| &e.event).collect()
}

/// The entries of what was done and observed, without the evidence
/// firebreak takes after each mitigation (tests/it/evidence.rs).
fn doings(d: &Driver) -> Vec<&Event> {
    events(d)
        .into_iter()
        .filter(|e| !matches!(e, Event::EvidenceRecorded { .. }))
        .collect()
}

/// Carry out the flag and rollback effects against the demo world.
async fn run_outbox(d: &mut Driver, w: &World0) {
    for fx in d.take_outbox() {
        match fx {
            Effect::FlipFlag {
                provider,
                flag,
                wanted,
            } => {
                *w.clock.lock().unwrap() = d.now;
                let result = flags::flip(&w.demo, &flag, wanted, StdDuration::from_secs(1)).await;
                d.send(Msg::FlipDone {
                    provider,
                    flag,
                    wanted,
                    result,
                });
            }
            Effect::Rollback => {
                let r = w.demo.rollback().await.map_err(|e| e.to_string());
                d.send(Msg::RollbackDone(r));
            }
            _ => {}
        }
    }
}

#[tokio::test]
async fn a_whole_demo_incident_from_first_alert_to_postmortem() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = t("2026-11-27T14:00:00Z");
    let w = demo_world(t0);
    let mut d = Driver::new(new_state(true), dir.path(), t0);

    // Start: the demo declares its incident.
    let fx = firebreak::state::start(&mut d.state, t0);
    d.run(fx);
    let inc = d.state.incident.clone().unwrap();
    assert!(inc.demo);
    assert_eq!(inc.severity, Severity::Sev2);

    // Alerts fire and are recorded once, however often we poll.
    poll_all(&mut d, &w).await;
    d.now += Duration::seconds(2);
    poll_all(&mut d, &w).await;
    let firing: Vec<_> = events(&d)
        .into_iter()
        .filter_map(|e| match e {
            Event::AlertFiring { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(firing.len(), 3, "{firing:?}");
    assert!(firing.contains(&"HighErrorRate".to_string()));

    // A note, a severity change, impact backdated.
    d.keys("n");
    d.keys("errors started right after the deploy");
    d.send(code(KeyCode::Enter));
    d.keys("s1");
    d.keys("i-10m");
    d.send(code(KeyCode::Enter));
    assert_eq!(d.state.incident.as_ref().unwrap().severity, Severity::Sev1);
    assert_eq!(
        d.state.incident.as_ref().unwrap().impact_started,
        Some(d.now - Duration::minutes(10))
    );

    // Turn the guilty flag off from the flags pane, with confirmation.
    d.keys("4");
    let pos = d
        .state
        .flags
        .list
        .view
        .iter()
        .position(|i| d.state.flags.items[*i].name == "new-checkout-flow")
        .unwrap();
    d.state.flags.list.selected = pos;
    d.keys("x");
    // A change to production: the flag's name must be typed.
    assert!(matches!(
        &d.state.mode,
        Mode::TypedConfirm {
            pending: Pending::FlipFlag { wanted: false, .. },
            expect,
            ..
        } if expect == "new-checkout-flow"
    ));
    // A plain yes does not do it.
    d.keys("y");
    d.send(code(KeyCode::Enter));
    assert!(
        matches!(&d.state.mode, Mode::TypedConfirm { error: Some(_), .. }),
        "y is not the flag's name: still asking"
    );
    assert!(d.take_outbox().is_empty());
    d.send(ctrl('u'));
    d.type_confirmation();
    // Recorded before it runs: the ActionStarted entry is already durable.
    assert!(matches!(
        doings(&d).last(),
        Some(Event::ActionStarted { .. })
    ));
    run_outbox(&mut d, &w).await;
    assert!(matches!(
        doings(&d).last(),
        Some(Event::FlagChanged {
            ok: true,
            before: Some(true),
            after: Some(false),
            ..
        })
    ));

    // The world recovers; the alerts resolve and are recorded once.
    d.keys("S3"); // monitoring
    d.now += Duration::minutes(4);
    poll_all(&mut d, &w).await;
    d.now += Duration::seconds(2);
    poll_all(&mut d, &w).await;
    let resolved: Vec<_> = events(&d)
        .into_iter()
        .filter_map(|e| match e {
            Event::AlertResolved { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect();
    let mut resolved = resolved;
    resolved.sort();
    assert_eq!(
        resolved,
        vec!["HighErrorRate".to_string(), "LatencyHigh".to_string()]
    );
    assert!(
        d.state.metrics.panels[0].last().unwrap() < 2.0,
        "error ratio back down"
    );

    d.keys("S4"); // resolved
    assert_eq!(d.state.incident.as_ref().unwrap().status, Status::Resolved);

    // Quitting a resolved incident does not ask.
    d.keys("q");
    assert!(d.state.quit);

    // The postmortem's timeline matches what happened.
    let md = export::export_incident(dir.path(), Some(&inc.id), Format::Markdown, d.now).unwrap();
    for needle in [
        "errors started right after the deploy",
        "Severity SEV2 -> SEV1",
        "new-checkout-flow",
        "Alert resolved: HighErrorRate",
        "Status monitoring -> resolved",
    ] {
        assert!(md.contains(needle), "export lacks {needle:?}:\n{md}");
    }
    // And the journal replays to the same incident.
    let replay = journal::read(&journal::journal_path(dir.path(), &inc.id)).unwrap();
    assert!(replay.chain_ok());
    let mut fresh = new_state(true);
    fresh.resume(replay.entries, replay.problems);
    assert_eq!(fresh.incident, d.state.incident);
    assert_eq!(
        fresh.alerts.recorded_firing.len(),
        1,
        "only the unrelated info alert still firing"
    );
}

#[tokio::test]
async fn rollback_is_confirmed_recorded_first_and_heals_the_world() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = t("2026-11-27T14:00:00Z");
    let w = demo_world(t0);
    let mut d = Driver::started(dir.path(), t0);
    let current = w.demo.current().await.map_err(|e| e.to_string());
    d.send(Msg::Release(polled(current, t0)));
    d.keys("B");
    match &d.state.mode {
        Mode::TypedConfirm {
            question,
            expect,
            pending: Pending::Rollback,
            ..
        } => {
            assert!(
                question.contains("Roll back checkout v2.14.0"),
                "names what is deployed: {question}"
            );
            assert_eq!(expect, "checkout", "the service's name is typed");
        }
        m => panic!("expected a typed confirmation, got {m:?}"),
    }
    d.type_confirmation();
    // A second press while it runs does nothing.
    d.keys("B");
    assert_eq!(d.state.mode, Mode::Normal);
    assert_eq!(d.outbox, vec![Effect::Rollback]);
    run_outbox(&mut d, &w).await;
    assert!(matches!(
        doings(&d).last(),
        Some(Event::ActionFinished { ok: true, .. })
    ));
    d.now += Duration::minutes(5);
    *w.clock.lock().unwrap() = d.now;
    assert_eq!(w.demo.current().await.unwrap(), "checkout v2.13.2");
    poll_all(&mut d, &w).await;
    assert_eq!(
        d.state.alerts.items.len(),
        1,
        "only the unrelated alert left"
    );

    // A second B once it is done says so, and offers nothing that would
    // do nothing; also after a restart (it is folded from the journal).
    let current = w.demo.current().await.map_err(|e| e.to_string());
    d.send(Msg::Release(polled(current, d.now)));
    d.keys("B");
    assert_eq!(d.state.mode, Mode::Normal, "no second confirmation");
    let text = d.state.notice.as_ref().unwrap().text.clone();
    assert!(
        text.contains("Already rolled back at 15:00") && text.contains("checkout v2.13.2"),
        "{text}"
    );
    assert!(d.take_outbox().iter().all(|e| *e != Effect::Rollback));
    let inc = d.state.incident.clone().unwrap();
    let replay = journal::read(&journal::journal_path(dir.path(), &inc.id)).unwrap();
    let mut again = Driver::new(new_state(true), dir.path(), d.now);
    again.state.resume(replay.entries, Vec::new());
    again.keys("B");
    assert_eq!(again.state.mode, Mode::Normal, "{:?}", again.state.mode);
    assert!(again
        .state
        .notice
        .unwrap()
        .text
        .contains("Already rolled back"));
}

#[test]
fn a_flag_cannot_be_flipped_twice_while_a_flip_is_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-11-27T14:00:00Z");
    let mut d = Driver::started(dir.path(), now);
    let flag = firebreak::flags::Flag {
        name: "new-checkout-flow".into(),
        enabled: true,
        description: String::new(),
        provider: "demo".into(),
        env: None,
        changed_at: None,
    };
    d.send(Msg::Flags(polled(Ok(vec![flag]), now)));
    d.keys("4x");
    d.type_confirmation();
    assert_eq!(d.take_outbox().len(), 1);
    // Same key again, and via the palette: both refused while in flight.
    d.keys("x");
    assert_eq!(d.state.mode, Mode::Normal, "no second question");
    d.keys(":");
    d.keys("new-checkout");
    d.send(code(KeyCode::Enter));
    assert_eq!(d.state.mode, Mode::Normal, "no second question");
    assert!(d.take_outbox().is_empty(), "no second flip");
    assert!(d
        .state
        .notice
        .as_ref()
        .unwrap()
        .text
        .contains("already being changed"));
}

#[test]
fn a_journal_write_failure_is_shown_kept_and_retried_and_blocks_the_action() {
    let now = t("2026-11-27T14:00:00Z");
    let mut s = new_state(true);
    let fx = update(
        &mut s,
        Msg::RecordFailed {
            actor: "alice".into(),
            event: Event::Note {
                text: "disk full?".into(),
                at: None,
            },
            error: "/x/inc.jsonl: No space left on device (os error 28)".into(),
            then: vec![Effect::Rollback],
        },
        now,
    );
    assert!(
        fx.is_empty(),
        "the action is not run when it could not be recorded"
    );
    assert_eq!(s.timeline.unsaved.len(), 1);
    assert!(s
        .timeline
        .journal_error
        .as_deref()
        .unwrap()
        .contains("No space left"));
    let notice = s.visible_notice(now + Duration::minutes(5)).unwrap();
    assert!(
        notice.text.contains("NOT RECORDED"),
        "errors stay on screen: {}",
        notice.text
    );
    // Quitting now says what would be lost, and never "saved".
    s.viewport = (120, 40);
    update(&mut s, key('q'), now);
    let Mode::Confirm { question, .. } = &s.mode else {
        panic!("quitting with unsaved entries asks: {:?}", s.mode)
    };
    assert!(question.contains("1 entry is NOT saved"), "{question}");
    assert!(!question.contains("It is saved"), "{question}");
    s.mode = Mode::Normal;
    // `r` retries the unsaved entry.
    let fx = update(&mut s, key('r'), now);
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Record {
            event: Event::Note { .. },
            ..
        }
    )));
    assert!(s.timeline.unsaved.is_empty());
}

#[test]
fn a_source_going_down_keeps_the_last_alerts_and_is_recorded_once() {
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-11-27T14:00:00Z");
    let mut d = Driver::started(dir.path(), now);
    let w = World::new(Scenario::builtin().unwrap(), now);
    d.send(Msg::Alerts(polled(Ok(w.alerts(now)), now)));
    let n = d.state.alerts.items.len();
    for i in 1..4 {
        d.now = now + Duration::seconds(2 * i);
        d.send(Msg::Alerts(polled(Err("connection refused".into()), d.now)));
    }
    assert_eq!(d.state.alerts.items.len(), n, "last known alerts kept");
    assert!(d.state.alerts.health.freshness(d.now).is_bad());
    let downs = events(&d)
        .iter()
        .filter(|e| matches!(e, Event::SourceHealth { healthy: false, .. }))
        .count();
    assert_eq!(downs, 1);
    // No alert was recorded as resolved just because the source vanished.
    assert!(!events(&d)
        .iter()
        .any(|e| matches!(e, Event::AlertResolved { .. })));
    d.send(Msg::Alerts(polled(Ok(w.alerts(now)), d.now)));
    assert!(matches!(
        doings(&d).last(),
        Some(Event::SourceHealth { healthy: true, .. })
    ));
}

#[test]
fn quit_asks_while_the_incident_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-11-27T14:00:00Z");
    let mut d = Driver::started(dir.path(), now);
    d.keys("q");
    assert!(matches!(
        d.state.mode,
        Mode::Confirm {
            pending: Pending::Quit,
            ..
        }
    ));
    d.keys("z"); // a stray key never confirms
    assert!(!d.state.quit);
    d.send(code(KeyCode::Esc));
    assert!(!d.state.quit);
    assert_eq!(d.state.mode, Mode::Normal);
    d.keys("qy");
    assert!(d.state.quit);
}

#[test]
fn impact_start_accepts_clock_times_and_explains_nonsense() {
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-11-27T14:30:00Z");
    let mut d = Driver::started(dir.path(), now);
    d.keys("ilunch");
    d.send(code(KeyCode::Enter));
    match &d.state.mode {
        Mode::Prompt { error: Some(e), .. } => assert!(e.contains("14:02"), "{e}"),
        m => panic!("expected the prompt to stay with an error, got {m:?}"),
    }
    d.send(Msg::Key(crossterm::event::KeyEvent::new(
        KeyCode::Char('u'),
        crossterm::event::KeyModifiers::CONTROL,
    )));
    // 15:02 local (UTC+1 in these tests) is 14:02 UTC.
    d.keys("15:02");
    d.send(code(KeyCode::Enter));
    assert_eq!(d.state.mode, Mode::Normal);
    assert_eq!(
        d.state.incident.as_ref().unwrap().impact_started,
        Some(t("2026-11-27T14:02:00Z"))
    );
    assert!(d
        .state
        .timeline
        .entries
        .last()
        .unwrap()
        .event
        .describe()
        .contains("14:02:00 UTC"));
}

#[test]
fn rename_declare_and_status_land_on_the_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-11-27T14:00:00Z");
    let mut d = Driver::new(new_state(false), dir.path(), now);
    // Real mode: no incident until declared.
    assert!(firebreak::state::start(&mut d.state, now).is_empty());
    d.keys("n");
    assert!(d.state.notice.as_ref().unwrap().text.contains("declare"));
    d.keys("D");
    d.send(code(KeyCode::Enter));
    assert!(
        matches!(&d.state.mode, Mode::Prompt { error: Some(_), .. }),
        "empty title refused"
    );
    d.keys("Payments API 502s");
    d.send(code(KeyCode::Enter));
    assert_eq!(
        d.state.incident.as_ref().unwrap().title,
        "Payments API 502s"
    );
    d.keys("R");
    for _ in 0..4 {
        d.send(code(KeyCode::Backspace));
    }
    d.keys("timeouts");
    d.send(code(KeyCode::Enter));
    assert_eq!(
        d.state.incident.as_ref().unwrap().title,
        "Payments API timeouts"
    );
    d.keys("S");
    d.send(code(KeyCode::Down));
    d.send(code(KeyCode::Enter));
    assert_eq!(
        d.state.incident.as_ref().unwrap().status,
        Status::Identified
    );
    let kinds: Vec<_> = d
        .state
        .timeline
        .entries
        .iter()
        .map(|e| e.event.category())
        .collect();
    assert_eq!(kinds, ["incident", "incident", "incident"]);
    assert_eq!(d.state.timeline.entries[0].actor, "alice");
    // Declaring again while open is refused with a reason.
    d.keys("D");
    assert_eq!(d.state.mode, Mode::Normal);
}

#[test]
fn palette_fuzzy_matches_actions_alerts_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-11-27T14:00:00Z");
    let mut d = Driver::started(dir.path(), now);
    let w = World::new(Scenario::builtin().unwrap(), now);
    d.send(Msg::Alerts(polled(Ok(w.alerts(now)), now)));
    d.keys(":");
    d.keys("exprt md");
    let Mode::Palette(p) = &d.state.mode else {
        panic!()
    };
    assert!(
        p.matches[0].0.label.contains("Markdown"),
        "{:?}",
        p.matches[0].0
    );
    d.send(code(KeyCode::Enter));
    assert!(matches!(
        d.take_outbox().as_slice(),
        [Effect::Export {
            format: Format::Markdown,
            ..
        }]
    ));
    // An alert by name opens its details.
    d.send(Msg::Key(crossterm::event::KeyEvent::new(
        KeyCode::Char('p'),
        crossterm::event::KeyModifiers::CONTROL,
    )));
    d.keys("disksp");
    d.send(code(KeyCode::Enter));
    assert!(matches!(d.state.mode, Mode::AlertDetail { .. }));
    assert_eq!(d.state.focus, Pane::Alerts);
    assert_eq!(d.state.selected_alert().unwrap().name(), "DiskSpaceLow");
}

#[tokio::test]
async fn the_palette_ranks_whole_words_of_a_command_first_and_never_scattered_letters() {
    use firebreak::action::Action;
    use firebreak::state::palette::Command;
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-11-27T14:00:00Z");
    let mut d = Driver::started(dir.path(), now);
    let w = demo_world(now);
    poll_all(&mut d, &w).await;
    let search = |d: &mut Driver, q: &str| -> Vec<Command> {
        d.state.mode = Mode::Normal;
        d.keys(":");
        d.keys(q);
        let Mode::Palette(p) = &d.state.mode else {
            panic!("{:?}", d.state.mode)
        };
        p.matches.iter().map(|(i, _)| i.command.clone()).collect()
    };
    let found = search(&mut d, "theme");
    assert_eq!(found[0], Command::Action(Action::CycleTheme), "{found:?}");
    assert!(
        !found.contains(&Command::Action(Action::FocusMetrics)),
        "`the me`trics is not a theme: {found:?}"
    );
    let found = search(&mut d, "silence");
    assert_eq!(found[0], Command::Action(Action::SilenceAlert), "{found:?}");
    assert!(
        !found.contains(&Command::Action(Action::Quit)),
        "letters scattered over Quit's words: {found:?}"
    );
    let found = search(&mut d, "sev1");
    assert_eq!(found[0], Command::SetSeverity(Severity::Sev1), "{found:?}");
    // Letters in order within one word still find it; so does a prefix.
    let found = search(&mut d, "hierr");
    assert!(matches!(&found[0], Command::Alert(_)), "{found:?}");
    let found = search(&mut d, "flag new");
    assert_eq!(
        found[0],
        Command::Flag("new-checkout-flow".into()),
        "{found:?}"
    );
}

#[test]
fn slash_filters_the_focused_list_and_esc_clears_it() {
    let now = t("2026-11-27T14:00:00Z");
    let mut s = new_state(true);
    let w = World::new(Scenario::builtin().unwrap(), now);
    update(&mut s, Msg::Alerts(polled(Ok(w.alerts(now)), now)), now);
    assert_eq!(s.alerts.list.view.len(), 3);
    for m in [key('/'), key('i'), key('d'), key('x')] {
        update(&mut s, m, now);
    }
    assert_eq!(
        s.alerts.list.view.len(),
        1,
        "idx matches only the indexer alert"
    );
    update(&mut s, code(KeyCode::Enter), now);
    assert_eq!(s.alerts.list.filter, "idx", "Enter keeps the filter");
    update(&mut s, code(KeyCode::Esc), now);
    assert_eq!(s.alerts.list.view.len(), 3, "Esc in normal mode clears it");
}

#[test]
fn keymap_overrides_change_what_keys_do() {
    let mut km = firebreak::config::keymap::Keymap::builtin();
    km.overlay(
        std::path::Path::new("k.toml"),
        "[keys]\n\"Q\" = \"quit\"\n\"q\" = \"none\"\n",
    )
    .unwrap();
    let mut s = firebreak::state::State::new(settings(false), km, "dark");
    let now = t("2026-11-27T14:00:00Z");
    update(&mut s, key('q'), now);
    assert!(!s.quit);
    update(&mut s, key('Q'), now);
    assert!(s.quit, "no incident open: quits at once");
}

#[test]
fn keys_do_nothing_while_the_screen_is_too_small_to_show_them() {
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-11-27T14:00:00Z");
    let mut d = Driver::started(dir.path(), now);
    let flag = firebreak::flags::Flag {
        name: "checkout-read-only".into(),
        enabled: false,
        description: String::new(),
        provider: "demo".into(),
        env: Some("production".into()),
        changed_at: None,
    };
    d.send(Msg::Flags(polled(Ok(vec![flag]), now)));
    d.send(Msg::Resize(30, 10));
    let before = d.state.timeline.entries.len();
    d.keys("4oy");
    d.keys("nblind note");
    d.send(code(KeyCode::Enter));
    assert!(d.take_outbox().is_empty());
    assert_eq!(d.state.timeline.entries.len(), before, "nothing done blind");
    // Quitting still works, with its confirmation.
    d.keys("qy");
    assert!(d.state.quit);
    // Back at a usable size, keys act again.
    let mut d2 = Driver::new(new_state(false), dir.path(), now);
    d2.send(Msg::Resize(30, 10));
    d2.send(Msg::Resize(80, 24));
    d2.keys("q");
    assert!(d2.state.quit);
}

#[test]
fn resolving_while_alerts_still_fire_asks_and_says_what_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-11-27T14:00:00Z");
    let mut d = Driver::started(dir.path(), now);
    let w = World::new(Scenario::builtin().unwrap(), now);
    d.send(Msg::Alerts(polled(Ok(w.alerts(now)), now)));
    d.keys("S4");
    match &d.state.mode {
        Mode::Confirm {
            question,
            pending: Pending::Resolve,
        } => {
            assert!(
                question.contains("2 critical/warning alert(s) still firing"),
                "{question}"
            )
        }
        m => panic!("expected a confirmation, got {m:?}"),
    }
    d.keys("n");
    assert_eq!(
        d.state.incident.as_ref().unwrap().status,
        Status::Investigating
    );
    d.keys("S4y");
    assert_eq!(d.state.incident.as_ref().unwrap().status, Status::Resolved);
    // The unrelated info alert is not "detection".
    let inc = d.state.incident.as_ref().unwrap();
    let high = d
        .state
        .alerts
        .items
        .iter()
        .find(|a| a.name() == "HighErrorRate")
        .unwrap();
    assert_eq!(
        inc.detected_at,
        Some(
            high.starts_at.min(
                d.state
                    .alerts
                    .items
                    .iter()
                    .find(|a| a.name() == "LatencyHigh")
                    .unwrap()
                    .starts_at
            )
        )
    );
}

#[test]
fn alert_links_open_as_argv_only_for_http_and_copy_always() {
    let now = t("2026-11-27T14:00:00Z");
    let mut s = new_state(true);
    let w = World::new(Scenario::builtin().unwrap(), now);
    let mut alerts = w.alerts(now);
    // A hostile annotation: never handed to an opener.
    let disk = alerts
        .iter_mut()
        .find(|a| a.name() == "DiskSpaceLow")
        .unwrap();
    disk.annotations
        .insert("runbook_url".into(), "javascript:alert(1)".into());
    update(&mut s, Msg::Alerts(polled(Ok(alerts), now)), now);
    let high = s
        .alerts
        .items
        .iter()
        .position(|a| a.name() == "HighErrorRate")
        .unwrap();
    s.alerts.list.selected = s.alerts.list.view.iter().position(|i| *i == high).unwrap();
    update(&mut s, code(KeyCode::Enter), now);
    assert!(matches!(s.mode, Mode::AlertDetail { .. }));
    let fx = update(&mut s, key('o'), now);
    assert_eq!(
        fx,
        vec![Effect::OpenUrl(
            "https://runbooks.example.com/checkout/high-error-rate".into()
        )]
    );
    let fx = update(&mut s, key('y'), now);
    assert_eq!(
        fx,
        vec![Effect::Copy(
            "https://runbooks.example.com/checkout/high-error-rate".into()
        )]
    );
    assert!(
        matches!(s.mode, Mode::AlertDetail { .. }),
        "still in the details"
    );
    update(&mut s, code(KeyCode::Esc), now);
    let disk = s
        .alerts
        .items
        .iter()
        .position(|a| a.name() == "DiskSpaceLow")
        .unwrap();
    s.alerts.list.selected = s.alerts.list.view.iter().position(|i| *i == disk).unwrap();
    update(&mut s, code(KeyCode::Enter), now);
    let fx = update(&mut s, key('o'), now);
    assert!(fx.is_empty(), "only http(s) is opened");
    assert!(s.notice.as_ref().unwrap().text.contains("only http(s)"));
}

/// The 3 a.m. accident: two lines pasted into the note prompt. A paste is
/// text: it is typed into the prompt as one line and never submits,
/// confirms or runs a binding (here `B`, rollback, and `y`, yes).
#[test]
fn a_pasted_text_is_typed_into_the_prompt_and_never_acts() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Driver::started(dir.path(), t("2026-11-27T14:00:00Z"));
    d.take_outbox();
    let entries = d.state.timeline.entries.len();
    d.keys("n");
    d.send(Msg::Paste(
        "checkout errors since 14:02\nBy the way\r\ny\x1b[31m\tok".into(),
    ));
    assert!(
        d.take_outbox().is_empty(),
        "a paste started nothing (no rollback, no flip)"
    );
    assert_eq!(
        d.state.timeline.entries.len(),
        entries,
        "nothing recorded yet"
    );
    match &d.state.mode {
        firebreak::state::Mode::Prompt { input, .. } => assert_eq!(
            input, "checkout errors since 14:02 By the way y [31m ok",
            "one line, control characters as spaces"
        ),
        m => panic!("still in the note prompt, not {m:?}"),
    }
    // Only the responder's Enter records it, as a note.
    d.send(code(KeyCode::Enter));
    let last = d.state.timeline.entries.last().unwrap();
    assert!(
        matches!(&last.event, Event::Note { text, .. } if text.starts_with("checkout errors since 14:02 By")),
        "{:?}",
        last.event
    );
    assert!(!d.state.release.in_flight);
    assert!(matches!(d.state.mode, firebreak::state::Mode::Normal));
}

#[test]
fn a_paste_outside_a_prompt_is_ignored_with_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Driver::started(dir.path(), t("2026-11-27T14:00:00Z"));
    d.take_outbox();
    let entries = d.state.timeline.entries.len();
    // "B" then "y" would ask for a rollback and confirm it, were they keys.
    d.send(Msg::Paste("By".into()));
    assert!(d.take_outbox().is_empty());
    assert_eq!(d.state.timeline.entries.len(), entries);
    assert!(matches!(d.state.mode, firebreak::state::Mode::Normal));
    let notice = d.state.notice.as_ref().unwrap();
    assert!(
        notice.text.contains("Pasted text ignored"),
        "{}",
        notice.text
    );
    // Nor does a paste answer an open confirmation: it is typed into the
    // name field, and only Enter would submit it.
    d.keys("B");
    assert!(matches!(
        d.state.mode,
        firebreak::state::Mode::TypedConfirm { .. }
    ));
    d.send(Msg::Paste("checkout\n".into()));
    assert!(d.take_outbox().is_empty(), "the paste did not confirm");
    assert!(!d.state.release.in_flight);
    assert!(matches!(
        &d.state.mode,
        firebreak::state::Mode::TypedConfirm { input, .. } if input == "checkout"
    ));
}

/// Keys right behind the one that opened a confirmation (a burst, a
/// paste arriving as keys) never answer it.
#[test]
fn a_key_within_150ms_of_a_confirmation_never_answers_it() {
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-11-27T14:00:00Z");
    let mut d = Driver::started(dir.path(), now);
    d.take_outbox();
    let at = d.now;
    update(&mut d.state, key('q'), at);
    assert!(matches!(
        d.state.mode,
        firebreak::state::Mode::Confirm { .. }
    ));
    let soon = at + Duration::milliseconds(100);
    assert!(update(&mut d.state, key('y'), soon).is_empty());
    assert!(!d.state.quit, "the y 100 ms later did not quit");
    assert!(matches!(
        d.state.mode,
        firebreak::state::Mode::Confirm { .. }
    ));
    let later = at + Duration::milliseconds(400);
    let fx = update(&mut d.state, key('y'), later);
    assert!(d.state.quit, "a y after reading the question does: {fx:?}");
}

/// The loop draws only when something visible may have changed: not for
/// a key bound to nothing, not for a tick with no clock on screen.
#[test]
fn only_what_changes_the_screen_asks_for_a_frame() {
    let now = t("2026-11-27T14:00:00Z");
    let mut s = State::new(
        Settings {
            alerts_configured: false,
            metrics_configured: false,
            flags_configured: false,
            ..settings(false)
        },
        firebreak::config::keymap::Keymap::builtin(),
        "dark",
    );
    s.viewport = (120, 40);
    s.redraw = false;
    update(&mut s, Msg::Tick, now);
    assert!(!s.redraw, "no incident, no source: no clock on screen");
    update(&mut s, key('%'), now);
    assert!(!s.redraw, "an unbound key changes nothing");
    update(&mut s, key('?'), now);
    assert!(s.redraw, "help opens");
    s.redraw = false;
    update(&mut s, key('j'), now);
    assert!(s.redraw, "help scrolls");
    // With an incident, the elapsed clock moves every second.
    let dir = tempfile::tempdir().unwrap();
    let mut d = Driver::started(dir.path(), now);
    d.state.redraw = false;
    update(&mut d.state, Msg::Tick, now + Duration::seconds(1));
    assert!(d.state.redraw);
}

#[test]
fn cycling_the_theme_asks_the_loop_to_load_it() {
    let now = t("2026-11-27T14:00:00Z");
    let mut s = new_state(false);
    s.viewport = (120, 40);
    let fx = update(&mut s, key('T'), now);
    assert_eq!(fx, vec![Effect::SetTheme("light".into())]);
    assert_eq!(s.theme_name, "light");
}

/// `G` in help shows the last page (it used to scroll past the end and
/// show an empty box).
#[test]
fn help_scrolls_to_its_last_page_not_past_it() {
    let now = t("2026-11-27T14:00:00Z");
    let mut s = new_state(false);
    s.viewport = (120, 40);
    update(&mut s, key('?'), now);
    update(&mut s, key('G'), now);
    let Mode::Help { scroll } = s.mode else {
        panic!("{:?}", s.mode)
    };
    let lines: usize = s
        .keymap
        .listing()
        .iter()
        .map(|(_, b)| b.len() + 2)
        .sum::<usize>()
        + 4;
    assert_eq!(
        usize::from(scroll),
        lines - 36,
        "the last line at the bottom of a 36-row box"
    );
}

/// An empty impact-start answer is not "now", and a correction says what
/// it replaces.
#[test]
fn impact_start_is_never_guessed_and_a_correction_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-11-27T14:00:00Z");
    let mut d = Driver::started(dir.path(), now);
    d.keys("i");
    d.send(code(KeyCode::Enter));
    assert!(
        matches!(&d.state.mode, Mode::Prompt { error: Some(e), .. } if e.contains("When did impact start")),
        "{:?}",
        d.state.mode
    );
    assert!(d.state.incident.as_ref().unwrap().impact_started.is_none());
    d.keys("-10m");
    d.send(code(KeyCode::Enter));
    assert_eq!(
        d.state.incident.as_ref().unwrap().impact_started,
        Some(now - Duration::minutes(10))
    );
    // A second time it is shown filled in, to confirm or correct.
    d.keys("i");
    assert!(
        matches!(&d.state.mode, Mode::Prompt { input, .. } if input == "13:50:00Z"),
        "{:?}",
        d.state.mode
    );
    d.send(ctrl('u'));
    d.keys("-20m");
    d.send(code(KeyCode::Enter));
    let n = d.state.notice.as_ref().unwrap();
    assert!(
        n.text.contains("13:40:00Z replaces 13:50:00Z"),
        "{}",
        n.text
    );
    assert_eq!(
        d.state.incident.as_ref().unwrap().impact_started,
        Some(now - Duration::minutes(20))
    );
    // Accepting it as shown is a confirmation, not "X replaces X".
    d.keys("i");
    d.send(code(KeyCode::Enter));
    let n = d.state.notice.as_ref().unwrap();
    assert_eq!(n.text, "Impact start confirmed: 13:40:00Z");
}

/// The impact end is offered as firebreak saw it (the alerts resolving
/// after the flag flip), and the responder's correction wins, with a word
/// about what it replaces; nonsense is explained, not recorded.
#[test]
fn impact_end_is_offered_as_seen_and_a_correction_wins() {
    use firebreak::domain::incident::ImpactEndSource;
    use firebreak::domain::SYSTEM_ACTOR;
    let dir = tempfile::tempdir().unwrap();
    let mut d = Driver::started(dir.path(), t("2026-11-27T14:00:00Z"));
    let seen = t("2026-11-27T14:20:00Z");
    for (at, actor, event) in [
        (
            "2026-11-27T14:01:00Z",
            SYSTEM_ACTOR,
            Event::AlertFiring {
                fingerprint: "f1".into(),
                name: "HighErrorRate".into(),
                severity: "critical".into(),
                summary: String::new(),
                labels: Default::default(),
                since: Some(t("2026-11-27T13:58:00Z")),
            },
        ),
        (
            "2026-11-27T14:10:00Z",
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
        ),
        (
            "2026-11-27T14:20:00Z",
            SYSTEM_ACTOR,
            Event::AlertResolved {
                fingerprint: "f1".into(),
                name: "HighErrorRate".into(),
            },
        ),
    ] {
        d.now = t(at);
        d.run(vec![Effect::Record {
            actor: actor.into(),
            event,
            then: Vec::new(),
        }]);
    }
    d.now = t("2026-11-27T14:30:00Z");
    let end = d.state.incident.as_ref().unwrap().impact_ended.unwrap();
    assert_eq!(
        (end.at, end.source),
        (seen, ImpactEndSource::AlertsResolved)
    );

    // `I` offers it, to confirm or correct.
    d.keys("I");
    assert!(
        matches!(&d.state.mode, Mode::Prompt { input, .. } if input == "14:20:00Z"),
        "{:?}",
        d.state.mode
    );
    // Nothing, the future, or before the impact start: asked again.
    d.send(ctrl('u'));
    d.send(code(KeyCode::Enter));
    let error = |d: &Driver| match &d.state.mode {
        Mode::Prompt { error: Some(e), .. } => e.clone(),
        m => panic!("expected the prompt to stay with an error, got {m:?}"),
    };
    assert!(error(&d).contains("When did impact end"));
    d.keys("2026-11-27T15:00:00Z");
    d.send(code(KeyCode::Enter));
    assert!(error(&d).contains("in the future"));
    d.send(code(KeyCode::Esc));
    d.keys("i-40m");
    d.send(code(KeyCode::Enter));
    d.keys("I");
    d.send(ctrl('u'));
    d.keys("-45m");
    d.send(code(KeyCode::Enter));
    assert!(
        error(&d).contains("before the impact start (13:50:00Z)"),
        "{}",
        error(&d)
    );
    // A real correction: recorded, and it says what it replaces.
    d.send(ctrl('u'));
    d.keys("14:25Z");
    d.send(code(KeyCode::Enter));
    assert_eq!(d.state.mode, Mode::Normal);
    let end = d.state.incident.as_ref().unwrap().impact_ended.unwrap();
    assert_eq!(
        (end.at, end.source),
        (t("2026-11-27T14:25:00Z"), ImpactEndSource::Recorded)
    );
    let n = d.state.notice.as_ref().unwrap();
    assert!(
        n.text
            .contains("14:25:00Z replaces 14:20:00Z (when the firing alerts"),
        "{}",
        n.text
    );
    assert!(matches!(
        d.state.timeline.entries.last().map(|e| &e.event),
        Some(Event::ImpactEnded { .. })
    ));
}

#[test]
fn mitigation_is_offered_when_the_alerts_resolve_and_a_correction_wins() {
    use firebreak::domain::incident::MitigatedFrom;
    use firebreak::domain::SYSTEM_ACTOR;
    let dir = tempfile::tempdir().unwrap();
    let mut d = Driver::started(dir.path(), t("2026-11-27T14:00:00Z"));
    let record = |d: &mut Driver, at: &str, actor: &str, event: Event| {
        d.now = t(at);
        d.run(vec![Effect::Record {
            actor: actor.into(),
            event,
            then: Vec::new(),
        }]);
    };
    record(
        &mut d,
        "2026-11-27T14:01:00Z",
        SYSTEM_ACTOR,
        Event::AlertFiring {
            fingerprint: "f1".into(),
            name: "HighErrorRate".into(),
            severity: "critical".into(),
            summary: String::new(),
            labels: Default::default(),
            since: None,
        },
    );
    record(
        &mut d,
        "2026-11-27T14:10:42Z",
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
    );
    assert_eq!(d.state.incident.as_ref().unwrap().mitigated_at, None);
    record(
        &mut d,
        "2026-11-27T14:11:26Z",
        SYSTEM_ACTOR,
        Event::AlertResolved {
            fingerprint: "f1".into(),
            name: "HighErrorRate".into(),
        },
    );
    // Offered without a modal: a notice naming the time and the key.
    let notice = d.state.notice.as_ref().unwrap().text.clone();
    assert!(
        notice.contains("mitigated at 14:10:42Z") && notice.contains("m corrects it"),
        "{notice}"
    );
    assert_eq!(d.state.mode, Mode::Normal);
    let inc = d.state.incident.as_ref().unwrap();
    assert_eq!(
        (inc.mitigated_at, inc.mitigated_from),
        (Some(t("2026-11-27T14:10:42Z")), Some(MitigatedFrom::Action))
    );

    // `m` shows it to confirm or correct; a correction is recorded, says
    // what it replaces, and wins; what firebreak saw is kept.
    d.now = t("2026-11-27T14:30:00Z");
    d.keys("m");
    assert!(
        matches!(&d.state.mode, Mode::Prompt { input, .. } if input == "14:10:42Z"),
        "{:?}",
        d.state.mode
    );
    d.send(ctrl('u'));
    d.send(code(KeyCode::Enter));
    assert!(
        matches!(&d.state.mode, Mode::Prompt { error: Some(e), .. } if e.contains("When did the impact stop")),
        "an empty answer is asked again: {:?}",
        d.state.mode
    );
    d.keys("2026-11-27T14:08:00Z");
    d.send(code(KeyCode::Enter));
    assert_eq!(d.state.mode, Mode::Normal);
    let notice = d.state.notice.as_ref().unwrap().text.clone();
    assert!(notice.contains("14:08:00Z replaces 14:10:42Z"), "{notice}");
    let inc = d.state.incident.as_ref().unwrap();
    assert_eq!(
        (inc.mitigated_at, inc.mitigated_from),
        (
            Some(t("2026-11-27T14:08:00Z")),
            Some(MitigatedFrom::Recorded)
        )
    );
    assert_eq!(
        inc.mitigated_observed,
        Some((t("2026-11-27T14:10:42Z"), MitigatedFrom::Action))
    );
    assert!(matches!(
        doings(&d).last(),
        Some(Event::MitigationMarked { .. })
    ));

    // The export uses the correction and says what firebreak saw.
    let replay = firebreak::timeline::journal::read(&firebreak::timeline::journal::journal_path(
        dir.path(),
        &inc.id,
    ))
    .unwrap();
    let inc = inc.clone();
    let md = firebreak::timeline::export::render(
        firebreak::timeline::export::Format::Markdown,
        &inc,
        &replay,
        d.now,
    );
    assert!(
        md.contains(
            "the responder recorded 2026-11-27 14:08:00 UTC; firebreak saw 2026-11-27 14:10:42 UTC"
        ),
        "{md}"
    );
    let json = firebreak::timeline::export::json(&inc, &replay, d.now);
    assert_eq!(json["incident"]["mitigated_from"], "recorded");
}

#[test]
fn a_fresh_start_after_a_resolved_incident_says_where_it_and_its_export_went() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = t("2026-11-27T14:00:00Z");
    let mut d = Driver::started(dir.path(), t0);
    let first = d.state.incident.clone().unwrap();
    d.keys("S4");
    if matches!(d.state.mode, Mode::Confirm { .. }) {
        d.keys("y");
    }
    assert!(!d.state.incident_open());
    // Exported with `e`: the runner writes it and reports back.
    d.keys("e");
    let export = dir
        .path()
        .join(format!("exports/{}-postmortem.md", first.id));
    d.send(Msg::Exported(Ok((Format::Markdown, export.clone()))));

    // The next start: nothing open, so a fresh demo incident, and a word
    // about the previous one on screen and on the new timeline.
    let later = t0 + Duration::minutes(30);
    let text = firebreak::wiring::previous::resolved_notice(dir.path(), true, later)
        .expect("a notice about the resolved incident");
    let journal = journal::journal_path(dir.path(), &first.id);
    for needle in [
        first.id.as_str(),
        "was resolved at 2026-11-27 14:00Z",
        "this is a fresh demo incident",
        &journal.display().to_string(),
        &format!("markdown export {}", export.display()),
    ] {
        assert!(text.contains(needle), "{needle:?} not in {text:?}");
    }
    let mut next = Driver::new(new_state(true), dir.path(), later);
    next.state.timeline.previous = Some(text.clone());
    let fx = firebreak::state::start(&mut next.state, later);
    next.run(fx);
    let inc = next.state.incident.clone().unwrap();
    assert_ne!(inc.id, first.id, "a fresh incident");
    assert!(
        events(&next)
            .iter()
            .any(|e| matches!(e, Event::Note { text: t, .. } if *t == text)),
        "{:?}",
        events(&next)
    );
    // Not exported: it says how. A day later: nothing to say.
    let other = tempfile::tempdir().unwrap();
    let mut d = Driver::started(other.path(), t0);
    d.keys("S4");
    if matches!(d.state.mode, Mode::Confirm { .. }) {
        d.keys("y");
    }
    let id = d.state.incident.clone().unwrap().id;
    let text = firebreak::wiring::previous::resolved_notice(other.path(), true, later).unwrap();
    assert!(
        text.contains(&format!(
            "not exported yet: firebreak timeline export --incident {id}"
        )),
        "{text}"
    );
    assert!(firebreak::wiring::previous::resolved_notice(other.path(), false, later).is_none());
    assert!(firebreak::wiring::previous::resolved_notice(
        other.path(),
        true,
        t0 + Duration::hours(25)
    )
    .is_none());
}

#[tokio::test]
async fn the_demo_can_ack_and_silence_like_an_alertmanager_and_records_it() {
    use firebreak::sources::silence::SilenceState;
    let dir = tempfile::tempdir().unwrap();
    // The demo world runs on the real clock; the driver a little behind it
    // (keys then arrive after the confirmation guard, still in the past).
    let now = chrono::Utc::now() - Duration::seconds(5);
    // The demo world as firebreak builds it: it is an alert source that
    // silences, and the cockpit's silencing preferences name it.
    let loaded = firebreak::config::Loaded {
        config: firebreak::config::Config::default(),
        path: None,
    };
    let dirs = firebreak::config::Dirs {
        config_dir: dir.path().join("config"),
        state_dir: dir.path().join("state"),
    };
    let setup = firebreak::wiring::Setup::new(&loaded, Some(dir.path().join("data")), false, &dirs);
    assert!(setup.demo_mode, "no config file: the demo");
    let want = firebreak::wiring::Want {
        fresh_demo: true,
        polled_sources: true,
    };
    let world = firebreak::wiring::World::build(&setup, want, now).unwrap();
    assert_eq!(world.alert_prefs.silence_source.as_deref(), Some("demo"));
    let source = world.alert_sources[0].clone();
    assert!(source.can_silence());

    let mut d = Driver::new(new_state(true), dir.path(), now);
    d.state.silences.prefs = world.alert_prefs.clone();
    let fx = firebreak::state::start(&mut d.state, now);
    d.run(fx);
    let alerts = source.alerts().await.map_err(|e| e.to_string());
    d.send(Msg::Alerts(polled(alerts, now)));
    let pos = d
        .state
        .alerts
        .list
        .view
        .iter()
        .position(|i| d.state.alerts.items[*i].name() == "HighErrorRate")
        .unwrap();
    d.state.alerts.list.selected = pos;
    // `a`: an ack; a critical alert's name is typed to confirm.
    d.keys("a");
    d.type_confirmation();
    let Some(Effect::CreateSilence { silence, .. }) = d.take_outbox().into_iter().next() else {
        panic!("no silence asked for; notice: {:?}", d.state.notice)
    };
    assert!(matches!(
        doings(&d).last(),
        Some(Event::ActionStarted { action, .. }) if action == "ack"
    ));
    let (id, via) = source.create_silence(&silence).await.unwrap();
    d.send(Msg::SilenceDone {
        action: "ack".into(),
        target: "HighErrorRate".into(),
        result: Ok(format!("silence {id} via {via}")),
    });
    assert!(matches!(
        doings(&d).last(),
        Some(Event::ActionFinished { action, ok: true, .. }) if action == "ack"
    ));
    // The next poll: the alert is silenced, and that is recorded once.
    let alerts = source.alerts().await.map_err(|e| e.to_string());
    d.send(Msg::Alerts(polled(alerts, now)));
    d.send(Msg::Silences(polled(
        source.silences().await.map_err(|e| e.to_string()),
        now,
    )));
    let a = d
        .state
        .alerts
        .items
        .iter()
        .find(|a| a.name() == "HighErrorRate")
        .unwrap();
    assert!(a.is_silenced(), "{a:?}");
    assert!(events(&d).iter().any(|e| matches!(e,
        Event::AlertSilenced { name, silenced_by, .. } if name == "HighErrorRate" && silenced_by == &vec![id.clone()])));
    assert_eq!(d.state.silences.items[0].state, SilenceState::Active);
    // `Z` expires it: confirmed, recorded, and it fires again.
    d.keys("Z");
    d.keys("y");
    let expire = d
        .take_outbox()
        .into_iter()
        .find(|e| matches!(e, Effect::ExpireSilence { .. }));
    let Some(Effect::ExpireSilence { ids, .. }) = expire else {
        panic!(
            "no expiry asked for; {:?} {:?} {:?}",
            d.state.mode,
            d.state.notice,
            d.state.selected_alert().map(|a| a.name().to_string())
        )
    };
    assert_eq!(ids, vec![id.clone()]);
    source.expire_silence(&id).await.unwrap();
    let alerts = source.alerts().await.map_err(|e| e.to_string());
    d.send(Msg::Alerts(polled(alerts, now)));
    let a = d
        .state
        .alerts
        .items
        .iter()
        .find(|a| a.name() == "HighErrorRate")
        .unwrap();
    assert!(!a.is_silenced());
}

#[tokio::test]
async fn the_demo_header_shows_read_only_while_its_read_only_flag_is_on() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = t("2026-11-27T14:00:00Z");
    let w = demo_world(t0);
    let mut d = Driver::started(dir.path(), t0);
    d.state.flags.service_modes =
        firebreak::app::cockpit::service_modes(&Scenario::builtin().unwrap().service_modes());
    poll_all(&mut d, &w).await;
    let header = |d: &Driver| -> String {
        let theme = firebreak::config::theme::Theme::default_theme();
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
        term.draw(|f| firebreak::ui::draw(f, &d.state, &theme, d.now))
            .unwrap();
        let buf = term.backend().buffer().clone();
        (0..120).map(|x| buf[(x, 0)].symbol()).collect()
    };
    assert!(!header(&d).contains("READ-ONLY"), "{}", header(&d));
    *w.clock.lock().unwrap() = d.now;
    w.demo.set("checkout-read-only", true).await.unwrap();
    poll_all(&mut d, &w).await;
    assert!(header(&d).contains("READ-ONLY"), "{}", header(&d));
    w.demo.set("maintenance-page", true).await.unwrap();
    poll_all(&mut d, &w).await;
    assert!(header(&d).contains("MAINTENANCE"), "{}", header(&d));
}

#[test]
fn the_palette_finds_alerts_by_who_they_paged_and_charts_what_is_about_to_fire() {
    use firebreak::sources::Routing;
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-11-27T14:00:00Z");
    let mut d = Driver::started(dir.path(), now);
    let w = World::new(Scenario::builtin().unwrap(), now);
    d.send(Msg::Alerts(polled(Ok(w.alerts(now)), now)));
    d.send(Msg::Rules(polled(Ok(w.rules(now)), now)));
    let tree = firebreak::demo::routing().unwrap().clone();
    d.send(Msg::Routing(polled(
        Ok(Routing {
            tree,
            from: "the demo".into(),
        }),
        now,
    )));
    // Paged to the payments pager: only the critical checkout alert.
    d.keys(":");
    d.keys("payments pagerduty");
    d.send(code(KeyCode::Enter));
    assert!(matches!(d.state.mode, Mode::AlertDetail { .. }));
    assert_eq!(d.state.selected_alert().unwrap().name(), "HighErrorRate");
    d.send(code(KeyCode::Esc));
    // The pending ErrorBudgetBurn: choosing it charts its rule.
    d.keys(":");
    d.keys("about to fire budget");
    d.take_outbox();
    d.send(code(KeyCode::Enter));
    let fx = d.take_outbox();
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Chart { panel: Some((spec, q)) }
            if q == "demo:error_ratio" && spec.critical == Some(2.0))),
        "{fx:?}"
    );
}
