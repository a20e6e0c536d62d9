# shellcheck shell=bash
# Helpers for tmux-driven end-to-end checks: run the real binary in a real
# terminal, type like a user, assert on the captured screen text.
#
# Nothing here waits a fixed time for the app: every step waits for what the
# screen shows (wait_for), the only sleeps are polling intervals and retry
# backoffs. Each script runs its own tmux server on its own socket in $WORK
# (never the user's server, never another script's), every tmux call
# survives a briefly unreachable server, and no server outlives the script.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="${FIREBREAK_BIN:-$ROOT/target/release/firebreak}"
[ -x "$BIN" ] || { echo "e2e: build first: cargo build --release" >&2; exit 1; }
command -v tmux >/dev/null || { echo "e2e: tmux missing: run tests/setup.sh" >&2; exit 1; }
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fb-e2e.XXXXXX")"
SESSION="fb-e2e"
TARGET="=$SESSION:" # exactly this session, its current pane
# Limits are for a loaded 2-core CI machine; an idle machine never waits
# them out (wait_for returns as soon as the text shows). E2E_TIMEOUT_SCALE
# (a whole number) stretches them further.
SCALE="${E2E_TIMEOUT_SCALE:-1}"
WAIT_DEFAULT=60
START_TRIES=5
TMUX_TRIES=6
BACKOFF=(0.1 0.2 0.5 1 2 3)
SCREEN="$WORK/screen"     # the last screen captured
TMUX_ERR="$WORK/tmux.err" # stderr of the last tmux call
SOCK=""                   # the current server's socket
START_ARGS=()             # the arguments of the last start
TYPED=0                   # keys sent since the last start?
RELAUNCHES=0              # starts again after losing an untouched session
STARTS=0                  # servers started so far (one socket each)
PANE_PGID=""              # the app's process group in the current server
: >"$SCREEN"
# Never talk to an enclosing tmux (CI inside tmux, a developer's session).
unset TMUX TMUX_PANE
# The pane stays (dead) after the app exits, so EXITED-n can be read.
cat >"$WORK/tmux.conf" <<'CONF'
set -g remain-on-exit on
set -g history-limit 100
CONF

tm() { tmux -S "$SOCK" -f "$WORK/tmux.conf" "$@"; }

# fail MESSAGE: say what went wrong, show the last screen, stop.
fail() {
  echo "e2e: $1" >&2
  echo "---- last screen ----" >&2
  cat "$SCREEN" >&2
  exit 1
}

# A client that could not reach its server (starting, briefly gone).
transient() {
  grep -qiE 'server exited unexpectedly|no server running|lost server|error connecting|connection refused' "$TMUX_ERR"
}

# try_tmx ARGS...: one tmux command on this script's server; a transient
# failure is retried a bounded number of times with a short backoff.
try_tmx() {
  local try
  for ((try = 1; ; try++)); do
    tm "$@" 2>"$TMUX_ERR" && return 0
    ((try < TMUX_TRIES)) && transient || return 1
    echo "e2e: tmux $1: $(cat "$TMUX_ERR"); retrying" >&2
    sleep "${BACKOFF[try - 1]}"
  done
}
# tmx ARGS...: the same, or fail.
tmx() { try_tmx "$@" || fail "tmux $1 failed: $(cat "$TMUX_ERR")"; }

# gone PID: the tmux server PID and the app's process group have exited
# (zombies count as gone: they wait for a slow reaper, not for us).
gone() {
  ps -e -o pid=,pgid=,stat= | awk -v p="${1:--}" -v g="${PANE_PGID:--}" \
    '($1 == p || $2 == g) && $3 !~ /^Z/ { alive = 1 } END { exit alive }'
}

# stop: end the current tmux server (and the app in it) and wait until both
# are really gone, so a new server never meets a dying one.
stop() {
  [ -n "$SOCK" ] || return 0
  local pid="" i
  pid="$(tm display-message -p '#{pid}' 2>/dev/null)" || pid=""
  tm kill-server 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    gone "$pid" && break
    sleep 0.1
  done
  # Still there after 10s: make sure nothing outlives the script.
  if ! gone "$pid"; then
    echo "e2e: tmux server or app still running after kill-server; killing" >&2
    if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
    if [ -n "$PANE_PGID" ]; then kill -KILL -- "-$PANE_PGID" 2>/dev/null || true; fi
  fi
  rm -f "$SOCK"
  SOCK=""
  PANE_PGID=""
}

# cleanup [RC]: stop everything and exit with RC (default: the status the
# script was exiting with).
cleanup() {
  local rc=${1:-$?}
  trap - EXIT INT TERM
  stop || true
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# session_up: the session exists and the app's pane is alive.
session_up() {
  local dead
  tm has-session -t "=$SESSION" 2>"$TMUX_ERR" || return 1
  dead="$(tm display-message -p -t "$TARGET" '#{pane_dead}' 2>"$TMUX_ERR")" || return 1
  [ "$dead" = 0 ] || { echo "pane died: $(tm capture-pane -p -t "$TARGET" 2>&1)" >"$TMUX_ERR"; return 1; }
  PANE_PGID="$(tm display-message -p -t "$TARGET" '#{pane_pid}' 2>"$TMUX_ERR")" || return 1
}

# restore_data: the data directory as it was before the last start.
restore_data() {
  rm -rf "$WORK/data"
  if [ -d "$WORK/data.before" ]; then cp -a "$WORK/data.before" "$WORK/data"; fi
}

# start ARGS...: run firebreak in a 120x40 tmux session, on a fresh server
# and socket; retried a few times, and only returns once the session
# really exists. A failed try leaves the data directory as it was.
# shellcheck disable=SC2120 # the scripts start with no extra arguments today
start() {
  local args="" cmd try q_work q_bin
  START_ARGS=("$@")
  TYPED=0
  (($#)) && printf -v args ' %q' "$@"
  printf -v q_work '%q' "$WORK"
  printf -v q_bin '%q' "$BIN"
  cmd="env XDG_CONFIG_HOME=$q_work/config NO_COLOR=1 $q_bin --data-dir $q_work/data$args; echo EXITED-\$?"
  rm -rf "$WORK/data.before"
  if [ -d "$WORK/data" ]; then cp -a "$WORK/data" "$WORK/data.before"; fi
  for ((try = 1; try <= START_TRIES; try++)); do
    STARTS=$((STARTS + 1))
    SOCK="$WORK/tmux-$STARTS.sock"
    if tm new-session -d -s "$SESSION" -x "${COLS:-120}" -y "${ROWS:-40}" "$cmd" 2>"$TMUX_ERR" &&
      session_up; then
      return 0
    fi
    echo "e2e: starting tmux failed (attempt $try/$START_TRIES): $(cat "$TMUX_ERR")" >&2
    stop
    restore_data
    sleep "${BACKOFF[try - 1]}"
  done
  fail "could not start a tmux session in $START_TRIES attempts"
}

# snap: capture the screen into $SCREEN. A server lost before any key was
# sent took nothing of the test with it: start again (a few times at most).
snap() {
  while ! try_tmx capture-pane -p -t "$TARGET" >"$SCREEN.new"; do
    if ((TYPED == 0 && RELAUNCHES < 3)) && ! tm has-session -t "=$SESSION" 2>/dev/null; then
      RELAUNCHES=$((RELAUNCHES + 1))
      echo "e2e: tmux server lost before any key was sent ($(cat "$TMUX_ERR")); starting again" >&2
      stop
      restore_data
      start "${START_ARGS[@]}"
    else
      fail "tmux capture-pane failed: $(cat "$TMUX_ERR")"
    fi
  done
  mv "$SCREEN.new" "$SCREEN"
}
screen() { snap; cat "$SCREEN"; }
keys() { TYPED=1; tmx send-keys -t "$TARGET" "$@"; }
# paste TEXT: paste TEXT the way a terminal does (bracketed paste, as
# tmux paste-buffer -p sends it when the app asked for it).
paste() {
  TYPED=1
  tmx set-buffer -b e2e -- "$1"
  tmx paste-buffer -p -d -b e2e -t "$TARGET"
}
# typ TEXT: send literal text.
typ() { TYPED=1; tmx send-keys -t "$TARGET" -l -- "$1"; }

# wait_for TEXT [SECONDS]: until the screen shows TEXT, else fail.
wait_for() {
  local text="$1" limit=$((${2:-$WAIT_DEFAULT} * SCALE)) deadline
  deadline=$((SECONDS + limit))
  while :; do
    snap
    grep -qF -- "$text" "$SCREEN" && return 0
    ((SECONDS < deadline)) || break
    sleep 0.1
  done
  fail "timed out after ${limit}s waiting for: $text"
}
# refute TEXT: the screen must not show TEXT now.
refute() {
  snap
  if grep -qF -- "$1" "$SCREEN"; then
    fail "screen unexpectedly shows: $1"
  fi
}
# answer TITLE [TEXT]: once the prompt titled TITLE is open (prompts are
# the double-lined boxes, titled on their top border), type TEXT, see it in
# the input line, press Enter (no TEXT: accept what is there).
answer() {
  wait_for "╔ $1"
  if [ -n "${2:-}" ]; then
    typ "$2"
    wait_for "> $2"
  fi
  keys Enter
}
# say_yes QUESTION: answer a yes/no confirmation once it is on screen. firebreak
# ignores keys that arrive within 150 ms of a confirmation opening (a burst
# of keys is not an answer), so this waits that long after seeing it, as a
# person reading the question would: a deliberate pause, not a readiness
# guess (the question is already on screen).
say_yes() {
  wait_for "$1"
  sleep 0.2
  keys y
}
# confirm_typed NAME: answer a typed confirmation (changes to production)
# by typing the target's name, then Enter.
confirm_typed() {
  wait_for "Type $1 to confirm"
  sleep 0.2
  typ "$1"
  wait_for "> $1"
  keys Enter
}
pass() { echo "e2e: $1: ok"; }

# with_postgres: a PostgreSQL 15 of the script's own, on 127.0.0.1 and a
# free port, in $WORK (stopped on exit); sets URL, and pg_start /
# pg_stop [fast|immediate] stop and start it mid-test.
with_postgres() {
  PG_BIN="${FIREBREAK_PG_BINDIR:-/usr/lib/postgresql/15/bin}"
  [ -x "$PG_BIN/initdb" ] || fail "PostgreSQL 15 missing in $PG_BIN: run tests/setup.sh"
  PGRUN="$WORK/pgrun" # owned by postgres when we are root
  PGDATA="$PGRUN/data"
  PGPORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  trap cleanup_pg EXIT
  chmod 755 "$WORK"
  mkdir -p "$PGDATA"
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres "$PGRUN"; fi
  as_pg "$PG_BIN/initdb" -D "$PGDATA" -U postgres --auth=trust --no-sync -E UTF8 --locale=C >/dev/null
  pg_start
  URL="postgres://postgres@127.0.0.1:$PGPORT/postgres"
}
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_start() {
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PGRUN/pg.log" -w -t 30 \
    -o "-p $PGPORT -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off" start >/dev/null
}
pg_stop() { [ -d "$PGDATA" ] && as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m "${1:-fast}" stop >/dev/null 2>&1 || true; }
# (The exit status is passed on: a failing `(exit "$rc")` here would end
# the trap under `set -e` before cleanup, leaving tmux and $WORK behind.)
cleanup_pg() { local rc=$?; pg_stop immediate; cleanup "$rc"; }
