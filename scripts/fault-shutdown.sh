#!/usr/bin/env bash
# Graceful shutdown: SIGTERM while slow requests are in flight (bodies
# uploaded over 3 s). Passes when every one of them still gets its 201, new
# connections are refused right after the signal, and serve exits 0.
#
#   scripts/fault-shutdown.sh [N]      default 8 slow requests
source "$(dirname "$0")/lib/ops.sh"
N=${1:-8}
build
machine
machine_db
PORT=$(free_port)
start_server a
"$LOAD" slow -base "http://127.0.0.1:$PORT" -pid "$SERVER_PID" -n "$N" -trickle 3s
rc=0; wait "$SERVER_PID" || rc=$?
PIDS=()
echo "serve exited with status $rc"
grep -h '"msg":"shutting down"' "$WORK/a.log" | head -1
[ "$rc" = 0 ]
