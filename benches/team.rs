//! The team database, measured against a real PostgreSQL 15 on 127.0.0.1
//! (started here, as the tests do):
//!
//! - **Spread:** 10 responders on one incident each append 100 notes; for
//!   every note and every other responder, the time from the append to
//!   the note being received there. p50 / p99 / max.
//! - **Join:** a responder joining an incident of 10,000 entries: the
//!   time until everything is received and checked (signatures included).
//!
//! `cargo bench --bench team` (`FIREBREAK_BENCH_CLIENTS`,
//! `FIREBREAK_BENCH_NOTES`, `FIREBREAK_BENCH_JOIN` change the sizes).
//! Prints figures; it is not a criterion bench because what it measures
//! spans processes' worth of connections.

#[allow(dead_code)]
#[path = "../tests/it/support/postgres.rs"]
mod postgres;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc; // as the binary

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use firebreak::domain::incident::Severity;
use firebreak::domain::Event;
use firebreak::team::db::{Settings, SslMode, Team};
use firebreak::team::keys::Identity;
use firebreak::team::sync::Sync;
use firebreak::timeline::journal::Journal;
use tokio::sync::Notify;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn declared(id: &str) -> Event {
    Event::IncidentDeclared {
        id: id.into(),
        title: "Checkout errors".into(),
        severity: Severity::Sev2,
        demo: false,
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    // `cargo bench --no-run` builds this; `cargo test --benches` would run
    // it with --bench absent: only measure when asked to.
    if !std::env::args().any(|a| a == "--bench") {
        println!("team bench: run with `cargo bench --bench team`");
        return;
    }
    let clients = env("FIREBREAK_BENCH_CLIENTS", 10);
    let notes = env("FIREBREAK_BENCH_NOTES", 100);
    let join = env("FIREBREAK_BENCH_JOIN", 10_000);
    let pg = match postgres::Pg::start("bench-team") {
        Ok(pg) => pg,
        Err(e) => {
            eprintln!("team bench: cannot start PostgreSQL: {e}");
            std::process::exit(1);
        }
    };
    let settings = Settings {
        url: pg.url("postgres"),
        password: None,
        sslmode: SslMode::Disable,
        ca_file: None,
        timeout: Duration::from_secs(30),
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        Team::connect(&settings)
            .await
            .expect("connect")
            .init()
            .await
            .expect("team init");
    });
    spread(&rt, &settings, clients, notes);
    joining(&rt, &settings, join);
}

fn spread(rt: &tokio::runtime::Runtime, settings: &Settings, clients: usize, notes: usize) {
    let id = "inc-bench-spread";
    let appended: Arc<Mutex<HashMap<String, Instant>>> = Default::default();
    let latencies: Arc<Mutex<Vec<Duration>>> = Default::default();
    let dirs: Vec<tempfile::TempDir> = (0..clients)
        .map(|_| tempfile::tempdir().expect("tmp"))
        .collect();
    let want = (clients - 1) * notes;
    let t0 = Instant::now();
    rt.block_on(async {
        let mut tasks = Vec::new();
        for (k, dir) in dirs.iter().enumerate() {
            let (me, _) = Identity::load_or_create(&dir.path().join("team.key")).expect("key");
            let mut journal = Journal::create(dir.path(), id).expect("journal");
            let first = if k == 0 {
                declared(id)
            } else {
                Event::TeamJoined {
                    id: id.into(),
                    title: "Checkout errors".into(),
                    severity: Severity::Sev2,
                    declared_by: "c0".into(),
                    declared_at: Utc::now(),
                }
            };
            journal
                .append(Utc::now(), &format!("c{k}"), first)
                .expect("append");
            let (mut sync, _) = Sync::open(id, me, journal.path()).expect("sync");
            let wake = Arc::new(Notify::new());
            let mut team = Team::connect_listening(settings, wake.clone())
                .await
                .expect("connect");
            // The declarer's first round registers the incident.
            if k == 0 {
                sync.round(&mut team).await.expect("round");
            }
            let (seen_at, latencies, wake2) = (appended.clone(), latencies.clone(), wake.clone());
            // Receiver: a round on every wake-up (NOTIFY or own append).
            // It is also the sender: it goes on until everyone's notes are
            // here and its own are all sent (the declarer's first entry
            // went above).
            let own = notes + usize::from(k != 0);
            let receiver = tokio::spawn(async move {
                let (mut seen, mut sent) = (0, 0);
                while seen < want || sent < own {
                    let done = sync.round(&mut team).await.expect("round");
                    let now = Instant::now();
                    sent += done.sent;
                    for r in &done.received {
                        if let Event::Note { text, .. } = &r.entry.event {
                            if let Some(at) = seen_at.lock().expect("lock").get(text) {
                                latencies.lock().expect("lock").push(now - *at);
                                seen += 1;
                            }
                        }
                    }
                    let _ =
                        tokio::time::timeout(Duration::from_millis(500), wake2.notified()).await;
                }
            });
            // Writer: its notes, a few milliseconds apart.
            let appended = appended.clone();
            let writer = tokio::task::spawn_blocking(move || {
                for i in 0..notes {
                    // Timed from just before the append, keyed by the
                    // note's text: a note can arrive elsewhere before
                    // the append has returned here.
                    let text = format!("c{k}-{i}");
                    appended
                        .lock()
                        .expect("lock")
                        .insert(text.clone(), Instant::now());
                    journal
                        .append(Utc::now(), &format!("c{k}"), Event::Note { text, at: None })
                        .expect("append");
                    wake.notify_one();
                    std::thread::sleep(Duration::from_millis(
                        5 + (k as u64 * 7 + i as u64 * 13) % 20,
                    ));
                }
            });
            tasks.push(receiver);
            tasks.push(writer);
        }
        for t in tasks {
            t.await.expect("task");
        }
    });
    let mut l = latencies.lock().expect("lock").clone();
    l.sort();
    println!(
        "team spread: {clients} responders x {notes} notes, {} deliveries in {:.1}s: append -> received elsewhere p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        l.len(),
        t0.elapsed().as_secs_f64(),
        pct(&l, 0.50).as_secs_f64() * 1e3,
        pct(&l, 0.99).as_secs_f64() * 1e3,
        l.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}

fn joining(rt: &tokio::runtime::Runtime, settings: &Settings, n: usize) {
    let id = "inc-bench-join";
    let dir = tempfile::tempdir().expect("tmp");
    let (me, _) = Identity::load_or_create(&dir.path().join("a.key")).expect("key");
    let mut journal = Journal::create(dir.path(), id).expect("journal");
    journal
        .append(Utc::now(), "alice", declared(id))
        .expect("append");
    for i in 1..n {
        journal
            .append(
                Utc::now(),
                "alice",
                Event::Note {
                    text: format!("note {i}: checked the pods, the logs, the dashboards"),
                    at: None,
                },
            )
            .expect("append");
    }
    let (mut alice, _) = Sync::open(id, me, journal.path()).expect("sync");
    rt.block_on(async {
        let mut team = Team::connect(settings).await.expect("connect");
        alice.round(&mut team).await.expect("push");
    });
    let joiner = tempfile::tempdir().expect("tmp");
    let (me, _) = Identity::load_or_create(&joiner.path().join("b.key")).expect("key");
    let mut own = Journal::create(joiner.path(), id).expect("journal");
    own.append(
        Utc::now(),
        "bob",
        Event::TeamJoined {
            id: id.into(),
            title: "Checkout errors".into(),
            severity: Severity::Sev2,
            declared_by: "alice".into(),
            declared_at: Utc::now(),
        },
    )
    .expect("append");
    let t = Instant::now();
    let received = rt.block_on(async {
        let mut team = Team::connect(settings).await.expect("connect");
        let (mut bob, _) = Sync::open(id, me, own.path()).expect("sync");
        let connected = t.elapsed();
        let done = bob.round(&mut team).await.expect("round");
        let pulled = t.elapsed();
        let merged = firebreak::team::sync::merged(own.path(), id)
            .expect("merge")
            .expect("shared");
        (
            done.received.len(),
            merged.entries.len(),
            connected,
            pulled - connected,
        )
    });
    let all = t.elapsed();
    println!(
        "team join: {} entries received and checked, {} merged, in {:.0} ms (connect {:.0} ms, pull + verify every signature + mirror {:.0} ms, merge {:.0} ms)",
        received.0,
        received.1,
        all.as_secs_f64() * 1e3,
        received.2.as_secs_f64() * 1e3,
        received.3.as_secs_f64() * 1e3,
        (all - received.2 - received.3).as_secs_f64() * 1e3,
    );
}
