# Helpers for tmux-driven end-to-end checks: run the real binary in a real
# terminal, type like a user, assert on the captured screen text.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="${FIREBREAK_BIN:-$ROOT/target/release/firebreak}"
[ -x "$BIN" ] || { echo "e2e: build first: cargo build --release" >&2; exit 1; }
command -v tmux >/dev/null || { echo "e2e: tmux missing: run tests/setup.sh" >&2; exit 1; }
WORK="$(mktemp -d)"
SESSION="fb-e2e-$$"
export TMUX_TMPDIR="$WORK"
cleanup() { tmux kill-server 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

# start ARGS...: run firebreak in a 120x40 tmux session.
start() {
  tmux new-session -d -s "$SESSION" -x "${COLS:-120}" -y "${ROWS:-40}" \
    "env XDG_CONFIG_HOME=$WORK/config NO_COLOR=1 $BIN --data-dir $WORK/data $*; echo EXITED-\$?; sleep 600"
}
screen() { tmux capture-pane -p -t "$SESSION"; }
keys() { tmux send-keys -t "$SESSION" "$@"; }
# type TEXT: send literal text.
typ() { tmux send-keys -t "$SESSION" -l -- "$1"; }
# wait_for TEXT [SECONDS]: until the screen shows TEXT, else fail.
wait_for() {
  local text="$1" limit="${2:-15}" i
  for ((i = 0; i < limit * 10; i++)); do
    screen | grep -qF -- "$text" && return 0
    sleep 0.1
  done
  echo "e2e: timed out waiting for: $text" >&2
  echo "---- screen ----" >&2
  screen >&2
  exit 1
}
# refute TEXT: the screen must not show TEXT now.
refute() {
  if screen | grep -qF -- "$1"; then
    echo "e2e: screen unexpectedly shows: $1" >&2
    screen >&2
    exit 1
  fi
}
pass() { echo "e2e: $1: ok"; }
