#!/usr/bin/env bash
# Install what the integration tests need, idempotently: nothing is
# downloaded or installed when it is already there. CI runs it before
# `cargo test`; run it once on a new machine.
#
#   tests/setup.sh            everything
#   tests/setup.sh unleash    only the named parts
#
# Each part is one function between BEGIN/END markers; add new parts the
# same way and list them in PARTS at the bottom.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { printf 'setup: %s\n' "$*" >&2; }

# apt_install PKG...: install the Debian packages that are missing.
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# --- BEGIN unleash: PostgreSQL 15 + unleash-server 7.5.1 (npm) on Node 20 ---
# For tests/flags_unleash.rs, whose harness (tests/support/unleash.rs)
# starts both servers itself on 127.0.0.1 high ports, in a temp dir.
setup_unleash() {
  apt_install postgresql-15 postgresql-client-15
  local bindir=/usr/lib/postgresql/15/bin
  [ -x "$bindir/initdb" ] && [ -x "$bindir/postgres" ] || { say "PostgreSQL 15 binaries missing in $bindir"; return 1; }
  # Debian's own cluster is not used: the tests run their own server.
  if ! command -v node >/dev/null 2>&1; then
    say "Node.js 20 or later is needed for unleash-server 7.5.1 and is not installed (Debian 12 only packages Node 18)"
    return 1
  fi
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$major" -lt 20 ]; then
    say "Node.js $(node --version) is too old: unleash-server 7.5.1 needs Node 20 or later"
    return 1
  fi
  local dir="$ROOT/tests/servers/unleash"
  local stamp="$dir/node_modules/.firebreak-lock.sha256"
  local want
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$dir/node_modules/unleash-server/package.json" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    say "unleash-server already installed ($(node -p "require('$dir/node_modules/unleash-server/package.json').version"))"
  else
    say "npm ci in tests/servers/unleash (unleash-server 7.5.1)"
    (cd "$dir" && SCARF_ANALYTICS=false npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
  fi
}
# --- END unleash ---

# --- BEGIN prometheus: Prometheus + Alertmanager + amtool (Debian) + hyperfine ---
# For tests/alertmanager.rs, tests/prometheus.rs and tests/bench_compare.sh;
# the harness (tests/support/servers.rs) starts the servers itself on
# 127.0.0.1 high ports, in temp dirs (Debian does not start them here).
setup_prometheus() {
  apt_install prometheus prometheus-alertmanager hyperfine
  local b
  for b in prometheus prometheus-alertmanager amtool; do
    command -v "$b" >/dev/null 2>&1 || { say "$b is missing after installing the Debian packages"; return 1; }
  done
  say "prometheus $(prometheus --version 2>&1 | head -1 | cut -d' ' -f3), alertmanager $(prometheus-alertmanager --version 2>&1 | head -1 | cut -d' ' -f3)"
}
# --- END prometheus ---

# --- BEGIN tools: tmux for the end-to-end checks in tests/e2e/ and the
# storm bench; openssl makes the https test servers' certificates ---
setup_tools() {
  apt_install tmux openssl
}
# --- END tools ---

PARTS=(tools unleash prometheus)

main() {
  local parts=("$@")
  ((${#parts[@]})) || parts=("${PARTS[@]}")
  local p
  for p in "${parts[@]}"; do
    "setup_$p"
  done
  say "done"
}

main "$@"
