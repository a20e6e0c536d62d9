#!/usr/bin/env bash
# Evidence in a real terminal: the demo's guilty flag turned off, the
# panels read at the flip and again once it settled (15 s here:
# [evidence] settle_minutes), the chart marker carrying the before and
# after, enter on it showing the entry, and the postmortem's Actions
# taken row with the pair.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mkdir -p "$WORK/config/firebreak"
cat >"$WORK/config/firebreak/config.toml" <<'TOML'
demo = true
[evidence]
settle_minutes = 0.25
TOML

COLS=160 ROWS=45 start
wait_for "DEMO"
wait_for "HighErrorRate"
keys 4 j j x
confirm_typed new-checkout-flow
wait_for "Evidence at flag new-checkout-flow off: Error ratio"
pass "the panels are read at the flip"
wait_for "Evidence for flag new-checkout-flow off: Error ratio" 60
wait_for "(15s after)"
pass "and again once it settled"

keys 2
wait_for "┏ 2 Metrics"
wait_for "▲ new-checkout-flow"
snap
grep -E '▲ new-checkout-flow .* ago: Error ratio [0-9.]+% → [0-9.]+%' "$SCREEN" >/dev/null ||
  fail "the marker's line does not carry the before and after"
pass "the chart marker carries the before and after"
keys Enter
wait_for "┏ 3 Timeline"
pass "enter on the marker shows its evidence on the timeline"

keys e
wait_for "postmortem.md"
md="$(ls "$WORK"/data/exports/*-postmortem.md)"
grep -E '^\| .* \| flag off \| new-checkout-flow .*\| Error ratio [0-9.]+% → [0-9.]+%.*\(15s after\)' "$md" >/dev/null ||
  fail "no evidence in the Actions taken row: $(grep '| flag off |' "$md")"
pass "the postmortem's Actions taken row has the evidence"

keys q
say_yes "Quit anyway?"
wait_for "EXITED-0"
pass "quit"
