#!/usr/bin/env python3
"""The secrets benches/compare.sh's loads read, rotate and list, written through each server's HTTP API.

    benches/seed.py vaultty URL ADMIN_TOKEN LISTER_TOKEN RUNNER_TOKEN LIST_SIZE
    benches/seed.py openbao URL TOKEN LIST_SIZE

One function per server kind, so that every vaultty server of a run (SQLite and PostgreSQL) holds
the same rows when its loads start, and OpenBao the matching keys:
- vaultty: BENCH (revealed), ROT_<thread>_<n> for wrk threads 0 and 1, 200 names each (rotated),
  LIST_SIZE secrets of the lister (listed), 5 of the runner (what `vaultty run` fetches).
- OpenBao: secret/bench is written by compare.sh (it waits for the new mount with it); here the
  rot_ names and LIST_SIZE keys under secret/list/.
16 connections at once; any answer past 2xx stops it with the status and the start of the body.
"""
import http.client
import json
import sys
import threading
import urllib.parse

VALUE = "sk-bench-0123456789abcdef0123456789abcdef"
ROT = [f"ROT_{t}_{n}" for t in range(2) for n in range(200)]


def worker(base, headers, jobs, failures):
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    for method, path, body in jobs:
        conn.request(method, path, body=json.dumps(body), headers={**headers, "Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        if r.status >= 300:
            failures.append(f"{method} {path}: {r.status} {data[:200]!r}")
            return


def run(base, headers, jobs, parallel=16):
    failures = []
    threads = [threading.Thread(target=worker, args=(base, headers, jobs[i::parallel], failures)) for i in range(parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise SystemExit(failures[0])


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def vaultty(url, admin, lister, runner, list_size):
    run(url, auth(admin), [("POST", "/v1/secrets", {"name": "BENCH", "value": VALUE})], 1)
    run(url, auth(admin), [("POST", "/v1/secrets", {"name": n, "value": VALUE}) for n in ROT])
    run(
        url,
        auth(lister),
        [
            ("POST", "/v1/secrets", {"name": f"LIST_{i:05}", "value": VALUE, "description": "a listed secret"})
            for i in range(list_size)
        ],
    )
    run(url, auth(runner), [("POST", "/v1/secrets", {"name": f"RUN_{i}", "value": VALUE}) for i in range(5)], 1)


def openbao(url, token, list_size):
    h = {"X-Vault-Token": token}
    run(url, h, [("POST", f"/v1/secret/data/rot_{n.lower()}", {"data": {"value": VALUE}}) for n in ROT])
    run(url, h, [("POST", f"/v1/secret/data/list/list_{i:05}", {"data": {"value": VALUE}}) for i in range(list_size)])


def main():
    kind, args = sys.argv[1], sys.argv[2:]
    if kind == "vaultty" and len(args) == 5:
        vaultty(*args[:4], int(args[4]))
    elif kind == "openbao" and len(args) == 3:
        openbao(args[0], args[1], int(args[2]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
