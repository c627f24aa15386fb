#!/usr/bin/env python3
"""P9: a rotation through the API until `vaultty run --watch` has restarted its child with the new value.

    benches/watch_restart.py VAULTTY_BIN URL ADMIN_TOKEN [--rotations 30] [--debounce 1.0]

As a CI job runs it: a runner token of the org (`POST /v1/tokens`, kind runner, scope all, orgWide)
in VAULTTY_URL and VAULTTY_TOKEN, `--kill-timeout` left at its default (10s), and a child that exits
at once on TERM. The child (sh) appends "<value> <date +%s.%N>" to a file when it starts. For each
rotation: the wall-clock moment the `POST /v1/secrets` answer was read, then the child's line with
the new value; the figure is the difference minus the debounce (`run --watch` coalesces events for
1 s, src/cli/run/watch.rs DEBOUNCE). One rotation at a time: the next waits for the restart, then
half a second more.

Standard output: one JSON object (p50/p99/min/max ms after the debounce, rotations).
Progress on standard error.
"""
import argparse
import http.client
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

SECRET = "P9_VALUE"
# Dies at once on TERM, leaving no process behind. Not `trap "exit 0" TERM; sleep & wait`: there
# the shell can exit before reaping its `sleep`, the orphan is reparented to PID 1, and the
# command's process group lives (run --watch waits for the whole group) until PID 1 reaps it,
# which in a container whose PID 1 reaps lazily added 1 to 2 s to some restarts.
CHILD = 'printf "%s %s\\n" "$P9_VALUE" "$(date +%s.%N)" >>"$P9_OUT"; exec sleep 100000'


def log(msg):
    print(f"   watch_restart: {msg}", file=sys.stderr, flush=True)


def api(base, token, method, path, body):
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    conn.request(method, path, body=json.dumps(body), headers=headers)
    r = conn.getresponse()
    data = r.read()
    answered = time.time()
    conn.close()
    if r.status >= 300:
        raise SystemExit(f"{method} {path}: {r.status} {data[:200]!r}")
    return json.loads(data), answered


def lines(path):
    try:
        with open(path) as f:
            return [l.split() for l in f if l.strip()]
    except FileNotFoundError:
        return []


def wait_for(path, value, deadline):
    while time.time() < deadline:
        for v, at in lines(path):
            if v == value:
                return float(at)
        time.sleep(0.002)
    return None


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, math.ceil(len(xs) * p) - 1))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("vaultty")
    ap.add_argument("url")
    ap.add_argument("admin_token")
    ap.add_argument("--rotations", type=int, default=30)
    ap.add_argument("--debounce", type=float, default=1.0)
    a = ap.parse_args()

    api(a.url, a.admin_token, "POST", "/v1/secrets", {"name": SECRET, "value": "p9-0", "orgWide": True})
    runner, _ = api(
        a.url, a.admin_token, "POST", "/v1/tokens", {"name": "bench-p9", "kind": "runner", "scope": "all", "orgWide": True}
    )
    work = tempfile.mkdtemp(prefix="vaultty-p9.")
    out = os.path.join(work, "starts")
    env = {
        **os.environ,
        "VAULTTY_URL": a.url,
        "VAULTTY_TOKEN": runner["token"],
        "VAULTTY_CONFIG_DIR": os.path.join(work, "config"),
        "VAULTTY_DATA_DIR": os.path.join(work, "data"),
        "P9_OUT": out,
    }
    env.pop("VAULTTY_PROFILE", None)
    err = open(os.path.join(work, "run.stderr"), "w")
    proc = subprocess.Popen(
        [a.vaultty, "run", "--watch", "--only", SECRET, "--", "sh", "-c", CHILD], env=env, stderr=err, stdout=subprocess.DEVNULL
    )
    try:
        if wait_for(out, "p9-0", time.time() + 30) is None:
            raise SystemExit(f"the child never started; see {work}/run.stderr")
        # Let the change stream subscribe (`: subscribed`) before the first rotation.
        time.sleep(2)
        late = []
        for r in range(1, a.rotations + 1):
            value = f"p9-{r}"
            _, answered = api(a.url, a.admin_token, "POST", "/v1/secrets", {"name": SECRET, "value": value, "orgWide": True})
            started = wait_for(out, value, answered + 30)
            if started is None:
                raise SystemExit(f"rotation {r}: no restart with the new value within 30 s; see {work}/run.stderr")
            late.append((started - answered - a.debounce) * 1000)
            log(f"rotation {r}: restarted {late[-1]:.1f} ms after the debounce")
            time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        err.close()
    shutil.rmtree(work)  # kept (named in the error) when a rotation failed
    print(
        json.dumps(
            {
                "rotations": len(late),
                "debounce_ms": a.debounce * 1000,
                "p50_ms": round(pct(late, 0.5), 1),
                "p99_ms": round(pct(late, 0.99), 1),
                "min_ms": round(min(late), 1),
                "max_ms": round(max(late), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
