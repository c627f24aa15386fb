#!/usr/bin/env python3
"""P10: CLIENTS subscribers of `GET /v1/events` all hear one rotation.

    benches/events_fanout.py URL ADMIN_TOKEN [--clients 1000] [--rotations 5] [--server-pid PID]

Stdlib only (asyncio streams, raw HTTP/1.1), so it runs wherever compare.sh does.

- A user holds at most 64 streams (429 past that), so the subscribers are spread over
  ceil(CLIENTS / PER_USER) users, created with `POST /v1/users` and enrolled with `POST /v1/enroll`.
- Every subscriber waits for `: subscribed`; then the admin rotates one org secret ROTATIONS times
  (one at a time, each once every subscriber has heard the one before). The latency of a client is
  the moment its `event: secret` for that version is read, minus the moment the rotation's answer
  was read by a process of its own (wall clock, one machine). The subscribers share this one event
  loop: waking 1,000 readers costs the loop itself some tens of milliseconds, which is in the
  figures (it is what a single busy client host would see). A client can hear the event a little
  before the rotation's answer arrives (the event is sent at the commit, as is the answer): those
  latencies are negative, and counted as they are.
- With --server-pid, the server's peak resident memory (VmHWM) is reset before the streams open
  (`echo 5 > /proc/PID/clear_refs`) and read with all of them open after the rotations, so the
  figure is the peak of this workload, not of whatever loads the server ran before.

Standard output: one JSON object (p50/p99/max ms, clients, rotations, rss_before_mib, hwm_mib).
Progress on standard error.
"""
import argparse
import asyncio
import http.client
import json
import math
import os
import resource
import sys
import time
import urllib.parse

PER_USER = 60  # under the server's 64 streams per user
SECRET = "FANOUT_VALUE"


def log(msg):
    print(f"   events_fanout: {msg}", file=sys.stderr, flush=True)


def api(base, token, method, path, body=None):
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    if r.status >= 300:
        raise SystemExit(f"{method} {path}: {r.status} {data[:200]!r}")
    return json.loads(data)


def proc_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


class Subscriber:
    """One `GET /v1/events` stream: HTTP/1.1 by hand, chunked transfer decoded, SSE events parsed."""

    def __init__(self, host, port, token, hub):
        self.host, self.port, self.token, self.hub = host, port, token, hub
        self.subscribed = asyncio.Event()

    async def run(self):
        reader, writer = await asyncio.open_connection(self.host, self.port)
        writer.write(
            (
                f"GET /v1/events HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Authorization: Bearer {self.token}\r\nAccept: text/event-stream\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            raise RuntimeError(f"GET /v1/events: {status.decode(errors='replace').strip()}")
        chunked = False
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            k, _, v = line.decode().partition(":")
            if k.strip().lower() == "transfer-encoding" and "chunked" in v.lower():
                chunked = True
        text = ""
        while True:
            if chunked:
                size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    return
                data = await reader.readexactly(size)
                await reader.readline()
            else:
                data = await reader.read(65536)
                if not data:
                    return
            now = time.time()
            text += data.decode()
            text = text.replace("\r\n", "\n")
            while "\n\n" in text:
                block, text = text.split("\n\n", 1)
                self.on_block(block, now)

    def on_block(self, block, now):
        event, data = None, None
        for line in block.split("\n"):
            if line.startswith(": subscribed"):
                self.subscribed.set()
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data = line[5:].strip()
        if event == "secret" and data:
            d = json.loads(data)
            if d.get("name") == SECRET and d.get("version") is not None:
                self.hub.heard(d["version"], now)


class Hub:
    def __init__(self, clients):
        self.clients = clients
        self.times = {}  # version -> [perf_counter of each client's event]
        self.done = {}

    def expect(self, version):
        self.times[version] = []
        self.done[version] = asyncio.Event()

    def heard(self, version, now):
        if version in self.times:
            t = self.times[version]
            t.append(now)
            if len(t) == self.clients:
                self.done[version].set()


# The rotation runs in a process of its own: on this loop its answer would be read only after the
# 1,000 readers woken at the same moment, which would make the latencies look shorter than they are.
ROTATOR = r"""
import http.client, json, sys, time
host, port, token, name, value = sys.argv[1:6]
conn = http.client.HTTPConnection(host, int(port), timeout=60)
conn.connect()
sys.stdin.readline()  # connected; go
conn.request("POST", "/v1/secrets", body=json.dumps({"name": name, "value": value, "orgWide": True}),
             headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
r = conn.getresponse()
data = r.read()
answered = time.time()
if r.status != 200:
    raise SystemExit(f"rotation: {r.status} {data[:200]!r}")
print(json.loads(data)["version"], answered)
"""


async def rotate(host, port, token, value):
    """The rotation through the API: returns (version, wall-clock time its answer was read)."""
    p = await asyncio.create_subprocess_exec(
        sys.executable, "-c", ROTATOR, host, str(port), token, SECRET, value,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )
    await asyncio.sleep(0.2)  # its interpreter has started and connected
    out, _ = await p.communicate(b"go\n")
    if p.returncode != 0:
        raise RuntimeError("the rotation failed")
    version, answered = out.split()
    return int(version), float(answered)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, math.ceil(len(xs) * p) - 1))]


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("admin_token")
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--rotations", type=int, default=5)
    ap.add_argument("--server-pid", type=int)
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = a.clients + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    u = urllib.parse.urlsplit(a.url)
    host, port = u.hostname, u.port

    first = api(a.url, a.admin_token, "POST", "/v1/secrets", {"name": SECRET, "value": "fanout-0", "orgWide": True})["version"]
    users = math.ceil(a.clients / PER_USER)
    tag = os.getpid()
    log(f"enrolling {users} users for {a.clients} streams")
    tokens = []
    for i in range(users):
        code = api(a.url, a.admin_token, "POST", "/v1/users", {"name": f"fan{tag}-{i}"})["code"]
        tokens.append(api(a.url, None, "POST", "/v1/enroll", {"code": code})["token"])

    rss_before = hwm = None
    if a.server_pid:
        rss_before = proc_kib(a.server_pid, "VmRSS")
        try:
            with open(f"/proc/{a.server_pid}/clear_refs", "w") as f:
                f.write("5")
        except OSError as e:
            log(f"cannot reset the server's VmHWM ({e}): the peak is over its whole life")

    hub = Hub(a.clients)
    subs = [Subscriber(host, port, tokens[i % users], hub) for i in range(a.clients)]
    tasks = []
    log(f"opening {a.clients} streams")
    t0 = time.perf_counter()
    for i in range(0, a.clients, 50):  # in batches, not to overflow the listen backlog
        batch = subs[i : i + 50]
        tasks += [asyncio.create_task(s.run()) for s in batch]
        await asyncio.wait_for(asyncio.gather(*(s.subscribed.wait() for s in batch)), 30)
    log(f"{a.clients} subscribed in {time.perf_counter() - t0:.1f} s")
    failed = [t for t in tasks if t.done()]
    if failed:
        raise SystemExit(f"{len(failed)} streams ended: {failed[0].exception()!r}")

    latencies = []
    for r in range(1, a.rotations + 1):
        await asyncio.sleep(1)
        # The version is known only from the answer, and events may be read before it: expect
        # the next one, which is the only one a lone writer can get.
        version_guess = first + r
        hub.expect(version_guess)
        version, answered = await rotate(host, port, a.admin_token, f"fanout-{r}")
        if version != version_guess:
            raise SystemExit(f"rotation {r} got version {version}, expected {version_guess}")
        try:
            await asyncio.wait_for(hub.done[version].wait(), 30)
        except asyncio.TimeoutError:
            raise SystemExit(f"rotation {r}: only {len(hub.times[version])} of {a.clients} clients heard it")
        lat = [(t - answered) * 1000 for t in hub.times[version]]
        latencies += lat
        # The first client tells the server's own delay; the spread to the last, the fan-out's (the
        # server writing 1,000 sockets and this one loop reading them).
        log(
            f"rotation {r}: first {min(lat):.1f} ms, p50 {pct(lat, 0.5):.1f} ms, "
            f"p99 {pct(lat, 0.99):.1f} ms, last {max(lat):.1f} ms"
        )
    if a.server_pid:
        hwm = proc_kib(a.server_pid, "VmHWM")
    for t in tasks:
        t.cancel()
    print(
        json.dumps(
            {
                "clients": a.clients,
                "users": users,
                "rotations": a.rotations,
                "p50_ms": round(pct(latencies, 0.5), 1),
                "p99_ms": round(pct(latencies, 0.99), 1),
                "min_ms": round(min(latencies), 1),
                "max_ms": round(max(latencies), 1),
                "rss_before_mib": round(rss_before / 1024, 1) if rss_before else None,
                "hwm_mib": round(hwm / 1024, 1) if hwm else None,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
