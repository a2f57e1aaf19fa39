#!/usr/bin/env bash
# Renders /docs (the embedded Redoc page) in headless Chromium and checks it:
#  - the page loads and lists the routes (/api/v1/needs, /api/v1/search …),
#  - every request the browser made went to the TechX server itself (nothing
#    from outside), and the CSP refused nothing,
#  - a screenshot is saved to docs/docs-screenshot.png.
#
#   scripts/docs-check.sh            (make docs-check)
#
# Uses Debian's chromium and a CJK font (installs them with apt-get when missing and
# run as root),
# starts `techx serve` on a free 127.0.0.1 port with SQLite in a temp dir
# (TECHX_ENV=dev), and stops it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
CHROME=${CHROME:-$(command -v chromium || true)}
if [ -z "$CHROME" ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    CHROME=$(command -v chromium)
  else
    echo "docs-check: chromium is not installed (apt-get install chromium)" >&2
    exit 1
  fi
fi
# Chinese text in the page needs a CJK font on the machine (browsers of real users have one).
if ! fc-list 2>/dev/null | grep -qiE 'wqy|noto.*cjk|droid sans fallback'; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null || true
  else
    echo "docs-check: no CJK font (apt-get install fonts-wqy-microhei): Chinese will show as boxes in the screenshot" >&2
  fi
fi
WORK=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
go build -o "$WORK/techx" ./cmd/techx
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
TECHX_ENV=dev TECHX_DATA_DIR="$WORK/data" TECHX_ADDR=127.0.0.1:$PORT "$WORK/techx" serve >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 150); do
  curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null && break
  sleep 0.2
done
curl -fsS -o /dev/null "$BASE/healthz" || { echo "docs-check: server did not start"; cat "$WORK/server.log"; exit 1; }

chrome() {
  timeout 90 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --disable-default-apps --disable-extensions \
    --user-data-dir="$WORK/chrome-$1" --enable-logging=stderr --v=0 --virtual-time-budget=20000 \
    --window-size=1400,1000 "${@:2}" "$BASE/docs"
}
chrome dom --dump-dom >"$WORK/dom.html" 2>"$WORK/chrome-dom.log"
mkdir -p docs
chrome shot --screenshot="$PWD/docs/docs-screenshot.png" >/dev/null 2>"$WORK/chrome-shot.log"

fail=0
for want in 'TechX API' '/api/v1/needs' '/api/v1/search' '/api/v1/auth/login' '/api/v1/contracts'; do
  if ! grep -qF -- "$want" "$WORK/dom.html"; then
    echo "docs-check: FAIL: the rendered page does not show $want" >&2
    fail=1
  fi
done
ops=$(grep -o 'class="[^"]*operation-type[^"]*"' "$WORK/dom.html" | wc -l || true)
if grep -q 'Refused to' "$WORK/chrome-dom.log"; then
  echo "docs-check: FAIL: the Content-Security-Policy refused something:" >&2
  grep 'Refused to' "$WORK/chrome-dom.log" | head -5 >&2
  fail=1
fi
# What the browser fetched, from the server's access log: only our own routes.
fetched=$(grep -o '"route":"[^"]*"' "$WORK/server.log" | sort | uniq -c | tr -s ' ' | paste -sd';' -)
for want in '/docs"' '/docs/redoc.standalone.js"' '/api/v1/openapi.yaml"'; do
  grep -q "\"route\":\"$want" "$WORK/server.log" || { echo "docs-check: FAIL: the browser did not fetch ${want%\"}" >&2; fail=1; }
done
if [ ! -s docs/docs-screenshot.png ]; then
  echo "docs-check: FAIL: no screenshot" >&2
  fail=1
fi
size=$(wc -c <"$WORK/dom.html")
echo "docs-check: DOM $size bytes, $ops operation badges; server saw:$fetched"
echo "docs-check: screenshot docs/docs-screenshot.png ($(wc -c <docs/docs-screenshot.png) bytes)"
[ "$fail" = 0 ] && echo "docs-check: ok"
exit $fail
