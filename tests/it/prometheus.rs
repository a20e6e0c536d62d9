//! firebreak against a real Prometheus (Debian's package, started by
//! tests/it/support, scraping itself every second): instant and range
//! queries, NaN and infinities, API errors on the panel, the metric source
//! and the `firebreak query` command.

use std::time::Duration;

use crate::support::servers::{self, eventually};
use assert_cmd::Command;
use firebreak::sources::http::{HttpClient, HttpSettings};
use firebreak::sources::prometheus::{PanelQuery, Prometheus, QueryError, QueryResult};
use firebreak::sources::{MetricSource, PanelSpec};

const WAIT: Duration = Duration::from_secs(20);

fn spec(name: &str) -> PanelSpec {
    PanelSpec {
        name: name.into(),
        unit: String::new(),
        warning: Some(0.5),
        critical: Some(2.0),
    }
}

fn client(panels: Vec<PanelQuery>) -> Prometheus {
    let s = HttpSettings {
        request_timeout: Duration::from_secs(5),
        ..HttpSettings::default()
    };
    Prometheus::new(
        &servers::prometheus().url,
        HttpClient::new("prometheus", s).unwrap(),
        panels,
    )
    .unwrap()
}

fn now() -> f64 {
    chrono::Utc::now().timestamp_millis() as f64 / 1000.0
}

fn fb() -> (Command, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let c = crate::support::firebreak(home.path(), &home.path().join("data"));
    (c, home)
}

#[tokio::test]
async fn instant_queries_return_vectors_and_special_values() {
    let p = client(Vec::new());
    let up = eventually(WAIT, "`up` to be scraped", || async {
        match p.query(r#"up{job="prometheus"}"#, None).await.ok()? {
            QueryResult::Vector(v) if !v.is_empty() => Some(v),
            _ => None,
        }
    })
    .await;
    assert_eq!(up[0].metric["job"], "prometheus");
    assert_eq!(up[0].last(), Some(1.0));
    match p.query("0/0", None).await.unwrap() {
        QueryResult::Scalar((_, v)) => assert!(v.is_nan()),
        other => panic!("{other:?}"),
    }
    match p.query("vector(1)/0", None).await.unwrap() {
        QueryResult::Vector(v) => assert_eq!(v[0].last(), Some(f64::INFINITY)),
        other => panic!("{other:?}"),
    }
    match p.query("-vector(1)/0", None).await.unwrap() {
        QueryResult::Vector(v) => assert_eq!(v[0].last(), Some(f64::NEG_INFINITY)),
        other => panic!("{other:?}"),
    }
    match p.query("\"hello\"", None).await.unwrap() {
        QueryResult::String((_, s)) => assert_eq!(s, "hello"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn range_queries_return_series_over_the_window() {
    let p = client(Vec::new());
    let series = eventually(WAIT, "a few points of `up`", || async {
        match p
            .query_range(
                r#"up{job="prometheus"}"#,
                now(),
                Duration::from_secs(60),
                Some(Duration::from_secs(1)),
            )
            .await
            .ok()?
        {
            QueryResult::Matrix(m) if m.first().is_some_and(|s| s.points.len() >= 3) => Some(m),
            _ => None,
        }
    })
    .await;
    let pts = &series[0].points;
    assert!(
        pts.windows(2).all(|w| (w[1].0 - w[0].0 - 1.0).abs() < 1e-6),
        "1s step"
    );
    assert!(pts.iter().all(|p| p.1 == 1.0));
    // The automatic step over 15 minutes is 5s.
    let r = p
        .query_range(
            r#"up{job="prometheus"}"#,
            now(),
            Duration::from_secs(900),
            None,
        )
        .await
        .unwrap();
    if let QueryResult::Matrix(m) = r {
        let pts = &m[0].points;
        if pts.len() >= 2 {
            assert!((pts[1].0 - pts[0].0 - 5.0).abs() < 1e-6);
        }
    } else {
        panic!("not a matrix");
    }
}

#[tokio::test]
async fn errors_keep_prometheus_words_and_are_not_transport_failures() {
    let p = client(Vec::new());
    let e = p.query("sum(rate(up[5m])", None).await.unwrap_err();
    match &e {
        QueryError::Api {
            error_type,
            error,
            url,
        } => {
            assert_eq!(error_type, "bad_data");
            assert!(error.contains("parse error"), "{error}");
            assert!(url.ends_with("/api/v1/query"), "{url}");
        }
        other => panic!("{other:?}"),
    }
    assert!(!e.is_transport());
    // An execution error: duplicate series on the "one" side of a match.
    let _ = eventually(WAIT, "several http series", || async {
        match p.query("prometheus_http_requests_total", None).await.ok()? {
            QueryResult::Vector(v) if v.len() >= 2 => Some(()),
            _ => None,
        }
    })
    .await;
    let e = p
        .query(
            "prometheus_http_requests_total * on() group_left prometheus_http_requests_total",
            None,
        )
        .await
        .unwrap_err();
    assert!(
        e.panel_text().starts_with("execution: "),
        "{}",
        e.panel_text()
    );
}

#[tokio::test]
async fn panels_draw_data_and_show_errors_side_by_side() {
    let p = client(vec![
        PanelQuery {
            spec: spec("scrapes"),
            query: r#"sum(up{job="prometheus"})"#.into(),
        },
        PanelQuery {
            spec: spec("broken"),
            query: "rate(up[5m]".into(),
        },
        PanelQuery {
            spec: spec("nothing"),
            query: "no_such_metric_firebreak".into(),
        },
    ]);
    let panels = eventually(WAIT, "data in the first panel", || async {
        let ps = p.panels(chrono::Duration::minutes(15)).await.ok()?;
        (!ps[0].points.is_empty()).then_some(ps)
    })
    .await;
    assert_eq!(panels.len(), 3);
    assert_eq!(panels[0].spec.name, "scrapes");
    assert_eq!(panels[0].last(), Some(1.0));
    assert!(panels[0].error.is_none());
    assert!(
        panels[1]
            .error
            .as_deref()
            .unwrap_or("")
            .starts_with("bad_data: "),
        "{:?}",
        panels[1].error
    );
    assert!(
        panels[2].error.as_deref().unwrap_or("").contains("no data"),
        "{:?}",
        panels[2].error
    );
}

#[tokio::test]
async fn a_killed_prometheus_is_down_and_comes_back() {
    let mut own = servers::start_prometheus(servers::free_port());
    let s = HttpSettings {
        request_timeout: Duration::from_secs(3),
        ..HttpSettings::default()
    };
    let p = Prometheus::new(
        &own.url,
        HttpClient::new("prometheus", s).unwrap(),
        vec![PanelQuery {
            spec: spec("up"),
            query: "vector(1)".into(),
        }],
    )
    .unwrap();
    assert!(p.panels(chrono::Duration::minutes(15)).await.is_ok());
    own.stop();
    let e = format!(
        "{:#}",
        p.panels(chrono::Duration::minutes(15)).await.unwrap_err()
    );
    assert!(
        e.contains("connection refused") && e.contains(&format!("127.0.0.1:{}", own.port)),
        "{e}"
    );
    own.start();
    assert!(p.panels(chrono::Duration::minutes(15)).await.is_ok());
}

#[test]
fn headless_query_command_prints_tables_and_json() {
    let prom = servers::prometheus();
    // Wait for data through the library first.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let p = client(Vec::new());
        eventually(WAIT, "`up`", || async {
            match p
                .query_range(
                    "up",
                    now(),
                    Duration::from_secs(30),
                    Some(Duration::from_secs(1)),
                )
                .await
                .ok()?
            {
                QueryResult::Matrix(m) if m.first().is_some_and(|s| s.points.len() >= 2) => {
                    Some(())
                }
                _ => None,
            }
        })
        .await
    });
    let (mut c, _h) = fb();
    let out = c
        .args(["query", "up", "--prometheus", &prom.url])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        table.starts_with("SERIES")
            && table.contains("up{")
            && table.contains("job=\"prometheus\""),
        "{table}"
    );

    let (mut c, _h) = fb();
    let out = c
        .args([
            "query", "up", "-p", &prom.url, "--range", "1m", "--step", "1s",
        ])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("POINTS") && table.contains("TREND"),
        "{table}"
    );

    let (mut c, _h) = fb();
    let out = c
        .args(["query", "0/0", "-p", &prom.url, "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["resultType"], "scalar");
    assert_eq!(v["result"][1], "NaN");

    let (mut c, _h) = fb();
    let out = c
        .args(["query", "rate(up[5m]", "-p", &prom.url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad_data") && err.contains(&format!("{}/api/v1/query", prom.url)),
        "{err}"
    );

    let (mut c, _h) = fb();
    let out = c.args(["query", "up"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no Prometheus configured"));
}
