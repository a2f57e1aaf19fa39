#!/usr/bin/env bash
# Crash: kill -9 the server in the middle of the mix, start it again.
# Passes when no acknowledged write is missing from PostgreSQL or the index
# (the index catches up by following the outbox), and contracts retried
# with their Idempotency-Key (also across the crash) are recorded once.
#
#   scripts/fault-crash.sh [RATE] [SECONDS]      default 10 40
source "$(dirname "$0")/lib/ops.sh"
RATE=${1:-10}; SECS=${2:-40}
build
machine
machine_db
PORT=$(free_port)
TECHX_DATABASE_URL=$DB_URL "$TECHX" migrate >/dev/null
TECHX_DATABASE_URL=$DB_URL TECHX_DATA_DIR="$WORK/gen" "$TECHX" gen --needs 2000 --results 3000 | tail -1
start_server a
# Requests sent while the process is dead get no answer; they were never
# acknowledged, so they are allowed. Everything acknowledged must survive.
"$LOAD" mix -base "http://127.0.0.1:$PORT" -rate "$RATE" -duration "${SECS}s" -db "$DB_URL" -allow noanswer -timeline >"$WORK/mix.out" 2>&1 &
MIX=$!
sleep $((SECS / 3))
kill -9 "$SERVER_PID"
echo "kill -9 at $(date +%T) (pid $SERVER_PID)"
sleep 1
t0=$(date +%s.%N)
start_server a
echo "restarted and ready in $(echo "$(date +%s.%N) - $t0" | bc | cut -c1-4) s (same data dir: the index reopens and follows the outbox)"
rc=0; wait "$MIX" || rc=$?
cat "$WORK/mix.out"
grep -h '"msg":"search index' "$WORK/a.log" | tail -3 || true
exit $rc
