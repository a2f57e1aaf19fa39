#!/usr/bin/env bash
# Database outage: a PRIVATE PostgreSQL 15 (initdb in a temp dir, its own
# port; the machine's PostgreSQL is never touched) is stopped for 10 s under
# the mix. Passes when, while it is down, the service answers 503 problems
# (no 500s, no request left hanging past the 5 s client timeout) and it
# recovers by itself: every acknowledged write is there afterwards.
#
#   scripts/fault-db-outage.sh [RATE] [SECONDS] [DOWN]     default 10 40 10
source "$(dirname "$0")/lib/ops.sh"
RATE=${1:-10}; SECS=${2:-40}; DOWN=${3:-10}
build
machine
private_pg "$(free_port)"
echo "private PostgreSQL on 127.0.0.1:$PG_PORT ($PG_DIR)"
PORT=$(free_port)
TECHX_DATABASE_URL=$DB_URL "$TECHX" migrate >/dev/null
TECHX_DATABASE_URL=$DB_URL TECHX_DATA_DIR="$WORK/gen" "$TECHX" gen --needs 2000 --results 3000 | tail -1
start_server a
"$LOAD" mix -base "http://127.0.0.1:$PORT" -rate "$RATE" -duration "${SECS}s" -db "$DB_URL" -allow 503 -timeout 5s -timeline >"$WORK/mix.out" 2>&1 &
MIX=$!
sleep $((SECS / 4))
pg_stop
echo "PostgreSQL stopped at $(date +%T) for $DOWN s"
sleep 2
code=$(curl -s -o "$WORK/ready.json" -w '%{http_code} %{time_total}s' "http://127.0.0.1:$PORT/readyz")
echo "during the outage: /readyz $code $(cat "$WORK/ready.json")"
code=$(curl -s -o "$WORK/need.json" -w '%{http_code} %{content_type} %{time_total}s' "http://127.0.0.1:$PORT/api/v1/needs?page_size=1")
echo "during the outage: GET /api/v1/needs $code $(cat "$WORK/need.json")"
sleep $((DOWN - 2))
pg_start
echo "PostgreSQL started at $(date +%T)"
rc=0; wait "$MIX" || rc=$?
cat "$WORK/mix.out"
echo "server log: $(grep -c '"status":503' "$WORK/a.log") 503 lines, $(grep -c '"status":500' "$WORK/a.log" || true) 500 lines"
exit $rc
