//! Markdown runbooks: a directory of them loads as playbooks whose steps
//! a reader expects; an alert from the real Alertmanager whose
//! `runbook_url` points at one opens it with its inputs filled from the
//! alert's labels; its shell blocks run with hostile labels as data,
//! never as shell; dangerous blocks ask; the CLI checks and shows them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration as StdDuration;

use assert_cmd::Command;
use chrono::Utc;
use crossterm::event::KeyCode;
use firebreak::playbook::exec::Ctx;
use firebreak::playbook::model::{Run, StepKind};
use firebreak::playbook::runner::Limits;
use firebreak::playbook::{loader, Playbook};
use firebreak::sources::alertmanager::Alertmanager;
use firebreak::sources::http::{HttpClient, HttpSettings};
use firebreak::sources::matcher;
use firebreak::state::playbooks::StepStatus;
use firebreak::state::{Mode, Msg};
use predicates::prelude::*;
use serde_json::json;

use crate::support::servers::{self, eventually, unique};
use crate::support::state::{code, polled, render_at, run_step_effects, Driver};

const DIR: &str = "tests/fixtures/runbooks";

fn catalog() -> Vec<Playbook> {
    let c = loader::load_all(&[], &[PathBuf::from(DIR)]);
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    c.playbooks
}

fn get<'a>(c: &'a [Playbook], name: &str) -> &'a Playbook {
    c.iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no runbook {name}"))
}

fn steps(p: &Playbook) -> Vec<(String, &'static str)> {
    p.steps
        .iter()
        .map(|s| (s.title.clone(), s.kind_name()))
        .collect()
}

fn script(p: &Playbook, title: &str) -> String {
    let s = p.steps.iter().find(|s| s.title == title).unwrap();
    match &s.kind {
        StepKind::Command(c) => match &c.run {
            Run::Script { text, .. } => text.clone(),
            Run::Argv(a) => a.join(" "),
        },
        _ => panic!("{title} is a {}", s.kind_name()),
    }
}

#[test]
fn a_directory_of_runbooks_loads_with_the_steps_a_reader_expects() {
    let c = catalog();
    // prometheus-operator style: headings and inline commands; empty
    // parent headings name their children.
    let pod = get(&c, "podcrashlooping");
    assert_eq!(pod.title, "Pod Crash Looping");
    assert_eq!(
        pod.runbook_path.as_deref(),
        Some("kubernetes/PodCrashLooping.md")
    );
    assert_eq!(
        steps(pod),
        vec![
            ("Meaning".into(), "note"),
            ("Impact".into(), "note"),
            ("Diagnosis".into(), "note"),
            ("Mitigation: Roll back".into(), "note"),
            ("Mitigation: Raise the limits".into(), "note"),
            ("Debugging Pods".into(), "link"),
        ]
    );
    assert!(pod.steps[2]
        .text
        .contains("`kubectl -n $NAMESPACE logs $POD --previous`"));

    // GitLab style: a shell block inside a numbered list runs; one with
    // placeholders is a check done by hand; an unlabelled block is
    // shown, not run; a list of links is link steps.
    let ro = get(&c, "read-only");
    assert_eq!(
        steps(ro),
        vec![
            ("Symptoms".into(), "note"),
            ("Actions".into(), "command"),
            ("Actions (2)".into(), "check"),
            ("Accept data loss".into(), "note"),
            ("Storage overview".into(), "link"),
            ("Replication lag".into(), "link"),
        ]
    );
    assert_eq!(script(ro, "Actions"), "storagectl volumes --read-only\n");
    let by_hand = &ro.steps[2].text;
    assert!(
        by_hand.contains("Fill in <volume>, <healthy-replica>")
            && by_hand.contains("storagectl reconcile -volume <volume>"),
        "{by_hand}"
    );
    assert!(ro.steps[1].text.contains("wait ten minutes"));
    assert!(ro.steps[3].text.contains("storagectl accept-dataloss"));

    // Runme style with TOML front matter: exports become inputs, a
    // session's output is not run, promptEnv=no keeps the export, Go
    // templates stay as written, tasks are checks.
    let rw = get(&c, "restart-payments-worker");
    assert_eq!(
        rw.applies_to_text,
        vec![r#"{alertname="PaymentsWorkerStuck"}"#]
    );
    assert_eq!(
        steps(rw),
        vec![
            ("Tell #payments that you are on it".into(), "check"),
            ("Check nobody else is restarting it".into(), "check"),
            ("Look: queue-depth".into(), "command"),
            ("Look: labels".into(), "command"),
            ("Restart: restart".into(), "command"),
            ("Afterwards: go-template".into(), "command"),
        ]
    );
    let inputs: Vec<(&str, Option<&str>)> = rw
        .inputs
        .iter()
        .map(|i| (i.name.as_str(), i.default.as_deref()))
        .collect();
    assert_eq!(
        inputs,
        vec![
            ("queue", Some("payments")),
            ("worker", Some("payments-worker-0"))
        ]
    );
    assert_eq!(
        script(rw, "Look: queue-depth"),
        "echo \"depth of $QUEUE seen by $WORKER\"\n"
    );
    assert!(rw.steps[2].text.contains("Expected output (not run)"));
    assert!(script(rw, "Look: labels").starts_with("export WHERE=here\n"));
    assert!(script(rw, "Look: labels").contains("template={{.Status}}"));
    let StepKind::Command(restart) = &rw.steps[4].kind else {
        panic!()
    };
    assert!(restart.dangerous && restart.mitigation);
    assert_eq!(restart.timeout, StdDuration::from_secs(30));
    assert!(matches!(&restart.run, Run::Script { shell, .. } if shell == "bash"));
}

fn am_client(url: &str) -> Alertmanager {
    let s = HttpSettings {
        request_timeout: StdDuration::from_secs(5),
        ..HttpSettings::default()
    };
    Alertmanager::new(
        &[url.to_string()],
        HttpClient::new("alertmanager", s).unwrap(),
        Vec::new(),
    )
    .unwrap()
}

/// Carry out the step effects in the outbox, with no flag service or
/// release control (the runbook's blocks are commands).
async fn run_steps(d: &mut Driver) {
    let ctx = Ctx {
        providers: Vec::new(),
        release: None,
        timeout: StdDuration::from_secs(5),
        limits: Limits::default(),
    };
    run_step_effects(d, &ctx).await;
}

#[tokio::test]
async fn an_alerts_runbook_link_opens_the_runbook_with_its_labels_and_hostile_labels_stay_data() {
    let am = servers::alertmanager();
    let id = unique("runbook");
    let scratch = tempfile::tempdir().unwrap();
    let s = scratch.path().display();
    let hostile =
        format!("$(touch {s}/pwned1); `touch {s}/pwned2` ' \" ; touch {s}/pwned3\n\x1b[2J");
    let (code_, body) = am.post(
        "/api/v2/alerts",
        &json!([{
            "labels": {"alertname": "PaymentsWorkerStuck", "test": id, "service": hostile,
                       "worker": "payments-worker-3", "env": "prod"},
            "annotations": {
                "summary": "payments worker takes no jobs",
                "runbook_url": "https://github.com/acme/runbooks/blob/main/payments/restart-worker.md#restart"
            }
        }]),
    );
    assert_eq!(code_, 200, "{body}");
    let c = am_client(&am.url);
    let filter = matcher::parse_args(&[format!("test=\"{id}\"")]).unwrap();
    let alerts = eventually(StdDuration::from_secs(20), "the alert", || async {
        let f = c.fetch_alerts(&filter).await.ok()?;
        (!f.alerts.is_empty()).then_some(f.alerts)
    })
    .await;
    let alert = alerts[0].clone();

    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let mut d = Driver::started(dir.path(), now);
    let mut state_catalog = loader::builtin();
    state_catalog.playbooks.extend(catalog());
    d.state.playbooks.load(state_catalog);
    d.send(Msg::Alerts(polled(Ok(alerts.clone()), now)));
    d.state.mode = Mode::AlertDetail {
        fingerprint: alert.fingerprint.clone(),
        scroll: 0,
    };
    let screen = render_at(&d.state, 160, 45, now);
    assert!(
        screen.contains("restart-payments-worker (the alert's runbook)"),
        "{screen}"
    );
    // p opens it (the only one for this alert); the form has the label's value.
    d.keys("p");
    let Mode::PlaybookForm(form) = &d.state.mode else {
        panic!("a form: {:?}", d.state.mode);
    };
    let values: BTreeMap<String, String> = form.fields.iter().cloned().collect();
    assert_eq!(
        values["worker"], "payments-worker-3",
        "from the alert's label"
    );
    assert_eq!(values["queue"], "payments", "the front matter's default");
    d.send(code(KeyCode::Enter));
    let run = d.state.playbooks.open_run().expect("a run").clone();
    assert_eq!(run.playbook, "restart-payments-worker");

    // The block that prints the hostile label: it arrives as data.
    let labels_step = 3;
    for _ in 0..labels_step {
        d.send(code(KeyCode::Down));
    }
    assert_eq!(d.state.playbooks.open_run().unwrap().selected, labels_step);
    d.send(code(KeyCode::Enter));
    run_steps(&mut d).await;
    let s = &d.state.playbooks.open_run().unwrap().steps[labels_step];
    assert_eq!(
        s.status,
        StepStatus::Done,
        "{:?} {:?} {:?}",
        s.output,
        d.state.notice,
        d.state.mode
    );
    let out = s.output.iter().cloned().collect::<Vec<_>>().join("\n");
    assert!(
        out.contains(&format!(
            "service=$(touch {}/pwned1)",
            scratch.path().display()
        )),
        "{out}"
    );
    assert!(
        out.contains("where=here") && out.contains("template={{.Status}}"),
        "{out}"
    );
    let made: Vec<_> = std::fs::read_dir(scratch.path()).unwrap().collect();
    assert!(made.is_empty(), "nothing ran from the label: {made:?}");

    // The restart is dangerous, for a production alert: the typed name.
    assert_eq!(
        d.state.playbooks.open_run().unwrap().selected,
        4,
        "on to the next step"
    );
    d.send(code(KeyCode::Enter));
    assert!(
        matches!(&d.state.mode, Mode::TypedConfirm { expect, .. } if expect == "prod"),
        "{:?}",
        d.state.mode
    );
    assert!(d.outbox.is_empty(), "nothing runs before the confirmation");
    d.type_confirmation();
    run_steps(&mut d).await;
    let s = &d.state.playbooks.open_run().unwrap().steps[4];
    assert_eq!(
        s.output.iter().cloned().collect::<Vec<_>>(),
        vec!["restart payments-worker-3 on payments"]
    );
    // Recorded like any playbook step.
    assert!(d.state.timeline.entries.iter().any(|e| matches!(
        &e.event,
        firebreak::domain::Event::StepFinished {
            step: 4,
            exit_code: Some(0),
            ..
        }
    )));
}

fn fb(cfg: &Path) -> Command {
    crate::support::firebreak(cfg, &cfg.join("data"))
}

#[test]
fn the_cli_lists_shows_checks_and_dry_runs_configured_runbooks() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("firebreak");
    std::fs::create_dir_all(&conf).unwrap();
    let runbooks = std::fs::canonicalize(DIR).unwrap();
    std::fs::write(
        conf.join("config.toml"),
        format!("runbooks = [{:?}]\n", runbooks.display().to_string()),
    )
    .unwrap();
    fb(dir.path())
        .args(["playbook", "list"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("podcrashlooping")
                .and(predicate::str::contains("restart-payments-worker")),
        );
    fb(dir.path())
        .args(["playbook", "check"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "restart-worker.md: restart-payments-worker",
        ));
    // `show` by name and by path.
    fb(dir.path())
        .args(["playbook", "show", "read-only"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Fill in <volume>, <healthy-replica>").and(
                predicate::str::contains("open: https://grafana.example.com/d/storage"),
            ),
        );
    fb(dir.path())
        .args(["playbook", "show"])
        .arg(runbooks.join("payments/restart-worker.md"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "values in $FB_* variables and $QUEUE, $WORKER",
        ));
    // A dry run fills the input from a label and runs nothing.
    fb(dir.path())
        .args([
            "playbook",
            "run",
            "restart-payments-worker",
            "--dry-run",
            "--label",
            "worker=payments-worker-9",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("dry run complete"));
}
