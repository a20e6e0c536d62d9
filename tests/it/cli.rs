//! The command line, as a user runs it: exports, incident list, checks of
//! good and bad config/keymap/theme files, help and completions.

use std::path::Path;

use assert_cmd::Command;
use chrono::{DateTime, Utc};
use firebreak::domain::incident::{Severity, Status};
use firebreak::domain::Event;
use firebreak::domain::SYSTEM_ACTOR;
use firebreak::timeline::journal::Journal;
use predicates::prelude::*;

fn fb(data: &Path) -> Command {
    crate::support::firebreak(&data.join("no-config"), data)
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// A small recorded incident.
fn record_incident(data: &Path, id: &str, title: &str) {
    let mut j = Journal::create(data, id).unwrap();
    let mut at = t("2026-11-27T14:00:00Z");
    let mut add = |actor: &str, e: Event| {
        j.append(at, actor, e).unwrap();
        at += chrono::Duration::minutes(3);
    };
    add(
        "alice",
        Event::IncidentDeclared {
            id: id.into(),
            title: title.into(),
            severity: Severity::Sev2,
            demo: false,
        },
    );
    add(
        SYSTEM_ACTOR,
        Event::AlertFiring {
            fingerprint: "f1".into(),
            name: "HighErrorRate".into(),
            severity: "critical".into(),
            summary: "5xx | above 5%".into(),
            labels: Default::default(),
            since: None,
        },
    );
    add(
        "alice",
        Event::Note {
            text: "rolled back\nvia deploy tool".into(),
            at: None,
        },
    );
    add(
        "alice",
        Event::StatusChanged {
            from: Status::Investigating,
            to: Status::Resolved,
        },
    );
}

#[test]
fn export_markdown_to_stdout_and_file() {
    let dir = tempfile::tempdir().unwrap();
    record_incident(dir.path(), "inc-1", "Payments down");
    fb(dir.path())
        .args([
            "timeline",
            "export",
            "--incident",
            "inc-1",
            "--format",
            "markdown",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("# Postmortem: Payments down"))
        .stdout(predicate::str::contains("## Timeline"))
        .stdout(predicate::str::contains("5xx \\| above 5%"));
    let out = dir.path().join("pm.md");
    fb(dir.path())
        .args(["timeline", "export", "-o"])
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains("wrote"));
    let text = std::fs::read_to_string(out).unwrap();
    assert!(text.contains("## Action Items"));
}

#[test]
fn export_json_is_versioned_and_complete() {
    let dir = tempfile::tempdir().unwrap();
    record_incident(dir.path(), "inc-1", "Payments down");
    let out = fb(dir.path())
        .args(["timeline", "export", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], 2);
    assert_eq!(v["incident"]["id"], "inc-1");
    assert_eq!(v["entries"].as_array().unwrap().len(), 4);
    assert_eq!(v["integrity"]["chain_ok"], true);
}

#[test]
fn export_of_an_unknown_incident_names_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    record_incident(dir.path(), "inc-1", "Payments down");
    fb(dir.path())
        .args(["timeline", "export", "--incident", "inc-404"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("inc-404").and(predicate::str::contains("inc-1")));
}

#[test]
fn export_reports_a_tampered_journal() {
    let dir = tempfile::tempdir().unwrap();
    record_incident(dir.path(), "inc-1", "Payments down");
    let path = firebreak::timeline::journal::journal_path(dir.path(), "inc-1");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("rolled back", "rolled BACK");
    std::fs::write(&path, text).unwrap();
    fb(dir.path())
        .args(["timeline", "export"])
        .assert()
        .success()
        .stdout(predicate::str::contains("integrity"));
}

#[test]
fn incident_list_shows_recorded_incidents() {
    let dir = tempfile::tempdir().unwrap();
    record_incident(dir.path(), "inc-1", "Payments down");
    record_incident(dir.path(), "inc-2", "Search slow");
    fb(dir.path())
        .args(["incident", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("inc-1").and(predicate::str::contains("Search slow")));
    let out = fb(dir.path())
        .args(["incident", "list", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
}

/// `# expect: TEXT` on the first line of a fixture.
fn expectation(path: &Path) -> String {
    let src = std::fs::read_to_string(path).unwrap();
    src.lines()
        .next()
        .unwrap()
        .trim_start_matches("# expect: ")
        .to_string()
}

fn fixtures(dir: &str) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    assert!(!v.is_empty());
    v
}

#[test]
fn every_invalid_config_fails_naming_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    for path in fixtures("tests/fixtures/config/invalid") {
        let want = expectation(&path);
        fb(dir.path())
            .arg("--config")
            .arg(&path)
            .args(["incident", "list"])
            .assert()
            .failure()
            .stderr(predicate::str::contains(want.clone()));
    }
}

#[test]
fn every_valid_config_passes_check() {
    let dir = tempfile::tempdir().unwrap();
    for path in fixtures("tests/fixtures/config/valid") {
        fb(dir.path())
            .arg("--config")
            .arg(&path)
            .arg("check")
            .assert()
            .success();
    }
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/config.example.toml");
    fb(dir.path())
        .arg("--config")
        .arg(example)
        .arg("check")
        .assert()
        .success();
}

#[test]
fn a_missing_explicit_config_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    fb(dir.path())
        .args(["--config", "/nonexistent/firebreak.toml", "check"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("/nonexistent/firebreak.toml"));
}

/// A config dir holding `config.toml` plus the given keymap/theme files.
fn config_dir(files: &[(&str, &Path)], config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("themes")).unwrap();
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    for (name, src) in files {
        std::fs::copy(src, dir.path().join(name)).unwrap();
    }
    dir
}

#[test]
fn bad_keymaps_are_reported_by_check_with_file_line_field() {
    let data = tempfile::tempdir().unwrap();
    for path in fixtures("tests/fixtures/keymap/invalid") {
        let want = expectation(&path);
        let cfg = config_dir(&[("keymap.toml", &path)], "responder = \"x\"\n");
        let want = want.replace(path.file_name().unwrap().to_str().unwrap(), "keymap.toml");
        fb(data.path())
            .arg("--config")
            .arg(cfg.path().join("config.toml"))
            .arg("check")
            .assert()
            .code(2)
            .stdout(predicate::str::contains(want));
    }
}

#[test]
fn a_valid_keymap_changes_the_listed_keys() {
    let data = tempfile::tempdir().unwrap();
    let km = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keymap/valid.toml");
    let cfg = config_dir(&[("keymap.toml", &km)], "responder = \"x\"\n");
    fb(data.path())
        .arg("--config")
        .arg(cfg.path().join("config.toml"))
        .arg("keys")
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"(?m)^\s*e ctrl-e\s+export_markdown").unwrap())
        .stdout(predicate::str::is_match(r"(?m)^\s*Q ctrl-c\s+quit").unwrap());
}

#[test]
fn bad_themes_are_reported_by_check_with_file_line_field() {
    let data = tempfile::tempdir().unwrap();
    for path in fixtures("tests/fixtures/theme/invalid") {
        let want = expectation(&path);
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let file = format!("themes/{name}.toml");
        let cfg = config_dir(&[(&file, &path)], &format!("theme = \"{name}\"\n"));
        fb(data.path())
            .arg("--config")
            .arg(cfg.path().join("config.toml"))
            .arg("check")
            .assert()
            .code(2)
            .stdout(predicate::str::contains(want));
    }
}

#[test]
fn help_and_completions() {
    let dir = tempfile::tempdir().unwrap();
    fb(dir.path()).arg("--help").assert().success().stdout(
        predicate::str::contains("demo incident").and(predicate::str::contains("timeline")),
    );
    fb(dir.path())
        .args(["timeline", "export", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--format"));
    for shell in ["bash", "zsh", "fish"] {
        fb(dir.path())
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("firebreak"));
    }
}

/// An open incident (demo: no config file means demo mode) to write to.
fn open_demo_incident(data: &Path) -> std::path::PathBuf {
    let mut j = Journal::create(data, "inc-open").unwrap();
    j.append(
        Utc::now(),
        "alice",
        Event::IncidentDeclared {
            id: "inc-open".into(),
            title: "Checkout errors".into(),
            severity: Severity::Sev2,
            demo: true,
        },
    )
    .unwrap();
    j.path().to_path_buf()
}

#[test]
fn headless_note_and_flag_flip_land_on_the_open_incident() {
    let dir = tempfile::tempdir().unwrap();
    fb(dir.path())
        .args(["note", "disk", "full"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no open incident"));

    let path = open_demo_incident(dir.path());
    fb(dir.path())
        .env("USER", "bob")
        .args(["note", "disk", "full", "on", "db-2"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "noted on incident inc-open (entry 2, by bob)",
        ));
    fb(dir.path())
        .env("USER", "bob")
        .args(["flag", "off", "new-checkout-flow"])
        .assert()
        .success();
    fb(dir.path())
        .args(["note", "--incident", "inc-nope", "hello"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no incident 'inc-nope'"))
        .stderr(predicate::str::contains("known: inc-open"));
    fb(dir.path())
        .env("USER", "bob")
        .args(["note", "--incident", "inc-open", "by", "id"])
        .assert()
        .success()
        .stdout(predicate::str::contains("noted on incident inc-open"));
    let replay = firebreak::timeline::journal::read(&path).unwrap();
    assert!(replay.chain_ok(), "{:?}", replay.problems);
    let events: Vec<(&str, &Event)> = replay
        .entries
        .iter()
        .map(|e| (e.actor.as_str(), &e.event))
        .collect();
    assert!(matches!(
        events[1],
        ("bob", Event::Note { text, .. }) if text == "disk full on db-2"
    ));
    assert!(
        matches!(events[2], ("bob", Event::ActionStarted { action, target, .. })
            if action == "flag off" && target == "new-checkout-flow"),
        "{events:?}"
    );
    assert!(
        matches!(events[3], ("bob", Event::FlagChanged { flag, after: Some(false), ok: true, .. })
            if flag == "new-checkout-flow"),
        "{events:?}"
    );
}
