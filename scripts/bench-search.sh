#!/usr/bin/env bash
# Search, matching and indexing at scale (issue 4's performance figures).
#
#   scripts/bench-search.sh [NEEDS] [RESULTS]      default 30000 70000 (100,000 listings)
#
# Builds techx, fills a fresh database with `techx gen` (listings and their
# outbox rows), then `techx bench search` drains the outbox into a fresh
# index (indexing throughput), rebuilds a second index from scratch
# (reindex time), and times search and matching against the same queries
# as PostgreSQL ILIKE and pg_trgm. Uses the machine's PostgreSQL when
# TECHX_BENCH_PG is set to a server URL (a database is created and
# dropped), SQLite otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
NEEDS=${1:-30000}
RESULTS=${2:-70000}
go build -o bin/techx ./cmd/techx
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export TECHX_DATA_DIR="$WORK/data"
if [ -n "${TECHX_BENCH_PG:-}" ]; then
  DB="techx_bench_$(date +%s)"
  psql "$TECHX_BENCH_PG" -qc "CREATE DATABASE $DB"
  trap 'psql "$TECHX_BENCH_PG" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"; rm -rf "$WORK"' EXIT
  base=${TECHX_BENCH_PG%/*}
  export TECHX_DATABASE_URL="$base/$DB?sslmode=disable"
fi
bin/techx migrate
# An index at the log's start, so that bench drains the outbox through the follower.
bin/techx reindex >/dev/null 2>&1
/usr/bin/time -v bin/techx gen --needs "$NEEDS" --results "$RESULTS" 2>"$WORK/gen.time" | tee "$WORK/gen.out"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(go version)"
/usr/bin/time -v bin/techx bench search --queries 300 2>"$WORK/bench.time"
grep -E "Maximum resident|Elapsed" "$WORK/bench.time" | sed 's/^\s*/bench process: /'
