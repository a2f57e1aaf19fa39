# Shared helpers of the load and fault scripts (sourced, not run).
# Everything runs on 127.0.0.1; every wait is bounded.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
WORK=$(mktemp -d -t techx-ops.XXXXXX)
PIDS=()
CLEANUPS=()
cleanup() {
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
  for c in "${CLEANUPS[@]:-}"; do [ -n "$c" ] && eval "$c" || true; done
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

build() {
  go build -o "$WORK/techx" ./cmd/techx
  go build -o "$WORK/techx-load" ./cmd/techx-load
  TECHX="$WORK/techx"; LOAD="$WORK/techx-load"
}

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# machine_db: a fresh database on the machine's PostgreSQL (dropped at exit).
# TECHX_OPS_PG names the server (default: local trust auth on 5432).
machine_db() {
  local server=${TECHX_OPS_PG:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
  local name="techx_ops_$(date +%s)_$$"
  psql "$server" -qc "CREATE DATABASE $name" >/dev/null
  CLEANUPS+=("psql '$server' -qc 'DROP DATABASE IF EXISTS $name WITH (FORCE)' >/dev/null 2>&1")
  local base=${server%/*}
  DB_URL="$base/$name?sslmode=disable"
}

# private_pg PORT: a PostgreSQL 15 of our own in $WORK/pg (never the machine's one).
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
private_pg() {
  PG_PORT=$1
  PG_DIR="$WORK/pg"
  local as=()
  if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); chown postgres "$WORK"; fi
  PG_AS=("${as[@]}")
  "${as[@]}" "$PGBIN/initdb" -D "$PG_DIR" -U postgres --auth=trust -E UTF8 >/dev/null
  pg_start
  CLEANUPS+=("${as[*]} $PGBIN/pg_ctl -D $PG_DIR -m immediate stop >/dev/null 2>&1")
  DB_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
}
pg_start() { "${PG_AS[@]}" "$PGBIN/pg_ctl" -D "$PG_DIR" -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1" -l "$PG_DIR/log" -w start >/dev/null; }
pg_stop() { "${PG_AS[@]}" "$PGBIN/pg_ctl" -D "$PG_DIR" -m fast -w stop >/dev/null; }

# start_server NAME [serve flags]: techx serve on $PORT with $DB_URL, data in $WORK/NAME.
start_server() {
  local name=$1; shift
  TECHX_ENV=dev TECHX_JWT_SECRET=ops-script-secret-ops-script-secret-0123 TECHX_DATABASE_URL="$DB_URL" \
    TECHX_DATA_DIR="$WORK/$name" TECHX_ADDR="127.0.0.1:$PORT" TECHX_LOG_LEVEL=${TECHX_LOG_LEVEL:-info} \
    "$TECHX" serve "$@" >>"$WORK/$name.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  local t0=$SECONDS
  wait_ready "$name"
  echo "server $name ready in $((SECONDS - t0)) s"
}

wait_ready() {
  # Up to 10 minutes: a new index is built from the database before serve listens.
  for _ in $(seq 1 3000); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/readyz" 2>/dev/null && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "server $1 exited:"; tail -20 "$WORK/$1.log"; return 1; }
    sleep 0.2
  done
  echo "server $1 not ready within 600 s"; tail -20 "$WORK/$1.log"; return 1
}

machine() { echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(go version | cut -d' ' -f3), $(date -u +%Y-%m-%dT%H:%MZ)"; }
