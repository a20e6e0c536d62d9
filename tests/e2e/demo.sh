#!/usr/bin/env bash
# The foundation's "done when", as a newcomer would do it in a terminal:
# run the demo, note, severity, impact start, turn the guilty flag off,
# watch the alerts resolve, quit, restart to find the incident resumed,
# export a postmortem whose timeline matches.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start
wait_for "DEMO"
wait_for "HighErrorRate"
wait_for "Alert firing: HighErrorRate"

keys n
answer "Note " "errors started right after the deploy"
wait_for "Note: errors started right after the deploy"

keys s
wait_for "critical: major customer impact" # the severity chooser is open
keys 1
wait_for "Severity SEV2 -> SEV1"

keys i
answer "Impact started at (" "-10m"
wait_for "Impact started at"

# Flags pane, find the guilty flag with the filter, turn it off.
keys 4
wait_for "┏ 4 Flags" # the focused pane has the heavy border
keys /
answer "Filter flags" "new-checkout"
keys x
wait_for "Turn flag new-checkout-flow OFF"
confirm_typed new-checkout-flow
wait_for "Flag new-checkout-flow (demo) turned off: was on,"

# The simulated world recovers; alerts resolve after their delay.
wait_for "Alert resolved: HighErrorRate" 300
keys S
wait_for "mitigation applied, watching" # the status chooser is open
keys 3
wait_for "Status investigating -> monitoring"

# Quit asks while open; say yes.
keys q
say_yes "Quit anyway?"
wait_for "EXITED-0"
pass "demo incident handled and quit"

stop
start
wait_for "Resumed incident"
wait_for "Note: errors started right after the deploy"
refute "No open incident"
keys q
say_yes "Quit anyway?"
wait_for "EXITED-0"
pass "incident resumed after restart"

out="$WORK/pm.md"
"$BIN" --data-dir "$WORK/data" timeline export -o "$out" 2>/dev/null
for want in "# Postmortem: Checkout errors" "errors started right after the deploy" \
  "Severity SEV2 -> SEV1" "new-checkout-flow" "Alert resolved: HighErrorRate" "## Action Items"; do
  grep -qF -- "$want" "$out" || { echo "e2e: export lacks: $want" >&2; cat "$out" >&2; exit 1; }
done
pass "postmortem exported"
