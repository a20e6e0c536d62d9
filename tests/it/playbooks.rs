//! Playbooks: the runner with real processes (failures, timeouts that
//! kill the process group, floods of output), injection attempts through
//! alert labels, the loader's file:line errors, the TUI flow through the
//! headless Driver (demo world behind the real interfaces), restart and
//! resume from the journal, double presses, and the CLI.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use crate::support::state::*;
use assert_cmd::Command;
use chrono::{DateTime, Duration, Utc};
use crossterm::event::KeyCode;
use firebreak::domain::Event;
use firebreak::playbook::exec::{self, Ctx, StepAction};
use firebreak::playbook::model::Source;
use firebreak::playbook::runner::{self, CommandSpec, Limits, Program};
use firebreak::playbook::{loader, template};
use firebreak::state::playbooks::StepStatus;
use firebreak::state::{ChooseKind, Effect, Mode, Msg, Pane};
use firebreak::timeline::journal;
use predicates::prelude::*;

// ---------------------------------------------------------------------
// Runner: real processes.
// ---------------------------------------------------------------------

fn spec(program: Program, timeout_ms: u64) -> CommandSpec {
    CommandSpec {
        program,
        cwd: None,
        env: Vec::new(),
        timeout: StdDuration::from_millis(timeout_ms),
        expect_exit: vec![0],
    }
}

fn script(s: &str) -> Program {
    Program::sh(s)
}

async fn run(spec: &CommandSpec) -> runner::CommandResult {
    let limits = Limits {
        grace: StdDuration::from_millis(500),
        ..Limits::default()
    };
    runner::run(spec, limits, &mut |_| {}).await
}

/// Is the process gone (or a zombie nobody reaped yet)?
fn dead(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(s) => s
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

#[tokio::test]
async fn a_command_runs_with_its_exit_code_output_and_cwd() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = spec(
        Program::Argv(vec![
            "sh".into(),
            "-c".into(),
            "pwd; echo to-stderr >&2".into(),
        ]),
        5000,
    );
    s.cwd = Some(dir.path().to_path_buf());
    let r = run(&s).await;
    assert!(r.ok, "{r:?}");
    assert_eq!(r.exit_code, Some(0));
    let canon = std::fs::canonicalize(dir.path()).unwrap();
    assert!(
        r.output
            .iter()
            .any(|l| Path::new(l) == canon || Path::new(l) == dir.path()),
        "{:?}",
        r.output
    );
    assert!(
        r.output.contains(&"to-stderr".to_string()),
        "stderr is kept too"
    );
}

#[tokio::test]
async fn a_failing_script_reports_its_exit_code_and_expected_codes_count_as_ok() {
    let r = run(&spec(script("echo oops >&2; exit 3"), 5000)).await;
    assert!(!r.ok);
    assert_eq!(r.exit_code, Some(3));
    assert_eq!(r.output, vec!["oops".to_string()]);
    assert!(r.summary().contains("exit 3"), "{}", r.summary());
    let mut s = spec(script("exit 3"), 5000);
    s.expect_exit = vec![0, 3];
    assert!(run(&s).await.ok, "3 is expected here");
}

#[tokio::test]
async fn a_missing_program_is_an_error_not_a_panic() {
    let r = run(&spec(
        Program::Argv(vec!["/nonexistent/firebreak-test-tool".into()]),
        5000,
    ))
    .await;
    assert!(!r.ok);
    assert!(
        r.error.as_deref().unwrap().contains("cannot start"),
        "{r:?}"
    );
}

#[tokio::test]
async fn a_command_that_hangs_is_killed_with_its_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("child.pid");
    // A background child that would outlive a plain kill of the shell,
    // and a shell that ignores TERM (so KILL after the grace period).
    let mut s = spec(
        script(
            "trap '' TERM; sleep 30 & echo $! > \"$PIDFILE\"; echo started; sleep 30; echo never",
        ),
        1000,
    );
    s.env
        .push(("PIDFILE".into(), pidfile.display().to_string()));
    let t = std::time::Instant::now();
    let r = run(&s).await;
    let took = t.elapsed();
    assert!(r.timed_out && !r.ok, "{r:?}");
    assert!(
        took < StdDuration::from_secs(6),
        "killed promptly, took {took:?}"
    );
    assert!(r.output.contains(&"started".to_string()));
    assert!(!r.output.contains(&"never".to_string()));
    assert!(r.summary().contains("timed out"), "{}", r.summary());
    let pid: u32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // Give the kernel a moment to deliver the signal.
    for _ in 0..50 {
        if dead(pid) {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    assert!(
        dead(pid),
        "the background child {pid} was killed with the group"
    );
}

#[tokio::test]
async fn a_flood_of_output_is_kept_bounded_with_the_last_lines() {
    let r = run(&spec(
        script("seq 1 200000; head -c 3000000 /dev/zero | tr '\\0' a; echo; echo the-end"),
        20000,
    ))
    .await;
    assert!(r.ok, "{:?}", r.summary());
    let kept: usize = r.output.iter().map(|l| l.len() + 1).sum();
    assert!(
        kept <= Limits::default().keep_bytes + Limits::default().max_line * 4 + 16,
        "kept {kept} bytes"
    );
    assert_eq!(r.output.last().map(String::as_str), Some("the-end"));
    assert!(
        r.dropped_bytes > 1_000_000,
        "the front was dropped: {}",
        r.dropped_bytes
    );
    assert!(
        r.output
            .iter()
            .all(|l| l.chars().count() <= Limits::default().max_line + 1),
        "long lines clipped"
    );
    let tail = r.tail(5, 300);
    assert!(tail.len() <= 303 && tail.ends_with("the-end"), "{tail:?}");
}

#[tokio::test]
async fn live_output_arrives_in_batches_before_the_end() {
    let mut seen: Vec<String> = Vec::new();
    let s = spec(script("echo one; sleep 0.3; echo two"), 5000);
    let r = runner::run(&s, Limits::default(), &mut |lines| seen.extend(lines)).await;
    assert!(r.ok);
    assert_eq!(seen, vec!["one".to_string(), "two".to_string()]);
}

// ---------------------------------------------------------------------
// Injection: remote text never reaches a shell.
// ---------------------------------------------------------------------

const INJECT: &str = r#"
name = "inject"
description = "Labels with shell syntax stay data."

[[inputs]]
name = "svc"
from_label = "service"

[[steps]]
title = "argv"
kind = "command"
argv = ["printf", "%s\n", "svc={{svc}}", "{{labels.note}}", "--", "{{labels.note}}"]

[[steps]]
title = "script"
kind = "command"
script = 'printf "%s\n" "$FB_SVC" "$FB_LABEL_NOTE" "$NOTE_AGAIN"'
env = { NOTE_AGAIN = "again: {{labels.note}}" }
"#;

#[tokio::test]
async fn alert_labels_with_shell_syntax_never_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let pb = loader::parse(
        Path::new("inject.toml"),
        INJECT,
        Source::File("inject.toml".into()),
    )
    .unwrap();
    let payloads = [
        format!("$(touch {d}/pwned1)"),
        format!("; touch {d}/pwned2"),
        format!("`touch {d}/pwned3`"),
        format!("x\ntouch {d}/pwned4"),
        format!("' ; touch {d}/pwned5 #"),
        format!("\" && touch {d}/pwned6 \""),
        format!("$(rm -rf ~) ; rm -rf ~ | touch {d}/pwned7"),
    ];
    let ctx = Ctx {
        providers: Vec::new(),
        release: None,
        timeout: StdDuration::from_secs(5),
        limits: Limits::default(),
    };
    for p in &payloads {
        let mut labels = BTreeMap::new();
        labels.insert("service".to_string(), p.clone());
        labels.insert("note".to_string(), p.clone());
        let values = firebreak::playbook::prefill(&pb, &BTreeMap::new(), &labels, false);
        assert_eq!(values["svc"], *p);
        let vars = firebreak::playbook::vars(&pb, &values, &labels, false);
        for step in &pb.steps {
            let action = firebreak::playbook::action(step, &vars).unwrap().unwrap();
            let o = exec::execute(&action, &ctx, &mut |_| {}).await;
            assert!(o.ok, "{}: {o:?}", step.title);
            let text = o.output.join("\n");
            assert!(
                text.contains(p.as_str()),
                "the payload came out as data: {text:?}"
            );
        }
    }
    let made: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(made.is_empty(), "nothing was created: {made:?}");
}

#[test]
fn a_label_that_looks_like_an_option_is_refused_as_an_argument() {
    let pb = loader::parse(
        Path::new("inject.toml"),
        INJECT,
        Source::File("inject.toml".into()),
    )
    .unwrap();
    let mut labels = BTreeMap::new();
    labels.insert("service".to_string(), "--output=/etc/passwd".to_string());
    labels.insert("note".to_string(), "ok".to_string());
    let values = firebreak::playbook::prefill(&pb, &BTreeMap::new(), &labels, false);
    let vars = firebreak::playbook::vars(&pb, &values, &labels, false);
    // Inside "svc=..." it is harmless.
    assert!(firebreak::playbook::action(&pb.steps[0], &vars).is_ok());
    labels.insert("note".to_string(), "--output=/etc/passwd".to_string());
    let vars = firebreak::playbook::vars(&pb, &values, &labels, false);
    let e = firebreak::playbook::action(&pb.steps[0], &vars).unwrap_err();
    assert!(e.contains("starts with `-`"), "{e}");
    let argv = template::render_argv(
        &["echo".into(), "--".into(), "{{labels.note}}".into()],
        &vars,
    )
    .unwrap();
    assert_eq!(argv[2], "--output=/etc/passwd", "after -- it is an operand");
}

// ---------------------------------------------------------------------
// Loader: every shipped playbook is valid; bad files name file:line.
// ---------------------------------------------------------------------

fn fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir("tests/fixtures/playbooks/invalid")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml" || e == "md"))
        .collect();
    v.sort();
    assert!(v.len() >= 19, "fixtures present");
    v
}

/// `# expect: FILE:LINE: field ...` with FILE replaced by the path (in
/// Markdown, whose first line is its front matter, the last line's
/// `<!-- expect: ... -->`).
fn expectation(path: &Path) -> String {
    let src = std::fs::read_to_string(path).unwrap();
    let e = src
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# expect: "))
        .or_else(|| {
            src.lines()
                .rev()
                .find_map(|l| l.strip_prefix("<!-- expect: ")?.strip_suffix(" -->"))
        })
        .unwrap_or_else(|| panic!("{} lacks `# expect:`", path.display()));
    e.replacen("FILE", &path.display().to_string(), 1)
}

#[test]
fn every_bad_fixture_fails_with_its_expected_file_line_and_field() {
    for f in fixtures() {
        let want = expectation(&f);
        let errs = loader::load_file(&f).expect_err(&f.display().to_string());
        assert!(
            errs.iter().any(|e| e.to_string().starts_with(&want)),
            "{}: want {want:?}, got {errs:?}",
            f.display()
        );
    }
}

#[test]
fn every_shipped_playbook_passes_check_and_is_the_compiled_in_text() {
    Command::cargo_bin("firebreak")
        .unwrap()
        .env("XDG_CONFIG_HOME", "/nonexistent-fb-config")
        .env_remove("FIREBREAK_CONFIG")
        .args(["playbook", "check", "playbooks"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "ok    playbooks/rollback.toml: rollback",
        ));
    for (path, text) in loader::BUILTIN {
        assert_eq!(
            std::fs::read_to_string(path).unwrap(),
            *text,
            "{path} compiled in"
        );
    }
    let on_disk = std::fs::read_dir("playbooks").unwrap().count();
    assert_eq!(
        on_disk,
        loader::BUILTIN.len(),
        "every file in playbooks/ is shipped"
    );
}

#[test]
fn playbook_check_exits_nonzero_with_file_line_field_for_each_bad_fixture() {
    for f in fixtures() {
        let want = expectation(&f);
        Command::cargo_bin("firebreak")
            .unwrap()
            .env("XDG_CONFIG_HOME", "/nonexistent-fb-config")
            .env_remove("FIREBREAK_CONFIG")
            .args(["playbook", "check"])
            .arg(&f)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(want));
    }
}

// ---------------------------------------------------------------------
// The TUI flow, headless, against the demo world.
// ---------------------------------------------------------------------

fn ctx(w: &World0) -> Ctx {
    Ctx {
        providers: vec![Arc::new(w.demo.clone())],
        release: Some(Arc::new(w.demo.clone())),
        timeout: StdDuration::from_secs(2),
        limits: Limits::default(),
    }
}

/// Carry out the step effects in the outbox the way the effect runner
/// does (same `exec::execute`), feeding output and results back.
async fn run_steps(d: &mut Driver, w: &World0) -> usize {
    *w.clock.lock().unwrap() = d.now;
    let n = run_step_effects(d, &ctx(w)).await;
    poll_all(d, w).await;
    n
}

async fn demo_driver(dir: &Path, t0: DateTime<Utc>) -> (Driver, World0) {
    let w = demo_world(t0);
    let mut state = new_state(true);
    state.playbooks.load(loader::builtin());
    let mut d = Driver::new(state, dir, t0);
    let fx = firebreak::state::start(&mut d.state, t0);
    d.run(fx);
    poll_all(&mut d, &w).await;
    (d, w)
}

fn events(d: &Driver) -> Vec<&Event> {
    d.state.timeline.entries.iter().map(|e| &e.event).collect()
}

fn step_jobs(d: &Driver) -> Vec<&firebreak::playbook::exec::StepJob> {
    d.outbox
        .iter()
        .filter_map(|e| match e {
            Effect::PlaybookStep(j) => Some(j),
            _ => None,
        })
        .collect()
}

/// The screen as a 120x40 terminal shows it, one string per row.
fn screen(d: &Driver) -> Vec<String> {
    let theme = firebreak::config::theme::Theme::default_theme();
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    term.draw(|f| firebreak::ui::draw(f, &d.state, &theme, d.now))
        .unwrap();
    let buf = term.backend().buffer().clone();
    (0..40)
        .map(|y| (0..120).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

fn status(d: &Driver, step: usize) -> StepStatus {
    d.state.playbooks.open_run().unwrap().steps[step].status
}

#[tokio::test]
async fn feature_flag_kill_from_the_palette_turns_the_flag_off_and_sees_recovery() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = t("2026-11-27T14:00:00Z");
    let (mut d, w) = demo_driver(dir.path(), t0).await;

    d.keys(":");
    d.keys("feature-flag-kill");
    d.send(code(KeyCode::Enter));
    let Mode::PlaybookForm(form) = &d.state.mode else {
        panic!("form expected, got {:?}", d.state.mode)
    };
    assert_eq!(
        form.fields,
        vec![
            ("flag".into(), "new-checkout-flow".into()),
            ("provider".into(), "demo".into())
        ]
    );
    d.send(code(KeyCode::Enter));
    assert_eq!(d.state.focus, Pane::Playbooks);
    assert!(
        matches!(events(&d).last(), Some(Event::PlaybookStarted { playbook, .. }) if playbook == "feature-flag-kill")
    );

    // 1: identify (a check).
    d.send(code(KeyCode::Enter));
    assert_eq!(status(&d, 0), StepStatus::Done);
    // 2: read the flag: recorded first, then carried out.
    d.send(code(KeyCode::Enter));
    assert!(
        matches!(events(&d).last(), Some(Event::StepStarted { step: 1, .. })),
        "write-ahead"
    );
    assert!(matches!(step_jobs(&d)[..], [j] if matches!(j.action, StepAction::ReadFlag { .. })));
    run_steps(&mut d, &w).await;
    let run = d.state.playbooks.open_run().unwrap();
    assert_eq!(run.steps[1].status, StepStatus::Done);
    assert!(
        run.steps[1]
            .output
            .iter()
            .any(|l| l.contains("new-checkout-flow is ON")),
        "{:?}",
        run.steps[1].output
    );
    // 3: is it safe (check).
    let read_at = d.now;
    d.now += Duration::seconds(18);
    d.send(code(KeyCode::Enter));
    // 4: turn it off: a production flag needs its name typed.
    d.send(code(KeyCode::Enter));
    let Mode::TypedConfirm { expect, .. } = &d.state.mode else {
        panic!("typed confirmation, got {:?}", d.state.mode)
    };
    assert_eq!(expect, "new-checkout-flow");
    d.keys("new-checkout");
    d.send(code(KeyCode::Enter));
    assert!(
        matches!(&d.state.mode, Mode::TypedConfirm { error: Some(_), .. }),
        "a wrong name does not confirm"
    );
    assert!(d.outbox.is_empty());
    d.keys("-flow");
    d.send(code(KeyCode::Enter));
    assert_eq!(step_jobs(&d).len(), 1);
    // Pressed again while it runs: ignored.
    d.send(code(KeyCode::Enter));
    d.send(code(KeyCode::Enter));
    assert_eq!(step_jobs(&d).len(), 1, "a running step cannot start twice");
    assert!(
        d.state.flags.in_flight.contains("new-checkout-flow"),
        "the flags pane is locked out too"
    );
    run_steps(&mut d, &w).await;
    assert_eq!(status(&d, 3), StepStatus::Done);
    assert!(events(&d).iter().any(|e| matches!(e, Event::FlagChanged { flag, before: Some(true), after: Some(false), ok: true, .. } if flag == "new-checkout-flow")));
    assert!(
        !d.state
            .flags
            .items
            .iter()
            .find(|f| f.name == "new-checkout-flow")
            .unwrap()
            .enabled
    );
    // 5: the error ratio recovers (polled as metrics arrive).
    d.send(code(KeyCode::Enter));
    assert_eq!(status(&d, 4), StepStatus::Running);
    d.now += Duration::seconds(30);
    poll_all(&mut d, &w).await;
    assert_eq!(status(&d, 4), StepStatus::Running, "not yet");
    d.now += Duration::minutes(4);
    poll_all(&mut d, &w).await;
    assert_eq!(status(&d, 4), StepStatus::Done);
    // 6: tell people: since when the flag is off, as a time.
    let off_at = d.state.playbooks.open_run().unwrap().steps[3]
        .finished
        .unwrap();
    let rows = screen(&d).join("\n");
    let since = format!("{}, why", off_at.format("%H:%M:%S UTC"));
    assert!(rows.contains("new-checkout-flow is OFF since"), "{rows}");
    assert!(rows.contains(&since), "{since:?} in:\n{rows}");
    assert!(!rows.contains("since now"), "{rows}");
    // -> the run is finished.
    d.send(code(KeyCode::Enter));
    assert_eq!(d.state.playbooks.open_run().unwrap().finished, Some(true));
    assert!(matches!(
        events(&d).last(),
        Some(Event::PlaybookFinished { ok: true, .. })
    ));

    let inc = d.state.incident.clone().unwrap();
    // Mitigated when the flag went off, not when step 2 read it.
    let flipped_at = d
        .state
        .timeline
        .entries
        .iter()
        .find(|e| matches!(&e.event, Event::FlagChanged { ok: true, .. }))
        .map(|e| e.ts);
    assert!(flipped_at.is_some_and(|f| f > read_at));
    assert_eq!(inc.mitigated_at, flipped_at, "read at {read_at}");
    let md = firebreak::timeline::export::export_incident(
        dir.path(),
        Some(&inc.id),
        firebreak::timeline::export::Format::Markdown,
        d.now,
    )
    .unwrap();
    for needle in [
        "Playbook feature-flag-kill started",
        "\"Turn the flag off\" done",
        "Error ratio = ",
        "Playbook feature-flag-kill finished",
    ] {
        assert!(md.contains(needle), "export lacks {needle:?}:\n{md}");
    }
}

#[tokio::test]
async fn rollback_is_suggested_for_the_alert_and_really_rolls_the_demo_back() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = t("2026-11-27T14:00:00Z");
    let (mut d, w) = demo_driver(dir.path(), t0).await;
    d.keys("1");
    let pos = d
        .state
        .alerts
        .list
        .view
        .iter()
        .position(|i| d.state.alerts.items[*i].name() == "HighErrorRate")
        .unwrap();
    d.state.alerts.list.selected = pos;
    d.send(code(KeyCode::Enter));
    assert!(matches!(d.state.mode, Mode::AlertDetail { .. }));
    // The detail view names the suggestion and its key.
    let theme = firebreak::config::theme::Theme::default_theme();
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    term.draw(|f| firebreak::ui::draw(f, &d.state, &theme, d.now))
        .unwrap();
    let screen: String = term
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(
        screen.contains("Suggested playbooks: rollback, feature-flag-kill — press p to choose one"),
        "{screen}"
    );

    // Two apply: p asks which one.
    d.keys("p");
    let Mode::Choose { kind, .. } = &d.state.mode else {
        panic!("a chooser, got {:?}", d.state.mode)
    };
    assert!(
        matches!(kind, ChooseKind::Playbook { names, .. } if names == &["rollback", "feature-flag-kill"]),
        "{kind:?}"
    );
    let rows = self::screen(&d).join("\n");
    assert!(rows.contains("Suggested playbooks: which one?"), "{rows}");
    assert!(rows.contains("1 rollback"), "{rows}");
    assert!(
        rows.contains("2 feature-flag-kill Kill switch: turn a feature flag off"),
        "{rows}"
    );
    d.keys("1");
    let Mode::PlaybookForm(form) = &d.state.mode else {
        panic!("{:?}", d.state.mode)
    };
    let f: BTreeMap<_, _> = form.fields.iter().cloned().collect();
    assert_eq!(f["service"], "checkout", "from the alert's label");
    assert_eq!(f["env"], "prod", "from the alert's label");
    assert_eq!(f["method"], "firebreak", "the demo's release control");
    d.send(code(KeyCode::Enter));
    let run = d.state.playbooks.open_run().unwrap();
    let skipped: Vec<usize> = (0..run.steps.len())
        .filter(|i| run.steps[*i].status == StepStatus::Skipped)
        .collect();
    assert_eq!(
        skipped,
        vec![2, 3, 4, 6, 7, 8, 9],
        "kubectl/helm/command steps do not apply"
    );

    d.send(code(KeyCode::Enter)); // suspect? yes
    d.send(code(KeyCode::Enter)); // capture the version
    run_steps(&mut d, &w).await;
    assert!(d.state.playbooks.open_run().unwrap().steps[1]
        .output
        .iter()
        .any(|l| l.contains("checkout v2.14.0")));
    assert_eq!(
        d.state.playbooks.open_run().unwrap().selected,
        5,
        "the cursor skipped to the next open step"
    );
    d.send(code(KeyCode::Enter)); // roll back: production, type the service
    let Mode::TypedConfirm {
        expect, question, ..
    } = &d.state.mode
    else {
        panic!("{:?}", d.state.mode)
    };
    assert_eq!(expect, "checkout");
    assert!(question.contains("PRODUCTION"), "{question}");
    d.keys("checkout");
    d.send(code(KeyCode::Enter));
    assert!(d.state.release.in_flight);
    d.keys("B");
    assert!(d
        .state
        .notice
        .as_ref()
        .unwrap()
        .text
        .contains("already running"));
    assert_eq!(step_jobs(&d).len(), 1);
    run_steps(&mut d, &w).await;
    assert_eq!(status(&d, 5), StepStatus::Done);
    assert!(!d.state.release.in_flight);
    d.send(code(KeyCode::Enter)); // error ratio query
    d.now += Duration::minutes(5);
    poll_all(&mut d, &w).await;
    assert_eq!(status(&d, 10), StepStatus::Done);
    *w.clock.lock().unwrap() = d.now;
    assert_eq!(
        firebreak::sources::ReleaseControl::current(&w.demo)
            .await
            .unwrap(),
        "checkout v2.13.2"
    );
    d.send(code(KeyCode::Enter));
    assert_eq!(d.state.playbooks.open_run().unwrap().finished, Some(true));
}

#[tokio::test]
async fn a_run_survives_a_restart_and_continues_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = t("2026-11-27T14:00:00Z");
    let (mut d, w) = demo_driver(dir.path(), t0).await;
    d.keys(":");
    d.keys("run playbook rollback");
    d.send(code(KeyCode::Enter));
    d.send(code(KeyCode::Enter)); // form
    d.send(code(KeyCode::Enter)); // step 1 check
    d.send(code(KeyCode::Enter)); // step 2 started and recorded...
    assert_eq!(step_jobs(&d).len(), 1);
    // ...and firebreak dies before it finishes.
    let id = d.state.incident.as_ref().unwrap().id.clone();
    drop(d);

    let replay = journal::read(&journal::journal_path(dir.path(), &id)).unwrap();
    assert!(replay.chain_ok());
    let mut state = new_state(true);
    state.playbooks.load(loader::builtin());
    state.resume(replay.entries, replay.problems);
    let run = &state.playbooks.runs[0];
    assert_eq!(run.steps[0].status, StepStatus::Done);
    assert_eq!(
        run.steps[1].status,
        StepStatus::Interrupted,
        "outcome unknown"
    );
    assert_eq!(run.steps[2].status, StepStatus::Skipped);
    assert_eq!(run.selected, 1, "the cursor is where it stopped");
    assert!(run.is_active());

    let mut d = Driver::new(state, dir.path(), t0 + Duration::minutes(1));
    d.journal = Some(
        journal::Journal::open(&journal::journal_path(dir.path(), &id))
            .unwrap()
            .0,
    );
    poll_all(&mut d, &w).await;
    // The side pane shows the run in progress; open it.
    d.keys("5");
    d.send(code(KeyCode::Enter));
    assert_eq!(d.state.playbooks.open.as_deref(), Some("run-1"));
    // Enter does not blindly re-run an interrupted step.
    d.send(code(KeyCode::Enter));
    assert!(d.outbox.is_empty());
    assert!(d
        .state
        .notice
        .as_ref()
        .unwrap()
        .text
        .contains("was running when firebreak stopped"));
    // Re-running is explicit.
    d.send(ctrl('r'));
    let jobs = step_jobs(&d);
    assert_eq!(jobs.len(), 1);
    assert_eq!((jobs[0].step, jobs[0].attempt), (1, 2));
    run_steps(&mut d, &w).await;
    assert_eq!(status(&d, 1), StepStatus::Done);
    assert!(events(&d).iter().any(|e| matches!(
        e,
        Event::StepStarted {
            step: 1,
            attempt: 2,
            ..
        }
    )));
}

const CMD_PLAYBOOK: &str = r#"
name = "t-cmd"
description = "Commands through the TUI."

[[inputs]]
name = "svc"
from_label = "service"
default = "checkout"

[[steps]]
title = "say hello"
kind = "command"
script = 'echo "hello $FB_SVC"; echo line2; echo err >&2'
timeout = "10s"

[[steps]]
title = "fail"
kind = "command"
argv = ["sh", "-c", "echo boom; exit 4"]
on_failure = "look at the boom"

[[steps]]
title = "a check"
kind = "check"
"#;

#[tokio::test]
async fn steps_do_not_run_twice_rerun_is_explicit_and_failures_show_guidance() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = t("2026-11-27T14:00:00Z");
    let (mut d, w) = demo_driver(dir.path(), t0).await;
    let pbdir = dir.path().join("pb");
    std::fs::create_dir_all(&pbdir).unwrap();
    std::fs::write(pbdir.join("t-cmd.toml"), CMD_PLAYBOOK).unwrap();
    d.state.playbooks.load(loader::load_all(&[pbdir], &[]));
    d.keys(":");
    d.keys("t-cmd");
    d.send(code(KeyCode::Enter));
    d.send(code(KeyCode::Enter)); // form

    d.send(code(KeyCode::Enter));
    d.send(code(KeyCode::Enter));
    assert_eq!(step_jobs(&d).len(), 1, "double press: one run");
    run_steps(&mut d, &w).await;
    let s = &d.state.playbooks.open_run().unwrap().steps[0];
    assert_eq!((s.status, s.exit_code), (StepStatus::Done, Some(0)));
    assert_eq!(
        s.output.iter().cloned().collect::<Vec<_>>(),
        ["hello checkout", "line2", "err"]
    );
    let finished = events(&d)
        .into_iter()
        .find_map(|e| match e {
            Event::StepFinished {
                step: 0,
                output_tail,
                exit_code,
                ..
            } => Some((output_tail.clone(), *exit_code)),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        finished,
        ("hello checkout\nline2\nerr".to_string(), Some(0))
    );

    // A completed step is not re-run by accident...
    d.send(code(KeyCode::Up));
    d.send(code(KeyCode::Enter));
    assert!(d.outbox.is_empty());
    assert!(
        d.state.notice.as_ref().unwrap().text.contains("ctrl-r"),
        "{:?}",
        d.state.notice
    );
    // ...only explicitly.
    d.send(ctrl('r'));
    assert_eq!(step_jobs(&d)[0].attempt, 2);
    run_steps(&mut d, &w).await;

    assert_eq!(
        d.state.playbooks.open_run().unwrap().selected,
        1,
        "on to the next open step"
    );
    d.send(code(KeyCode::Enter));
    run_steps(&mut d, &w).await;
    let s = &d.state.playbooks.open_run().unwrap().steps[1];
    assert_eq!((s.status, s.exit_code), (StepStatus::Failed, Some(4)));
    let notice = &d.state.notice.as_ref().unwrap().text;
    assert!(notice.contains("look at the boom"), "{notice}");
    assert_eq!(
        d.state.playbooks.open_run().unwrap().selected,
        1,
        "the cursor stays on the failure"
    );
    d.send(ctrl('s'));
    assert_eq!(status(&d, 1), StepStatus::Skipped);
    d.keys("F");
    assert_eq!(status(&d, 2), StepStatus::Failed);
    assert!(
        d.state.playbooks.open_run().unwrap().is_active(),
        "a failed check keeps the run open"
    );
    d.send(ctrl('r'));
    assert_eq!(status(&d, 2), StepStatus::Done);
    assert_eq!(d.state.playbooks.open_run().unwrap().finished, Some(true));

    // The run view draws every step and the output.
    let theme = firebreak::config::theme::Theme::default_theme();
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).unwrap();
    d.send(code(KeyCode::Home));
    term.draw(|f| firebreak::ui::draw(f, &d.state, &theme, d.now))
        .unwrap();
    let screen: String = term
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    for needle in [
        "Playbooks ›",
        "say hello",
        "a check",
        "output (3 lines)",
        "hello checkout",
    ] {
        assert!(
            screen.contains(needle),
            "screen lacks {needle:?}:\n{screen}"
        );
    }
}

#[test]
fn a_step_that_could_not_be_recorded_is_released_not_stuck() {
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-11-27T14:00:00Z");
    let mut state = new_state(true);
    state.playbooks.load(loader::builtin());
    let mut d = Driver::new(state, dir.path(), now);
    let fx = firebreak::state::start(&mut d.state, now);
    d.run(fx);
    let fx =
        firebreak::state::playbooks::start_playbook(&mut d.state, "feature-flag-kill", None, now);
    d.run(fx);
    d.send(code(KeyCode::Enter)); // form
    d.send(code(KeyCode::Enter)); // check
                                  // Step 2 (read the flag), but the journal write fails.
    let fx = firebreak::state::update(&mut d.state, code(KeyCode::Enter), now);
    let Some(Effect::Record { actor, event, then }) = fx.into_iter().next() else {
        panic!()
    };
    d.send(Msg::RecordFailed {
        actor,
        event,
        error: "disk full".into(),
        then,
    });
    assert!(d.state.playbooks.in_flight.is_empty());
    assert_eq!(status(&d, 1), StepStatus::Pending);
    assert!(d.outbox.is_empty(), "not recorded, not run");
}

#[test]
fn starting_a_playbook_needs_an_incident() {
    let mut state = new_state(false);
    state.playbooks.load(loader::builtin());
    let now = t("2026-11-27T14:00:00Z");
    let fx = firebreak::state::playbooks::start_playbook(&mut state, "rollback", None, now);
    assert!(fx.is_empty());
    assert!(state.notice.unwrap().text.contains("declare"));
}

// ---------------------------------------------------------------------
// CLI.
// ---------------------------------------------------------------------

fn fb(data: &Path) -> Command {
    crate::support::firebreak(&data.join("config"), data)
}

/// Put a playbook in the user directory (<XDG_CONFIG_HOME>/firebreak/playbooks).
fn user_playbook(data: &Path, name: &str, text: &str) {
    let d = data.join("config/firebreak/playbooks");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(format!("{name}.toml")), text).unwrap();
}

#[test]
fn list_and_show() {
    let dir = tempfile::tempdir().unwrap();
    fb(dir.path())
        .args(["playbook", "list"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("feature-flag-kill")
                .and(predicate::str::contains("verify-recovery")),
        );
    fb(dir.path())
        .args(["playbook", "show", "rollback"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "kubectl --namespace default rollout undo deployment/{{service}}",
        ));
    fb(dir.path())
        .args(["playbook", "show", "nope"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no playbook named `nope`"));
}

#[test]
fn a_dry_run_shows_every_step_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    fb(dir.path())
        .args([
            "--demo",
            "playbook",
            "run",
            "rollback",
            "--dry-run",
            "--label",
            "service=checkout",
            "--input",
            "method=kubectl",
        ])
        .assert()
        .success()
        .stdout(
            predicate::str::contains(
                "DRY RUN: would run: kubectl --namespace default rollout undo deployment/checkout",
            )
            .and(predicate::str::contains(
                "skipped: not applicable: condition `method == helm` is false (method is `kubectl`)",
            ))
            .and(predicate::str::contains("dry run complete")),
        );
}

const CLI_DEMO: &str = r#"
name = "demo-fix"
description = "Flag off and roll back in the demo world, headless."

[[steps]]
title = "flag off"
kind = "flag"
flag = "new-checkout-flow"
wanted = false

[[steps]]
title = "roll back"
kind = "release"
action = "rollback"

[[steps]]
title = "a script"
kind = "command"
script = "echo done-$FB_DEMO"
"#;

#[test]
fn a_headless_run_changes_the_demo_world_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    user_playbook(data, "demo-fix", CLI_DEMO);
    // An open demo incident to record on.
    let mut j = journal::Journal::create(data, "inc-demo").unwrap();
    j.append(
        t("2026-11-27T14:00:00Z"),
        "alice",
        Event::IncidentDeclared {
            id: "inc-demo".into(),
            title: "demo".into(),
            severity: firebreak::domain::incident::Severity::Sev2,
            demo: true,
        },
    )
    .unwrap();
    drop(j);
    fb(data)
        .args(["playbook", "run", "demo-fix", "--yes", "--record"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("new-checkout-flow turned off via demo")
                .and(predicate::str::contains("rolling back v2.14.0 -> v2.13.2"))
                .and(predicate::str::contains("| done-true"))
                .and(predicate::str::contains(
                    "playbook finished: 3 done, 0 skipped",
                )),
        );
    let world: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("demo-world.json")).unwrap())
            .unwrap();
    assert_eq!(world["flags"]["new-checkout-flow"], false);
    assert!(world["rollback_at"].is_string());
    let r = journal::read(&journal::journal_path(data, "inc-demo")).unwrap();
    assert!(r.chain_ok());
    let kinds: Vec<&str> = r.entries.iter().map(|e| e.event.category()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "playbook").count(),
        8,
        "{kinds:?}"
    );
    assert!(r.entries.iter().any(|e| matches!(
        &e.event,
        Event::FlagChanged {
            ok: true,
            after: Some(false),
            ..
        }
    )));
}

const CLI_FAIL: &str = r#"
name = "fails"
description = "d"

[[steps]]
title = "broken"
kind = "command"
argv = ["sh", "-c", "echo nope; exit 2"]
on_failure = "call the owner"

[[steps]]
title = "never"
kind = "command"
argv = ["true"]
"#;

#[test]
fn a_headless_run_stops_at_a_failure_with_its_guidance() {
    let dir = tempfile::tempdir().unwrap();
    user_playbook(dir.path(), "fails", CLI_FAIL);
    fb(dir.path())
        .args(["playbook", "run", "fails", "--yes"])
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("| nope")
                .and(predicate::str::contains("FAILED: exit 2"))
                .and(predicate::str::contains("if this fails: call the owner"))
                .and(predicate::str::contains("1 step(s) not run")),
        );
}

#[test]
fn a_headless_run_without_a_terminal_or_yes_stops_at_a_check() {
    let dir = tempfile::tempdir().unwrap();
    fb(dir.path())
        .args(["--demo", "playbook", "run", "systematic-diagnosis"])
        .write_stdin("")
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("needs a person").or(predicate::str::contains("pass --yes")),
        );
    fb(dir.path())
        .args(["playbook", "run", "rollback", "--input", "method=bogus"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "must be one of kubectl, helm, command, firebreak",
        ));
}

/// The playbooks pane's cursor follows the row it is on: a run added
/// above it (a second window, a run started from an alert) must not move
/// it onto another playbook, which Enter would then start.
#[test]
fn the_playbook_cursor_follows_its_row_when_a_run_is_added_above() {
    use firebreak::state::playbooks::Row;
    let mut pb = firebreak::state::playbooks::Playbooks::default();
    pb.load(loader::builtin());
    pb.list.selected = 2;
    pb.refilter();
    let before = pb.selected_row();
    assert!(matches!(before, Some(Row::Playbook(2))), "{before:?}");
    let name = pb.catalog[0].name.clone();
    let steps = pb.catalog[0].step_titles();
    pb.apply(&firebreak::domain::Entry {
        seq: 2,
        ts: t("2026-11-27T14:00:00Z"),
        prev: String::new(),
        actor: "bob".into(),
        event: Event::PlaybookStarted {
            run_id: "r1".into(),
            playbook: name,
            title: String::new(),
            inputs: BTreeMap::new(),
            alert: None,
            labels: BTreeMap::new(),
            steps,
            not_applicable: Vec::new(),
        },
        hash: String::new(),
    });
    assert_eq!(pb.runs.len(), 1, "the run is listed (above the playbooks)");
    assert_eq!(pb.selected_row(), before, "still on the same playbook");
}

const TEMPLATED_TITLES: &str = r#"
name = "page-owner"
description = "Step titles with templates."
applies_to = ['{alertname="HighErrorRate"}']

[[inputs]]
name = "team"
from_label = "team"

[[steps]]
title = "Page {{team}} about {{labels.alertname}}"
kind = "check"

[[steps]]
title = "Tell {{labels.service}} users"
kind = "note"
"#;

#[tokio::test]
async fn step_titles_with_templates_are_filled_in() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = t("2026-11-27T14:00:00Z");
    let (mut d, _w) = demo_driver(dir.path(), t0).await;
    let pb = loader::parse(
        Path::new("page-owner.toml"),
        TEMPLATED_TITLES,
        Source::File("page-owner.toml".into()),
    )
    .unwrap();
    let mut catalog = loader::builtin();
    catalog.playbooks.push(pb);
    d.state.playbooks.load(catalog);
    let fp = d
        .state
        .alerts
        .items
        .iter()
        .find(|a| a.name() == "HighErrorRate")
        .unwrap()
        .fingerprint
        .clone();
    let fx =
        firebreak::state::playbooks::start_playbook(&mut d.state, "page-owner", Some(&fp), d.now);
    d.run(fx);
    d.send(code(KeyCode::Enter)); // the form (team from the label)
    let run = d.state.playbooks.open_run().unwrap();
    let titles: Vec<&str> = run.steps.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Page payments about HighErrorRate", "Tell checkout users"]
    );
    // What the run view shows, and what the timeline records.
    let theme = firebreak::config::theme::Theme::default_theme();
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    term.draw(|f| firebreak::ui::draw(f, &d.state, &theme, d.now))
        .unwrap();
    let screen: String = term
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(
        screen.contains("Page payments about HighErrorRate"),
        "{screen}"
    );
    assert!(!screen.contains("{{"), "{screen}");
    d.send(code(KeyCode::Enter)); // the check
    assert!(events(&d).iter().any(|e| matches!(e,
        Event::StepFinished { title, .. } if title == "Page payments about HighErrorRate")));

    // Headless, too.
    let dir = tempfile::tempdir().unwrap();
    user_playbook(dir.path(), "page-owner", TEMPLATED_TITLES);
    fb(dir.path())
        .args(["--demo", "playbook", "run", "page-owner", "--dry-run"])
        .args([
            "--label",
            "team=payments",
            "--label",
            "alertname=HighErrorRate",
        ])
        .args(["--label", "service=checkout"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("[1/2] Page payments about HighErrorRate")
                .and(predicate::str::contains("[2/2] Tell checkout users")),
        );
}

#[tokio::test]
async fn progress_counts_only_steps_that_apply_and_live_steps_say_what_they_do() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = t("2026-11-27T14:00:00Z");
    let (mut d, _w) = demo_driver(dir.path(), t0).await;
    // rollback with method=firebreak: 7 of its 12 steps do not apply.
    d.keys(":");
    d.keys("run playbook rollback");
    d.send(code(KeyCode::Enter));
    d.send(code(KeyCode::Enter));
    let run = d.state.playbooks.open_run().unwrap();
    assert_eq!(
        run.counts(),
        (0, 0, 0, 5),
        "nothing done of the 5 that apply"
    );
    let rows = screen(&d).join("\n");
    assert!(rows.contains("[run-1] 0/5"), "{rows}");
    assert!(!rows.contains("7/12"), "{rows}");
    // A step that does not apply says which condition is false.
    let kubectl = &run.steps[2];
    assert_eq!(
        kubectl.detail,
        "not applicable: condition `method == kubectl` is false (method is `firebreak`)"
    );
    // ... and cannot be carried out by mistake.
    d.state.playbooks.runs[0].selected = 2;
    d.send(ctrl('r'));
    assert!(d.outbox.is_empty());
    assert!(d
        .state
        .notice
        .as_ref()
        .unwrap()
        .text
        .contains("does not apply"));
    // The live step describes what it will do, not what a dry run would.
    d.state.playbooks.runs[0].selected = 5;
    let rows = screen(&d).join("\n");
    assert!(
        rows.contains("Roll back the last release (release control)"),
        "{rows}"
    );
    assert!(
        !rows.contains("dry run") && !rows.contains("would roll"),
        "{rows}"
    );
    d.send(ctrl('s')); // skip the rollback: progress moves by one
    let run = d.state.playbooks.open_run().unwrap();
    assert_eq!(run.counts(), (0, 0, 1, 5));
    assert!(screen(&d).join("\n").contains("[run-1] 1/5"));
}

#[test]
fn a_dry_run_labels_a_condition_as_one() {
    let dir = tempfile::tempdir().unwrap();
    fb(dir.path())
        .args([
            "--demo",
            "playbook",
            "run",
            "feature-flag-kill",
            "--dry-run",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("would turn new-checkout-flow off"));
    let out = fb(dir.path())
        .args(["--demo", "playbook", "run", "rollback", "--dry-run"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("skipped: not applicable: condition `method == kubectl` is false (method is `firebreak`)"),
        "{out}"
    );
    assert!(!out.contains("not applicable: method =="), "{out}");
    // The step's own description does not say "dry run" twice.
    assert_eq!(out.matches("would roll checkout back").count(), 1, "{out}");
    assert!(
        out.contains("dry run complete: 5 step(s) would run, 7 not applicable"),
        "{out}"
    );
    // Numbered as the TUI counts: the five that apply, the rest marked.
    assert!(out.contains("[1/5] ") && out.contains("[5/5] "), "{out}");
    assert!(!out.contains("/12]"), "{out}");
    assert_eq!(out.matches("\n[–] ").count(), 7, "{out}");
}

#[tokio::test]
async fn the_side_pane_keeps_the_tab_the_responder_chose_while_a_run_is_active() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = t("2026-11-27T14:00:00Z");
    let (mut d, _w) = demo_driver(dir.path(), t0).await;
    d.keys(":");
    d.keys("run playbook rollback");
    d.send(code(KeyCode::Enter));
    d.send(code(KeyCode::Enter));
    assert!(d.state.playbooks.any_active());
    let flags_shown = |d: &Driver| screen(d).iter().any(|r| r.contains("checkout-read-only"));
    // Esc out of the run view, away to the alerts: the runs stay in view.
    d.send(code(KeyCode::Esc));
    d.keys("1");
    assert!(!flags_shown(&d), "the side still shows the playbooks");
    // The flags tab, chosen while the run is active, stays chosen.
    d.keys("4");
    assert!(flags_shown(&d));
    for k in ["1", "2", "3"] {
        d.keys(k);
        assert!(flags_shown(&d), "after {k}: the flags stay in view");
    }
    d.send(code(KeyCode::Tab)); // timeline -> flags
    d.send(code(KeyCode::Tab)); // -> playbooks
    d.keys("1");
    assert!(!flags_shown(&d), "and the playbooks tab once chosen again");
}

#[tokio::test]
async fn p_on_an_alert_lets_the_responder_choose_among_the_suggested_playbooks() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = t("2026-11-27T14:00:00Z");
    let (mut d, _w) = demo_driver(dir.path(), t0).await;
    let select = |d: &mut Driver, name: &str| {
        let pos = d
            .state
            .alerts
            .list
            .view
            .iter()
            .position(|i| d.state.alerts.items[*i].name() == name)
            .unwrap();
        d.state.alerts.list.selected = pos;
    };
    // From the alerts pane: the second suggestion, moved to with j.
    d.keys("1");
    select(&mut d, "LatencyHigh");
    d.keys("p");
    assert!(
        matches!(d.state.mode, Mode::Choose { .. }),
        "{:?}",
        d.state.mode
    );
    d.keys("j");
    d.send(code(KeyCode::Enter));
    let Mode::PlaybookForm(form) = &d.state.mode else {
        panic!("{:?}", d.state.mode)
    };
    assert_eq!(form.playbook, "feature-flag-kill");
    assert_eq!(form.alert.as_deref(), Some("LatencyHigh"), "for that alert");
    d.send(code(KeyCode::Esc));
    // Esc in the chooser starts nothing.
    d.keys("p");
    d.send(code(KeyCode::Esc));
    assert_eq!(d.state.mode, Mode::Normal);
    assert!(!d.state.playbooks.any_active());

    // One suggestion: p starts it, as before.
    let mut only = loader::builtin();
    only.playbooks.retain(|p| p.name != "feature-flag-kill");
    d.state.playbooks.load(only);
    select(&mut d, "HighErrorRate");
    d.send(code(KeyCode::Enter)); // the details
    d.keys("p");
    let Mode::PlaybookForm(form) = &d.state.mode else {
        panic!("{:?}", d.state.mode)
    };
    assert_eq!(form.playbook, "rollback");
}

#[tokio::test]
async fn leaving_a_run_view_selects_the_run_just_left() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = t("2026-11-27T14:00:00Z");
    let (mut d, _w) = demo_driver(dir.path(), t0).await;
    // From the alert: Enter (details), p, the second suggestion, Enter.
    d.keys("1");
    let pos = d
        .state
        .alerts
        .list
        .view
        .iter()
        .position(|i| d.state.alerts.items[*i].name() == "HighErrorRate")
        .unwrap();
    d.state.alerts.list.selected = pos;
    d.send(code(KeyCode::Enter));
    d.keys("p");
    d.keys("2");
    d.send(code(KeyCode::Enter));
    let run_id = d
        .state
        .playbooks
        .open
        .clone()
        .expect("the run view is open");
    // Esc, away and back, Enter: the run just left, not a new form.
    d.send(code(KeyCode::Esc));
    assert_eq!(d.state.playbooks.open, None);
    let row = d.state.playbooks.selected_row();
    let Some(firebreak::state::playbooks::Row::Run(i)) = row else {
        panic!("the cursor is on {row:?}, not the run just left")
    };
    assert_eq!(d.state.playbooks.runs[i].id, run_id);
    d.keys("5");
    d.send(code(KeyCode::Enter));
    assert_eq!(d.state.mode, Mode::Normal, "no input form opened");
    assert_eq!(d.state.playbooks.open.as_deref(), Some(run_id.as_str()));
}

#[tokio::test]
async fn a_metric_check_step_shows_its_value_and_threshold_in_the_panels_unit() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = t("2026-11-27T14:00:00Z");
    let (mut d, w) = demo_driver(dir.path(), t0).await;
    d.keys(":");
    d.keys("feature-flag-kill");
    d.send(code(KeyCode::Enter));
    d.send(code(KeyCode::Enter));
    let run = d.state.playbooks.open_run().unwrap();
    let step = run
        .steps
        .iter()
        .position(|s| s.title.starts_with("Error ratio back under"))
        .unwrap();
    let ri = d
        .state
        .playbooks
        .runs
        .iter()
        .position(|r| Some(&r.id) == d.state.playbooks.open.as_ref())
        .unwrap();
    d.state.playbooks.runs[ri].selected = step;
    d.send(code(KeyCode::Enter));
    d.now += Duration::seconds(10);
    poll_all(&mut d, &w).await;
    d.send(Msg::Tick);
    let text = screen(&d).join("\n");
    assert!(text.contains("until below 1%"), "{text}");
    assert!(now_value_has_a_unit(&text), "{text}");
}

/// `now 12.34%`: a value with the panel's unit after it.
fn now_value_has_a_unit(text: &str) -> bool {
    text.split("now ").skip(1).any(|rest| {
        let num: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        !num.is_empty() && rest[num.len()..].starts_with('%')
    })
}

/// The two-person rule on a playbook step: the rollback step waits for a
/// second responder, stays pending, and runs (once) when bob's approval
/// arrives through the team.
#[tokio::test]
async fn a_guarded_rollback_step_waits_for_a_second_responder() {
    use firebreak::domain::approvals::Guarded;
    use firebreak::state::team::TeamMsg;
    let dir = tempfile::tempdir().unwrap();
    let t0 = t("2026-11-27T14:00:00Z");
    let (mut d, w) = demo_driver(dir.path(), t0).await;
    d.state.settings.two_person = vec![Guarded::Rollback];
    d.state.team.configured = true;
    d.keys(":");
    d.keys("run playbook rollback");
    d.send(code(KeyCode::Enter));
    d.send(code(KeyCode::Enter)); // form
    d.send(code(KeyCode::Enter)); // step 1 check
    d.send(code(KeyCode::Enter)); // step 2: capture the version
    run_steps(&mut d, &w).await;
    d.send(code(KeyCode::Enter)); // the rollback step: type the service
    d.type_confirmation();
    assert!(step_jobs(&d).is_empty(), "not run on one person's word");
    assert_eq!(status(&d, 5), StepStatus::Pending);
    let asked = d.state.incident.as_ref().unwrap().approvals.list.clone();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(
        asked[0].target,
        format!("{}/5", d.state.playbooks.open_run().unwrap().id)
    );
    assert!(
        asked[0]
            .what
            .ends_with("of Roll back the last deploy: roll back the last release"),
        "{asked:?}"
    );

    let mut bob = journal::Journal::create(&dir.path().join("bob"), "bob-feed").unwrap();
    let id = d.state.incident.as_ref().unwrap().id.clone();
    let mut theirs = Vec::new();
    for event in [
        Event::TeamJoined {
            id,
            title: "demo".into(),
            severity: firebreak::domain::incident::Severity::Sev2,
            declared_by: "alice".into(),
            declared_at: t0,
        },
        Event::ApprovalGiven {
            id: asked[0].id.clone(),
            requester: "alice".into(),
            what: asked[0].what.clone(),
        },
    ] {
        theirs.push(bob.append(d.now, "bob", event).unwrap());
    }
    for _ in 0..2 {
        let mut canonical = d.state.timeline.entries.clone();
        canonical.retain(|e| e.actor != "bob");
        canonical.extend(theirs.iter().cloned());
        d.send(Msg::Team(TeamMsg::Merged {
            canonical,
            responders: vec![("bob".into(), true)],
        }));
    }
    let jobs = step_jobs(&d);
    assert_eq!(jobs.len(), 1, "approved: it runs, once");
    assert_eq!(jobs[0].step, 5);
    assert_eq!(status(&d, 5), StepStatus::Running);
    let run = d.state.playbooks.open_run().unwrap();
    assert!(
        run.steps[5].detail.contains("approved by bob"),
        "{}",
        run.steps[5].detail
    );
}
