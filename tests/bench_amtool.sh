#!/usr/bin/env bash
# `firebreak alerts --format json` against `amtool alert query -o json`,
# side by side, on one Alertmanager holding 10,000 alerts (goal: firebreak
# at most half of amtool's wall time).
#
#   tests/bench_amtool.sh [N_ALERTS] [RUNS]
#
# Needs what tests/setup.sh installs (prometheus-alertmanager, amtool,
# hyperfine) plus curl and jq. Starts its own Alertmanager on a free
# 127.0.0.1 port in a temp dir and stops it on exit. Builds firebreak in
# release mode. Prints a Markdown table for BENCHMARKS.md.
set -euo pipefail

N="${1:-10000}"
RUNS="${2:-20}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { printf 'bench: %s\n' "$*" >&2; }

for b in prometheus-alertmanager amtool hyperfine curl jq; do
  command -v "$b" >/dev/null 2>&1 || { say "$b is missing: run tests/setup.sh"; exit 1; }
done

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

say "pushing $N alerts"
ENDS="$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)"
BATCH=1000
for ((from = 0; from < N; from += BATCH)); do
  to=$((from + BATCH < N ? from + BATCH : N))
  jq -nc --argjson from "$from" --argjson to "$to" --arg ends "$ENDS" '
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
for _ in $(seq 1 100); do
  have="$(curl -fsS "$URL/api/v2/alerts" | jq length)"
  [ "$have" -ge "$N" ] && break
  sleep 0.2
done
say "Alertmanager holds $have alerts"

say "building firebreak (release)"
(cd "$ROOT" && cargo build --release --quiet)
FB="$ROOT/target/release/firebreak"
CFG="$TMP/xdg"
mkdir -p "$CFG"

# Same alerts from both (no silences: amtool's default "active" set is all).
fb_n="$(XDG_CONFIG_HOME="$CFG" "$FB" alerts --alertmanager "$URL" --format json | jq length)"
am_n="$(amtool alert query --alertmanager.url="$URL" -o json | jq length)"
say "firebreak printed $fb_n alerts, amtool $am_n"
[ "$fb_n" = "$am_n" ] || { say "the two disagree"; exit 1; }

hyperfine --style basic --warmup 3 --runs "$RUNS" --export-json "$TMP/hf.json" \
  -n firebreak "XDG_CONFIG_HOME=$CFG $FB alerts --alertmanager $URL --format json >/dev/null" \
  -n amtool "amtool alert query --alertmanager.url=$URL -o json >/dev/null" \
  -n "curl (server floor)" "curl -fsS $URL/api/v2/alerts >/dev/null" >&2

jq -r --arg n "$N" --arg am "$(prometheus-alertmanager --version 2>&1 | head -1 | cut -d' ' -f3)" '
  (.results | map({(.command): .}) | add) as $r
  | $r["curl (server floor)"] as $c
  | "| alerts | firebreak mean ± sd | amtool mean ± sd | ratio (firebreak / amtool) | curl (server alone) | client time above curl: firebreak / amtool |",
    "|---|---|---|---|---|---|",
    "| \($n) (Alertmanager \($am)) | \($r.firebreak.mean * 1000 | floor) ± \($r.firebreak.stddev * 1000 | floor) ms | \($r.amtool.mean * 1000 | floor) ± \($r.amtool.stddev * 1000 | floor) ms | \(($r.firebreak.mean / $r.amtool.mean) * 100 | floor / 100) | \($c.mean * 1000 | floor) ms | \((($r.firebreak.mean - $c.mean) * 1000) | floor) ms / \((($r.amtool.mean - $c.mean) * 1000) | floor) ms |"
' "$TMP/hf.json"
