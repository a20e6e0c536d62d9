//! Write a big incident journal through the real API, for the benchmarks
//! (`tests/bench_compare.sh`): N entries of the benches' mix (notes,
//! alerts firing and resolving, flag flips), group-committed 4,096 at a
//! time, in DATA_DIR/incidents/ID.jsonl.
//!
//!     cargo run --release --example gen_journal -- DATA_DIR ID N

use chrono::Duration;
use firebreak::timeline::journal::Journal;

#[path = "../benches/support/mix.rs"]
mod mix;
use mix::{declaration, event, t0};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, id, n] = args.as_slice() else {
        return Err("usage: gen_journal DATA_DIR ID N".into());
    };
    let n: usize = n.parse().map_err(|e| format!("N: {e}"))?;
    let mut j = Journal::create(std::path::Path::new(dir), id)?;
    j.append(t0(), "ann", declaration(id))?;
    let mut i = 1;
    while i < n {
        let end = (i + 4096).min(n);
        let batch = (i..end)
            .map(|i| {
                let (actor, ev) = event(i);
                (t0() + Duration::seconds(i as i64), actor, ev)
            })
            .collect();
        j.append_batch(batch)?;
        i = end;
    }
    println!("{}", j.path().display());
    Ok(())
}
