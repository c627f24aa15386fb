#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the tests and prints its URL on stdout.
#
#   export VAULTTY_TEST_POSTGRES_URL=$(bash .ci/postgres.sh)
#
# Installs PostgreSQL from Debian when it is missing, runs initdb and postgres as the unprivileged
# `postgres` user on a new temporary directory, on loopback only, on a free port. The tests create
# one database per test in it (tests/common/postgres.rs). The cluster lives until the machine's
# processes end; `pg_ctl -D <dir> stop` (the directory is printed on stderr) stops it earlier.
# Tuned for tests: fsync stays ON, because the replica test kills servers, never the cluster,
# and what PostgreSQL acknowledges must be what the tests measure.
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/postgres" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres

as_postgres() {
    if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

dir=$(mktemp -d /tmp/vaultty-pg.XXXXXX)
chown postgres: "$dir" 2>/dev/null || true
chmod 700 "$dir"
# A free loopback port: ask the kernel for one.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_postgres "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c max_connections=400 \
        -c shared_buffers=128MB" start >/dev/null
echo "vaultty-pg: cluster in $dir/data, port $port, log $dir/log" >&2
echo "postgres://postgres@127.0.0.1:$port/postgres"
