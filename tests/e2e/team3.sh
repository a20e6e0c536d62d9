#!/usr/bin/env bash
# Three responders, three cockpits, one incident, a real PostgreSQL, with
# the two-person rule on dangerous steps: alice declares, bob and carol
# join and everyone sees who is here; alice hands IC to bob, carol takes
# comms; notes reach the other two, once; alice's production rollback (a
# dangerous playbook command) waits until bob approves, then runs once;
# the database crashes, alice and carol keep writing, and every note
# reaches every cockpit once it is back; the export holds everyone's
# entries, every feed verified.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
COLS=200 # the timeline's lines whole (who approved the rollback)
ROWS=50

with_postgres # PGDATA, pg_start, pg_stop, URL (lib.sh)
for who in alice bob carol; do
  mkdir -p "$WORK/$who/playbooks"
  printf 'responder = "%s"\n[team]\nurl = "%s"\nsslmode = "disable"\nconnect_timeout_secs = 2\ntwo_person = ["dangerous"]\n' \
    "$who" "$URL" >"$WORK/$who/config.toml"
done
fb() { local who="$1"; shift; "$BIN" --config "$WORK/$who/config.toml" --data-dir "$WORK/$who-data" "$@"; }
fb alice team init | grep -q "schema version 0 → " || fail "team init"

# The team's deploy tool: each rollback it carries out is one line in
# $ROLLBACKS. Alice's `rollback` playbook (next to her config: it replaces
# the shipped one) calls it in a dangerous step, on production.
ROLLBACKS="$WORK/rollbacks.log"
mkdir -p "$WORK/bin"
cat >"$WORK/bin/deployctl" <<EOF
#!/bin/sh
echo "rollback \$*" >>"$ROLLBACKS"
echo "checkout rolled back to v2.13.4"
EOF
chmod +x "$WORK/bin/deployctl"
# On every cockpit's PATH: the tmux server, started below, passes the
# script's environment on.
export PATH="$WORK/bin:$PATH"
cat >"$WORK/alice/playbooks/rollback.toml" <<EOF
name = "rollback"
title = "Roll back checkout"
description = "Put the previous release of checkout back with the deploy tool."
environment = "production"

[[steps]]
title = "Roll back"
kind = "command"
argv = ["deployctl", "rollback", "checkout"]
dangerous = true
target = "checkout"
timeout = "30s"
EOF
fb alice playbook check "$WORK/alice/playbooks/rollback.toml" >"$WORK/check.out" 2>&1 ||
  fail "playbook check: $(cat "$WORK/check.out")"

# on WHO: the following keys and waits are at WHO's cockpit.
A="$TARGET"
on() { if [ "$1" = alice ]; then TARGET="$A"; else TARGET="=fb-$1:"; fi; }
# open_cockpit WHO: WHO's cockpit in a session of this script's server.
open_cockpit() {
  local cmd
  printf -v cmd 'env XDG_CONFIG_HOME=%q/config NO_COLOR=1 %q --config %q/%s/config.toml --data-dir %q/%s-data; echo EXITED-$?' \
    "$WORK" "$BIN" "$WORK" "$1" "$WORK" "$1"
  tmx new-session -d -s "fb-$1" -x "$COLS" -y "$ROWS" "$cmd"
}
# once TEXT: the current screen shows TEXT exactly once.
once() {
  local n
  snap
  n="$(grep -cF -- "$1" "$SCREEN" || true)"
  [ "$n" -eq 1 ] || fail "shown $n times, not once: $1"
}
# pick LABEL: in an open chooser, press the digit of the row LABEL.
pick() {
  local d
  wait_for "$1"
  d="$(grep -oE "[0-9]+ $1" "$SCREEN" | head -1 | cut -d' ' -f1)"
  [ -n "$d" ] || fail "no chooser row: $1"
  keys "$d"
}
# note WHO TEXT: WHO adds a note.
note() {
  on "$1"
  keys n
  answer "Note" "$2"
}
# rollbacks: how many rollbacks the deploy tool carried out.
rollbacks() { if [ -f "$ROLLBACKS" ]; then wc -l <"$ROLLBACKS"; else echo 0; fi; }

# 1. Alice declares in her cockpit (the lib's session: its data dir,
# $WORK/data, is hers); bob and carol join headless, then open theirs.
start --config "$WORK/alice/config.toml"
wait_for "No open incident"
keys D
answer "Declare" "Checkout errors after v2.14.0"
wait_for "Checkout errors after v2.14.0"
wait_for "team ✓ only you"
ID="$(basename "$(ls "$WORK"/data/incidents/*.jsonl)" .jsonl)"
for who in bob carol; do
  "$BIN" --config "$WORK/$who/config.toml" --data-dir "$WORK/$who-data" team join "$ID" >"$WORK/join.out" 2>&1 ||
    fail "$who: team join: $(cat "$WORK/join.out")"
  grep -q "joined incident $ID" "$WORK/join.out" || fail "$who: team join: $(cat "$WORK/join.out")"
  open_cockpit "$who"
  on "$who"
  wait_for "Checkout errors after v2.14.0"
done
on alice
wait_for "team ✓ +2"
wait_for "here: bob, carol" 30
on bob
wait_for "here: alice, carol" 30
on carol
wait_for "here: alice, bob" 30
pass "alice declared, bob and carol joined; each sees the other two here"

# 2. Roles: alice, IC by declaring, hands it to bob; carol takes comms.
on alice
wait_for "IC alice"
keys c
wait_for "╔ Roles"
pick "Hand IC to bob"
say_yes "Hand incident commander to bob?"
for who in alice bob carol; do
  on "$who"
  wait_for "IC bob"
done
on carol
keys c
wait_for "╔ Roles"
pick "Take comms"
for who in alice bob carol; do
  on "$who"
  wait_for "IC bob · comms carol" 20
  wait_for "alice → bob"
done
pass "IC handed alice → bob, carol took comms: every header says so"

# 3. Notes from each reach the other two, once.
note alice "alice: error ratio 14 percent since 14:02"
note bob "bob: v2.14.0 went out at 14:01"
note carol "carol: status page updated"
for who in alice bob carol; do
  on "$who"
  for text in "alice: error ratio 14 percent since 14:02" "bob: v2.14.0 went out at 14:01" "carol: status page updated"; do
    wait_for "$text" 20
    once "$text"
  done
done
pass "each responder's note reaches the other two, once"

# 4. The two-person rule: alice's production rollback waits for bob.
on alice
keys :
typ "run playbook rollback"
wait_for "Run playbook rollback: Roll back checkout"
keys Enter
wait_for "Roll back checkout [run-1]"
wait_for "○  1 ⚠ Roll back"
keys Enter
confirm_typed checkout
wait_for "⌛ alice/1 waits for a second responder's approval" 20
[ "$(rollbacks)" -eq 0 ] || fail "the rollback ran before anyone approved it"
on carol
wait_for "⚑ alice asks your approval" 20
on bob
wait_for "⚑ alice asks your approval" 20
keys A
confirm_typed approve
wait_for "Approved alice/1" 20
on alice
wait_for "checkout rolled back to v2.13.4" 30
keys Escape
wait_for "approved by bob (alice/1)"
refute "⌛ alice/1"
[ "$(rollbacks)" -eq 1 ] || fail "the deploy tool ran $(rollbacks) times, not once: $(cat "$ROLLBACKS")"
for who in bob carol; do
  on "$who"
  wait_for "approved by bob (alice/1)" 20
  refute "⚑ alice asks"
done
pass "alice's rollback waited for bob's approval, then ran once"

# 5. The database crashes; alice and carol keep writing.
pg_stop immediate
for who in alice bob carol; do
  on "$who"
  wait_for "team: offline" 20
done
note carol "carol: written while the database was down"
wait_for "team: offline · 1 to send" 10
note alice "alice: error ratio back under 1 percent"
wait_for "team: offline · 1 to send" 10
pass "offline: alice and carol keep working, their headers count what waits"
pg_start
for who in alice bob carol; do
  on "$who"
  wait_for "team ✓ +2" 30
  for text in "carol: written while the database was down" "alice: error ratio back under 1 percent"; do
    wait_for "$text" 30
    once "$text"
  done
done
pass "after the outage every cockpit has every note, once"

# 6. The export, headless, while carol's cockpit runs: everyone's entries,
# every feed verified.
fb carol timeline export --format json >"$WORK/export.json" 2>"$WORK/export.err" ||
  fail "timeline export: $(cat "$WORK/export.err")"
python3 - "$WORK/export.json" <<'PY' || fail "export: see above"
import json, sys
v = json.load(open(sys.argv[1]))
notes = [e["event"]["text"] for e in v["entries"] if e["event"]["kind"] == "note"]
want = [
    "alice: error ratio 14 percent since 14:02",
    "bob: v2.14.0 went out at 14:01",
    "carol: status page updated",
    "carol: written while the database was down",
    "alice: error ratio back under 1 percent",
]
bad = [w for w in want if notes.count(w) != 1]
feeds = v["feeds"]
who = sorted(f["responder"] for f in feeds)
ok = not bad and who == ["alice", "bob", "carol"] and all(f["verified"] for f in feeds)
approvals = [e for e in v["entries"] if e["event"]["kind"] == "approval_given"]
ok = ok and len(approvals) == 1 and approvals[0]["actor"] == "bob"
if not ok:
    print("notes not there once:", bad, "\nnotes:", notes, "\nfeeds:", feeds, "\napprovals:", approvals, file=sys.stderr)
    sys.exit(1)
PY
fb carol timeline export >"$WORK/export.md" 2>"$WORK/export.err" ||
  fail "timeline export: $(cat "$WORK/export.err")"
grep -q "## Responders' feeds" "$WORK/export.md" || fail "export: no section on the feeds"
[ "$(grep -c '| yes |' "$WORK/export.md")" -eq 3 ] || fail "export: not every feed verified: $(grep '|' "$WORK/export.md")"
grep -q "approved by bob (alice/1)" "$WORK/export.md" || fail "export: the rollback does not say who approved it"
pass "carol's export holds everyone's entries, each feed verified"

# 7. Everyone quits; the rollback still ran exactly once.
for who in carol bob alice; do
  on "$who"
  keys q
  say_yes "Quit anyway?"
  wait_for "EXITED-0"
done
[ "$(rollbacks)" -eq 1 ] || fail "the deploy tool ran $(rollbacks) times, not once: $(cat "$ROLLBACKS")"
pass "quit"
