#!/usr/bin/env python3
"""Launch to the first full frame of the demo, measured from outside.

Starts `target/release/firebreak` (no configuration: the demo) in a
pseudo-terminal of 160x45, in a fresh home each run, and times from
fork to the moment its output holds the demo's first full frame: an
alert (HighErrorRate), a metric panel with data (Error ratio) and a flag
(new-checkout-flow), which only appear once every pane has drawn its
data. The same harness times a shell printing those words, as the
reference for what the harness itself costs. Prints medians, side by
side.

    python3 benches/startup.py [--runs 25] [--bin target/release/firebreak]

With --data DIR (a data dir holding an open incident, e.g. written by
examples/gen_journal) each run starts from a copy of it, with a config
that is not the demo, and waits for --words (comma-separated; the
incident's title) instead: the cockpit resuming that incident. --json
prints firebreak's figures as JSON.
"""

import argparse
import fcntl
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time

WORDS = [b"HighErrorRate", b"Error ratio", b"new-checkout-flow"]


def once(argv, home, words, data=None):
    env = dict(
        os.environ,
        HOME=home,
        XDG_CONFIG_HOME=os.path.join(home, "config"),
        XDG_DATA_HOME=os.path.join(home, "data"),
        XDG_STATE_HOME=os.path.join(home, "state"),
        TERM="xterm-256color",
    )
    env.pop("FIREBREAK_CONFIG", None)
    if data:
        shutil.copytree(data, os.path.join(home, "state", "firebreak"))
        os.makedirs(os.path.join(home, "config", "firebreak"))
        with open(os.path.join(home, "config", "firebreak", "config.toml"), "w") as f:
            f.write("poll_interval_secs = 2\n")
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 45, 160, 0, 0))
    seen = b""
    took = None
    while time.perf_counter() - t0 < 10:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        if all(w in seen for w in words):
            took = (time.perf_counter() - t0) * 1000
            break
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(fd)
    return took


def measure(argv, runs, words=WORDS, data=None):
    times = []
    for _ in range(runs):
        home = tempfile.mkdtemp(prefix="fb-startup-")
        try:
            t = once(argv, home, words, data)
        finally:
            shutil.rmtree(home, ignore_errors=True)
        if t is None:
            sys.exit(f"{argv[0]}: no full frame within 10 s")
        times.append(t)
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=25)
    ap.add_argument("--bin", default="target/release/firebreak")
    ap.add_argument("--data", help="data dir with an open incident to resume")
    ap.add_argument("--words", help="comma-separated words of the full frame")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    words = [w.encode() for w in args.words.split(",")] if args.words else WORDS
    fb = measure([os.path.abspath(args.bin)], args.runs, words, args.data)
    if args.json:
        import json

        print(json.dumps({"median_ms": round(statistics.median(fb), 1), "runs": fb}))
        return
    words = " ".join(w.decode() for w in WORDS)
    ref = measure(["/bin/sh", "-c", f"printf '{words}'; sleep 10"], args.runs)
    for name, t in (("firebreak demo, first full frame", fb), ("reference: sh printing the words", ref)):
        q = statistics.quantiles(t, n=10)
        print(
            f"{name:36} median {statistics.median(t):6.1f} ms  "
            f"p10 {q[0]:6.1f}  p90 {q[-1]:6.1f}  (n={len(t)})"
        )


if __name__ == "__main__":
    main()
