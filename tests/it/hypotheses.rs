//! Time-boxed quick hypotheses, then the systematic path: driven through
//! `update` with an injected clock and a real journal.

use crate::support::state::*;
use chrono::{DateTime, Duration, Utc};
use crossterm::event::KeyCode;
use firebreak::config::theme::Theme;
use firebreak::domain::hypotheses::{Outcome, Timebox};
use firebreak::domain::Event;
use firebreak::state::{ChooseKind, Mode, Msg};
use firebreak::timeline::export::{self, Format};
use firebreak::timeline::journal;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn driver(dir: &std::path::Path, now: DateTime<Utc>) -> Driver {
    let mut s = new_state(false);
    s.settings.timebox = Timebox::default(); // 10m boxes, 2 quick, 20m budget, 5m extension
    s.playbooks.load(firebreak::playbook::loader::builtin());
    let mut d = Driver::new(s, dir, now);
    d.keys("D");
    d.keys("Checkout 500s");
    d.send(code(KeyCode::Enter));
    d
}

/// `h`, text, planned action, time box.
fn start_hypothesis(d: &mut Driver, text: &str, planned: &str, time_box: Option<&str>) {
    d.keys("h");
    d.keys(text);
    d.send(code(KeyCode::Enter));
    d.keys(planned);
    d.send(code(KeyCode::Enter));
    if let Some(b) = time_box {
        d.send(Msg::Key(crossterm::event::KeyEvent::new(
            KeyCode::Char('u'),
            crossterm::event::KeyModifiers::CONTROL,
        )));
        d.keys(b);
    }
    d.send(code(KeyCode::Enter));
}

fn tick(d: &mut Driver, by: Duration) {
    d.now += by;
    d.send(Msg::Tick);
}

fn events(d: &Driver) -> Vec<Event> {
    d.state
        .timeline
        .entries
        .iter()
        .map(|e| e.event.clone())
        .collect()
}

fn slot(d: &Driver) -> String {
    let mut term = Terminal::new(TestBackend::new(120, 30)).unwrap();
    term.draw(|f| firebreak::ui::draw(f, &d.state, &Theme::default_theme(), d.now))
        .unwrap();
    let text = term.backend().to_string();
    text.lines().take(3).collect::<Vec<_>>().join("\n")
}

#[test]
fn two_quick_tries_expire_then_the_systematic_path() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = t("2026-11-27T14:00:00Z");
    let mut d = driver(dir.path(), t0);

    start_hypothesis(
        &mut d,
        "connection pool too small after deploy",
        "raise pool to 50",
        None,
    );
    let h1 = d.state.hyp.fold.active().unwrap().clone();
    assert_eq!(h1.time_box, Duration::minutes(10), "config default box");
    assert_eq!(h1.planned, "raise pool to 50");
    assert!(slot(&d).contains("H1 10m00s left"), "{}", slot(&d));
    assert!(slot(&d).contains("quick 1/2"));

    // A note while it is active is linked to it.
    tick(&mut d, Duration::minutes(3));
    d.keys("n");
    d.keys("pool raised, errors unchanged");
    d.send(code(KeyCode::Enter));
    assert!(slot(&d).contains("H1 7m00s left"), "{}", slot(&d));

    // The box runs out: announced once, prominently, without a modal.
    tick(&mut d, Duration::minutes(7));
    assert_eq!(
        d.state.mode,
        Mode::Normal,
        "never a modal that eats the next key"
    );
    assert!(d
        .state
        .notice
        .as_ref()
        .unwrap()
        .text
        .contains("Time box for H1 is spent"));
    let screen = slot(&d);
    assert!(screen.contains("H1 OVER by 0s"), "{screen}");
    assert!(screen.contains("Time box for H1"), "{screen}");
    let first_notice = d.state.notice.clone();
    tick(&mut d, Duration::seconds(1));
    assert_eq!(d.state.notice, first_notice, "announced once");

    // Outcome: refuted.
    d.keys("h");
    assert!(matches!(
        d.state.mode,
        Mode::Choose {
            kind: ChooseKind::Outcome,
            ..
        }
    ));
    d.keys("2");
    d.keys("pool is at 12/50 in use");
    d.send(code(KeyCode::Enter));
    assert!(d.state.hyp.fold.active().is_none());
    assert_eq!(
        d.state.hyp.fold.list[0].outcome.as_ref().unwrap().0,
        Outcome::Refuted
    );
    tick(&mut d, Duration::seconds(1));
    assert!(
        d.state.hyp.fold.systematic.is_none(),
        "1 of 2 tries, 10m of 20m: still quick"
    );

    // Second: extended once with a reason, then refuted.
    start_hypothesis(&mut d, "stale cache of prices", "flush cache", Some("5m"));
    tick(&mut d, Duration::minutes(5));
    d.keys("h");
    d.keys("4"); // extend once
    d.keys("cache flush still running");
    d.send(code(KeyCode::Enter));
    assert!(matches!(
        events(&d).last(),
        Some(Event::HypothesisExtended {
            extra_secs: 300,
            ..
        })
    ));
    assert!(slot(&d).contains("EXTENDED"));
    d.keys("h");
    let rows = firebreak::state::hypotheses_outcome_rows(&d.state);
    assert_eq!(rows.len(), 3, "only one extension: {rows:?}");
    d.send(code(KeyCode::Esc));
    tick(&mut d, Duration::minutes(4));
    d.keys("h2");
    d.send(code(KeyCode::Enter));

    // Budget spent: firebreak switches by itself, once, and says why.
    tick(&mut d, Duration::seconds(1));
    tick(&mut d, Duration::seconds(1));
    let switches: Vec<_> = events(&d)
        .into_iter()
        .filter(|e| matches!(e, Event::SystematicPath { .. }))
        .collect();
    assert_eq!(switches.len(), 1, "{switches:?}");
    let Event::SystematicPath { reason } = &switches[0] else {
        unreachable!()
    };
    assert!(reason.contains("2 of 2"), "{reason}");
    assert!(slot(&d).contains("SYSTEMATIC"));
    // ... and the systematic-diagnosis playbook is the working checklist,
    // opened without a modal.
    let run = d
        .state
        .playbooks
        .runs
        .iter()
        .find(|r| r.playbook == "systematic-diagnosis")
        .expect("checklist run");
    assert!(run.is_active());
    assert_eq!(d.state.focus, firebreak::state::Pane::Playbooks);
    assert_eq!(d.state.mode, Mode::Normal);
    tick(&mut d, Duration::seconds(1));
    assert_eq!(
        d.state
            .playbooks
            .runs
            .iter()
            .filter(|r| r.playbook == "systematic-diagnosis")
            .count(),
        1,
        "opened once"
    );

    // Another quick try now needs an explicit, recorded override.
    d.keys("h");
    assert!(matches!(d.state.mode, Mode::Confirm { .. }));
    d.keys("y");
    d.send(code(KeyCode::Enter));
    assert!(
        matches!(&d.state.mode, Mode::Prompt { error: Some(_), .. }),
        "a reason is required"
    );
    d.keys("new evidence: only eu-west-1 affected");
    d.send(code(KeyCode::Enter));
    start_hypothesis_rest(&mut d, "bad config in eu-west-1");
    let h3 = d.state.hyp.fold.active().unwrap();
    assert_eq!(
        h3.override_reason.as_deref(),
        Some("new evidence: only eu-west-1 affected")
    );
    assert!(slot(&d).contains("H3") && slot(&d).contains("SYSTEMATIC"));

    // The export tells the whole story.
    let id = d.state.incident.as_ref().unwrap().id.clone();
    let md = export::export_incident(dir.path(), Some(&id), Format::Markdown, d.now).unwrap();
    let section =
        &md[md.find("## Hypotheses tried").expect("section")..md.find("## Timeline").unwrap()];
    for want in [
        "### H1: connection pool too small after deploy",
        "Quick action: raise pool to 50",
        "Time box: 10m00s; time actually spent: 10m01s",
        "Outcome: **refuted**",
        "(pool is at 12/50 in use)",
        "pool raised, errors unchanged",
        "### H2: stale cache of prices",
        "Extended once by 5m00s (exception), because: cache flush still running",
        "Time box: 5m00s; time actually spent: 9m00s",
        "override, because: new evidence: only eu-west-1 affected",
        "Switched to the systematic path at 2026-11-27 14:19:",
        "2 of 2 quick hypotheses tried",
    ] {
        assert!(section.contains(want), "section lacks {want:?}:\n{section}");
    }
    let json = export::export_incident(dir.path(), Some(&id), Format::Json, d.now).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["hypotheses"]["tried"].as_array().unwrap().len(), 3);
    assert_eq!(v["hypotheses"]["tried"][0]["outcome"], "refuted");
    assert_eq!(v["hypotheses"]["tried"][1]["extension"]["seconds"], 300);
    assert!(v["hypotheses"]["systematic"]["reason"]
        .as_str()
        .unwrap()
        .contains("2 of 2"));
}

/// After the override reason: text, no action, default box.
fn start_hypothesis_rest(d: &mut Driver, text: &str) {
    d.keys(text);
    d.send(code(KeyCode::Enter));
    d.send(code(KeyCode::Enter));
    d.send(code(KeyCode::Enter));
}

#[test]
fn the_time_budget_alone_ends_the_quick_phase() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = t("2026-11-27T14:00:00Z");
    let mut d = driver(dir.path(), t0);
    d.state.settings.timebox.max_quick = 5;
    start_hypothesis(&mut d, "dns", "", Some("25m"));
    tick(&mut d, Duration::minutes(21));
    d.keys("h3"); // abandoned
    d.send(code(KeyCode::Enter));
    tick(&mut d, Duration::seconds(1));
    assert!(d
        .state
        .hyp
        .fold
        .systematic
        .as_ref()
        .unwrap()
        .1
        .contains("21m00s of 20m00s"));
}

#[test]
fn the_responder_may_switch_early_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = driver(dir.path(), t("2026-11-27T14:00:00Z"));
    d.keys("H");
    d.keys("y");
    assert!(d
        .state
        .hyp
        .fold
        .systematic
        .as_ref()
        .unwrap()
        .1
        .contains("chosen"));
    d.keys("H");
    assert_eq!(d.state.mode, Mode::Normal);
    assert_eq!(
        events(&d)
            .iter()
            .filter(|e| matches!(e, Event::SystematicPath { .. }))
            .count(),
        1
    );
}

#[test]
fn a_box_that_ran_out_while_closed_is_expired_on_restart() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = t("2026-11-27T14:00:00Z");
    let mut d = driver(dir.path(), t0);
    start_hypothesis(&mut d, "pool", "", None);
    let id = d.state.incident.as_ref().unwrap().id.clone();
    drop(d);
    // Restart 25 minutes later: replay the journal.
    let replay = journal::read(&journal::journal_path(dir.path(), &id)).unwrap();
    let mut s = new_state(false);
    s.settings.timebox = Timebox::default();
    s.resume(replay.entries, replay.problems);
    let later = t0 + Duration::minutes(25);
    let h = s.hyp.fold.active().unwrap();
    assert!(h.expired(later));
    assert_eq!(
        h.deadline(),
        t0 + Duration::minutes(10),
        "never reset by a restart"
    );
    let mut d = Driver::new(s, dir.path(), later);
    d.journal = Some(
        journal::Journal::open(&journal::journal_path(dir.path(), &id))
            .unwrap()
            .0,
    );
    assert!(slot(&d).contains("H1 OVER by 15m00s"), "{}", slot(&d));
}

#[test]
fn empty_and_bad_input_is_explained_not_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = driver(dir.path(), t("2026-11-27T14:00:00Z"));
    let before = d.state.timeline.entries.len();
    d.keys("h");
    d.send(code(KeyCode::Enter));
    assert!(matches!(&d.state.mode, Mode::Prompt { error: Some(_), .. }));
    d.keys("x");
    d.send(code(KeyCode::Enter));
    d.send(code(KeyCode::Enter));
    d.send(Msg::Key(crossterm::event::KeyEvent::new(
        KeyCode::Char('u'),
        crossterm::event::KeyModifiers::CONTROL,
    )));
    d.keys("ten minutes");
    d.send(code(KeyCode::Enter));
    assert!(matches!(&d.state.mode, Mode::Prompt { error: Some(e), .. } if e.contains("duration")));
    d.send(code(KeyCode::Esc));
    assert_eq!(d.state.timeline.entries.len(), before);
}

#[test]
fn header_countdown_and_expiry_prompt_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = t("2026-11-27T14:00:00Z");
    let mut d = driver(dir.path(), t0);
    start_hypothesis(
        &mut d,
        "connection pool too small after deploy",
        "raise pool to 50",
        None,
    );
    tick(&mut d, Duration::seconds(272));
    insta::assert_snapshot!("countdown", slot(&d));
    tick(&mut d, Duration::minutes(6));
    insta::assert_snapshot!("expired", slot(&d));
}
