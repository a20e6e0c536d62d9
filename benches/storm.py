#!/usr/bin/env python3
"""Notes during an alert storm, measured in a real terminal (tmux).

Starts the release binary in a 160x45 tmux session with a fresh home
whose config points at an Alertmanager that already holds the storm
(tests/bench_compare.sh fills it), and an open incident (written by
examples/gen_journal), so that firebreak's first poll ingests every
alert while the incident records them. From the launch on, it types a
note every --every seconds (`n`, the text, Enter) and times each one
from the keys being sent to the note's timeline row ("Note: <text>")
being on screen, by polling `tmux capture-pane` every 5 ms. It reports
the latencies, when the alerts pane first showed the storm, the
process' peak memory (VmHWM) next to the response body's size, and the
event loop's stalls over 16 ms that firebreak logged
(`firebreak::stall` lines in its log).

    python3 benches/storm.py --am URL --gen target/release/examples/gen_journal \
        [--bin target/release/firebreak] [--notes 20] [--every 0.25] [--json]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

SESSION = "fb-storm"


def tmux(*args, check=True):
    return subprocess.run(["tmux", *args], check=check, capture_output=True, text=True)


def screen():
    return tmux("capture-pane", "-t", SESSION, "-p", check=False).stdout


def pane_pid():
    out = tmux("display-message", "-t", SESSION, "-p", "#{pane_pid}", check=False).stdout
    return int(out.strip()) if out.strip().isdigit() else None


def vm_hwm_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, max(0, int(round(p / 100 * (len(xs) - 1)))))
    return xs[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--am", required=True, help="Alertmanager URL holding the storm")
    ap.add_argument("--bin", default="target/release/firebreak")
    ap.add_argument("--gen", default="target/release/examples/gen_journal")
    ap.add_argument("--notes", type=int, default=20)
    ap.add_argument("--every", type=float, default=0.25)
    ap.add_argument("--timeout", type=float, default=60.0, help="give up on a note after")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()

    with urllib.request.urlopen(args.am.rstrip("/") + "/api/v2/alerts", timeout=60) as r:
        body = r.read()
    n_alerts = len(json.loads(body))

    home = tempfile.mkdtemp(prefix="fb-storm-")
    cfg_dir = os.path.join(home, "config", "firebreak")
    data = os.path.join(home, "state", "firebreak")
    os.makedirs(cfg_dir)
    os.makedirs(data)
    with open(os.path.join(cfg_dir, "config.toml"), "w") as f:
        f.write(
            "poll_interval_secs = 5\n"
            "[alertmanager]\n"
            f'urls = ["{args.am}"]\n'
            "request_timeout_secs = 30\n"
        )
    subprocess.run([args.gen, data, "inc-storm", "1"], check=True, capture_output=True)

    env = (
        f"HOME={home} XDG_CONFIG_HOME={home}/config XDG_STATE_HOME={home}/state "
        f"XDG_DATA_HOME={home}/data TERM=xterm-256color FIREBREAK_LOG=info"
    )
    tmux("kill-session", "-t", SESSION, check=False)
    t_launch = time.perf_counter()
    tmux("new-session", "-d", "-s", SESSION, "-x", "160", "-y", "45",
         f"env {env} {os.path.abspath(args.bin)}")
    pid = None
    for _ in range(200):
        pid = pane_pid()
        if pid:
            break
        time.sleep(0.01)

    latencies = []
    storm_seen = None
    count_re = re.compile(r"\b%d\b" % n_alerts)
    peak = 0
    try:
        # The cockpit's first frame, before typing.
        while time.perf_counter() - t_launch < 10 and "Note" not in screen() and "incident" not in screen().lower():
            time.sleep(0.01)
        for k in range(args.notes):
            text = f"storm-note-{k}"
            sent = time.perf_counter()
            tmux("send-keys", "-t", SESSION, "n")
            tmux("send-keys", "-t", SESSION, "-l", text)
            tmux("send-keys", "-t", SESSION, "Enter")
            want = f"Note: {text}"
            while True:
                s = screen()
                now = time.perf_counter()
                if storm_seen is None and count_re.search(s):
                    storm_seen = now - t_launch
                if want in s:
                    latencies.append(now - sent)
                    break
                if now - sent > args.timeout:
                    latencies.append(float("inf"))
                    break
                time.sleep(0.005)
            if pid:
                peak = max(peak, vm_hwm_kib(pid) or 0)
            time.sleep(max(0.0, args.every - (time.perf_counter() - sent)))
        # Until the storm is on screen (if the notes were done first).
        while storm_seen is None and time.perf_counter() - t_launch < args.timeout:
            if count_re.search(screen()):
                storm_seen = time.perf_counter() - t_launch
            time.sleep(0.02)
        if pid:
            peak = max(peak, vm_hwm_kib(pid) or 0)
    finally:
        tmux("kill-session", "-t", SESSION, check=False)

    stalls = []
    log = os.path.join(data, "firebreak.log")
    try:
        with open(log) as f:
            for line in f:
                m = re.search(r"firebreak::stall.*?took_ms=(\d+)\D+update_ms=(\d+)\D+messages=(\d+)", line)
                if m:
                    stalls.append([int(m.group(i)) for i in (1, 2, 3)])
    except OSError:
        pass
    journal = os.path.join(data, "incidents", "inc-storm.jsonl")
    entries = sum(1 for _ in open(journal)) if os.path.exists(journal) else 0

    ms = [x * 1000 for x in latencies]
    fig = {
        "alerts": n_alerts,
        "body_mib": round(len(body) / 1048576, 1),
        "notes": len(ms),
        "note_p50_ms": round(pct(ms, 50), 1),
        "note_p99_ms": round(pct(ms, 99), 1),
        "note_max_ms": round(max(ms), 1) if ms else None,
        "storm_on_screen_s": round(storm_seen, 2) if storm_seen else None,
        "peak_mib": round(peak / 1024, 1),
        "peak_over_body": round(peak * 1024 / len(body), 2) if body else None,
        "stalls_over_16ms": len(stalls),
        "worst_stall_ms": max(x[0] for x in stalls) if stalls else 0,
        # [took, of which update, messages handled] of the worst five
        "worst_stalls": sorted(stalls, reverse=True)[:5],
        "journal_entries": entries,
    }
    if args.json:
        print(json.dumps(fig))
    else:
        for k, v in fig.items():
            print(f"{k:>20}: {v}")
    subprocess.run(["rm", "-rf", home])


if __name__ == "__main__":
    sys.exit(main())
