#!/usr/bin/env bash
# Idle CPU of the interactive cockpit on the built-in demo: start the
# release binary in a detached tmux session (160x45, fresh config and
# data dirs), let it settle, then sample its CPU time (utime + stime
# from /proc/PID/stat) over a window and print it as % of one core.
#
#   benches/idle_cpu.sh [BINARY]
#
# BINARY defaults to $CARGO_TARGET_DIR/release/firebreak (or
# target/release/firebreak). Build it first: cargo build --release.
# SETTLE (default 10) and WINDOW (default 60) are in seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${1:-${CARGO_TARGET_DIR:-$ROOT/target}/release/firebreak}"
SETTLE="${SETTLE:-10}"
WINDOW="${WINDOW:-60}"

[ -x "$BIN" ] || { echo "idle_cpu: no binary at $BIN (cargo build --release)" >&2; exit 1; }
command -v tmux >/dev/null || { echo "idle_cpu: tmux is needed" >&2; exit 1; }

SESSION="fb-idle-$$"
CFG="$(mktemp -d)"
DATA="$(mktemp -d)"
cleanup() {
  tmux kill-session -t "$SESSION" 2>/dev/null || true
  rm -rf "$CFG" "$DATA"
}
trap cleanup EXIT

tmux new-session -d -s "$SESSION" -x 160 -y 45 \
  "env XDG_CONFIG_HOME='$CFG' '$BIN' --data-dir '$DATA'"

# The pane runs the binary itself, or a shell whose child it is.
name="$(basename "$BIN" | cut -c1-15)"  # as /proc/PID/comm has it
pane="$(tmux list-panes -t "$SESSION" -F '#{pane_pid}' | head -n1)"
pid=""
for _ in $(seq 50); do
  if [ "$(cat "/proc/$pane/comm" 2>/dev/null)" = "$name" ]; then
    pid="$pane"
  else
    pid="$(pgrep -P "$pane" -x "$name" | head -n1 || true)"
  fi
  [ -n "$pid" ] && break
  sleep 0.1
done
[ -n "$pid" ] || { echo "idle_cpu: firebreak did not start" >&2; exit 1; }

# utime + stime in clock ticks (fields 14 and 15; the command name in
# field 2 may hold spaces, so count from after its closing parenthesis).
ticks() {
  local stat
  stat="$(cat "/proc/$pid/stat")" || { echo "idle_cpu: firebreak exited" >&2; exit 1; }
  stat="${stat##*) }"
  # shellcheck disable=SC2086
  set -- $stat
  echo $(( ${12} + ${13} ))
}

sleep "$SETTLE"
t0="$(date +%s.%N)"
c0="$(ticks)"
sleep "$WINDOW"
c1="$(ticks)"
t1="$(date +%s.%N)"
hz="$(getconf CLK_TCK)"

awk -v c="$((c1 - c0))" -v hz="$hz" -v t0="$t0" -v t1="$t1" 'BEGIN {
  secs = t1 - t0
  printf "idle CPU: %.2f%% of one core (%.2fs CPU over %.1fs)\n", 100 * c / hz / secs, c / hz, secs
}'
