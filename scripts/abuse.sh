#!/usr/bin/env bash
# Abuse: login bursts past the throttle (429 + Retry-After), page_size=1000000,
# a 10 MB JSON body and an 11 MB import, 100,000- and 60,000-character
# queries, JSON nested 100,000 deep — each sent 20 times, 4 at a time.
# Passes when each gets a 4xx within 2 s and the server's peak memory
# stays within 512 MiB of where it started.
#
#   scripts/abuse.sh
source "$(dirname "$0")/lib/ops.sh"
build
machine
machine_db
PORT=$(free_port)
start_server a
"$LOAD" abuse -base "http://127.0.0.1:$PORT" -pid "$SERVER_PID" -rounds 20
