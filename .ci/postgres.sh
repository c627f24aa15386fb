#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the tests and prints its URL on stdout.
#
#   export VAULTTY_TEST_POSTGRES_URL=$(bash .ci/postgres.sh)
#   bash .ci/postgres.sh stop "$VAULTTY_TEST_POSTGRES_URL"    # when done (.ci/run does)
#
# Installs PostgreSQL from Debian when it is missing, runs initdb and postgres on a new temporary
# directory, on loopback only, on a free port: as the unprivileged `postgres` user when run as
# root (PostgreSQL refuses to run as root; the user is created only if it does not exist), else as
# whoever runs it. Every run makes a new cluster on a port of its own, so runs never collide. The
# tests create one database per test in it (tests/common/postgres.rs). The cluster lives until
# stopped (above, or `pg_ctl -D <dir> stop`: the directory is printed on stderr).
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

if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
    as_owner() { runuser -u postgres -- "$@"; }
else
    as_owner() { "$@"; }
fi

# Stops the cluster of ours (a /tmp/vaultty-pg.* directory) listening on the URL's port.
if [ "${1:-}" = stop ]; then
    port=$(printf '%s\n' "${2:?usage: postgres.sh stop URL}" | sed -E 's#^[a-z]+://([^@/]*@)?[^:/]*:([0-9]+).*#\2#')
    for pid_file in /tmp/vaultty-pg.*/data/postmaster.pid; do
        [ -f "$pid_file" ] && [ "$(sed -n 4p "$pid_file")" = "$port" ] || continue
        as_owner "$bin/pg_ctl" -D "$(dirname "$pid_file")" -m fast -w stop >/dev/null
        rm -rf "$(dirname "$(dirname "$pid_file")")"
        exit 0
    done
    echo "vaultty-pg: no cluster of ours on port $port" >&2
    exit 1
fi

# A free loopback port, from the kernel. Another process may take it before postgres binds it:
# then starting fails and the next attempt asks again.
free_port() {
    if command -v python3 >/dev/null; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
    else
        echo $((20000 + RANDOM % 30000))
    fi
}

dir=$(mktemp -d /tmp/vaultty-pg.XXXXXX)
chmod 700 "$dir"
if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
for attempt in 1 2 3 4 5; do
    port=$(free_port)
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c max_connections=400 \
            -c shared_buffers=128MB" start >/dev/null; then
        echo "vaultty-pg: cluster in $dir/data, port $port, log $dir/log" >&2
        echo "postgres://postgres@127.0.0.1:$port/postgres"
        exit 0
    fi
    echo "vaultty-pg: attempt $attempt on port $port failed:" >&2
    tail -3 "$dir/log" >&2 || true
done
echo "vaultty-pg: could not start PostgreSQL; its log is $dir/log" >&2
exit 1
