#!/usr/bin/env bash
# Two windows on one incident, as two tired responders would open them:
# the second is read-only and says who writes; it follows live; a headless
# note reaches both; when the writer quits, the second takes over.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start
wait_for "DEMO"
wait_for "HighErrorRate"
A="$TARGET"

# The second window: same data directory, same incident.
printf -v cmd 'env XDG_CONFIG_HOME=%q/config NO_COLOR=1 %q --data-dir %q/data; echo EXITED-$?' \
  "$WORK" "$BIN" "$WORK"
tmx new-session -d -s fb-b -x "${COLS:-120}" -y "${ROWS:-40}" "$cmd"
B="=fb-b:"

TARGET="$B"
wait_for "VIEW ONLY"
wait_for "writes this incident · following live"
wait_for "(pid "
keys n
wait_for "View only, nothing done"
refute "╔ Note"
keys Escape
keys x
wait_for "View only, nothing done"
refute "Type "
pass "the second window is read-only, says who writes, and refuses to write"

TARGET="$A"
refute "VIEW ONLY"
keys n
answer "Note" "seen from the first window"
wait_for "Note: seen from the first window"
TARGET="$B"
wait_for "Note: seen from the first window" 5
pass "the follower shows the writer's note live"

env XDG_CONFIG_HOME="$WORK/config" "$BIN" --data-dir "$WORK/data" note "headless hello" >"$WORK/note.out"
grep -q "noted on incident" "$WORK/note.out" || fail "firebreak note: $(cat "$WORK/note.out")"
TARGET="$A"
wait_for "Note: headless hello" 5
TARGET="$B"
wait_for "Note: headless hello" 5
pass "a headless note lands on the open incident, in both windows"

TARGET="$A"
keys q
say_yes "Quit anyway?"
wait_for "EXITED-0"
TARGET="$B"
wait_for "has quit"
keys C-t
wait_for "You write this incident now"
refute "VIEW ONLY"
keys n
answer "Note" "the second window writes now"
wait_for "Note: the second window writes now"
pass "after the writer quits, the second window takes over and writes"

keys q
say_yes "Quit anyway?"
wait_for "EXITED-0"
tm kill-session -t "=fb-b" 2>/dev/null || true
pass "quit"
