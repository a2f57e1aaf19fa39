#!/usr/bin/env bash
# The docker-compose topology without a container engine. This machine kind
# has the docker client but no engine (and no registry to pull images from),
# so `docker compose up` cannot run here. This script runs what
# deployments/docker-compose.yml, deployments/Dockerfile, deployments/nginx.conf
# and deployments/k8s describe, from those same files, as plain processes:
#
#   1. the binary built as the Dockerfile's build stage builds it (static);
#   2. the compose file's services and settings read from the file itself;
#   3. PostgreSQL 15 (private, on its own port; compose's user, password, db);
#   4. the one-shot `techx migrate` (the compose migrate service);
#   5. two `techx serve --no-migrate` replicas as uid 65532 (distroless's
#      nonroot) with the compose environment, each with its own data dir;
#   6. nginx (Debian's) with deployments/nginx.conf — only the upstream host
#      names techx1/techx2 mapped to the replicas' loopback addresses;
#   7. through the proxy: readiness, /metrics refused, a write, that write
#      found by search on both replicas, a replica stopped and restarted
#      while the proxy keeps answering;
#   8. the Kubernetes manifests rendered by `kubectl kustomize` (offline) and
#      checked for what issue 7 asks of them.
#
#   scripts/deploy-local.sh
#
# Needs: Go, PostgreSQL 15 binaries (/usr/lib/postgresql/15/bin), nginx
# (apt-get install nginx-light), python3 with PyYAML, kubectl (optional),
# root (to run the replicas as uid 65532).
source "$(dirname "$0")/lib/ops.sh"
machine
fail() { echo "deploy-local: FAIL: $*"; exit 1; }
command -v nginx >/dev/null || fail "nginx missing (apt-get install nginx-light)"
[ "$(id -u)" = 0 ] || fail "run as root (the replicas run as uid 65532)"

echo "== 1. build as the Dockerfile's build stage"
grep -q 'CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/techx ./cmd/techx' deployments/Dockerfile ||
  fail "the Dockerfile's build command changed: update this script"
CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$WORK/techx" ./cmd/techx
TECHX="$WORK/techx"
info=$(file -b "$TECHX")
case "$info" in *"statically linked"*) echo "static binary: $info" ;; *) fail "not static: $info" ;; esac
grep -q '^USER nonroot:nonroot' deployments/Dockerfile || fail "the image no longer runs as nonroot"
grep -q 'gcr.io/distroless/static-debian12:nonroot' deployments/Dockerfile || fail "base image changed"

echo "== 2. the compose file"
python3 - deployments/docker-compose.yml >"$WORK/compose.env" <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
s = c["services"]
assert set(s) >= {"postgres", "migrate", "techx1", "techx2", "proxy"}, sorted(s)
assert s["migrate"]["command"] == ["migrate"]
for r in ("techx1", "techx2"):
    assert s[r]["command"] == ["serve", "--no-migrate"], s[r]["command"]
    assert s[r]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert any(v.endswith(":/data") for v in s[r]["volumes"])
assert s["techx1"]["volumes"] != s["techx2"]["volumes"], "replicas must not share an index volume"
pg = s["postgres"]["environment"]
env = s["techx1"]["environment"]
print(f'PG_USER={pg["POSTGRES_USER"]} PG_PASSWORD={pg["POSTGRES_PASSWORD"]} PG_DB={pg["POSTGRES_DB"]}')
print(f'COMPOSE_DB_URL={env["TECHX_DATABASE_URL"]}')
print(f'COMPOSE_LOG_LEVEL={env["TECHX_LOG_LEVEL"]}')
print(f'COMPOSE_PROXIES={env["TECHX_TRUSTED_PROXIES"]}')
print("compose: postgres, migrate (once), techx1 + techx2 (serve --no-migrate, own volumes), proxy", file=sys.stderr)
PY
# shellcheck disable=SC2046
export $(cat "$WORK/compose.env")

echo "== 3. PostgreSQL 15 as the compose postgres service"
private_pg "$(free_port)"
psql "$DB_URL" -qc "CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD'" -qc "CREATE DATABASE $PG_DB OWNER $PG_USER"
# the compose URL with the host and port of this PostgreSQL
DB=$(echo "$COMPOSE_DB_URL" | sed "s#@postgres:5432/#@127.0.0.1:$PG_PORT/#")
echo "database: $DB"

echo "== 4. migrate once"
TECHX_DATABASE_URL=$DB "$TECHX" migrate

echo "== 5. two replicas as uid 65532"
SECRET=$(head -c 48 /dev/urandom | base64)
replica() { # NAME ADDR
  mkdir -p "$WORK/$1"; chown 65532:65532 "$WORK/$1"; chmod 755 "$WORK"
  TECHX_DATABASE_URL=$DB TECHX_JWT_SECRET=$SECRET TECHX_LOG_LEVEL=$COMPOSE_LOG_LEVEL \
    TECHX_TRUSTED_PROXIES=$COMPOSE_PROXIES,127.0.0.0/8 TECHX_DATA_DIR="$WORK/$1" TECHX_ADDR="$2" \
    setpriv --reuid=65532 --regid=65532 --clear-groups "$TECHX" serve --no-migrate >>"$WORK/$1.log" 2>&1 &
  echo $!
}
ready() { # ADDR
  for _ in $(seq 1 600); do curl -fsS -o /dev/null "http://$1/readyz" 2>/dev/null && return 0; sleep 0.2; done
  return 1
}
R1=127.0.0.2:8080; R2=127.0.0.3:8080
P1=$(replica techx1 $R1); PIDS+=("$P1")
P2=$(replica techx2 $R2); PIDS+=("$P2")
ready $R1 || { tail "$WORK/techx1.log"; fail "techx1 not ready"; }
ready $R2 || { tail "$WORK/techx2.log"; fail "techx2 not ready"; }
echo "replicas ready, running as uid $(ps -o uid= -p "$P1" | tr -d ' ') and $(ps -o uid= -p "$P2" | tr -d ' ')"

echo "== 6. nginx with deployments/nginx.conf"
PPORT=8080
python3 -c 'import socket;s=socket.socket();s.bind(("0.0.0.0",8080))' 2>/dev/null || PPORT=$(free_port)
mkdir -p "$WORK/nginx"
sed -e "s/server techx1:8080/server $R1/" -e "s/server techx2:8080/server $R2/" -e "s/listen 8080;/listen $PPORT;/" \
  deployments/nginx.conf >"$WORK/nginx/nginx.conf"
diff <(grep -v 'server techx[12]:8080\|listen 8080' deployments/nginx.conf) \
     <(grep -v "server $R1\|server $R2\|listen $PPORT" "$WORK/nginx/nginx.conf") >/dev/null ||
  fail "nginx.conf changed beyond the host names"
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g "pid $WORK/nginx/nginx.pid; error_log $WORK/nginx/error.log;" -t 2>&1 | tail -1
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g "pid $WORK/nginx/nginx.pid; error_log $WORK/nginx/error.log;"
CLEANUPS+=("kill \$(cat $WORK/nginx/nginx.pid) 2>/dev/null")
P=http://127.0.0.1:$PPORT
for _ in $(seq 1 50); do curl -fsS -o /dev/null "$P/healthz" 2>/dev/null && break; sleep 0.1; done

echo "== 7. through the proxy"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code $P/readyz)" = 200 ] || fail "/readyz through the proxy"
[ "$(code $P/metrics)" = 404 ] || fail "/metrics is public through the proxy"
[ "$(code http://$R1/metrics)" = 200 ] || fail "/metrics on the replica"
echo "proxy: /readyz 200, /metrics 404 (replica: 200)"
J='Content-Type: application/json'
curl -fsS -H "$J" $P/api/v1/auth/register -d '{"email":"boss@example.cn","password":"a-long-password","name":"王经理",
  "role":"enterprise","organization":{"name":"泊头市示例模具有限公司","kind":"enterprise","uscc":"91350100M000100Y43","county":"botou"}}' >/dev/null
TOKEN=$(curl -fsS -H "$J" $P/api/v1/auth/login -d '{"email":"boss@example.cn","password":"a-long-password"}' |
  python3 -c 'import json,sys;print(json.load(sys.stdin)["access_token"])')
A="Authorization: Bearer $TOKEN"
NEED=$(curl -fsS -H "$J" -H "$A" $P/api/v1/needs -d '{"title":"冷轧板冲压回弹大","description":"高强钢冲压件回弹大，希望找到回弹补偿方法。","industry":"auto"}' |
  python3 -c 'import json,sys;print(json.load(sys.stdin)["id"])')
[ "$(code -X POST -H "$A" $P/api/v1/needs/$NEED/publish)" = 200 ] || fail "publish through the proxy"
t0=$(date +%s.%N)
for r in $R1 $R2; do
  ok=
  for _ in $(seq 1 40); do
    curl -fsS "http://$r/api/v1/search?q=%E5%9B%9E%E5%BC%B9%E8%A1%A5%E5%81%BF&kind=need" | grep -q "$NEED" && { ok=1; break; }
    sleep 0.05
  done
  [ -n "$ok" ] || fail "the need written through the proxy is not found on $r within 2 s"
done
printf 'a need written through the proxy is found by search on both replicas within %.2f s\n' "$(echo "$(date +%s.%N) - $t0" | bc)"

kill -TERM "$P1"; wait "$P1" 2>/dev/null || true
bad=0
for _ in $(seq 1 40); do
  c=$(code "$P/api/v1/search?q=%E5%9B%9E%E5%BC%B9")
  [ "$c" = 200 ] || bad=$((bad + 1))
done
[ "$bad" = 0 ] || fail "$bad of 40 searches through the proxy failed with techx1 stopped"
echo "techx1 stopped (SIGTERM): 40 of 40 searches through the proxy answered 200 (techx2 served them)"
P1=$(replica techx1 $R1); PIDS+=("$P1")
ready $R1 || fail "techx1 did not come back"
echo "techx1 restarted: ready, index reopened from its data dir ($(grep -c 'full rebuild' "$WORK/techx1.log") full rebuild at its first start only)"
[ "$(code $P/readyz)" = 200 ] || fail "/readyz through the proxy after the restart"

echo "== 8. Kubernetes manifests"
if command -v kubectl >/dev/null; then
  kubectl kustomize deployments/k8s >"$WORK/k8s.yaml"
  python3 - "$WORK/k8s.yaml" deployments/k8s/job-migrate.yaml <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
kinds = {d["kind"]: d for d in docs}
for k in ("Deployment", "Service", "ConfigMap", "Secret"):
    assert k in kinds, f"no {k} in the kustomization"
dep = kinds["Deployment"]
assert dep["spec"]["replicas"] >= 2, "fewer than 2 replicas"
c = dep["spec"]["template"]["spec"]["containers"][0]
assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
assert c["resources"]["requests"] and c["resources"]["limits"]
assert "--no-migrate" in c["args"]
assert dep["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
job = [d for d in yaml.safe_load_all(open(sys.argv[2])) if d and d["kind"] == "Job"]
assert job and job[0]["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]
print(f'k8s: {len(docs)} objects render; Deployment {dep["spec"]["replicas"]} replicas, readiness /readyz, '
      'liveness /healthz, requests and limits, non-root, serve --no-migrate; migration Job runs migrate')
PY
else
  echo "kubectl missing: manifests not rendered"
fi
echo "deploy-local: ok"
