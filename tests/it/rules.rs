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
    // Prometheus stops answering: the rows are marked old, not current.
    d.send(Msg::Rules(polled(Err("connection refused".into()), now)));
    let screen = render_at(&d.state, 160, 45, now);
    assert!(screen.contains("about to fire (STALE)"), "{screen}");
    assert!(
        screen.contains("About to fire, LAST KNOWN (") && screen.contains("connection refused"),
        "{screen}"
    );
    d.send(Msg::Rules(polled(Ok(all.clone()), now)));
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
    use firebreak::sources::matcher;
    let am = servers::alertmanager();
    let prom = client();
    let c = crate::alertmanager::filtered_client(&[&am.url], Vec::new());
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

/// Wait until the flapping rule's alert for `key` is firing (`on`) or gone.
async fn flap_until(prom: &Prometheus, key: &str, on: bool) {
    let what = if on { "firing" } else { "resolved" };
    eventually(Duration::from_secs(30), what, || async {
        let all = prom.fetch_rules().await.ok()?;
        let rule = all.iter().find(|r| r.name == servers::FLAPPING_RULE)?;
        let firing = rule.alerts.iter().any(|a| {
            a.labels.get("key").map(String::as_str) == Some(key) && a.state == RuleState::Firing
        });
        (firing == on).then_some(())
    })
    .await;
}

#[tokio::test]
async fn an_alert_that_fired_before_has_its_history_counted_from_prometheus() {
    let key = unique("flap");
    let prom = client();
    // Fire, resolve, fire, resolve, fire: three activations, one now.
    for on in [true, false, true, false, true] {
        exporter().set(&key, if on { 1.0 } else { 0.0 });
        flap_until(&prom, &key, on).await;
    }
    // The alert's labels as Prometheus has them (job, instance, key...),
    // plus one Alertmanager would add (an external label): not on
    // Prometheus' own series.
    let mut labels = prom
        .fetch_rules()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == servers::FLAPPING_RULE)
        .and_then(|r| {
            r.alerts
                .into_iter()
                .find(|a| a.labels.get("key") == Some(&key))
        })
        .unwrap()
        .labels;
    labels.insert("cluster".into(), "test".into());
    let now = Utc::now();
    // ALERTS_FOR_STATE is written a moment after the state changes.
    let h = eventually(Duration::from_secs(20), "three activations", || async {
        let h = prom
            .alert_history(servers::FLAPPING_RULE, &labels)
            .await
            .ok()?;
        (h.fired_30d == 3).then_some(h)
    })
    .await;
    assert_eq!(h.fired_7d, 3);
    assert_eq!(*h.daily.last().unwrap(), 3, "{:?}", h.daily);
    assert_eq!(h.daily.iter().sum::<u32>(), 3, "{:?}", h.daily);
    let (last, previous) = (h.last_active_at.unwrap(), h.previous_active_at.unwrap());
    assert!(previous < last, "{previous} {last}");
    assert!(now - previous < chrono::Duration::minutes(2), "{previous}");
    assert!(h.firing_secs_30d > 0.0 && h.average_secs.is_some(), "{h:?}");
    // Other tests' keys are other label sets of the same alert, not this
    // one's history.
    let other = {
        let mut l = labels.clone();
        l.insert("key".into(), "flap-nobody".into());
        l
    };
    let none = prom
        .alert_history(servers::FLAPPING_RULE, &other)
        .await
        .unwrap();
    assert_eq!(none.fired_30d, 0);
    assert!(none.others_30d >= 3, "{none:?}");

    // In the cockpit: asked when the details open, shown at their top.
    let dir = tempfile::tempdir().unwrap();
    let mut d = Driver::new(new_state(false), dir.path(), now);
    let alert = firebreak::sources::Alert {
        fingerprint: "f1".into(),
        labels: labels.clone(),
        annotations: Default::default(),
        state: firebreak::sources::AlertState::Active,
        starts_at: last,
        generator_url: None,
        source: "test".into(),
        detail: Default::default(),
    };
    d.send(Msg::Alerts(polled(Ok(vec![alert]), now)));
    d.send(Msg::Rules(polled(
        Ok(prom.fetch_rules().await.unwrap()),
        now,
    )));
    d.state.mode = Mode::AlertDetail {
        fingerprint: "f1".into(),
        scroll: 0,
    };
    d.send(Msg::Tick);
    let asked = d.take_outbox().into_iter().find_map(|e| match e {
        Effect::FetchHistory {
            alertname, labels, ..
        } => Some((alertname, labels)),
        _ => None,
    });
    let (name, l) = asked.expect("the history asked");
    assert_eq!(name, servers::FLAPPING_RULE);
    let screen = render_at(&d.state, 160, 45, now);
    assert!(screen.contains("History: asking Prometheus"), "{screen}");
    // Asked once, not on every message.
    d.send(Msg::Tick);
    assert!(!d
        .take_outbox()
        .iter()
        .any(|e| matches!(e, Effect::FetchHistory { .. })));
    let result = prom.history(&name, &l).await.map_err(|e| e.to_string());
    d.send(Msg::History {
        fingerprint: "f1".into(),
        result,
    });
    let screen = render_at(&d.state, 160, 45, now);
    assert!(
        screen.contains("History: fired 3× in 7 d, 3× in 30 d · the time before:"),
        "{screen}"
    );

    // Headless: `alerts --history` for what Alertmanager has.
    let home = tempfile::tempdir().unwrap();
    let am = servers::alertmanager();
    // Prometheus sends the alert to Alertmanager within a few seconds.
    let out = eventually(
        Duration::from_secs(30),
        "the alert in Alertmanager",
        || async {
            let out = crate::support::firebreak(home.path(), home.path())
                .args(["alerts", "--history", "--format", "json", "-a"])
                .arg(&am.url)
                .arg("-p")
                .arg(&servers::prometheus().url)
                .args(["--filter", &format!("key=\"{key}\"")])
                .output()
                .ok()?;
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
            (v.as_array()?.len() == 1).then_some(v)
        },
    )
    .await;
    assert_eq!(out[0]["history"]["fired_30d"], 3, "{out}");
    assert_eq!(out[0]["history"]["daily"].as_array().unwrap().len(), 30);
    exporter().set(&key, 0.0);
}
