#!/usr/bin/env bash
# The metrics pane at 80x24 without colour (lib.sh starts with NO_COLOR=1),
# in a real terminal: no bar in reverse video (a critical bar used to read
# as empty), `w` redraws the bars over the new window once Prometheus (here
# the demo) answered for it, a time axis, and a ▲ where a flag was turned
# off.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

COLS=80 ROWS=24 start
wait_for "DEMO"
wait_for "HighErrorRate"
wait_for "-15m"
# The metrics pane focused: no selected row elsewhere is in reverse video.
keys 2
wait_for "┏ 2 Metrics"
# The row of bars under "Error ratio", with its escape sequences.
bars_sgr() {
  tmx capture-pane -p -e -t "$TARGET" >"$WORK/sgr"
  grep -A1 "Error ratio" "$WORK/sgr" | tail -1
}
# (an empty capture would pass: the row must be there)
[ -n "$(bars_sgr)" ] || fail "no row of bars under Error ratio"
if bars_sgr | grep -qE $'\e\\[([0-9]+;)*7m'; then
  fail "a bar is drawn in reverse video: $(bars_sgr | cat -v)"
fi
pass "no bar in reverse video without colour"

high_bars() {
  snap
  grep -A1 "Error ratio" "$SCREEN" | tail -1 | grep -o '[▆▇█]' | wc -l
}
before=$(high_bars)
((before >= 2)) || fail "expected high error-ratio bars at 15m, got $before"
keys w
wait_for "Metrics 1h"
wait_for "-1h"
# The answer for the hour has come when the first columns have data.
deadline=$((SECONDS + 30 * SCALE))
while :; do
  snap
  grep -A1 "Error ratio" "$SCREEN" | tail -1 | grep -qE '[│┃]▁' && break
  ((SECONDS < deadline)) || fail "the bars never covered the hour"
  sleep 0.2
done
after=$(high_bars)
((after >= 1 && after < before)) || fail "15m: $before high bars, 1h: $after"
pass "w redraws the bars over the hour ($before high bars at 15m, $after at 1h)"
keys w w
wait_for "-15m"

keys 4 j j x
confirm_typed new-checkout-flow
wait_for "▲ new-checkout-flow"
# The axis row itself carries the marker (`-15m ... ▲ ... now`, the label
# kept a space away from it).
for ((i = 0; i < 50; i++)); do
  snap
  grep -qE -- '-15m .*▲' "$SCREEN" && break
  sleep 0.1
done
grep -qE -- '-15m .*▲' "$SCREEN" || fail "no ▲ on the time axis"
pass "a ▲ on the time axis where the flag was turned off"

keys q
say_yes "Quit anyway?"
wait_for "EXITED-0"
pass "quit"
