//! Journal costs: one fsync'd append, and reading / replaying / exporting a
//! 100,000-entry journal (far longer than any real incident).
//!
//! `cargo bench --bench journal` (add `-- --quick` for a fast run).

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc; // as the binary

use std::hint::black_box;
use std::path::Path;

use chrono::Duration;
use criterion::{criterion_group, criterion_main, Criterion};
use firebreak::domain::incident::Incident;
use firebreak::timeline::export;
use firebreak::timeline::journal::{self, Journal};

#[path = "support/mix.rs"]
mod mix;
use mix::{declaration, event, t0};

const BIG: usize = 100_000;

/// Write a `BIG`-entry journal through the real API. Generated on tmpfs
/// when there is one, where fsync is nearly free, to keep setup short.
fn big_journal(data: &Path) -> std::path::PathBuf {
    let mut j = Journal::create(data, "inc-big").expect("create");
    j.append(t0(), "ann", declaration("inc-big"))
        .expect("append");
    for i in 1..BIG {
        let (actor, ev) = event(i);
        j.append(t0() + Duration::seconds(i as i64), &actor, ev)
            .expect("append");
    }
    j.path().to_path_buf()
}

fn bench(c: &mut Criterion) {
    // Appends go to the real disk (the temp dir), fsync included.
    let disk = tempfile::tempdir().expect("tempdir");
    let mut j = Journal::create(disk.path(), "inc-append").expect("create");
    j.append(t0(), "ann", declaration("inc-append"))
        .expect("append");
    let mut group = c.benchmark_group("journal");
    group.sample_size(10);
    let mut i = 0usize;
    group.bench_function("append_fsync", |b| {
        b.iter(|| {
            i += 1;
            let (actor, ev) = event(i);
            black_box(j.append(t0() + Duration::seconds(i as i64), &actor, ev)).expect("append")
        })
    });

    // Group commit: 1,000 alert transitions as the journal thread writes
    // them in a storm (one write, one fsync), against one at a time.
    group.bench_function("append_1000_one_by_one", |b| {
        b.iter(|| {
            for _ in 0..1000 {
                i += 1;
                let (actor, ev) = event(i);
                black_box(j.append(t0() + Duration::seconds(i as i64), &actor, ev))
                    .expect("append");
            }
        })
    });
    group.bench_function("append_1000_batch", |b| {
        b.iter(|| {
            let items = (0..1000)
                .map(|_| {
                    i += 1;
                    let (actor, ev) = event(i);
                    (t0() + Duration::seconds(i as i64), actor, ev)
                })
                .collect();
            black_box(j.append_batch(items)).expect("append")
        })
    });

    let shm = Path::new("/dev/shm");
    let big_dir = if shm.is_dir() {
        tempfile::tempdir_in(shm)
    } else {
        tempfile::tempdir()
    }
    .expect("tempdir");
    let path = big_journal(big_dir.path());
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    eprintln!("100k-entry journal: {:.1} MiB", size as f64 / 1048576.0);

    group.bench_function("read_100k", |b| {
        b.iter(|| {
            let replay = journal::read(black_box(&path)).expect("read");
            assert_eq!(replay.entries.len(), BIG);
            replay
        })
    });
    group.bench_function("read_replay_100k", |b| {
        b.iter(|| {
            let replay = journal::read(black_box(&path)).expect("read");
            Incident::replay(&replay.entries).expect("incident")
        })
    });
    let replay = journal::read(&path).expect("read");
    let incident = Incident::replay(&replay.entries).expect("incident");
    group.bench_function("export_markdown_100k", |b| {
        b.iter(|| export::markdown(black_box(&incident), &replay, t0()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
