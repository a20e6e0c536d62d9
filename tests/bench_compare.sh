#!/usr/bin/env bash
# Every figure of the performance issue, side by side with its reference,
# in one run (the machine's speed drifts between runs: compare ratios):
#
#   pull    `firebreak alerts --format json` vs `amtool alert query -o json`
#           vs `curl` of the same URL (the server alone), on PULL_N alerts
#   export  `firebreak timeline export` of a JOURNAL_N-entry incident vs
#           `sha256sum` of its journal; peak memory of the export
#   open    launch to the first frame of the cockpit resuming that incident
#           (benches/startup.py), next to the demo's
#   storm   notes typed in tmux while the cockpit ingests STORM_N alerts
#           with an incident open (benches/storm.py): latency p50/p99/max,
#           peak memory against the response body, event-loop stalls
#
#   tests/bench_compare.sh            full sizes (10k / 100k / 50k), prints Markdown
#   tests/bench_compare.sh --smoke    small sizes, 2 runs: checks that every
#                                     part works (CI runs this; it times nothing)
#
# Needs what tests/setup.sh installs (prometheus-alertmanager, amtool,
# hyperfine, tmux) plus curl, jq, python3 and GNU time. Starts its own
# Alertmanager on a free 127.0.0.1 port in a temp dir, stops it on exit.
set -euo pipefail

PULL_N="${PULL_N:-10000}"
STORM_N="${STORM_N:-50000}"
JOURNAL_N="${JOURNAL_N:-100000}"
RUNS="${RUNS:-10}"
NOTES="${NOTES:-20}"
if [ "${1:-}" = "--smoke" ]; then
  PULL_N=300 STORM_N=600 JOURNAL_N=2000 RUNS=2 NOTES=3
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { printf 'bench: %s\n' "$*" >&2; }

for b in prometheus-alertmanager amtool hyperfine curl jq tmux python3 sha256sum; do
  command -v "$b" >/dev/null 2>&1 || { say "$b is missing: run tests/setup.sh"; exit 1; }
done
[ -x /usr/bin/time ] || { say "/usr/bin/time (GNU time) is missing"; exit 1; }

free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  say "no free port found"
  exit 1
}

TMP="$(mktemp -d)"
AM_PID=""
cleanup() {
  [ -n "$AM_PID" ] && kill "$AM_PID" 2>/dev/null && wait "$AM_PID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

say "building firebreak and the journal generator (release)"
(cd "$ROOT" && cargo build --release --quiet --bin firebreak --example gen_journal)
FB="$ROOT/target/release/firebreak"
GEN="$ROOT/target/release/examples/gen_journal"
CFG="$TMP/xdg"
mkdir -p "$CFG"

PORT="$(free_port)"
URL="http://127.0.0.1:$PORT"
cat >"$TMP/am.yml" <<'EOF'
route:
  receiver: "null"
  group_by: [alertname, service]
receivers:
  - name: "null"
EOF
say "starting Alertmanager on $URL"
prometheus-alertmanager --config.file="$TMP/am.yml" --storage.path="$TMP/data" \
  --web.listen-address="127.0.0.1:$PORT" --web.external-url="$URL/" \
  --cluster.listen-address= --log.level=warn >"$TMP/am.log" 2>&1 &
AM_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "$URL/-/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$URL/-/ready" >/dev/null || { say "Alertmanager did not start:"; cat "$TMP/am.log" >&2; exit 1; }

# push FROM TO: alerts FROM..TO-1, 1,000 per request (~560 bytes each in
# Alertmanager's answer: six labels, two annotations).
ENDS="$(date -u -d '+3 hours' +%Y-%m-%dT%H:%M:%SZ)"
push() {
  local from to end
  for ((from = $1; from < $2; from += 1000)); do
    end=$((from + 1000 < $2 ? from + 1000 : $2))
    jq -nc --argjson from "$from" --argjson to "$end" --arg ends "$ENDS" '
      ["checkout","search","payments","db","auth","cart","api","web"] as $svc
      | ["critical","warning","info"] as $sev
      | [range($from; $to) | . as $i | {
          labels: {alertname: ("HighErrorRate" + ($i % 50 | tostring)), service: $svc[$i % 8],
                   severity: $sev[$i % 3], instance: ($svc[$i % 8] + "-" + ($i | tostring) + ":9100"),
                   env: "prod", cluster: ("eu-" + ($i % 3 | tostring))},
          annotations: {summary: ($svc[$i % 8] + " instance " + ($i | tostring) + " error ratio above threshold"),
                        runbook_url: ("https://runbooks.example/" + $svc[$i % 8])},
          generatorURL: "http://prometheus.example:9090/graph?g0.expr=up",
          endsAt: $ends}]' >"$TMP/batch.json"
    curl -fsS -X POST -H 'Content-Type: application/json' --data-binary "@$TMP/batch.json" "$URL/api/v2/alerts" >/dev/null
  done
}
holds() {
  local want=$1 have=0
  for _ in $(seq 1 100); do
    have="$(curl -fsS "$URL/api/v2/alerts" | jq length)"
    [ "$have" -ge "$want" ] && break
    sleep 0.2
  done
  echo "$have"
}

ms() { jq -r "$1 * 1000 | . * 10 | round / 10"; }

# --- pull ------------------------------------------------------------------
say "pull: pushing $PULL_N alerts"
push 0 "$PULL_N"
have="$(holds "$PULL_N")"
fb_n="$(XDG_CONFIG_HOME="$CFG" "$FB" alerts --alertmanager "$URL" --format json | jq length)"
am_n="$(amtool alert query --alertmanager.url="$URL" -o json | jq length)"
say "Alertmanager holds $have alerts; firebreak printed $fb_n, amtool $am_n"
[ "$fb_n" = "$am_n" ] && [ "$fb_n" = "$have" ] || { say "they disagree"; exit 1; }
body="$(curl -fsS "$URL/api/v2/alerts" | wc -c)"
hyperfine -N --style basic --warmup 3 --runs "$RUNS" --export-json "$TMP/pull.json" \
  -n firebreak "env XDG_CONFIG_HOME=$CFG $FB alerts --alertmanager $URL --format json" \
  -n amtool "amtool alert query --alertmanager.url=$URL -o json" \
  -n curl "curl -fsS -o /dev/null $URL/api/v2/alerts" >&2
pull_peak="$( { /usr/bin/time -f '%M' env XDG_CONFIG_HOME="$CFG" "$FB" alerts --alertmanager "$URL" --format json >/dev/null; } 2>&1 | tail -1)"

# --- export and open -------------------------------------------------------
say "export: writing a $JOURNAL_N-entry journal"
DATA="$TMP/journal-data"
mkdir -p "$DATA"
JOURNAL="$("$GEN" "$DATA" inc-big "$JOURNAL_N")"
jbytes="$(wc -c <"$JOURNAL")"
"$FB" --data-dir "$DATA" timeline export --incident inc-big -o "$TMP/export.md" 2>/dev/null
rows="$(grep -c '^| ' "$TMP/export.md" || true)"
[ "$rows" -ge "$JOURNAL_N" ] || { say "the export has $rows table rows for $JOURNAL_N entries"; exit 1; }
hyperfine -N --style basic --warmup 2 --runs "$RUNS" --export-json "$TMP/export.json" \
  -n export "$FB --data-dir $DATA timeline export --incident inc-big -o /dev/null" \
  -n sha256sum "sha256sum $JOURNAL" >&2
export_peak="$( { /usr/bin/time -f '%M' "$FB" --data-dir "$DATA" timeline export --incident inc-big -o /dev/null; } 2>&1 | tail -1)"

say "open: the cockpit resuming the $JOURNAL_N-entry incident"
OPEN_RUNS=$((RUNS < 5 ? RUNS : 5))
open_big="$(python3 "$ROOT/benches/startup.py" --bin "$FB" --runs "$OPEN_RUNS" --data "$DATA" --words "Checkout errors in EU" --json)"
open_demo="$(python3 "$ROOT/benches/startup.py" --bin "$FB" --runs "$OPEN_RUNS" --json)"

# --- storm -----------------------------------------------------------------
say "storm: pushing up to $STORM_N alerts"
push "$PULL_N" "$STORM_N"
holds "$STORM_N" >/dev/null
storm="$(python3 "$ROOT/benches/storm.py" --am "$URL" --bin "$FB" --gen "$GEN" --notes "$NOTES" --json)"
echo "$storm" | jq -e '.note_max_ms != null and .note_max_ms < 1e9' >/dev/null \
  || { say "a note typed during the storm never appeared: $storm"; exit 1; }

# --- the table -------------------------------------------------------------
am_v="$(prometheus-alertmanager --version 2>&1 | head -1 | cut -d' ' -f3)"
pf="$(jq '.results[0].mean' "$TMP/pull.json")"
pa="$(jq '.results[1].mean' "$TMP/pull.json")"
pc="$(jq '.results[2].mean' "$TMP/pull.json")"
ef="$(jq '.results[0].mean' "$TMP/export.json")"
es="$(jq '.results[1].mean' "$TMP/export.json")"
ratio() { jq -n "$1 / $2 * 100 | round / 100"; }
cat <<EOF
| what | firebreak | reference | ratio | goal |
|---|---|---|---|---|
| pull $PULL_N alerts ($((body / 1024)) KiB, Alertmanager $am_v), mean of $RUNS | $(echo "$pf" | ms .) ms | amtool $(echo "$pa" | ms .) ms | $(ratio "$pf" "$pa") | <= 0.4 |
| the same | | curl (server alone) $(echo "$pc" | ms .) ms | $(ratio "$pf" "$pc") | <= 1.15 |
| pull: peak memory | $((pull_peak / 1024)) MiB | body $((body / 1048576)) MiB | | |
| export $JOURNAL_N entries ($((jbytes / 1048576)) MiB), mean of $RUNS | $(echo "$ef" | ms .) ms | sha256sum $(echo "$es" | ms .) ms | $(ratio "$ef" "$es") | <= 2.5 |
| export: peak memory | $((export_peak / 1024)) MiB | | | < 80 MiB |
| open the $JOURNAL_N-entry incident, first frame (median) | $(echo "$open_big" | jq .median_ms) ms | the demo $(echo "$open_demo" | jq .median_ms) ms | | < 300 ms |
| storm: $(echo "$storm" | jq .alerts) alerts ($(echo "$storm" | jq .body_mib) MiB), note on screen p50 / p99 / max ($(echo "$storm" | jq .notes) notes) | $(echo "$storm" | jq .note_p50_ms) / $(echo "$storm" | jq .note_p99_ms) / $(echo "$storm" | jq .note_max_ms) ms | | | p99 <= 500 ms |
| storm: event-loop turns over 16 ms, worst | $(echo "$storm" | jq .stalls_over_16ms), $(echo "$storm" | jq .worst_stall_ms) ms | | | none |
| storm: peak memory | $(echo "$storm" | jq .peak_mib) MiB | body $(echo "$storm" | jq .body_mib) MiB | $(echo "$storm" | jq .peak_over_body) | <= 3 |
| storm: journal entries for the alerts | $(echo "$storm" | jq .journal_entries) | | | |
| storm: all alerts on screen after launch | $(echo "$storm" | jq .storm_on_screen_s) s | | | |
EOF
