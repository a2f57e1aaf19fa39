#!/usr/bin/env bash
# Greps the JSON logs that every test server of a run wrote (TECHX_TEST_LOG_FILE,
# see internal/apitest/logsink.go) for secrets: passwords, access and refresh
# tokens, authorization headers and the confidential texts the tests use.
#
#   scripts/check-logs.sh LOGFILE
#
# `make test` runs it after the tests. Exit 1 names what leaked (not the secret).
set -euo pipefail
log=${1:?usage: scripts/check-logs.sh LOGFILE}
if [ ! -s "$log" ]; then
  echo "check-logs: $log is empty or missing: the test servers wrote no log (TECHX_TEST_LOG_FILE not honoured?)" >&2
  exit 1
fi
lines=$(wc -l <"$log")
requests=$(grep -c '"msg":"request"' "$log" || true)
fail=0
check() { # name, grep -E pattern
  local n
  n=$(grep -cE -- "$2" "$log" || true)
  if [ "$n" != 0 ]; then
    echo "check-logs: FAIL: $n log line(s) contain $1" >&2
    fail=1
  fi
}
# Token shapes: a JWT (base64url JSON header), an Authorization header.
check "a JWT (access token)" 'eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}'
check "a bearer authorization" '[Bb]earer [A-Za-z0-9._-]{16,}'
# Fields that must never be logged, whatever their value.
check "a password field" '"(password|new_password|old_password)":'
check "a token field" '"(access_token|refresh_token|token|jwt_secret)":'
# Passwords and confidential texts used by the tests and the demo data.
for pw in 'correct-horse-battery' 'admin-password-123' 'Demo-Ent-2026!' 'Demo-Inst-2026!' 'Demo-Broker-2026!' \
          'Demo-Admin-2026!' 'Pw-Distinct-7Qx!horse' 'Wrong-Distinct-3Zr!battery' 'wrong-password-x'; do
  check "the test password $pw" "$(printf '%s' "$pw" | sed 's/[].[^$*+?(){}|\\]/\\&/g')"
done
for secret in '锆钛催化剂' '保密配方' '钯铑催化剂XQ7' '机密配方'; do
  check "confidential test text" "$secret"
done
if [ "$fail" != 0 ]; then
  exit 1
fi
echo "check-logs: ok: $lines log lines ($requests request lines), no passwords, tokens or confidential text"
