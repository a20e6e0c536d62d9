#!/usr/bin/env bash
# Two responders, two cockpits, one incident, a real PostgreSQL: alice
# declares it (shared at once), bob joins, each sees the other's notes
# live; the database crashes and comes back, and what alice wrote while
# it was down reaches bob.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

with_postgres # PGDATA, pg_start, pg_stop, URL (lib.sh)
for who in alice bob; do
  mkdir -p "$WORK/$who"
  printf 'responder = "%s"\n[team]\nurl = "%s"\nsslmode = "disable"\nconnect_timeout_secs = 2\n' \
    "$who" "$URL" >"$WORK/$who/config.toml"
done
fb() { local who="$1"; shift; "$BIN" --config "$WORK/$who/config.toml" --data-dir "$WORK/$who-data" "$@"; }
fb alice team init | grep -q "schema version 0 → " || fail "team init"

# Alice: her cockpit (the lib's session), a new incident.
printf -v q_work '%q' "$WORK"
start --config "$WORK/alice/config.toml"
# The lib starts with --data-dir $WORK/data: that is alice's.
wait_for "No open incident"
keys D
answer "Declare" "Checkout errors"
wait_for "Checkout errors"
wait_for "team ✓ only you"
pass "a declared incident is shared at once"
A="$TARGET"
ID="$(basename "$(ls "$WORK"/data/incidents/*.jsonl)" .jsonl)"

# Bob opens his cockpit with nothing open: the picker offers alice's
# incident, and Enter joins it.
printf -v cmd 'env XDG_CONFIG_HOME=%q/config NO_COLOR=1 %q --config %q/bob/config.toml --data-dir %q/bob-data; echo EXITED-$?' \
  "$WORK" "$BIN" "$WORK" "$WORK"
tmx new-session -d -s fb-bob -x "${COLS:-120}" -y "${ROWS:-40}" "$cmd"
B="=fb-bob:"
TARGET="$B"
wait_for "Shared incidents: join one" 20
wait_for "$ID"
keys Enter
wait_for "team ✓ +1" 20
[ -f "$WORK/bob-data/incidents/$ID.jsonl" ] || fail "bob's journal of $ID"
pass "bob's cockpit offers the shared incident at start and joins it"
wait_for "here: alice" 20
TARGET="$A"
wait_for "here: bob" 20
pass "bob joined; each sees who else is looking"

TARGET="$A"
keys n
answer "Note" "error ratio 14 percent"
TARGET="$B"
wait_for "error ratio 14 percent" 10
keys n
answer "Note" "bob: db failover done"
TARGET="$A"
wait_for "bob: db failover done" 10
wait_for "team ✓ +1"
pass "each sees the other's notes live"

pg_stop immediate
TARGET="$A"
wait_for "team: offline" 15
keys n
answer "Note" "written while the database was down"
wait_for "1 to send" 10
pass "offline: alice keeps working, the header counts what waits"
pg_start
wait_for "team ✓ +1" 20
TARGET="$B"
wait_for "written while the database was down" 20
snap
[ "$(grep -c "written while the database was down" "$SCREEN")" -eq 1 ] || fail "shown more than once"
pass "after the outage it reaches bob, once"

# kill -9 between the local append and the send: with the database down,
# alice's note is in her journal and nowhere else when her firebreak dies.
pg_stop immediate
TARGET="$A"
wait_for "team: offline" 15
keys n
answer "Note" "written just before a kill"
wait_for "1 to send" 10
grep -q "written just before a kill" "$WORK/data/incidents/$ID.jsonl" || fail "the note is not in alice's journal"
APANE="$(tmx display-message -p -t "$A" '#{pane_pid}')"
pkill -KILL -P "$APANE" || fail "no firebreak under alice's pane"
wait_for "EXITED-137" 10
pg_start
# Alice starts again: her cockpit resumes the incident and sends the note.
printf -v cmd 'env XDG_CONFIG_HOME=%q/config NO_COLOR=1 %q --config %q/alice/config.toml --data-dir %q/data; echo EXITED-$?' \
  "$WORK" "$BIN" "$WORK" "$WORK"
tmx new-session -d -s fb-alice2 -x "${COLS:-120}" -y "${ROWS:-40}" "$cmd"
A="=fb-alice2:"
TARGET="$A"
wait_for "Checkout errors"
wait_for "team ✓ +1" 20
TARGET="$B"
wait_for "written just before a kill" 20
for T in "$A" "$B"; do
  TARGET="$T"
  snap
  [ "$(grep -c "written just before a kill" "$SCREEN")" -eq 1 ] || fail "the note is not shown exactly once"
  [ "$(grep -c "written while the database was down" "$SCREEN")" -eq 1 ] || fail "an earlier note doubled"
done
[ "$(grep -c "written just before a kill" "$WORK/data/incidents/$ID.jsonl")" -eq 1 ] || fail "journaled twice"
pass "killed between append and send: sent after the restart, once everywhere"

for T in "$B" "$A"; do
  TARGET="$T"
  keys q
  say_yes "Quit anyway?"
  wait_for "EXITED-0"
done
pass "quit"
