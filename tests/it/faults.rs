//! Sources against a server that misbehaves: hangs, is slow, fails, sends
//! HTML or broken JSON or too much. Timeouts hold, errors are clear and
//! name the URL, retries are bounded, one request is in flight per source.
//!
//! Timing assertions are generous (within 3x the timeout) so they never
//! flake on a loaded machine.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::fault::{FaultServer, SLOW, TOKEN};
use firebreak::sources::alertmanager::Alertmanager;
use firebreak::sources::http::{AuthRef, HttpClient, HttpSettings, SecretRef};
use firebreak::sources::poller;
use firebreak::sources::prometheus::{PanelQuery, Prometheus};
use firebreak::sources::{AlertSource, MetricSource, PanelSpec};

fn settings(timeout_ms: u64) -> HttpSettings {
    HttpSettings {
        connect_timeout: Duration::from_millis(timeout_ms.min(1000)),
        request_timeout: Duration::from_millis(timeout_ms),
        retries: 2,
        backoff: Duration::from_millis(50),
        max_body: 1024 * 1024,
        ..HttpSettings::default()
    }
}

fn am(url: &str, s: HttpSettings) -> Alertmanager {
    Alertmanager::new(
        &[url.to_string()],
        HttpClient::new("alertmanager", s).unwrap(),
        Vec::new(),
    )
    .unwrap()
}

/// Fetch alerts and return the error text and how long it took.
async fn fail(url: &str, s: HttpSettings) -> (String, Duration) {
    let started = Instant::now();
    let r = am(url, s).alerts().await;
    let took = started.elapsed();
    match r {
        Ok(a) => panic!("expected an error from {url}, got {} alerts", a.len()),
        Err(e) => (format!("{e:#}"), took),
    }
}

#[tokio::test]
async fn hanging_server_times_out_on_time_with_the_url() {
    let f = FaultServer::start().await;
    let (e, took) = fail(&f.url("hang"), settings(800)).await;
    assert!(
        took >= Duration::from_millis(700),
        "gave up too early: {took:?}"
    );
    assert!(
        took < Duration::from_millis(2400),
        "timeout did not hold: {took:?}"
    );
    assert!(e.contains("timed out after 0.8s"), "{e}");
    assert!(
        e.contains(&format!(
            "GET http://127.0.0.1:{}/hang/api/v2/alerts",
            f.port
        )),
        "{e}"
    );
    // A timeout spends the budget: no retry inside the same call.
    assert_eq!(f.count("hang"), 1);
}

#[tokio::test]
async fn slow_server_is_waited_for_within_the_timeout_and_not_beyond() {
    let f = FaultServer::start().await;
    let ok = am(&f.url("slow"), settings(5000)).alerts().await;
    assert!(ok.is_ok(), "{ok:?}");
    let (e, took) = fail(&f.url("slow"), settings(500)).await;
    assert!(e.contains("timed out"), "{e}");
    assert!(took < SLOW, "waited for the slow answer: {took:?}");
}

#[tokio::test]
async fn server_errors_are_shown_with_status_and_body_and_not_retried() {
    let f = FaultServer::start().await;
    let (e, _) = fail(&f.url("500"), settings(2000)).await;
    assert!(
        e.contains("HTTP 500 Internal Server Error: panic: runtime error"),
        "{e}"
    );
    assert!(e.contains("/500/api/v2/alerts"), "{e}");
    assert_eq!(f.count("500"), 1, "a 500 is not retried");
}

#[tokio::test]
async fn unavailable_is_retried_a_bounded_number_of_times() {
    let f = FaultServer::start().await;
    let (e, took) = fail(&f.url("503"), settings(3000)).await;
    assert_eq!(f.count("503"), 3, "first try + 2 retries");
    assert!(
        e.contains("HTTP 503") && e.contains("after 3 attempts"),
        "{e}"
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn refused_connection_is_retried_quickly_then_reported() {
    let port = crate::support::servers::free_port();
    let url = format!("http://127.0.0.1:{port}/");
    let (e, took) = fail(&url, settings(3000)).await;
    assert!(e.contains("connection refused"), "{e}");
    assert!(e.contains(&format!("127.0.0.1:{port}")), "{e}");
    assert!(e.contains("after 3 attempts"), "{e}");
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[tokio::test]
async fn unauthorized_says_to_check_credentials() {
    let f = FaultServer::start().await;
    let (e, _) = fail(&f.url("401"), settings(2000)).await;
    assert!(
        e.contains("HTTP 401 Unauthorized (check the credentials"),
        "{e}"
    );
    assert!(e.contains("invalid or missing bearer token"), "{e}");
    assert_eq!(f.count("401"), 1);
}

#[tokio::test]
async fn html_instead_of_json_is_named_as_such() {
    let f = FaultServer::start().await;
    let (e, _) = fail(&f.url("html"), settings(2000)).await;
    assert!(
        e.contains("expected JSON but got an HTML page titled \"Sign in - Corp SSO\""),
        "{e}"
    );
}

#[tokio::test]
async fn truncated_json_and_cut_connections_are_explained() {
    let f = FaultServer::start().await;
    let (e, _) = fail(&f.url("truncated"), settings(2000)).await;
    assert!(e.contains("truncated"), "{e}");
    let (e, took) = fail(&f.url("cut"), settings(2000)).await;
    assert!(e.contains("/cut/api/v2/alerts"), "{e}");
    assert!(
        e.contains("connection broke") || e.contains("truncated"),
        "{e}"
    );
    assert!(took < Duration::from_secs(6), "{took:?}");
}

#[tokio::test]
async fn huge_responses_are_refused_without_reading_them_all() {
    let f = FaultServer::start().await;
    let (e, took) = fail(&f.url("huge"), settings(3000)).await;
    assert!(
        e.contains("200.0 MiB is larger than the 1 MiB limit"),
        "{e}"
    );
    assert!(took < Duration::from_secs(2), "{took:?}");
    let (e, took) = fail(&f.url("stream"), settings(5000)).await;
    assert!(e.contains("larger than the 1 MiB limit"), "{e}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test]
async fn bearer_token_is_sent_but_never_shown() {
    let f = FaultServer::start().await;
    let var = "FIREBREAK_FAULT_TEST_TOKEN";
    std::env::set_var(var, TOKEN);
    let mut s = settings(2000);
    s.auth = Some(AuthRef::Bearer(SecretRef::Env(var.into())));
    let client = HttpClient::new("alertmanager", s.clone()).unwrap();
    assert!(!format!("{client:?}").contains(TOKEN));
    let ok = am(&f.url("auth"), s.clone()).alerts().await;
    assert!(ok.is_ok(), "{ok:?}");
    assert_eq!(
        f.counters.last_auth.lock().unwrap().as_deref(),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    // A failing call with the token configured: the error does not carry it.
    let (e, _) = fail(&f.url("401"), s).await;
    assert!(!e.contains(TOKEN), "{e}");
}

#[tokio::test]
async fn prometheus_errors_land_on_the_panel_and_down_is_down() {
    let f = FaultServer::start().await;
    let panels = vec![PanelQuery {
        spec: PanelSpec {
            name: "errors".into(),
            unit: "%".into(),
            warning: None,
            critical: None,
        },
        query: "sum(rate(x[5m])".into(),
    }];
    let http = || HttpClient::new("prometheus", settings(1000)).unwrap();
    // The API refuses the query: the panel says why, the source is up.
    let p = Prometheus::new(&f.url("prom-bad"), http(), panels.clone()).unwrap();
    let got = p.panels(chrono::Duration::minutes(15)).await.unwrap();
    assert_eq!(
        got[0].error.as_deref(),
        Some("bad_data: invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis")
    );
    // A proxy's HTML page instead of Prometheus for every query: the
    // source is DOWN (not "metrics ✓"), and the reason says what came.
    let p = Prometheus::new(&f.url("html"), http(), panels.clone()).unwrap();
    let e = p.panels(chrono::Duration::minutes(15)).await.unwrap_err();
    assert!(format!("{e:#}").contains("HTML page"), "{e:#}");
    // Every query answered 500: DOWN too, with the status.
    let p = Prometheus::new(&f.url("500"), http(), panels.clone()).unwrap();
    let e = p.panels(chrono::Duration::minutes(15)).await.unwrap_err();
    assert!(format!("{e:#}").contains("500"), "{e:#}");
    // Truncated JSON: DOWN, not "metrics ✓".
    let p = Prometheus::new(&f.url("truncated"), http(), panels.clone()).unwrap();
    assert!(p.panels(chrono::Duration::minutes(15)).await.is_err());
    // Hanging: the whole source is down, with the reason.
    let p = Prometheus::new(&f.url("hang"), http(), panels).unwrap();
    let started = Instant::now();
    let e = p.panels(chrono::Duration::minutes(15)).await.unwrap_err();
    assert!(format!("{e:#}").contains("timed out"), "{e:#}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_slow_source_never_has_two_requests_in_flight() {
    let f = FaultServer::start().await;
    let src: Arc<dyn AlertSource> = Arc::new(am(&f.url("hang"), settings(600)));
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let notify = Arc::new(tokio::sync::Notify::new());
    let handle = poller::spawn(
        "alertmanager".into(),
        Duration::from_millis(50),
        Duration::from_secs(2),
        notify.clone(),
        tx,
        move || {
            let s = src.clone();
            async move { s.alerts().await }
        },
        |p| p,
    );
    // Hammer "refresh" while requests hang: they must not pile up.
    let started = Instant::now();
    let mut results = Vec::new();
    while results.len() < 3 {
        notify.notify_one();
        if let Ok(Some(p)) = tokio::time::timeout(Duration::from_millis(20), rx.recv()).await {
            results.push(p);
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "poller stopped reporting"
        );
    }
    handle.abort();
    assert_eq!(f.peak(), 1, "more than one request in flight");
    for p in &results {
        let e = p.result.as_ref().unwrap_err();
        assert!(e.contains("timed out after 0.6s"), "{e}");
    }
}
