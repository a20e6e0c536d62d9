//! What is about to fire: a real Prometheus with a rule that is pending
//! for an hour while a test's gauge is high. firebreak lists it (CLI and
//! cockpit) with when it fires, charts the rule's expression on one key,
//! shows the rule behind a firing alert, and never says "nothing is about
//! to fire" when it could not read the rules.

use std::time::Duration;

use chrono::Utc;
use firebreak::sources::http::{HttpClient, HttpSettings};
use firebreak::sources::prometheus::Prometheus;
use firebreak::sources::rules::{self, RuleState};
use firebreak::sources::MetricSource;
use firebreak::state::{ChooseKind, Effect, Mode, Msg};

use crate::support::exporter::exporter;
use crate::support::servers::{self, eventually, unique, PENDING_RULE};
use crate::support::state::{new_state, polled, render_at, Driver};

fn client() -> Prometheus {
    let s = HttpSettings {
        request_timeout: Duration::from_secs(5),
        ..HttpSettings::default()
    };
    Prometheus::new(
        &servers::prometheus().url,
        HttpClient::new("prometheus", s).unwrap(),
        Vec::new(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_pending_alert_is_about_to_fire_and_its_rule_charts_on_one_key() {
    let key = unique("pending");
    let prom = client();
    exporter().set(&key, 500.0);
    let started = Utc::now();
    let all = eventually(Duration::from_secs(30), "the rule pending", || async {
        let all = prom.fetch_rules().await.ok()?;
        let pending = rules::pending(&all);
        pending
            .iter()
            .any(|p| p.alert.labels.get("key") == Some(&key))
            .then_some(all)
    })
    .await;
    let p = rules::pending(&all)
        .into_iter()
        .find(|p| p.alert.labels.get("key") == Some(&key))
        .unwrap();
    assert_eq!(p.rule.name, PENDING_RULE);
    assert_eq!(p.rule.for_secs, 3600.0);
    let active = p.alert.active_at.unwrap();
    assert!(active >= started - chrono::Duration::seconds(5), "{active}");
    assert_eq!(p.fires_at.unwrap(), active + chrono::Duration::hours(1));

    // Headless: listed with when it fires.
    let home = tempfile::tempdir().unwrap();
    let out = crate::support::firebreak(home.path(), home.path())
        .args(["alerts", "pending", "--format", "json", "-p"])
        .arg(&servers::prometheus().url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["labels"]["key"] == key.as_str())
        .unwrap_or_else(|| panic!("{v}"));
    let secs = row["fires_in_secs"].as_i64().unwrap();
    assert!((3500..=3600).contains(&secs), "{row}");
    assert_eq!(
        row["query"],
        r#"firebreak_test_value{key=~"pending-.*"} > 100"#
    );
    let out = crate::support::firebreak(home.path(), home.path())
        .args(["alerts", "pending", "-p"])
        .arg(&servers::prometheus().url)
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with(PENDING_RULE) && l.contains("59m") && l.contains(&key)),
        "{table}"
    );

    // In the cockpit: apart from what fires, with its countdown.
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let mut d = Driver::new(new_state(false), dir.path(), now);
    d.send(Msg::Rules(polled(Ok(all.clone()), now)));
    let screen = render_at(&d.state, 160, 45, now);
    assert!(screen.contains("about to fire"), "{screen}");
    assert!(screen.contains("About to fire ("), "{screen}");
    assert!(
        screen
            .lines()
            .any(|l| l.contains(&format!("PEND {PENDING_RULE}")) && l.contains("fires in 59m")),
        "{screen}"
    );
    // `!` lists them; Enter charts the rule, drawn as its left side with
    // the threshold.
    d.keys("!");
    let Mode::Choose {
        kind: ChooseKind::AboutToFire { choices },
        ..
    } = &d.state.mode
    else {
        panic!("{:?}", d.state.mode)
    };
    let i = choices
        .iter()
        .position(|c| c.labels.contains(&key))
        .unwrap();
    d.keys(&(i + 1).to_string());
    let chart = d
        .take_outbox()
        .into_iter()
        .find_map(|e| match e {
            Effect::Chart { panel } => panel,
            _ => None,
        })
        .expect("a chart effect");
    assert_eq!(chart.1, r#"firebreak_test_value{key=~"pending-.*"}"#);
    assert_eq!(chart.0.critical, Some(100.0));
    // Carried out against the real Prometheus: the first panel is the rule.
    prom.chart(Some(chart));
    let panels = prom.panels(chrono::Duration::minutes(15)).await.unwrap();
    assert_eq!(panels[0].spec.name, format!("rule {PENDING_RULE}"));
    assert!(panels[0].error.is_none(), "{:?}", panels[0].error);
    assert!(
        panels[0].last().is_some_and(|v| v > 100.0),
        "{:?}",
        panels[0]
    );
    prom.chart(None);
    assert!(prom
        .panels(chrono::Duration::minutes(15))
        .await
        .unwrap()
        .is_empty());

    // The gauge drops: the rule is no longer pending.
    exporter().set(&key, 0.0);
    eventually(
        Duration::from_secs(30),
        "the rule no longer pending",
        || async {
            let all = prom.fetch_rules().await.ok()?;
            (!rules::pending(&all)
                .iter()
                .any(|p| p.alert.labels.get("key") == Some(&key)))
            .then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn the_rule_behind_a_firing_alert_is_in_its_details() {
    use firebreak::sources::alertmanager::Alertmanager;
    use firebreak::sources::matcher;
    let am = servers::alertmanager();
    let prom = client();
    let s = HttpSettings {
        request_timeout: Duration::from_secs(5),
        ..HttpSettings::default()
    };
    let c = Alertmanager::new(
        std::slice::from_ref(&am.url),
        HttpClient::new("alertmanager", s).unwrap(),
        Vec::new(),
    )
    .unwrap();
    // Prometheus sends its alerts to the shared Alertmanager.
    let _ = servers::prometheus();
    let m = matcher::parse(&format!("alertname=\"{}\"", servers::FIRING_RULE)).unwrap();
    let alerts = eventually(Duration::from_secs(30), "the rule's alert", || async {
        let f = c.fetch_alerts(&m).await.ok()?;
        (!f.alerts.is_empty()).then_some(f.alerts)
    })
    .await;
    let all = prom.fetch_rules().await.unwrap();
    let firing = all.iter().find(|r| r.name == servers::FIRING_RULE).unwrap();
    assert_eq!(firing.state, RuleState::Firing);

    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let mut d = Driver::new(new_state(false), dir.path(), now);
    d.send(Msg::Alerts(polled(Ok(alerts.clone()), now)));
    d.state.mode = Mode::AlertDetail {
        fingerprint: alerts[0].fingerprint.clone(),
        scroll: 0,
    };
    // No rules read: `c` says so instead of doing nothing.
    d.keys("c");
    assert!(d
        .state
        .notice
        .as_ref()
        .is_some_and(|n| n.text.contains("No Prometheus rule found")));
    d.send(Msg::Rules(polled(Ok(all), now)));
    let screen = render_at(&d.state, 160, 45, now);
    assert!(screen.contains("Rule (c charts it)"), "{screen}");
    assert!(
        screen
            .lines()
            .any(|l| l.contains("expr") && l.contains("vector(1)")),
        "{screen}"
    );
    d.take_outbox();
    d.keys("c");
    let charted = d.take_outbox().into_iter().any(|e| {
        matches!(e, Effect::Chart { panel: Some((ref spec, ref q)) }
            if q == "vector(1)" && spec.name == format!("rule {}", servers::FIRING_RULE))
    });
    assert!(charted);
    let screen = render_at(&d.state, 160, 45, now);
    assert!(
        screen.contains("Rule (charted in the metrics pane; c removes it)"),
        "{screen}"
    );
    // Again: taken away.
    d.keys("c");
    assert!(d
        .take_outbox()
        .into_iter()
        .any(|e| matches!(e, Effect::Chart { panel: None })));
}

#[test]
fn rules_that_cannot_be_read_are_never_nothing_about_to_fire() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let mut d = Driver::new(new_state(false), dir.path(), now);
    d.keys("!");
    let said = |d: &Driver| {
        d.state
            .notice
            .as_ref()
            .map(|n| n.text.clone())
            .unwrap_or_default()
    };
    assert!(
        said(&d).contains("No Prometheus rules read"),
        "{}",
        said(&d)
    );
    d.send(Msg::Rules(polled(Err("connection refused".into()), now)));
    d.keys("!");
    assert!(
        said(&d).contains("rules not read (connection refused)"),
        "{}",
        said(&d)
    );
    d.send(Msg::Rules(polled(Ok(Vec::new()), now)));
    d.keys("!");
    assert!(
        said(&d).contains("Nothing is about to fire"),
        "{}",
        said(&d)
    );
}
