#!/usr/bin/env bash
# Smoke test for the binaries provisioned by hack/provision-kube-binaries.sh:
# starts etcd + kube-apiserver on 127.0.0.1 (random free ports, temp dir), waits for /readyz,
# runs kubectl against it with a generated admin kubeconfig, then stops everything and cleans up.
#
# Environment:
#   PALISADE_KUBE_BIN_DIR  directory with kube-apiserver, etcd, kubectl
#                          (default: output of hack/provision-kube-binaries.sh, which is a no-op
#                          when the binaries are already provisioned)
#   SMOKE_TIMEOUT          seconds to wait for etcd / kube-apiserver readiness (default 60)
set -euo pipefail

log() { printf '[smoke] %s\n' "$*" >&2; }

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BIN_DIR="${PALISADE_KUBE_BIN_DIR:-$("$HACK_DIR/provision-kube-binaries.sh")}"
TIMEOUT="${SMOKE_TIMEOUT:-60}"
for b in etcd kube-apiserver kubectl; do
  [[ -x "$BIN_DIR/$b" ]] || { log "ERROR: $BIN_DIR/$b missing"; exit 1; }
done
command -v openssl >/dev/null || { log "ERROR: openssl not found"; exit 1; }
command -v curl >/dev/null || { log "ERROR: curl not found"; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/palisade-kube-smoke.XXXXXX")"
ETCD_PID=""
APISERVER_PID=""
OK=0

stop() { # $1 = pid, $2 = name
  [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null || return 0
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$1" 2>/dev/null; then
    log "$2 did not stop on SIGTERM, killing"
    kill -KILL "$1" 2>/dev/null || true
  fi
  wait "$1" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ $OK -ne 1 ]]; then
    for f in apiserver.log etcd.log; do
      [[ -f "$WORK/$f" ]] || continue
      log "--- last lines of $f ---"
      tail -n 30 "$WORK/$f" >&2 || true
    done
  fi
  log "stopping kube-apiserver and etcd, removing $WORK"
  stop "$APISERVER_PID" kube-apiserver
  stop "$ETCD_PID" etcd
  rm -rf "$WORK"
  if [[ $OK -eq 1 ]]; then log "PASS"; else log "FAIL"; [[ $rc -ne 0 ]] || rc=1; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
    return
  fi
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    [[ -z "$(ss -Hltn "( sport = :$p )" 2>/dev/null)" ]] && { echo "$p"; return; }
  done
}
ETCD_PORT="$(free_port)"
ETCD_PEER_PORT="$(free_port)"
API_PORT="$(free_port)"
while [[ "$ETCD_PEER_PORT" == "$ETCD_PORT" ]]; do ETCD_PEER_PORT="$(free_port)"; done
while [[ "$API_PORT" == "$ETCD_PORT" || "$API_PORT" == "$ETCD_PEER_PORT" ]]; do API_PORT="$(free_port)"; done
log "binaries: $BIN_DIR"
log "$("$BIN_DIR/kube-apiserver" --version), etcd $("$BIN_DIR/etcd" --version | sed -n 's/^etcd Version: //p'), kubectl $("$BIN_DIR/kubectl" version --client | sed -n 's/^Client Version: //p')"
log "work dir $WORK, ports: etcd client $ETCD_PORT, etcd peer $ETCD_PEER_PORT, kube-apiserver $API_PORT"

# --- PKI: CA, serving cert, admin client cert, service-account key -------------------------------
PKI="$WORK/pki"
mkdir -p "$PKI"
(
  cd "$PKI"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 \
    -subj "/CN=palisade-smoke-ca" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr \
    -subj "/CN=kube-apiserver" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default\nextendedKeyUsage=serverAuth\n' >apiserver.ext
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 \
    -extfile apiserver.ext -out apiserver.crt 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr \
    -subj "/O=system:masters/CN=palisade-admin" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >admin.ext
  openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 \
    -extfile admin.ext -out admin.crt 2>/dev/null
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
)
log "generated CA, serving cert, admin client cert (O=system:masters) and service-account key"

# --- etcd -------------------------------------------------------------------------------------------
"$BIN_DIR/etcd" \
  --name default \
  --data-dir "$WORK/etcd-data" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "default=http://127.0.0.1:$ETCD_PEER_PORT" \
  --unsafe-no-fsync \
  >"$WORK/etcd.log" 2>&1 &
ETCD_PID=$!
log "started etcd (pid $ETCD_PID)"

deadline=$((SECONDS + TIMEOUT))
until [[ "$(curl -sf "http://127.0.0.1:$ETCD_PORT/health" 2>/dev/null || true)" == *'"health":"true"'* ]]; do
  kill -0 "$ETCD_PID" 2>/dev/null || { log "ERROR: etcd exited"; exit 1; }
  ((SECONDS < deadline)) || { log "ERROR: etcd not healthy after ${TIMEOUT}s"; exit 1; }
  sleep 0.3
done
log "etcd healthy"

# --- kube-apiserver ------------------------------------------------------------------------------------
"$BIN_DIR/kube-apiserver" \
  --bind-address=127.0.0.1 \
  --advertise-address=127.0.0.1 \
  --secure-port="$API_PORT" \
  --cert-dir="$WORK/apiserver-certs" \
  --tls-cert-file="$PKI/apiserver.crt" \
  --tls-private-key-file="$PKI/apiserver.key" \
  --client-ca-file="$PKI/ca.crt" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --service-cluster-ip-range=10.0.0.0/24 \
  --authorization-mode=RBAC \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$PKI/sa.pub" \
  --service-account-signing-key-file="$PKI/sa.key" \
  --allow-privileged=true \
  >"$WORK/apiserver.log" 2>&1 &
APISERVER_PID=$!
log "started kube-apiserver (pid $APISERVER_PID)"

CURL_AUTH=(--cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key")
deadline=$((SECONDS + TIMEOUT))
start=$SECONDS
until [[ "$(curl -s "${CURL_AUTH[@]}" "https://127.0.0.1:$API_PORT/readyz" 2>/dev/null)" == "ok" ]]; do
  kill -0 "$APISERVER_PID" 2>/dev/null || { log "ERROR: kube-apiserver exited"; exit 1; }
  ((SECONDS < deadline)) || { log "ERROR: kube-apiserver not ready after ${TIMEOUT}s"; exit 1; }
  sleep 0.5
done
log "kube-apiserver /readyz ok after $((SECONDS - start))s"

# --- kubectl -------------------------------------------------------------------------------------------
KUBECONFIG_FILE="$WORK/kubeconfig"
cat >"$KUBECONFIG_FILE" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: smoke
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
- name: palisade-admin
  user:
    client-certificate-data: $(base64 -w0 <"$PKI/admin.crt")
    client-key-data: $(base64 -w0 <"$PKI/admin.key")
contexts:
- name: smoke
  context:
    cluster: smoke
    user: palisade-admin
current-context: smoke
EOF
KUBECTL=("$BIN_DIR/kubectl" --kubeconfig "$KUBECONFIG_FILE")

log "kubectl version"
"${KUBECTL[@]}" version >&2
log "kubectl get ns"
"${KUBECTL[@]}" get ns >&2
log "kubectl api-resources | grep networkpolicies"
"${KUBECTL[@]}" api-resources | grep -w networkpolicies >&2

OK=1
