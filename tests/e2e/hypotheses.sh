#!/usr/bin/env bash
# Quick hypotheses in a real terminal, with 6-second time boxes from the
# config: two tries expire, firebreak moves to the systematic path, and the
# exported postmortem tells the story.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mkdir -p "$WORK/config/firebreak"
cat > "$WORK/config/firebreak/config.toml" <<'TOML'
responder = "e2e"
demo = true
[hypotheses]
default_box_minutes = 0.1
max_quick = 2
quick_budget_minutes = 5
extension_minutes = 0.1
TOML

start
wait_for "DEMO"
wait_for "quick 0/2"

keys h
answer "Quick hypothesis: what do you think is wrong?" "pool too small after deploy"
answer "Quick action you will try" "raise pool size"
answer "Time box (5m, 10m" # the default box (6s)
# The one check bound to the clock: the countdown shows during the 6s box.
wait_for "H1 "
wait_for "left"
wait_for "Hypothesis H1: pool too small after deploy"
wait_for "Time box for H1"
wait_for "OVER by"
keys h
wait_for "it was wrong (kept as knowledge)" # the outcome chooser is open
keys 2
answer "What did we learn" "pool was fine"
wait_for "H1 refuted: pool was fine"

keys h
answer "Quick hypothesis: what do you think is wrong?" "stale price cache"
answer "Quick action you will try"
answer "Time box (5m, 10m"
wait_for "Hypothesis H2: stale price cache"
wait_for "Time box for H2"
keys h
wait_for "it was wrong (kept as knowledge)"
keys 2
answer "What did we learn"
wait_for "H2 refuted"
wait_for "SYSTEMATIC"
wait_for "Switched to the SYSTEMATIC path"

keys q
say_yes "Quit anyway?"
wait_for "EXITED-0"
pass "two time boxes spent, switched to the systematic path"

out="$WORK/pm.md"
"$BIN" --data-dir "$WORK/data" timeline export -o "$out" 2>/dev/null
for want in "## Hypotheses tried" "### H1: pool too small after deploy" "Quick action: raise pool size" \
  "Outcome: **refuted**" "### H2: stale price cache" "Switched to the systematic path at"; do
  grep -qF -- "$want" "$out" || { echo "e2e: export lacks: $want" >&2; cat "$out" >&2; exit 1; }
done
pass "hypotheses in the postmortem"
