#!/usr/bin/env bash
# Enforcement latency on the simulated cluster (hack/sim-cluster.sh's cluster, docs/e2e.md): probing
# every 10 ms from a client pod on n2 to a server pod on n1, the time from `kubectl apply` of an allow
# policy to the first connection that gets through, and from `kubectl delete` to the first that does
# not; p50/p99 over CHANGES changes (default 100). Not a test: prints figures.
#   bench/e2e-latency.sh                      idle cluster
#   SCALE=1 bench/e2e-latency.sh              + SCALE_PODS Pod objects (default 10000), SCALE_POLICIES
#                                             NetworkPolicies (default 1000), CHURN pods/s (default 100)
#   SCALE=1 CHURN=0 bench/e2e-latency.sh      the same cluster, idle
# Targets (issue 6): enforce p50 <= 100 ms, p99 <= 300 ms idle (<= 500 ms under churn); revoke p99 <= 500 ms.
set -euo pipefail
source "$(dirname "$0")/../hack/sim-cluster/lib.sh"
trap sim_down EXIT
trap 'exit 130' INT TERM
CHANGES=${CHANGES:-100}
SCALE_PODS=${SCALE_PODS:-10000} SCALE_POLICIES=${SCALE_POLICIES:-1000} CHURN=${CHURN:-100}

sim_up n1:10.1.0.0/16 n2:10.2.0.0/16 n3:10.3.0.0/16
kc create ns lat >/dev/null
sim_pod lat/server n1 '{"app":"server"}'
sim_pod lat/client n2 '{"app":"client"}'
kc apply -f - >/dev/null <<'Y'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: server-deny-ingress, namespace: lat}
spec: {podSelector: {matchLabels: {app: server}}, policyTypes: [Ingress]}
Y
cat >"$SIM_WORK/allow.yaml" <<'Y'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: server-allow-client, namespace: lat}
spec:
  podSelector: {matchLabels: {app: server}}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {matchLabels: {app: client}}}], ports: [{protocol: TCP, port: 80}]}]
Y
sim_wait 30 "server isolated" bash -c "! sim_probe 0.3 lat/client lat/server 80 | grep -q ok" || true
churn_pid=""
if [[ -n "${SCALE:-}" ]]; then
  sim_log "loading $SCALE_PODS pods and $SCALE_POLICIES policies into the API server"
  python3 "$SIM_HELPERS/scale.py" "https://127.0.0.1:$SIM_API_PORT" "admin-$SIM" load "$SCALE_PODS" "$SCALE_POLICIES"
  if [[ $CHURN != 0 ]]; then
    python3 "$SIM_HELPERS/scale.py" "https://127.0.0.1:$SIM_API_PORT" "admin-$SIM" churn "$CHURN" \
      >"$SIM_WORK/logs/churn.log" 2>&1 &
    churn_pid=$!; SIM_PIDS+=($churn_pid)
  fi
  sleep 10
fi
sim_log "measuring over $CHANGES changes${SCALE:+ with $SCALE_PODS pods, $SCALE_POLICIES policies, $CHURN pods/s churn} (load: $(cut -d' ' -f1-3 /proc/loadavg))"
KUBECONFIG="$SIM_WORK/admin.kubeconfig" python3 "$SIM_HELPERS/latency.py" "$SIM_KUBE_BIN/kubectl" \
  "${SIM_POD_NS[lat/client]}" "${SIM_POD_IP[lat/server]}" 80 "$SIM_WORK/allow.yaml" "$CHANGES"
[[ -z $churn_pid ]] || tail -2 "$SIM_WORK/logs/churn.log"
for n in n1 n2; do
  echo "agent $n applies: $(sim_http "http://127.0.0.1:${SIM_AGENT_PORT[$n]}/metrics" | grep '^palisade_agent_apply_duration_seconds_count' | tr '\n' ' ')"
done
