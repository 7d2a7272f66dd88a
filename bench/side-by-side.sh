#!/usr/bin/env bash
# Palisade side by side with kube-network-policies (the SIG reference agent) on the kind bed
# (issue 17): same cluster, same pods, same policy changes, the two enforcers taking turns.
#
#   sudo hack/kind-up.sh && sudo bench/side-by-side.sh [--changes 20] [--blocks 2] [--rest 20]
#                                                      [--policies 1000] [--conn-seconds 10]
#                                                      [--peer-verbosity 2]
#
# Both arms get their pod network from Palisade's agent in CNI mode (the chart's values-kind.yaml), so
# only enforcement differs:
#   palisade  the chart as installed: operator compiles, agent enforces; kube-network-policies absent.
#   peer      kube-network-policies v0.8.0 (hack/kind/peer.sh: built from its Go module, upstream
#             install.yaml with our image; its log level --v=2 unless --peer-verbosity) enforces. Palisade's operator is scaled to 0 after the
#             benchmark namespace holds no policy and the agents have applied that: the agents keep
#             their last rule sets (pod network, masquerading, routes; no isolation of the benchmark's
#             pods) and see no policy written afterwards. Palisade has no switch that keeps CNI mode
#             and turns enforcement off; this is the nearest to it without changing the agent.
# The arms alternate in blocks (palisade, peer, palisade, peer, ... --blocks times each, --changes /
# --blocks changes per block): switching costs an operator restart or a DaemonSet rollout (tens of
# seconds) and is outside every measurement.
#
# A change: a deny-all ingress policy stands on the server (pod `server`, palisade-worker); write
# allow-client (client -> server TCP 8080, client on palisade-worker2) and time until the client's new
# connections get through (apply-to-enforced); delete it and time until they are dropped
# (delete-to-revoked). The client opens a connection every 10 ms (bench/side-by-side-probe.py); the
# clock starts when the API request is sent (bench/side-by-side.py). At rest: RSS and CPU of the
# enforcing agent's process on the server's node (/proc in the node container via docker exec), the
# deny-all standing, --rest seconds after the block; for Palisade also its leading operator.
# New connections: then, with --policies NetworkPolicies added, every one selecting the server (each
# allows a label no pod has, on a port of its own; one more allows the client on TCP 9000), the client
# opens TCP connections to the server one after another for --conn-seconds (bench/connrate.c, built
# static and copied into both pods), while the enforcing agent's CPU on the server's node is sampled:
# connections per second and agent CPU per connection. --policies 0 skips it.
# Results: $OUT/latency.tsv and $OUT/rest.tsv (default bench/out/side-by-side-<time>), then the table.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../hack/kind/lib.sh"
source "$here/../hack/kind/rootfs.sh"
source "$here/../hack/kind/go-tools.sh"
source "$here/../hack/kind/images.sh"
source "$here/../hack/kind/cluster.sh"
source "$here/../hack/kind/peer.sh"

CHANGES=20 BLOCKS=2 REST=20 NS=sbs PORT=8080 POLICIES=1000 CONN_SECONDS=10 CONN_PORT=9000
OUT="$here/out/side-by-side-$(date -u +%Y%m%dT%H%M%SZ)"
while (($#)); do
  case $1 in
    --changes) CHANGES=$2; shift 2 ;;
    --blocks) BLOCKS=$2; shift 2 ;;
    --rest) REST=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --policies) POLICIES=$2; shift 2 ;;
    --conn-seconds) CONN_SECONDS=$2; shift 2 ;;
    --peer-verbosity) export PEER_VERBOSITY=$2; shift 2 ;;
    *) echo "usage: $0 [--changes N] [--blocks B] [--rest SECONDS] [--policies N] [--conn-seconds S] [--peer-verbosity V] [--out DIR]" >&2; exit 2 ;;
  esac
done
[[ $(id -u) == 0 ]] || kind_die "must run as root (the bed's network namespace)"
kc get nodes >/dev/null 2>&1 || kind_die "no kind bed: run hack/kind-up.sh first"
PER_BLOCK=$(( (CHANGES + BLOCKS - 1) / BLOCKS ))
SERVER_NODE="$KIND_CLUSTER-worker" CLIENT_NODE="$KIND_CLUSTER-worker2"
mkdir -p "$OUT"
: >"$OUT/latency.tsv"; : >"$OUT/rest.tsv"
bench_log() { kind_log "[side-by-side] $*"; }

bench_log "peer image $PEER_IMAGE into the nodes"
kind_peer_image
kind_load "$PEER_IMAGE"
OP_REPLICAS=$(kc -n palisade-system get deployment palisade-operator -o jsonpath='{.spec.replicas}')
((OP_REPLICAS > 0)) || OP_REPLICAS=2

# ---- the workloads: a server and a client (the workload image), on different nodes
pod() { # NAME NODE ARGS-JSON
  echo "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"$1\",\"namespace\":\"$NS\",\"labels\":{\"workload\":\"$1\"}},
    \"spec\":{\"nodeName\":\"$2\",\"terminationGracePeriodSeconds\":1,\"containers\":[{\"name\":\"main\",
    \"image\":\"$WORKLOAD_IMAGE\",\"imagePullPolicy\":\"Never\",\"args\":$3}]}}"
}
kc create namespace "$NS" --dry-run=client -o yaml | kc apply -f - >/dev/null
kc -n "$NS" delete networkpolicy --all >/dev/null
{ pod server "$SERVER_NODE" "[\"server\",\"$PORT\"]"; pod client "$CLIENT_NODE" '["client","9"]'; } | kc apply -f - >/dev/null
kc -n "$NS" wait --for=condition=Ready pod/server pod/client --timeout=3m >/dev/null
SERVER_IP=$(kc -n "$NS" get pod server -o jsonpath='{.status.podIP}')
bench_log "server $SERVER_IP:$PORT on $SERVER_NODE, client on $CLIENT_NODE; $CHANGES changes per arm in $BLOCKS blocks"

flow() { kc -n "$NS" exec client -- python3 /probe.py 0.5 "$SERVER_IP:${1:-$PORT}" 2>/dev/null | cut -d' ' -f1; }
flow_is() { # allow|deny [PORT]: waits up to 120 s
  local want=$1 end=$((SECONDS + 120)) got
  while :; do
    got=$(flow "${2:-}")
    [[ $want == allow && $got == ok ]] && return 0
    [[ $want == deny && $got != ok && $got != error ]] && return 0
    ((SECONDS < end)) || { bench_log "flow still '$got', wanted $want"; return 1; }
    sleep 0.5
  done
}
deny_all() {
  kc apply -f - >/dev/null <<EOF
{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"deny-all","namespace":"$NS"},
 "spec":{"podSelector":{},"policyTypes":["Ingress"]}}
EOF
}

# ---- arms
ARM=""
to_palisade() {
  kind_peer_uninstall
  kc -n palisade-system scale deployment/palisade-operator --replicas="$OP_REPLICAS" >/dev/null
  kc -n palisade-system rollout status deployment/palisade-operator --timeout=5m >&2
  ARM=palisade
}
to_peer() {
  kc -n palisade-system scale deployment/palisade-operator --replicas=0 >/dev/null
  kind_wait 120 "operator pods gone" op_gone
  kind_peer_install
  ARM=peer
}
op_gone() { [[ -z $(kc -n palisade-system get pods -l app.kubernetes.io/component=operator -o name 2>/dev/null) ]]; }

# ---- at rest: RSS and CPU of a process in a node container over --rest seconds
proc_sample() { # NODE NAME-REGEX CMDLINE-REGEX -> "rss_mb cpu_pct" (nothing if no such process)
  dk exec "$1" sh -c '
    pid=""
    for p in $(pgrep -x "$2"); do
      tr "\0" " " </proc/$p/cmdline | grep -Eq -- "$3" && { pid=$p; break; }
    done
    [ -n "$pid" ] || exit 0
    t() { awk "{print \$14+\$15}" /proc/$pid/stat; }
    a=$(t); sleep "$1"; b=$(t)
    rss=$(awk "/^VmRSS/ {print \$2}" /proc/$pid/status)
    echo "$rss $a $b" | awk -v s="$1" -v hz="$(getconf CLK_TCK)" "{printf \"%.1f %.2f\n\", \$1/1024, (\$3-\$2)/hz/s*100}"' \
    sh "$REST" "$2" "$3"
}
rest() {
  local r agent op=""
  if [[ $ARM == palisade ]]; then
    agent=(java " agent( |$)")
    local leader holder
    holder=$(kc -n palisade-system get lease palisade-operator -o jsonpath='{.spec.holderIdentity}' 2>/dev/null || true)
    leader=$(kc -n palisade-system get pod "$holder" -o jsonpath='{.spec.nodeName}' 2>/dev/null || true)
    [[ -z $leader ]] || op="$leader"
  else
    agent=(netpol "/bin/netpol")
  fi
  if [[ -n $op ]]; then
    proc_sample "$op" java " operator( |$)" >"$OUT/.op" &
  fi
  r=$(proc_sample "$SERVER_NODE" "${agent[@]}")
  wait
  [[ -z $r ]] || printf '%s\trss_mb\t%s\n%s\tcpu_pct\t%s\n' "$ARM" "${r% *}" "$ARM" "${r#* }" >>"$OUT/rest.tsv"
  if [[ -n $op && -s $OUT/.op ]]; then
    r=$(cat "$OUT/.op")
    printf '%s\top_rss_mb\t%s\n%s\top_cpu_pct\t%s\n' "$ARM" "${r% *}" "$ARM" "${r#* }" >>"$OUT/rest.tsv"
  fi
  bench_log "$ARM at rest: $(grep "^$ARM" "$OUT/rest.tsv" | tail -4 | cut -f2,3 | tr '\t\n' '= ')"
}

# ---- new connections through the server's node with $POLICIES policies
if ((POLICIES > 0)); then
  gcc -O2 -static -Wall -o "$OUT/connrate" "$here/connrate.c" || kind_die "gcc connrate.c failed"
  for p in server client; do
    kc -n "$NS" exec -i "$p" -- sh -c 'cat >/tmp/connrate.new && chmod +x /tmp/connrate.new && mv -f /tmp/connrate.new /tmp/connrate' <"$OUT/connrate"
  done
  # (a second `connrate serve` finds the port taken and exits: the first one keeps serving)
  kc -n "$NS" exec server -- sh -c "nohup /tmp/connrate serve $CONN_PORT >/dev/null 2>&1 &"
fi
grants() { # the $POLICIES policies plus allow-conn, as one List
  python3 - "$NS" "$POLICIES" "$CONN_PORT" <<'PY'
import json, sys
ns, n, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def np(name, frm, p):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns, "labels": {"side-by-side": "grants"}},
            "spec": {"podSelector": {"matchLabels": {"workload": "server"}}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": [{"podSelector": {"matchLabels": frm}}], "ports": [{"protocol": "TCP", "port": p}]}]}}
items = [np("grant-%04d" % i, {"grant": "g%04d" % i}, 10000 + i) for i in range(n)]
items.append(np("allow-conn", {"workload": "client"}, port))
print(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
PY
}
connrate() {
  local t=$SECONDS
  grants | kc apply --server-side -f - >/dev/null || kind_die "apply of $POLICIES policies failed"
  flow_is allow "$CONN_PORT" || kind_die "$ARM: allow-conn not enforced with $POLICIES policies"
  bench_log "$ARM: $POLICIES policies applied and the client allowed on $CONN_PORT after $((SECONDS - t)) s"
  sleep 10
  local agent; if [[ $ARM == palisade ]]; then agent=(java " agent( |$)"); else agent=(netpol "/bin/netpol"); fi
  REST=$CONN_SECONDS proc_sample "$SERVER_NODE" "${agent[@]}" >"$OUT/.conncpu" &
  local r; r=$(kc -n "$NS" exec client -- /tmp/connrate connect "$SERVER_IP" "$CONN_PORT" "$CONN_SECONDS")
  wait
  local cpu; cpu=$(cut -d' ' -f2 "$OUT/.conncpu")
  printf '%s\tconn_per_s\t%s\n%s\tconn_fail\t%s\n%s\tconn_client_cpu_s\t%s\n%s\tconn_agent_cpu_pct\t%s\n' \
    "$ARM" "$(cut -d' ' -f1 <<<"$r")" "$ARM" "$(cut -d' ' -f3 <<<"$r")" "$ARM" "$(cut -d' ' -f4 <<<"$r")" "$ARM" "$cpu" >>"$OUT/rest.tsv"
  bench_log "$ARM: connrate $r (connections/s, connections, failures, client CPU s); agent CPU ${cpu}% of a core"
  kc -n "$NS" delete networkpolicy -l side-by-side=grants --wait=false >/dev/null
  flow_is deny "$CONN_PORT" || kind_die "$ARM: the $POLICIES policies did not go away"
}

# on any way out before the end (a failure, ^C): no policy left, Palisade's operator back, the peer gone
restore() { bench_log "stopped early: restoring the palisade arm"; kc -n "$NS" delete networkpolicy --all >/dev/null 2>&1; to_palisade >/dev/null 2>&1 || true; }
trap 'exit 130' INT TERM
trap restore EXIT

for ((b = 1; b <= BLOCKS; b++)); do
  for arm in palisade peer; do
    bench_log "block $b/$BLOCKS: $arm"
    if [[ $arm == palisade ]]; then to_palisade; else to_peer; fi
    deny_all
    flow_is deny || kind_die "$arm: deny-all not enforced"
    innet python3 "$here/side-by-side.py" measure --arm "$arm" --changes "$PER_BLOCK" --out "$OUT/latency.tsv" \
      --ns "$NS" --client client --server-ip "$SERVER_IP" --port "$PORT" --kubectl "$KUBE_BIN/kubectl" >&2
    sleep 5
    rest
    ((POLICIES == 0)) || connrate
    kc -n "$NS" delete networkpolicy --all >/dev/null
    flow_is allow || kind_die "$arm: the flow did not come back after deleting every policy"
  done
done
to_palisade
trap - EXIT INT TERM
echo "# side-by-side $(date -u +%FT%TZ), $CHANGES changes per arm in $BLOCKS blocks, peer --v=${PEER_VERBOSITY:-2}; load $(cut -d' ' -f1-3 /proc/loadavg)"
innet python3 "$here/side-by-side.py" table "$OUT/latency.tsv" "$OUT/rest.tsv" --policies "$POLICIES" --conn-seconds "$CONN_SECONDS" | tee "$OUT/table.txt"
bench_log "raw figures in $OUT"
