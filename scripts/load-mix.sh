#!/usr/bin/env bash
# Load: a realistic mix at a fixed rate against techx serve on PostgreSQL,
# then every acknowledged write is checked in the database and the index;
# then GET-by-id and search throughput beside a bare gin hello-world (wrk).
#
#   scripts/load-mix.sh [RATE] [SECONDS] [NEEDS] [RESULTS]     default 50 60 10000 20000
#
# Mix (cmd/techx-load mix): 35 % search, 35 % matching, 20 % reads (needs,
# results by id, a list), 10 % writes (needs and results created and
# published, contracts with Idempotency-Key and a replay, deals when the
# route exists). Passes with zero 5xx, zero unanswered requests and every
# acknowledged write found. Uses a fresh database on the machine's PostgreSQL
# (TECHX_OPS_PG, dropped afterwards) and `techx gen` data.
source "$(dirname "$0")/lib/ops.sh"
RATE=${1:-50}; SECS=${2:-60}; NEEDS=${3:-10000}; RESULTS=${4:-20000}
build
machine
machine_db
PORT=$(free_port)
TECHX_DATABASE_URL=$DB_URL "$TECHX" migrate
TECHX_DATABASE_URL=$DB_URL TECHX_DATA_DIR="$WORK/gen" "$TECHX" gen --needs "$NEEDS" --results "$RESULTS" | tail -2
start_server a
echo "== mix: $RATE req/s for $SECS s on PostgreSQL, $NEEDS needs + $RESULTS results"
MIXRC=0
"$LOAD" mix -base "http://127.0.0.1:$PORT" -rate "$RATE" -duration "${SECS}s" -db "$DB_URL" -out "$WORK/mix.json" || MIXRC=$?
read -r rss hwm < <(awk '/VmRSS/{r=$2}/VmHWM/{h=$2}END{print int(r/1024), int(h/1024)}' /proc/$SERVER_PID/status)
echo "server memory after the mix: RSS $rss MiB, peak $hwm MiB"

echo "== throughput (wrk -t2 -c16 -d10s, closed loop; server and wrk share the machine)"
command -v wrk >/dev/null || { echo "wrk missing (apt-get install wrk): skipping the ratio"; exit "$MIXRC"; }
HPORT=$(free_port)
"$LOAD" hello -addr "127.0.0.1:$HPORT" >/dev/null &
PIDS+=("$!")
sleep 0.5
ID=$(curl -fsS "http://127.0.0.1:$PORT/api/v1/needs?page_size=1" | python3 -c 'import json,sys;print(json.load(sys.stdin)["items"][0]["id"])')
rps() { wrk -t2 -c16 -d10s --latency "$1" | awk '/Requests\/sec/{print $2} /^ +50%/{p50=$2} /^ +99%/{p99=$2} END{print p50, p99}' | paste -sd' '; }
read -r h hp50 hp99 < <(rps "http://127.0.0.1:$HPORT/hello")
read -r g gp50 gp99 < <(rps "http://127.0.0.1:$PORT/api/v1/needs/$ID")
read -r s sp50 sp99 < <(rps "http://127.0.0.1:$PORT/api/v1/search?q=%E7%84%8A%E6%8E%A5")
printf '%-34s %10s %8s %8s %8s\n' target req/s p50 p99 "vs hello"
printf '%-34s %10s %8s %8s %8s\n' "gin hello-world" "$h" "$hp50" "$hp99" "1"
printf '%-34s %10s %8s %8s %8.3f\n' "GET /api/v1/needs/:id" "$g" "$gp50" "$gp99" "$(echo "$g / $h" | bc -l)"
printf '%-34s %10s %8s %8s %8.3f\n' "GET /api/v1/search?q=焊接" "$s" "$sp50" "$sp99" "$(echo "$s / $h" | bc -l)"
RID=$(curl -fsS "http://127.0.0.1:$PORT/api/v1/results?page_size=1" | python3 -c 'import json,sys;print(json.load(sys.stdin)["items"][0]["id"])')
read -r m mp50 mp99 < <(rps "http://127.0.0.1:$PORT/api/v1/results/$RID/matches")
printf '%-34s %10s %8s %8s %8.3f\n' "GET /api/v1/results/:id/matches" "$m" "$mp50" "$mp99" "$(echo "$m / $h" | bc -l)"
exit "$MIXRC"
