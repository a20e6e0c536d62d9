//! Who got paged: firebreak's reading of Alertmanager's routing tree,
//! compared for many label sets with amtool's (`amtool config routes test`
//! on the same file) and with Alertmanager's own (the `receivers` of the
//! alert posted to a real Alertmanager running that file), from the CLI
//! and in the cockpit's alert details.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use chrono::Utc;
use firebreak::sources::alertmanager::Alertmanager;
use firebreak::sources::matcher;
use firebreak::sources::Alert;
use serde_json::json;

use crate::support::servers::{self, eventually};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/alertmanager/routing.yml"
);

/// Label sets (as a responder types them) and what they exercise.
const CASES: &[&[&str]] = &[
    // db-slack continues; its critical child's eu child takes it; then
    // backend (continue) and the catch-all's child.
    &["service=db", "severity=critical", "region=eu-west"],
    &["service=db", "severity=critical", "region=us-east"],
    // env!="staging" fails: db-slack itself.
    &["service=db", "severity=critical", "env=staging"],
    // A child without a receiver inherits db-slack's.
    &["service=db", "severity=warning"],
    &["service=db", "severity=info", "instance=db-1"],
    &["service=db", "severity=page"],
    // The first route takes it and does not continue.
    &["alertname=Watchdog", "service=db"],
    &["service=api"],
    // Regular expressions are anchored.
    &["service=apis"],
    &["service=DB"],
    &["team=payments"],
    // team!~"payroll" fails.
    &["team=payroll"],
    // Quotes inside a value.
    &["team=payments", r#"message="card \"declined\" spike""#],
    &["owner=nobody"],
    &["owner=nobody", "env=prod"],
    &["service=web", "team=pay"],
    &["foo=bar"],
    // Spaces inside a value.
    &[r#"service="db api""#],
    &["region=eu-west", "severity=critical"],
];

/// The case's arguments, with an alertname (Alertmanager needs one to
/// tell the posted alerts apart) unless it has its own.
fn args_of(i: usize, case: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = case.iter().map(|s| s.to_string()).collect();
    if !case.iter().any(|a| a.starts_with("alertname=")) {
        v.push(format!("alertname=RoutingCase{i}"));
    }
    v
}

fn labels_of(args: &[String]) -> BTreeMap<String, String> {
    matcher::parse_args(args)
        .unwrap()
        .into_iter()
        .map(|m| (m.name, m.value))
        .collect()
}

/// amtool's answer: its one line of receivers, comma-separated.
fn amtool(args: &[String]) -> Vec<String> {
    let bin = servers::require(&["amtool"]);
    let out = Command::new(bin)
        .args(["config", "routes", "test"])
        .arg(format!("--config.file={FIXTURE}"))
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "amtool {args:?}: {out:?}");
    let s = String::from_utf8(out.stdout).unwrap();
    s.trim().split(',').map(str::to_string).collect()
}

/// firebreak's answer, as `alerts route --format json` prints it.
fn firebreak_route(extra: &[&str], args: &[String]) -> serde_json::Value {
    let home = tempfile::tempdir().unwrap();
    let out = crate::support::firebreak(home.path(), home.path())
        .args(["alerts", "route", "--format", "json"])
        .args(extra)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "firebreak alerts route {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn receivers(v: &serde_json::Value) -> Vec<String> {
    v["receivers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect()
}

fn sorted_unique(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v.dedup();
    v
}

fn client(url: &str) -> Alertmanager {
    crate::alertmanager::filtered_client(&[url], Vec::new())
}

#[tokio::test]
async fn firebreak_routes_like_amtool_and_alertmanager_itself() {
    let config = std::fs::read_to_string(FIXTURE).unwrap();
    let am = servers::start_alertmanager_with(&config);
    // Post every case as an alert: Alertmanager names its receivers.
    let posted: Vec<serde_json::Value> = CASES
        .iter()
        .enumerate()
        .map(|(i, c)| json!({"labels": labels_of(&args_of(i, c))}))
        .collect();
    let (status, body) = am.post("/api/v2/alerts", &json!(posted));
    assert_eq!(status, 200, "{body}");
    let c = client(&am.url);
    let alerts: Vec<Alert> = eventually(Duration::from_secs(20), "every case posted", || async {
        let f = c.fetch_alerts(&[]).await.ok()?;
        (f.alerts.len() == CASES.len()).then_some(f.alerts)
    })
    .await;

    let mut distinct = std::collections::BTreeSet::new();
    for (i, case) in CASES.iter().enumerate() {
        let args = args_of(i, case);
        let theirs = amtool(&args);
        // From the running Alertmanager's /api/v2/status.
        let live = firebreak_route(&["-a", &am.url], &args);
        assert_eq!(receivers(&live), theirs, "case {case:?}: live vs amtool");
        // From the file, as amtool reads it.
        let file = firebreak_route(&["--am-config", FIXTURE], &args);
        assert_eq!(receivers(&file), theirs, "case {case:?}: file vs amtool");
        assert_eq!(live["routes"], file["routes"], "case {case:?}");
        // Alertmanager's own answer for the posted alert.
        let labels = labels_of(&args);
        let alert = alerts.iter().find(|a| a.labels == labels).unwrap();
        assert_eq!(
            sorted_unique(&alert.detail.receivers),
            sorted_unique(&theirs),
            "case {case:?}: Alertmanager's receivers"
        );
        distinct.insert(theirs.join(","));
    }
    // The cases are not all the same answer.
    assert!(distinct.len() >= 10, "{distinct:?}");

    // The route path and options for one case: inherited receiver and the
    // child's own group_by.
    let args = args_of(3, CASES[3]);
    let v = firebreak_route(&["-a", &am.url], &args);
    let first = &v["routes"][0];
    assert_eq!(first["receiver"], "db-slack");
    assert_eq!(first["at"], "route.routes[1].routes[1]");
    assert_eq!(
        first["path"],
        json!(["{service=\"db\"}", "{severity=~\"warning|info\"}"])
    );
    assert_eq!(first["group_by"], json!(["alertname", "instance"]));
    assert_eq!(first["repeat_interval"], "1h");
    assert_eq!(v["from"], am.url.trim_start_matches("http://"));
}

#[tokio::test]
async fn the_alert_details_say_who_was_paged_and_by_which_route() {
    use crate::support::state::{new_state, polled, render_at, Driver};
    use firebreak::sources::Routing;
    use firebreak::state::{Mode, Msg};
    let config = std::fs::read_to_string(FIXTURE).unwrap();
    let am = servers::start_alertmanager_with(&config);
    let labels = json!({"alertname": "ReplicationLag", "service": "db", "severity": "critical",
                        "region": "eu-central", "instance": "db-2\u{1b}[2J"});
    let (status, body) = am.post("/api/v2/alerts", &json!([{"labels": labels}]));
    assert_eq!(status, 200, "{body}");
    let c = client(&am.url);
    let alerts = eventually(Duration::from_secs(20), "the alert posted", || async {
        let f = c.fetch_alerts(&[]).await.ok()?;
        (!f.alerts.is_empty()).then_some(f.alerts)
    })
    .await;
    let (tree, from) = c.fetch_routing().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let mut d = Driver::new(new_state(false), dir.path(), now);
    d.send(Msg::Alerts(polled(Ok(alerts.clone()), now)));
    d.state.mode = Mode::AlertDetail {
        fingerprint: alerts[0].fingerprint.clone(),
        scroll: 0,
    };
    // Before the tree is read: Alertmanager's own list.
    let screen = render_at(&d.state, 160, 45, now);
    assert!(
        screen.contains("receivers") && screen.contains("db-pager-eu"),
        "{screen}"
    );
    let routing = Routing {
        tree: std::sync::Arc::new(tree),
        from,
    };
    d.send(Msg::Routing(polled(Ok(routing.clone()), now)));
    let screen = render_at(&d.state, 160, 45, now);
    assert!(
        screen.contains("Paged (routing tree of 127.0.0.1:"),
        "{screen}"
    );
    assert!(
        screen.contains(
            r#"db-pager-eu         {service="db"} → {env!="staging",severity="critical"} → {region=~"eu-.*"}"#
        ),
        "{screen}"
    );
    assert!(screen.contains("backend-team"), "{screen}");
    assert!(screen.contains("repeats every 1h"), "{screen}");
    assert!(
        !screen.contains("Alertmanager says"),
        "they agree: {screen}"
    );

    // The config changed under us (here: a tree that routes elsewhere):
    // Alertmanager's own answer is shown next to the tree's.
    let other = firebreak::sources::alertmanager::routing::RoutingTree::from_yaml(
        "route:\n  receiver: someone-else\nreceivers: [{name: someone-else}]\n",
    )
    .unwrap();
    d.send(Msg::Routing(polled(
        Ok(Routing {
            tree: std::sync::Arc::new(other),
            from: "x".into(),
        }),
        now,
    )));
    let screen = render_at(&d.state, 160, 45, now);
    assert!(
        screen.contains("Alertmanager says") && screen.contains("(differs from the routing tree"),
        "{screen}"
    );

    // A failed read keeps the tree read before, and says so.
    d.send(Msg::Routing(polled(Ok(routing), now)));
    d.send(Msg::Routing(polled(Err("connection refused".into()), now)));
    let screen = render_at(&d.state, 160, 45, now);
    assert!(screen.contains("db-pager-eu"), "{screen}");
    assert!(
        screen.contains("last read failed: connection refused"),
        "{screen}"
    );
}

#[test]
fn a_bad_config_file_names_the_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("am.yml");
    std::fs::write(
        &f,
        "route:\n  receiver: a\n  routes:\n    - matchers: ['severity=~\"(\"']\n      receiver: a\nreceivers: [{name: a}]\n",
    )
    .unwrap();
    let out = crate::support::firebreak(dir.path(), dir.path())
        .args(["alerts", "route", "--am-config"])
        .arg(&f)
        .arg("severity=critical")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("am.yml") && err.contains("route.routes[0].matchers[0]"),
        "{err}"
    );
    // --verify-receivers fails a config check in CI.
    std::fs::write(
        &f,
        "route:\n  receiver: a\n  routes:\n    - matchers: ['severity=\"critical\"']\n      receiver: b\nreceivers: [{name: a}, {name: b}]\n",
    )
    .unwrap();
    let run = |want: &str| {
        crate::support::firebreak(dir.path(), dir.path())
            .args(["alerts", "route", "--am-config"])
            .arg(&f)
            .args(["severity=critical", "--verify-receivers", want])
            .output()
            .unwrap()
    };
    assert!(run("b").status.success());
    let out = run("a");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the receivers are b, not a"));
}
