//! Parsing, filtering and sorting 10,000 Alertmanager alerts (the size of
//! a bad day in a big installation). Run: `cargo bench --bench alerts`.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc; // as the binary

use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use firebreak::sources::alertmanager::{parse::merge, parse_alerts};
use firebreak::sources::matcher;
use firebreak::state::silences::sort_grouped;
use serde_json::json;

const N: usize = 10_000;

/// A GET /api/v2/alerts body with `n` alerts shaped like real ones:
/// labels, annotations with a runbook and a long description, receivers,
/// status with silences for some, nanosecond timestamps with offsets.
fn payload(n: usize) -> Vec<u8> {
    let services = [
        "checkout", "search", "payments", "db", "auth", "cart", "api", "web",
    ];
    let severities = ["critical", "warning", "info"];
    let alerts: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let svc = services[i % services.len()];
            let sev = severities[i % severities.len()];
            let silenced = i % 10 == 0;
            json!({
                "annotations": {
                    "summary": format!("{svc} instance {i} error ratio above threshold"),
                    "description": format!("The 5xx ratio of {svc} on pod {svc}-{i} has been above 5% for 10 minutes. {}", "Check the deploy log. ".repeat(4)),
                    "runbook_url": format!("https://runbooks.example/{svc}/high-error-rate"),
                },
                "endsAt": "2026-11-27T23:29:54.709Z",
                "fingerprint": format!("{:016x}", 0x9e37_79b9_7f4a_7c15u64.wrapping_mul(i as u64 + 1)),
                "receivers": [{"name": "pager"}, {"name": "slack"}],
                "startsAt": "2026-11-27T22:29:54.123456789+01:00",
                "status": {
                    "inhibitedBy": [],
                    "silencedBy": if silenced { vec!["764236e9-df0b-4f0c-b5ea-ddd40c130d3d"] } else { vec![] },
                    "state": if silenced { "suppressed" } else { "active" },
                },
                "updatedAt": "2026-11-27T22:29:54.709Z",
                "generatorURL": format!("http://prometheus.example:9090/graph?g0.expr=job%3D%22{svc}%22&g0.tab=1"),
                "labels": {
                    "alertname": format!("HighErrorRate{}", i % 50),
                    "service": svc,
                    "severity": sev,
                    "instance": format!("{svc}-{i}:9100"),
                    "job": svc,
                    "env": "prod",
                    "cluster": format!("eu-{}", i % 3),
                },
            })
        })
        .collect();
    serde_json::to_vec(&alerts).expect("serialize")
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-27T23:00:00Z")
        .expect("time")
        .to_utc()
}

fn bench(c: &mut Criterion) {
    let body = payload(N);
    let mut g = c.benchmark_group("alerts");
    g.sample_size(20);
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("parse_10k", |b| {
        b.iter(|| {
            let p = parse_alerts(std::hint::black_box(&body), "am-0", now()).expect("parse");
            assert_eq!(p.alerts.len(), N);
            p
        })
    });
    let parsed = parse_alerts(&body, "am-0", now()).expect("parse").alerts;
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("ha_merge_2x10k", |b| {
        b.iter_batched(
            || {
                (
                    parsed.clone(),
                    parse_alerts(&body, "am-1", now()).expect("parse").alerts,
                )
            },
            |(mut a, other)| {
                let index: std::collections::HashMap<String, usize> = a
                    .iter()
                    .enumerate()
                    .map(|(i, x)| (x.fingerprint.clone(), i))
                    .collect();
                for o in other {
                    if let Some(&i) = index.get(&o.fingerprint) {
                        merge(&mut a[i], o);
                    }
                }
                a
            },
            BatchSize::LargeInput,
        )
    });
    let ms = matcher::parse(r#"{severity="critical", service=~"check.*|pay.*", env!="staging"}"#)
        .expect("matchers");
    g.bench_function("match_10k", |b| {
        b.iter(|| {
            parsed
                .iter()
                .filter(|a| matcher::all_match(&ms, &a.labels))
                .count()
        })
    });
    let group_by = vec!["alertname".to_string(), "service".to_string()];
    g.bench_function("sort_grouped_10k", |b| {
        b.iter_batched(
            || parsed.clone(),
            |mut a| sort_grouped(&mut a, &group_by),
            BatchSize::LargeInput,
        )
    });
    // Who got paged, for every alert (the palette does it when it opens):
    // the routing tree of the integration tests (ten receivers, continue,
    // three levels, regexes).
    let tree = firebreak::sources::alertmanager::routing::RoutingTree::from_yaml(include_str!(
        "../tests/fixtures/alertmanager/routing.yml"
    ))
    .expect("the routing fixture");
    g.bench_function("route_10k", |b| {
        b.iter(|| {
            parsed
                .iter()
                .map(|a| tree.receivers_for(&a.labels).len())
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
