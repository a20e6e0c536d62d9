#!/usr/bin/env bash
# The one command that runs every test, on a fresh machine too:
#   tests/run.sh
# It installs what the tests need (tests/setup.sh: Debian packages such as
# Prometheus, Alertmanager, PostgreSQL and tmux; npm packages for Unleash),
# then runs the lints, every unit, integration and snapshot test (the
# integration tests start their own servers on 127.0.0.1), checks the
# shipped playbooks, compiles the benchmarks, and runs the tmux
# end-to-end check.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n=== %s\n' "$*"; }

step "setup"
bash tests/setup.sh

step "format and lints"
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
# The floors of docs/ARCHITECTURE.md: no import circle, nothing below
# state/ and ui/ imports them.
python3 tests/tools/floors.py src

step "tests"
cargo test --locked --no-fail-fast

step "release build, shipped playbooks, benchmarks compile"
cargo build --release --locked
if ./target/release/firebreak playbook --help >/dev/null 2>&1; then
  ./target/release/firebreak playbook check
fi
cargo bench --locked --no-run
# The side-by-side performance run on small sizes: every part works (the
# figures are not checked; BENCHMARKS.md has the full-size ones).
bash tests/bench_compare.sh --smoke

step "end-to-end in tmux"
for e2e in tests/e2e/*.sh; do
  [ -e "$e2e" ] || continue
  [ "$(basename "$e2e")" = lib.sh ] && continue
  echo "--- $e2e"
  bash "$e2e"
done
echo
echo "all checks passed"
