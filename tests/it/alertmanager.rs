//! firebreak against a real Alertmanager (Debian's prometheus-alertmanager,
//! started by tests/it/support): alerts pushed with POST /api/v2/alerts and
//! fired by a Prometheus rule are read back, an HA pair is deduplicated,
//! silences are created, seen and expired, a killed server is reported and
//! recovery is automatic, and the headless commands do the same.
//!
//! One Alertmanager is shared by every test of the binary (this module's
//! and `prometheus`'s); each test labels its alerts with a unique `test`
//! value and filters on it.

use std::time::Duration;

use crate::support::servers::{self, eventually, unique, Server};
use assert_cmd::Command;

use chrono::Utc;
use firebreak::sources::alertmanager::Alertmanager;
use firebreak::sources::http::{HttpClient, HttpSettings};
use firebreak::sources::matcher;
use firebreak::sources::silence::{NewSilence, SilenceMatcher, SilenceState};
use firebreak::sources::{AlertSource, AlertState};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);

fn client(urls: &[&str]) -> Alertmanager {
    filtered_client(urls, Vec::new())
}

/// A client of these Alertmanagers that pulls only alerts matching `filter`.
pub fn filtered_client(urls: &[&str], filter: Vec<matcher::Matcher>) -> Alertmanager {
    client_with(urls, filter, None)
}

/// A client of these Alertmanagers (5 s deadline, quick retries), trusting
/// `ca_file` if given.
fn client_with(
    urls: &[&str],
    filter: Vec<matcher::Matcher>,
    ca_file: Option<std::path::PathBuf>,
) -> Alertmanager {
    let s = HttpSettings {
        request_timeout: Duration::from_secs(5),
        backoff: Duration::from_millis(50),
        ca_file,
        ..HttpSettings::default()
    };
    let urls: Vec<String> = urls.iter().map(|u| u.to_string()).collect();
    Alertmanager::new(&urls, HttpClient::new("alertmanager", s).unwrap(), filter).unwrap()
}

/// One poll of silences then alerts, as the cockpit's pollers send them.
async fn poll_into(d: &mut crate::support::state::Driver, c: &Alertmanager) {
    use firebreak::sources::poller::Polled;
    use firebreak::state::Msg;
    let at = Utc::now();
    d.now = at;
    let s = c.silences().await.map_err(|e| e.to_string());
    d.send(Msg::Silences(Polled {
        source: "alertmanager".into(),
        result: s,
        at,
        took: Duration::from_millis(5),
    }));
    let r = c.alerts().await.map_err(|e| e.to_string());
    d.send(Msg::Alerts(Polled {
        source: "alertmanager".into(),
        result: r,
        at,
        took: Duration::from_millis(5),
    }));
}

fn by_test(id: &str) -> Vec<matcher::Matcher> {
    matcher::parse(&format!("test={}", matcher::quote(id))).unwrap()
}

/// Push alerts (labels get `test=<id>`).
fn push(am: &Server, id: &str, alerts: serde_json::Value) {
    let mut alerts = alerts;
    for a in alerts.as_array_mut().unwrap() {
        a["labels"]["test"] = json!(id);
    }
    let (status, body) = am.post("/api/v2/alerts", &alerts);
    assert_eq!(status, 200, "push failed: {body}");
}

/// `firebreak alerts` for the test's alerts, polled until its output shows
/// `want` (Alertmanager takes a moment to show pushed alerts).
fn alerts_output(
    home: &std::path::Path,
    url: &str,
    id: &str,
    extra: &[&str],
    want: &str,
) -> String {
    let filter = format!("test=\"{id}\"");
    let mut text = String::new();
    for _ in 0..50 {
        let out = fb(home)
            .args(["alerts", "--alertmanager", url, "--filter", &filter])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text = String::from_utf8(out.stdout).unwrap();
        if text.contains(want) {
            return text;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("{want} never showed: {text}")
}

fn fb(cfg_home: &std::path::Path) -> Command {
    crate::support::firebreak(cfg_home, &cfg_home.join("data"))
}

#[tokio::test]
async fn pushed_alerts_are_read_back_with_every_detail() {
    let am = servers::alertmanager();
    let id = unique("detail");
    let long = "x".repeat(4096);
    push(
        am,
        &id,
        json!([
            {"labels": {"alertname": "HighErrorRate", "service": "checkout", "severity": "critical"},
             "annotations": {"summary": "checkout 5xx above 5% 🔥", "runbook_url": "https://runbooks.example/checkout", "long": long},
             "generatorURL": "http://prometheus.example/graph?g0.expr=x",
             "startsAt": "2024-05-01T14:00:00.123456789+02:00"},
            {"labels": {"alertname": "DiskFilling", "service": "db", "severity": "info"},
             "annotations": {"summary": "disk 85% full"}},
        ]),
    );
    let c = client(&[&am.url]);
    let got = eventually(WAIT, "two alerts", || async {
        let f = c.fetch_alerts(&by_test(&id)).await.ok()?;
        (f.alerts.len() == 2).then_some(f)
    })
    .await;
    assert_eq!(got.answered, vec![format!("127.0.0.1:{}", am.port)]);
    let high = got
        .alerts
        .iter()
        .find(|a| a.name() == "HighErrorRate")
        .unwrap();
    assert_eq!(high.severity(), "critical");
    assert_eq!(high.service(), "checkout");
    assert_eq!(high.summary(), "checkout 5xx above 5% 🔥");
    assert_eq!(high.annotations["long"].len(), 4096);
    assert_eq!(
        high.runbook_url(),
        Some("https://runbooks.example/checkout")
    );
    assert_eq!(
        high.generator_url.as_deref(),
        Some("http://prometheus.example/graph?g0.expr=x")
    );
    // Offsets are honoured (Alertmanager keeps milliseconds).
    assert_eq!(high.starts_at.to_rfc3339(), "2024-05-01T12:00:00.123+00:00");
    assert_eq!(high.fingerprint.len(), 16);
    assert!(!high.detail.receivers.is_empty());
    assert_eq!(high.source, format!("127.0.0.1:{}", am.port));
    // Matchers are applied (server side and locally).
    let only = c
        .fetch_alerts(&matcher::parse(&format!("test=\"{id}\", severity=~\"crit.*\"")).unwrap())
        .await
        .unwrap();
    assert_eq!(only.alerts.len(), 1);
}

#[tokio::test]
async fn ha_pair_is_deduplicated_and_a_dead_member_is_visible() {
    let shared = servers::alertmanager();
    let mut second = servers::start_alertmanager();
    let id = unique("ha");
    let alert =
        json!([{"labels": {"alertname": "Replicated", "severity": "warning", "service": "api"}}]);
    push(shared, &id, alert.clone());
    push(&second, &id, alert);
    let c = client(&[&shared.url, &second.url]);
    let got = eventually(WAIT, "the alert from both members", || async {
        let f = c.fetch_alerts(&by_test(&id)).await.ok()?;
        (f.alerts.len() == 1 && f.answered.len() == 2).then_some(f)
    })
    .await;
    let a = &got.alerts[0];
    assert_eq!(
        a.source,
        format!("127.0.0.1:{}+127.0.0.1:{}", shared.port, second.port)
    );

    second.stop();
    let f = c.fetch_alerts(&by_test(&id)).await.unwrap();
    assert_eq!(f.alerts.len(), 1, "the live member still answers");
    assert_eq!(f.failures.len(), 1);
    assert!(
        f.failures[0].1.to_string().contains("connection refused"),
        "{}",
        f.failures[0].1
    );
    // Through the source interface the dead member is a warning alert.
    let all = c.alerts().await.unwrap();
    assert!(
        all.iter()
            .any(|a| a.name() == "AlertmanagerInstanceUnreachable"
                && a.labels["instance"] == format!("127.0.0.1:{}", second.port)),
        "{all:#?}"
    );
}

#[tokio::test]
async fn silences_are_created_seen_and_expired() {
    let am = servers::alertmanager();
    let id = unique("silence");
    push(
        am,
        &id,
        json!([{"labels": {"alertname": "Noisy", "severity": "warning", "service": "search"}}]),
    );
    let c = client(&[&am.url]);
    eventually(WAIT, "the alert", || async {
        c.fetch_alerts(&by_test(&id))
            .await
            .ok()
            .filter(|f| f.alerts.len() == 1)
    })
    .await;

    let now = Utc::now();
    let s = NewSilence {
        matchers: by_test(&id).iter().map(SilenceMatcher::from).collect(),
        starts_at: now,
        ends_at: now + chrono::Duration::minutes(30),
        created_by: "alice".into(),
        comment: "ack: looking into it".into(),
    };
    let (sid, inst) = c.create_silence(&s).await.unwrap();
    assert_eq!(inst, format!("127.0.0.1:{}", am.port));
    let silenced = eventually(WAIT, "the alert to be silenced", || async {
        let f = c.fetch_alerts(&by_test(&id)).await.ok()?;
        f.alerts.into_iter().find(|a| a.is_silenced())
    })
    .await;
    assert_eq!(silenced.state, AlertState::Suppressed);
    assert_eq!(silenced.detail.silenced_by, vec![sid.clone()]);
    assert_eq!(silenced.state_label(), "silenced");

    let list = c.silences().await.unwrap();
    let mine = list.iter().find(|x| x.id == sid).unwrap();
    assert_eq!(mine.state, SilenceState::Active);
    assert_eq!(mine.created_by, "alice");
    assert!(mine.matches(&silenced.labels));
    assert!(mine.expires_soon(Utc::now(), chrono::Duration::hours(1)));

    c.expire_silence(&sid).await.unwrap();
    eventually(WAIT, "the alert to fire again", || async {
        let f = c.fetch_alerts(&by_test(&id)).await.ok()?;
        f.alerts.into_iter().find(|a| a.state == AlertState::Active)
    })
    .await;
    let list = c.silences().await.unwrap();
    assert_eq!(
        list.iter().find(|x| x.id == sid).unwrap().state,
        SilenceState::Expired
    );

    // Refusals are explained, not swallowed.
    let e = c
        .expire_silence("00000000-0000-0000-0000-000000000000")
        .await
        .unwrap_err();
    assert!(
        format!("{e:#}").contains("/api/v2/silence/00000000-0000-0000-0000-000000000000"),
        "{e:#}"
    );
    let mut bad = s.clone();
    bad.matchers.clear();
    assert!(c
        .create_silence(&bad)
        .await
        .unwrap_err()
        .to_string()
        .contains("without matchers"));
}

#[tokio::test]
async fn a_prometheus_rule_fires_through_to_firebreak() {
    let prom = servers::prometheus();
    let am = servers::alertmanager();
    let c = client(&[&am.url]);
    let m = matcher::parse(&format!("alertname=\"{}\"", servers::FIRING_RULE)).unwrap();
    let a = eventually(
        Duration::from_secs(30),
        "the rule's alert in Alertmanager",
        || async { c.fetch_alerts(&m).await.ok()?.alerts.into_iter().next() },
    )
    .await;
    assert_eq!(a.severity(), "warning");
    assert_eq!(a.summary(), "always firing (firebreak test rule) 🔥");
    let g = a.generator_url.unwrap_or_default();
    assert!(
        g.starts_with(&format!("http://127.0.0.1:{}/graph?", prom.port)),
        "{g}"
    );
}

#[tokio::test]
async fn a_killed_alertmanager_is_reported_and_recovery_is_automatic() {
    let mut own = servers::start_alertmanager();
    let c = client(&[&own.url]);
    assert!(c.alerts().await.is_ok());
    own.stop();
    let started = std::time::Instant::now();
    let e = format!("{:#}", c.alerts().await.unwrap_err());
    assert!(
        e.contains("connection refused") && e.contains(&format!("127.0.0.1:{}", own.port)),
        "{e}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    own.start();
    assert!(c.alerts().await.is_ok(), "no automatic recovery");
}

#[test]
fn headless_alerts_command_prints_table_and_json() {
    let am = servers::alertmanager();
    let id = unique("cli");
    push(
        am,
        &id,
        json!([{"labels": {"alertname": "CliAlert", "severity": "critical", "service": "checkout"},
                          "annotations": {"summary": "from the cli test"}}]),
    );
    let home = tempfile::tempdir().unwrap();
    let filter = format!("test=\"{id}\"");
    let json_out = alerts_output(home.path(), &am.url, &id, &["--format", "json"], "CliAlert");
    let v: serde_json::Value = serde_json::from_str(&json_out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v[0]["labels"]["alertname"], "CliAlert");
    let out = fb(home.path())
        .args(["alerts", "-a", &am.url, "-F", &filter])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.starts_with("SEVERITY"), "{table}");
    assert!(
        table.contains("CliAlert") && table.contains("from the cli test"),
        "{table}"
    );

    // Unreachable: non-zero, and the message names the URL.
    let port = servers::free_port();
    let url = format!("http://127.0.0.1:{port}");
    let out = fb(home.path())
        .args(["alerts", "--alertmanager", &url, "--timeout", "2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("GET http://127.0.0.1:{port}/api/v2/alerts"))
            && err.contains("connection refused"),
        "{err}"
    );

    // A bad matcher is a usage error that says where.
    let out = fb(home.path())
        .args(["alerts", "-a", &am.url, "-F", "severity=~\"(\""])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid regular expression"));
}

#[test]
fn headless_silence_commands_round_trip_using_the_config_file() {
    let am = servers::alertmanager();
    let id = unique("cli-silence");
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("firebreak");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "responder = \"bob\"\n[alertmanager]\nurl = \"{}\"\nack_duration = \"10m\"\n",
            am.url
        ),
    )
    .unwrap();
    let matcher = format!("test=\"{id}\"");
    let out = fb(home.path())
        .args([
            "silence",
            "add",
            &matcher,
            "-d",
            "1h",
            "-c",
            "deploy in progress",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sid = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_eq!(sid.len(), 36, "{sid}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("for 1h"));

    let out = fb(home.path())
        .args(["silence", "ack", &matcher])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ack = String::from_utf8(out.stdout).unwrap().trim().to_string();

    let out = fb(home.path())
        .args([
            "silence",
            "list",
            "--format",
            "json",
            "-F",
            &format!("test={id}"),
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 2, "{v}");
    let ack_s = list.iter().find(|s| s["id"] == ack.as_str()).unwrap();
    assert_eq!(ack_s["created_by"], "bob");
    assert_eq!(
        ack_s["comment"],
        "ACK! This alert was acknowledged by bob using firebreak"
    );

    let out = fb(home.path())
        .args(["silence", "expire", &sid, &ack])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = fb(home.path())
        .args(["silence", "list", "-F", &format!("test={id}")])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "no silences");
    let out = fb(home.path())
        .args(["silence", "list", "--expired", "-F", &format!("test={id}")])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains(&sid) && table.contains("expired"), "{table}");
}

/// The TUI's logic (update + effects, headless) against the real
/// Alertmanager: ack and silence are confirmed, recorded before and after
/// with their result, the alert's "silenced" transition is recorded once
/// (and it is not "resolved"), expire brings it back; the `/` filter takes
/// matchers.
#[tokio::test]
async fn tui_ack_silence_and_expire_land_on_the_timeline() {
    use crate::support::state::{code, key, new_state, Driver};
    use crossterm::event::KeyCode;
    use firebreak::domain::Event;
    use firebreak::state::{Effect, Mode, Msg};

    let am = servers::alertmanager();
    let id = unique("tui");
    push(
        am,
        &id,
        json!([
            {"labels": {"alertname": "TuiAlert", "service": "checkout", "severity": "critical"}, "annotations": {"summary": "tui test"}},
            {"labels": {"alertname": "Other", "service": "db", "severity": "warning"}},
        ]),
    );
    // A client that only sees this test's alerts.
    let c = filtered_client(&[&am.url], by_test(&id));
    eventually(WAIT, "both alerts", || async {
        c.alerts().await.ok().filter(|a| a.len() == 2)
    })
    .await;

    let dir = tempfile::tempdir().unwrap();
    let mut st = new_state(false);
    st.silences.prefs.silence_source = Some("alertmanager".into());
    st.silences.prefs.ack = chrono::Duration::minutes(10);
    let mut d = Driver::new(st, dir.path(), Utc::now());
    d.keys("D");
    for ch in "tui test incident".chars() {
        d.send(key(ch));
    }
    d.send(code(KeyCode::Enter));
    assert!(d.state.incident_open());

    /// Carry out silence effects with the real client.
    async fn run(d: &mut Driver, c: &Alertmanager) {
        for fx in d.take_outbox() {
            match fx {
                Effect::CreateSilence {
                    silence,
                    action,
                    target,
                    ..
                } => {
                    let r = c
                        .create_silence(&silence)
                        .await
                        .map(|(id, via)| format!("silence {id} via {via}"))
                        .map_err(|e| format!("{e:#}"));
                    d.send(Msg::SilenceDone {
                        action,
                        target,
                        result: r,
                    });
                }
                Effect::ExpireSilence {
                    ids,
                    target,
                    action,
                    ..
                } => {
                    let mut r = Ok(String::new());
                    for i in &ids {
                        if let Err(e) = c.expire_silence(i).await {
                            r = Err(format!("{e:#}"));
                        }
                    }
                    d.send(Msg::SilenceDone {
                        action,
                        target,
                        result: r,
                    });
                }
                _ => {}
            }
        }
    }
    let events = |d: &Driver| {
        d.state
            .timeline
            .entries
            .iter()
            .map(|e| e.event.clone())
            .collect::<Vec<_>>()
    };
    poll_into(&mut d, &c).await;
    assert_eq!(
        events(&d)
            .iter()
            .filter(|e| matches!(e, Event::AlertFiring { .. }))
            .count(),
        2
    );
    // Worst group first: the critical alert is selected.
    assert_eq!(d.state.selected_alert().unwrap().name(), "TuiAlert");

    // The `/` filter understands matchers.
    d.keys("/");
    for ch in "severity=\"warning\"".chars() {
        d.send(key(ch));
    }
    d.send(code(KeyCode::Enter));
    assert_eq!(d.state.alerts.list.view.len(), 1);
    assert_eq!(d.state.selected_alert().unwrap().name(), "Other");
    d.send(code(KeyCode::Esc));
    assert_eq!(d.state.alerts.list.view.len(), 2);
    d.keys("g");

    // Ack: confirm, then it is recorded before it runs.
    d.keys("a");
    let Mode::TypedConfirm { question, .. } = &d.state.mode else {
        panic!("no confirmation: {:?}", d.state.mode)
    };
    let question = question.clone();
    assert!(
        question.contains("Ack TuiAlert") && question.contains("for 10m"),
        "{question}"
    );
    // A critical alert: silencing it is a change to production, so its
    // name is typed; a plain yes is not enough.
    assert!(
        matches!(&d.state.mode, Mode::TypedConfirm { expect, .. } if expect == "TuiAlert"),
        "{:?}",
        d.state.mode
    );
    // Answer as a person would, after reading (real time: the server
    // compares the silence's start with its own clock).
    tokio::time::sleep(Duration::from_millis(200)).await;
    d.now = Utc::now();
    d.type_confirmation();
    assert!(
        matches!(events(&d).last(), Some(Event::ActionStarted { action, .. }) if action == "ack")
    );
    run(&mut d, &c).await;
    let finished = events(&d);
    let Some(Event::ActionFinished {
        ok: true, detail, ..
    }) = finished.last()
    else {
        panic!("{finished:#?}")
    };
    assert!(detail.contains("silence "), "{detail}");

    // The silence shows on the next polls: "silenced" once, not "resolved".
    let silenced = || async {
        let a = c.alerts().await.ok()?;
        a.iter()
            .any(|a| a.name() == "TuiAlert" && a.is_silenced())
            .then_some(())
    };
    eventually(WAIT, "TuiAlert silenced", silenced).await;
    poll_into(&mut d, &c).await;
    poll_into(&mut d, &c).await;
    let ev = events(&d);
    assert_eq!(
        ev.iter()
            .filter(|e| matches!(e, Event::AlertSilenced { name, .. } if name == "TuiAlert"))
            .count(),
        1,
        "{ev:#?}"
    );
    assert!(
        !ev.iter().any(|e| matches!(e, Event::AlertResolved { .. })),
        "{ev:#?}"
    );
    let Some(Event::AlertSilenced { comment, .. }) =
        ev.iter().find(|e| matches!(e, Event::AlertSilenced { .. }))
    else {
        unreachable!()
    };
    assert!(comment.contains("acknowledged by alice"), "{comment}");

    // Expire it from the TUI.
    let pos = d
        .state
        .alerts
        .list
        .view
        .iter()
        .position(|i| d.state.alerts.items[*i].name() == "TuiAlert")
        .unwrap();
    d.state.alerts.list.selected = pos;
    d.keys("Z");
    assert!(
        matches!(d.state.mode, Mode::Confirm { .. }),
        "{:?}",
        d.state.mode
    );
    // Answer as a person would, after reading (in real time: the server's
    // clock judges the silences made after this).
    tokio::time::sleep(Duration::from_millis(200)).await;
    d.now = Utc::now();
    d.keys("y");
    run(&mut d, &c).await;
    assert!(
        matches!(events(&d).last(), Some(Event::ActionFinished { ok: true, action, .. }) if action == "expire silence")
    );
    eventually(WAIT, "TuiAlert active again", || async {
        c.alerts()
            .await
            .ok()?
            .iter()
            .any(|a| a.name() == "TuiAlert" && a.state == AlertState::Active)
            .then_some(())
    })
    .await;

    // Silence with the prompt: matchers and duration are prefilled.
    d.keys("z");
    let Mode::Prompt { input, .. } = &d.state.mode else {
        panic!("{:?}", d.state.mode)
    };
    assert!(
        input.starts_with("{alertname=\"TuiAlert\", service=\"checkout\"} 2h"),
        "{input}"
    );
    d.send(code(KeyCode::Enter));
    let Mode::Prompt { error: Some(e), .. } = &d.state.mode else {
        panic!("{:?}", d.state.mode)
    };
    assert!(e.contains("comment"), "{e}");
    for ch in "rollback running".chars() {
        d.send(key(ch));
    }
    d.send(code(KeyCode::Enter));
    let Mode::TypedConfirm {
        question, expect, ..
    } = &d.state.mode
    else {
        panic!("{:?}", d.state.mode)
    };
    assert!(
        question.contains("Silence 1 alert(s)") && question.contains("rollback running"),
        "{question}"
    );
    assert_eq!(expect, "TuiAlert", "it silences a critical alert");
    // Answer as a person would, after reading (real time: the server
    // compares the silence's start with its own clock).
    tokio::time::sleep(Duration::from_millis(200)).await;
    d.now = Utc::now();
    d.type_confirmation();
    run(&mut d, &c).await;
    assert!(
        matches!(events(&d).last(), Some(Event::ActionFinished { ok: true, action, .. }) if action == "silence")
    );
    let list = c.silences().await.unwrap();
    assert!(list.iter().any(|s| s.comment == "rollback running"
        && s.created_by == "alice"
        && s.state == SilenceState::Active));
}

/// A label or annotation full of terminal escapes (clear screen, window
/// title, clipboard write) and a newline that would forge a row: the
/// headless table shows them as visible escapes, never as themselves.
#[test]
fn the_alerts_table_shows_hostile_text_without_acting_on_it() {
    let am = servers::alertmanager();
    let id = unique("hostile");
    push(
        am,
        &id,
        json!([{"labels": {"alertname": "Hostile", "severity": "critical", "service": "svc\u{1b}[2J"},
                "annotations": {"summary": "line one\nFORGED row | x\u{1b}]52;c;cm0gLXJmIC8=\u{7}"}}]),
    );
    let home = tempfile::tempdir().unwrap();
    let table = alerts_output(home.path(), &am.url, &id, &[], "Hostile");
    assert!(
        !table.contains('\u{1b}') && !table.contains('\u{7}'),
        "{table:?}"
    );
    assert!(table.contains("svc\\x1b[2J"), "{table}");
    assert!(
        !table.lines().any(|l| l.starts_with("FORGED")),
        "a newline forged a row: {table}"
    );
}

#[tokio::test]
async fn an_inhibited_alert_names_the_alert_that_inhibits_it_and_opens_it() {
    use crate::support::state::{new_state, polled, render_at, Driver};
    use firebreak::state::{Mode, Msg};
    let am = servers::alertmanager();
    let id = unique("inhibit");
    push(
        am,
        &id,
        json!([
            {"labels": {"alertname": "DatacenterDown", "service": "dc-1", "severity": "critical", "inhibit_test": "source"},
             "annotations": {"summary": "dc-1 unreachable"}},
            {"labels": {"alertname": "CheckoutLatency", "service": "checkout", "severity": "warning", "inhibit_test": "target"},
             "annotations": {"summary": "p99 above 1s"}},
        ]),
    );
    let c = client(&[&am.url]);
    let alerts = eventually(WAIT, "the target inhibited", || async {
        let f = c.fetch_alerts(&by_test(&id)).await.ok()?;
        let target = f.alerts.iter().find(|a| a.name() == "CheckoutLatency")?;
        (!target.detail.inhibited_by.is_empty()).then_some(f.alerts)
    })
    .await;
    let source = alerts
        .iter()
        .find(|a| a.name() == "DatacenterDown")
        .unwrap();
    let target = alerts
        .iter()
        .find(|a| a.name() == "CheckoutLatency")
        .unwrap();
    assert_eq!(target.state, AlertState::Suppressed);
    assert_eq!(target.detail.inhibited_by, vec![source.fingerprint.clone()]);

    // In the cockpit: the details of the muted alert say which alert
    // mutes it, by name, and `i` opens that one.
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let mut d = Driver::new(new_state(false), dir.path(), now);
    d.send(Msg::Alerts(polled(Ok(alerts.clone()), now)));
    d.state.mode = Mode::AlertDetail {
        fingerprint: target.fingerprint.clone(),
        scroll: 0,
    };
    let screen = render_at(&d.state, 160, 45, now);
    assert!(screen.contains("Inhibited by (i opens it)"), "{screen}");
    assert!(
        screen.contains("DatacenterDown [critical] active") && screen.contains("dc-1 unreachable"),
        "{screen}"
    );
    d.keys("i");
    assert_eq!(
        d.state.mode,
        Mode::AlertDetail {
            fingerprint: source.fingerprint.clone(),
            scroll: 0
        }
    );
    // The inhibitor filtered out of view: said so, not a dead key.
    let only_target: Vec<_> = alerts
        .iter()
        .filter(|a| a.name() == "CheckoutLatency")
        .cloned()
        .collect();
    d.send(Msg::Alerts(polled(Ok(only_target), now)));
    d.state.mode = Mode::AlertDetail {
        fingerprint: target.fingerprint.clone(),
        scroll: 0,
    };
    d.keys("i");
    assert!(d
        .state
        .notice
        .as_ref()
        .is_some_and(|n| n.text.contains("not among the alerts shown")));
}

#[tokio::test]
async fn an_ack_ends_itself_when_its_alert_resolves() {
    use crate::support::state::{new_state, Driver};
    use firebreak::domain::Event;
    use firebreak::state::{Effect, Msg};

    let am = servers::alertmanager();
    let id = unique("ackends");
    let name = unique("AckEnds");
    let alert =
        json!([{"labels": {"alertname": name, "service": "ledger", "severity": "warning"}}]);
    push(am, &id, alert.clone());
    let c = filtered_client(&[&am.url], by_test(&id));
    eventually(WAIT, "the alert", || async {
        c.alerts().await.ok().filter(|a| a.len() == 1)
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut st = new_state(false);
    st.silences.prefs.silence_source = Some("alertmanager".into());
    st.settings.responder = "alice".into();
    let mut d = Driver::new(st, dir.path(), Utc::now());
    d.keys("D");
    for ch in "ack ends test".chars() {
        d.keys(&ch.to_string());
    }
    d.send(crate::support::state::code(
        crossterm::event::KeyCode::Enter,
    ));
    poll_into(&mut d, &c).await;
    // Ack it (a warning: a plain yes).
    d.keys("a");
    tokio::time::sleep(Duration::from_millis(200)).await;
    d.now = Utc::now();
    d.keys("y");
    let mut ack_id = None;
    for fx in d.take_outbox() {
        if let Effect::CreateSilence { silence, .. } = fx {
            assert!(silence.comment.starts_with("ACK! "), "{}", silence.comment);
            ack_id = Some(c.create_silence(&silence).await.unwrap().0);
        }
    }
    let ack_id = ack_id.expect("the ack created");
    // Someone else's silence on the same alert, written with a reason:
    // never ended by firebreak.
    let theirs = c
        .create_silence(&NewSilence {
            matchers: vec![SilenceMatcher {
                name: "alertname".into(),
                value: name.clone(),
                is_regex: false,
                is_equal: true,
            }],
            starts_at: Utc::now(),
            ends_at: Utc::now() + chrono::Duration::hours(1),
            created_by: "bob".into(),
            comment: "maintenance of the ledger".into(),
        })
        .await
        .unwrap()
        .0;
    eventually(WAIT, "the alert silenced", || async {
        c.alerts().await.ok()?.first()?.is_silenced().then_some(())
    })
    .await;
    // While it fires, the ack stands.
    poll_into(&mut d, &c).await;
    poll_into(&mut d, &c).await;
    assert!(
        !d.take_outbox()
            .iter()
            .any(|e| matches!(e, Effect::ExpireSilence { .. })),
        "an ack ended while its alert fires"
    );
    // It resolves: the ack is ended, recorded before and after.
    let mut resolved = alert.clone();
    resolved[0]["endsAt"] = json!(Utc::now().to_rfc3339());
    push(am, &id, resolved);
    eventually(WAIT, "the alert resolved", || async {
        c.alerts().await.ok()?.is_empty().then_some(())
    })
    .await;
    poll_into(&mut d, &c).await;
    let expire: Vec<Effect> = d
        .take_outbox()
        .into_iter()
        .filter(|e| matches!(e, Effect::ExpireSilence { .. }))
        .collect();
    assert_eq!(expire.len(), 1, "{expire:?}");
    let events = |d: &Driver| -> Vec<Event> {
        d.state
            .timeline
            .entries
            .iter()
            .map(|e| e.event.clone())
            .collect()
    };
    assert!(events(&d).iter().any(|e| matches!(e,
        Event::ActionStarted { action, detail, .. } if action == "expire ack" && detail.contains("its alert resolved"))));
    let Effect::ExpireSilence {
        ids,
        target,
        action,
        ..
    } = expire.into_iter().next().unwrap()
    else {
        unreachable!()
    };
    assert_eq!(ids, vec![ack_id.clone()]);
    let r = c
        .expire_silence(&ids[0])
        .await
        .map_err(|e| format!("{e:#}"));
    d.send(Msg::SilenceDone {
        action,
        target,
        result: r,
    });
    assert!(events(&d).iter().any(|e| matches!(e,
        Event::ActionFinished { action, ok: true, .. } if action == "expire ack")));
    // Asked once, even though the next poll still lists it as active.
    poll_into(&mut d, &c).await;
    assert!(!d
        .take_outbox()
        .iter()
        .any(|e| matches!(e, Effect::ExpireSilence { .. })));
    let all = c.silences().await.unwrap();
    let state_of = |sid: &str| all.iter().find(|s| s.id == sid).map(|s| s.state);
    assert_eq!(state_of(&ack_id), Some(SilenceState::Expired));
    assert_eq!(state_of(&theirs), Some(SilenceState::Active));
    c.expire_silence(&theirs).await.unwrap();
}

/// A client of one URL trusting `ca_file`.
fn tls_client(url: &str, ca_file: Option<std::path::PathBuf>) -> Alertmanager {
    client_with(&[url], Vec::new(), ca_file)
}

/// A one-route proxy on 127.0.0.1 answering every request with a 301 to
/// the same path on `to` (what a load balancer in front of a source does).
async fn redirect_to(to: String) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let to = to.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]);
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let answer = format!(
                    "HTTP/1.1 301 Moved Permanently\r\nLocation: {to}{path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = sock.write_all(answer.as_bytes()).await;
            });
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// Over https with a private CA: the `ca_file` is trusted, a silence is
/// written and read back; without the CA the error says what to set. An
/// http URL that a proxy redirects to https is followed (the http client
/// loads no trust roots, so the request is repeated over https).
#[tokio::test]
async fn https_with_a_private_ca_works_and_a_redirect_to_https_is_followed() {
    let am = servers::start_alertmanager_tls();
    let ca = am.dir.path().join("ca.pem");
    let id = unique("tls");

    let c = tls_client(&am.url, Some(ca.clone()));
    let now = Utc::now();
    let (sid, _) = c
        .create_silence(&NewSilence {
            matchers: by_test(&id).iter().map(SilenceMatcher::from).collect(),
            starts_at: now,
            ends_at: now + chrono::Duration::minutes(30),
            created_by: "alice".into(),
            comment: "over https".into(),
        })
        .await
        .unwrap();
    let (silences, _) = c.fetch_silences().await.unwrap();
    assert!(silences.iter().any(|s| s.id == sid), "{silences:?}");
    assert!(c.fetch_alerts(&[]).await.is_ok());

    let untrusted = tls_client(&am.url, None).fetch_alerts(&[]).await;
    let Err(e) = untrusted else {
        panic!("a certificate of an unknown CA was accepted");
    };
    let e = e.to_string();
    assert!(e.contains("ca_file"), "{e}");

    let proxy = redirect_to(am.url.clone()).await;
    let via = tls_client(&proxy, Some(ca));
    let (silences, _) = via.fetch_silences().await.unwrap();
    assert!(silences.iter().any(|s| s.id == sid), "{silences:?}");
}
