#!/usr/bin/env bash
# Status updates, in a real terminal, against a real webhook receiver: the
# demo with a config whose first update is due after one minute and whose
# one channel is a local receiver. The header counts down, then turns
# loud when the update is overdue; `u` opens the editor pre-filled from
# the journal, Ctrl-S records it, the receiver gets it exactly once, the
# timeline says so, the due time moves on; the postmortem lists it.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v python3 >/dev/null || fail "python3 missing: run tests/setup.sh"

# The receiver: records every POST (its Idempotency-Key and JSON body) as
# one line of $POSTS, answers 200; its port goes to $WORK/hook.port.
POSTS="$WORK/posts.jsonl"
cat >"$WORK/hook.py" <<'PY'
import http.server, json, os, sys

posts, portfile = sys.argv[1], sys.argv[2]

class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with open(posts, "a") as f:
            f.write(json.dumps({"key": self.headers.get("Idempotency-Key"),
                                "body": json.loads(body)}) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass

server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
server.serve_forever()
PY
python3 "$WORK/hook.py" "$POSTS" "$WORK/hook.port" &
HOOK_PID=$!
cleanup_hook() {
  local rc=$?
  # Not errexit here: (exit 1) would end the script before cleanup stops
  # the tmux server.
  set +e
  kill "$HOOK_PID" 2>/dev/null || true
  wait "$HOOK_PID" 2>/dev/null || true
  (exit "$rc")
  cleanup
}
trap cleanup_hook EXIT
for ((i = 0; i < 100; i++)); do
  [ -s "$WORK/hook.port" ] && break
  kill -0 "$HOOK_PID" 2>/dev/null || fail "the webhook receiver did not start"
  sleep 0.1
done
[ -s "$WORK/hook.port" ] || fail "the webhook receiver did not say its port"
: >"$POSTS"
# The URL is a secret: in a file, never in the config.
echo "http://127.0.0.1:$(cat "$WORK/hook.port")/hook" >"$WORK/hook.url"
CONFIG="$WORK/config.toml"
cat >"$CONFIG" <<TOML
demo = true

[status_updates]
first_due_minutes = 1

[[status_updates.channels]]
name = "incident-room"
kind = "slack"
url_file = "$WORK/hook.url"
TOML

# Wide enough for the whole health line (the due time is at its end).
COLS=160
start --config "$CONFIG"
wait_for "DEMO"
wait_for "HighErrorRate"
wait_for "update in " # under a minute: "update in 42s"
refute "update overdue"
pass "the header says when the first update is due"

# Overdue: loud, at the start of the health line.
wait_for "update overdue" 120
pass "an overdue update is flagged in the header"

keys u
wait_for " Status update  ("
wait_for "SEV2 investigating, for" # Conditions, pre-filled from the journal
wait_for "Firing:"
pass "u opens the editor pre-filled"

keys C-s
wait_for "Status update u1 (to incident-room)"
wait_for "Status update u1 sent to incident-room"
wait_for "update in 30m" # SEV2's cadence, from now
refute "update overdue"
pass "ctrl-s records and sends it; the due time moves on"

posts="$(wc -l <"$POSTS")"
[ "$posts" -eq 1 ] || fail "the receiver got $posts posts, not 1: $(cat "$POSTS")"
python3 - "$POSTS" <<'PY' || fail "the payload is not the update: $(cat "$POSTS")"
import json, sys
post = json.loads(open(sys.argv[1]).readline())
assert post["key"].startswith("firebreak:") and post["key"].endswith(":u1:incident-room"), post["key"]
body = post["body"]
assert body["text"].startswith("Status update u1 on "), body["text"]
assert len(body["blocks"]) == 5, body["blocks"]
assert "*Conditions*" in body["blocks"][1]["text"]["text"], body["blocks"][1]
PY
pass "the webhook got the payload once"

keys q
say_yes "Quit anyway?"
wait_for "EXITED-0"

# The postmortem lists the update and where it went.
"$BIN" --config "$CONFIG" --data-dir "$WORK/data" timeline export >"$WORK/pm.md" ||
  fail "timeline export failed"
grep -q "^## Status updates" "$WORK/pm.md" || fail "no Status updates section: $(cat "$WORK/pm.md")"
grep -q "^### u1: SEV2" "$WORK/pm.md" || fail "u1 not listed: $(cat "$WORK/pm.md")"
grep -q "  - incident-room: sent (HTTP 200) at " "$WORK/pm.md" ||
  fail "u1's delivery not listed: $(cat "$WORK/pm.md")"
pass "the postmortem lists it with its delivery"
