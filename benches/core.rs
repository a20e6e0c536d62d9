//! Core speed: drawing the main screen under load, filtering alerts per
//! keystroke, and start-up to the first frame.
//!
//! cargo bench --bench core

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc; // as the binary

use std::collections::BTreeMap;
use std::hint::black_box;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use firebreak::config::keymap::Keymap;
use firebreak::config::theme::Theme;
use firebreak::demo::{Scenario, World};
use firebreak::domain::incident::Severity;
use firebreak::domain::{Entry, Event};
use firebreak::sources::poller::Polled;
use firebreak::sources::{fingerprint, Alert, AlertState};
use firebreak::state::{update, Msg, Settings, State};
use firebreak::timeline::journal::{self, Journal};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-27T14:00:00Z")
        .unwrap()
        .to_utc()
}

fn settings() -> Settings {
    Settings {
        demo: true,
        responder: "bench".into(),
        default_severity: Severity::Sev2,
        demo_title: None,
        local_offset: FixedOffset::east_opt(0).unwrap(),
        themes: vec!["dark".into()],
        alerts_configured: true,
        metrics_configured: true,
        flags_configured: true,
        poll_interval: Duration::seconds(5),
        can_rollback: true,
        timebox: firebreak::domain::hypotheses::Timebox::default(),
        two_person: Vec::new(),
        status_updates: Default::default(),
        evidence_settle: chrono::Duration::minutes(5),
    }
}

fn alerts(n: usize) -> Vec<Alert> {
    let sev = ["critical", "warning", "info"];
    let svc = [
        "checkout",
        "payments",
        "search",
        "auth",
        "inventory",
        "shipping",
    ];
    (0..n)
        .map(|i| {
            let mut labels = BTreeMap::new();
            labels.insert("alertname".to_string(), format!("Alert{}", i % 97));
            labels.insert("severity".to_string(), sev[i % 3].to_string());
            labels.insert("service".to_string(), svc[i % 6].to_string());
            labels.insert(
                "instance".to_string(),
                format!("node-{i}.prod.example.com:9100"),
            );
            let mut annotations = BTreeMap::new();
            annotations.insert(
                "summary".to_string(),
                format!("{} is unhappy on node-{i}", svc[i % 6]),
            );
            Alert {
                fingerprint: fingerprint(&labels),
                labels,
                annotations,
                state: AlertState::Active,
                starts_at: now() - Duration::seconds(i as i64),
                generator_url: None,
                source: "bench".into(),
                detail: Default::default(),
            }
        })
        .collect()
}

fn entries(n: usize) -> Vec<Entry> {
    let mut out = Vec::with_capacity(n);
    out.push(Entry {
        seq: 1,
        ts: now(),
        prev: journal::GENESIS_HASH.into(),
        actor: "bench".into(),
        event: Event::IncidentDeclared {
            id: "inc-bench".into(),
            title: "Bench".into(),
            severity: Severity::Sev2,
            demo: true,
        },
        hash: String::new(),
    });
    for i in 1..n {
        out.push(Entry {
            seq: i as u64 + 1,
            ts: now() + Duration::milliseconds(i as i64 * 50),
            prev: String::new(),
            actor: "bench".into(),
            event: if i % 10 == 0 {
                Event::FlagChanged {
                    provider: "demo".into(),
                    flag: format!("flag-{i}"),
                    before: Some(true),
                    after: Some(false),
                    wanted: false,
                    ok: true,
                    detail: String::new(),
                }
            } else {
                Event::Note {
                    text: format!("note number {i}: checked the dashboards again"),
                    at: None,
                }
            },
            hash: String::new(),
        });
    }
    out
}

fn loaded_state() -> State {
    let mut s = State::new(settings(), Keymap::builtin(), "dark");
    s.resume(entries(100_000), Vec::new());
    let at = now() + Duration::seconds(1);
    let p = |r| Polled {
        source: "bench".into(),
        result: r,
        at,
        took: std::time::Duration::ZERO,
    };
    update(&mut s, Msg::Alerts(p(Ok(alerts(10_000)))), at);
    let w = World::new(Scenario::builtin().unwrap(), now());
    let panels = w.panels(Duration::hours(6), now());
    update(
        &mut s,
        Msg::Metrics(Polled {
            source: "bench".into(),
            result: Ok(panels),
            at,
            took: std::time::Duration::ZERO,
        }),
        at,
    );
    s
}

/// Appending one entry to a 100k-entry timeline (the live path).
fn append(c: &mut Criterion) {
    let mut s = loaded_state();
    let mut seq = 200_000u64;
    c.bench_function("record_one_entry_into_100k_timeline", |b| {
        b.iter(|| {
            seq += 1;
            let entry = Entry {
                seq,
                ts: now(),
                prev: String::new(),
                actor: "bench".into(),
                event: Event::Note {
                    text: "one more".into(),
                    at: None,
                },
                hash: String::new(),
            };
            black_box(update(
                &mut s,
                Msg::Recorded {
                    entry,
                    then: Vec::new(),
                },
                now(),
            ))
        })
    });
}

fn draw(c: &mut Criterion) {
    let s = loaded_state();
    let theme = Theme::default_theme();
    let mut g = c.benchmark_group("draw");
    for (w, h) in [(80u16, 24u16), (200, 60)] {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        g.bench_function(
            format!("main_screen_10k_alerts_100k_entries_{w}x{h}"),
            |b| {
                b.iter(|| {
                    term.draw(|f| firebreak::ui::draw(f, black_box(&s), &theme, now()))
                        .unwrap();
                })
            },
        );
    }
    g.finish();
}

fn filter(c: &mut Criterion) {
    let mut s = loaded_state();
    let queries = [
        "c", "ch", "che", "chec", "check", "checko", "checkou", "checkout",
    ];
    let mut i = 0;
    c.bench_function("filter_10k_alerts_per_keystroke", |b| {
        b.iter(|| {
            s.alerts.list.filter = queries[i % queries.len()].to_string();
            i += 1;
            s.refilter_alerts();
            black_box(s.alerts.list.view.len())
        })
    });
    let s = loaded_state();
    let mut p = firebreak::state::palette::PaletteState::open(firebreak::state::palette::items(&s));
    let mut j = 0;
    c.bench_function("palette_search_10k_alerts_per_keystroke", |b| {
        b.iter(|| {
            p.query = queries[j % queries.len()].to_string();
            j += 1;
            p.research();
            black_box(p.total)
        })
    });
    c.bench_function("palette_open_10k_alerts", |b| {
        b.iter(|| {
            black_box(
                firebreak::state::palette::PaletteState::open(firebreak::state::palette::items(&s))
                    .total,
            )
        })
    });
}

/// In-process start-up: read config defaults, replay a 1,000-entry
/// journal, build the state, draw the first frame.
fn startup(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut j = Journal::create(dir.path(), "inc-startup").unwrap();
    j.append(
        now(),
        "bench",
        Event::IncidentDeclared {
            id: "inc-startup".into(),
            title: "Start".into(),
            severity: Severity::Sev2,
            demo: true,
        },
    )
    .unwrap();
    for i in 0..999 {
        j.append(
            now(),
            "bench",
            Event::Note {
                text: format!("note {i}"),
                at: None,
            },
        )
        .unwrap();
    }
    let path = j.path().to_path_buf();
    drop(j);
    let theme = Theme::default_theme();
    c.bench_function("startup_to_first_frame_1k_entries", |b| {
        b.iter(|| {
            let (_j, replay) = Journal::open(&path).unwrap();
            let km = Keymap::builtin();
            let (theme2, _) = Theme::load("dark", None, false);
            let scenario = Scenario::builtin().unwrap();
            let world = World::new(scenario, now());
            let mut s = State::new(settings(), km, &theme2.name);
            s.resume(replay.entries, replay.problems);
            let at = now();
            update(
                &mut s,
                Msg::Alerts(Polled {
                    source: "demo".into(),
                    result: Ok(world.alerts(at)),
                    at,
                    took: std::time::Duration::ZERO,
                }),
                at,
            );
            let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
            term.draw(|f| firebreak::ui::draw(f, &s, &theme, at))
                .unwrap();
            black_box(term)
        })
    });
}

/// An alert storm reaching the cockpit: one poll of 50,000 new alerts
/// with an incident open (sorting, grouping, recording the transitions,
/// the search texts), the turn of the event loop a note typed then waits
/// for.
fn storm(c: &mut Criterion) {
    let at = now() + Duration::seconds(1);
    let mut group = c.benchmark_group("storm");
    group.sample_size(10);
    group.bench_function("poll_of_50k_new_alerts", |b| {
        b.iter_batched(
            || {
                let mut s = State::new(settings(), Keymap::builtin(), "dark");
                s.resume(entries(1), Vec::new());
                (s, alerts(50_000))
            },
            |(mut s, a)| {
                let fx = update(
                    &mut s,
                    Msg::Alerts(Polled {
                        source: "bench".into(),
                        result: Ok(a),
                        at,
                        took: std::time::Duration::ZERO,
                    }),
                    at,
                );
                black_box((s, fx))
            },
            criterion::BatchSize::LargeInput,
        )
    });
    // The part the cockpit's pollers do off the event loop.
    let group_by = vec!["alertname".to_string(), "service".to_string()];
    // The turn of the event loop itself: the prepared poll reaching the
    // state (the diff, the journal entries, the pane's data).
    group.bench_function("turn_of_50k_new_alerts", |b| {
        b.iter_batched(
            || {
                let mut s = State::new(settings(), Keymap::builtin(), "dark");
                s.resume(entries(1), Vec::new());
                (
                    s,
                    firebreak::state::alerts::prepare(alerts(50_000), &group_by),
                )
            },
            |(mut s, p)| {
                let fx = update(
                    &mut s,
                    Msg::AlertsReady(Polled {
                        source: "bench".into(),
                        result: Ok(p),
                        at,
                        took: std::time::Duration::ZERO,
                    }),
                    at,
                );
                black_box((s, fx))
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.bench_function("prepare_50k", |b| {
        b.iter_batched(
            || alerts(50_000),
            |a| black_box(firebreak::state::alerts::prepare(a, &group_by)),
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = draw, filter, append, startup, storm
}
criterion_main!(benches);
