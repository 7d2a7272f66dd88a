# The simulated cluster, as functions (sourced by hack/sim-cluster.sh and bench/e2e-*.sh).
# Everything it creates lives in network namespaces and a work directory of its own, named by $SIM;
# sim_down removes all of it. Needs root, iproute2, nftables, python3, Debian's CNI plugins
# (containernetworking-plugins), the kube binaries of hack/provision-kube-binaries.sh and a built CLI.

SIM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SIM_HELPERS="$SIM_ROOT/hack/sim-cluster"
SIM="${SIM:-ps$(printf %04x $((RANDOM)))}"
SIM_WORK="${SIM_WORK:-/tmp/palisade-sim-$SIM}"
SIM_KUBE_BIN="${KUBE_BIN:-${KUBEAPITEST_DIR:-$HOME/.kubeapitest}/k8s/1.33.13-linux-amd64}"
SIM_CNI_PATH="${CNI_PATH:-/usr/lib/cni}"
SIM_SETTLE="${SIM_SETTLE:-30}"          # seconds a step may take to converge before it fails
SIM_PIDS=()
declare -A SIM_POD_NS SIM_POD_IP SIM_POD_NODE SIM_AGENT_PID SIM_AGENT_PORT SIM_NODE_NS SIM_OPERATOR_PID
export KUBECONFIG="$SIM_WORK/admin.kubeconfig"

sim_log() { printf '%s [sim] %s\n' "$(date +%T.%3N)" "$*" >&2; }
sim_die() { sim_log "FATAL: $*"; exit 1; }
kc() { "$SIM_KUBE_BIN/kubectl" --kubeconfig "$SIM_WORK/admin.kubeconfig" "$@"; }

sim_check() {
  [[ $(id -u) == 0 ]] || sim_die "must run as root (network namespaces, nftables)"
  for b in kube-apiserver etcd kubectl; do
    [[ -x "$SIM_KUBE_BIN/$b" ]] || sim_die "$SIM_KUBE_BIN/$b is missing: run hack/provision-kube-binaries.sh"
  done
  for p in ptp host-local portmap loopback; do
    [[ -x "$SIM_CNI_PATH/$p" ]] || sim_die "$SIM_CNI_PATH/$p is missing: apt-get install containernetworking-plugins"
  done
  [[ -f "$SIM_ROOT/cli/target/palisade.jar" ]] || sim_die "the CLI is not built: mvn -B -DskipTests package"
  for t in ip nft python3 openssl; do command -v $t >/dev/null || sim_die "$t not found"; done
}

sim_free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

sim_wait() { # timeout-seconds description command...
  local t=$1 what=$2; shift 2
  local end=$((SECONDS + t))
  until "$@" >/dev/null 2>&1; do
    (( SECONDS < end )) || { sim_log "timed out after ${t}s waiting for $what"; return 1; }
    sleep 0.2
  done
}

# ---- control plane: etcd and kube-apiserver as processes, tokens for the admin and the two ServiceAccounts
sim_start_etcd() {
  SIM_ETCD_PORT=$(sim_free_port); local peer; peer=$(sim_free_port)
  "$SIM_KUBE_BIN/etcd" --data-dir "$SIM_WORK/etcd" --listen-client-urls "http://127.0.0.1:$SIM_ETCD_PORT" \
    --advertise-client-urls "http://127.0.0.1:$SIM_ETCD_PORT" --listen-peer-urls "http://127.0.0.1:$peer" \
    --unsafe-no-fsync >"$SIM_WORK/logs/etcd.log" 2>&1 &
  SIM_ETCD_PID=$!; SIM_PIDS+=($SIM_ETCD_PID)
}

sim_start_apiserver() {
  "$SIM_KUBE_BIN/kube-apiserver" --etcd-servers "http://127.0.0.1:$SIM_ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$SIM_API_PORT" --cert-dir "$SIM_WORK/pki" \
    --token-auth-file "$SIM_WORK/tokens.csv" --authorization-mode RBAC --allow-privileged \
    --disable-admission-plugins ServiceAccount --service-cluster-ip-range 10.96.0.0/16 \
    --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$SIM_WORK/sa.pub" \
    --service-account-signing-key-file "$SIM_WORK/sa.key" >"$SIM_WORK/logs/kube-apiserver.log" 2>&1 &
  SIM_API_PID=$!; SIM_PIDS+=($SIM_API_PID)
  sim_wait 90 "kube-apiserver /readyz" kc get --raw /readyz || { tail -20 "$SIM_WORK/logs/kube-apiserver.log" >&2; return 1; }
}

sim_stop_apiserver() { kill "$SIM_API_PID" 2>/dev/null || true; wait "$SIM_API_PID" 2>/dev/null || true; }

sim_kubeconfig() { # file token
  cat >"$1" <<KC
apiVersion: v1
kind: Config
clusters: [{name: sim, cluster: {server: "https://127.0.0.1:$SIM_API_PORT", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: "$2"}}]
contexts: [{name: sim, context: {cluster: sim, user: u}}]
current-context: sim
KC
}

sim_control_plane() {
  mkdir -p "$SIM_WORK/logs" "$SIM_WORK/pki"
  openssl genrsa -out "$SIM_WORK/sa.key" 2048 2>/dev/null
  openssl rsa -in "$SIM_WORK/sa.key" -pubout -out "$SIM_WORK/sa.pub" 2>/dev/null
  local sa="system:serviceaccounts,system:serviceaccounts:palisade-system,system:authenticated"
  cat >"$SIM_WORK/tokens.csv" <<T
admin-$SIM,admin,1,"system:masters"
operator-$SIM,system:serviceaccount:palisade-system:palisade-operator,2,"$sa"
agent-$SIM,system:serviceaccount:palisade-system:palisade-agent,3,"$sa"
T
  SIM_API_PORT=$(sim_free_port)
  sim_kubeconfig "$SIM_WORK/admin.kubeconfig" "admin-$SIM"
  sim_kubeconfig "$SIM_WORK/operator.kubeconfig" "operator-$SIM"
  sim_kubeconfig "$SIM_WORK/agent.kubeconfig" "agent-$SIM"
  sim_start_etcd
  sim_start_apiserver
  kc apply --server-side -f "$SIM_ROOT/deploy/crds" >/dev/null
  kc wait --for condition=established --timeout 60s crd --all >/dev/null
  kc apply -f "$SIM_ROOT/deploy/rbac/operator.yaml" -f "$SIM_ROOT/deploy/rbac/agent.yaml" >/dev/null
}

# ---- the programs: bin/palisade operator and bin/palisade agent, each its own JVM
SIM_JAVA_OPTS="${SIM_JAVA_OPTS:--XX:+UseSerialGC -Xmx256m -Xshare:auto}"
# Extra JVM options for the operator only, e.g. a flight recording of its passes:
#   SIM_OPERATOR_JAVA_OPTS="-XX:StartFlightRecording=filename=/tmp/operator.jfr,settings=profile"
SIM_OPERATOR_JAVA_OPTS="${SIM_OPERATOR_JAVA_OPTS:-}"

sim_start_operator() { # identity
  local id=${1:-op-1} port; port=$(sim_free_port)
  KUBECONFIG="$SIM_WORK/operator.kubeconfig" JAVA_TOOL_OPTIONS="$SIM_JAVA_OPTS $SIM_OPERATOR_JAVA_OPTS" \
    "$SIM_ROOT/bin/palisade" operator --identity "$id" --http-port "$port" >>"$SIM_WORK/logs/operator-$id.log" 2>&1 &
  SIM_OPERATOR_PID[$id]=$!; SIM_PIDS+=($!)
  eval "SIM_OPERATOR_PORT_${id//-/_}=$port"
}

sim_start_agent() { # node
  local n=$1 port; port=$(sim_free_port)
  KUBECONFIG="$SIM_WORK/agent.kubeconfig" JAVA_TOOL_OPTIONS="$SIM_JAVA_OPTS" MALLOC_ARENA_MAX=2 \
    "$SIM_ROOT/bin/palisade" agent --node "$n" --netns "${SIM_NODE_NS[$n]}" --http-port "$port" --verify-interval 2 \
    --cni --cni-bin-dir "$SIM_CNI_PATH" --cni-conf-dir "$SIM_WORK/$n/net.d" --cni-run-dir "$SIM_WORK/$n/run" --cni-ipam-data-dir "$SIM_WORK/$n/ipam" \
    >>"$SIM_WORK/logs/agent-$n.log" 2>&1 &
  SIM_AGENT_PID[$n]=$!; SIM_AGENT_PORT[$n]=$port; SIM_PIDS+=($!)
}

sim_http() { python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())' "$1" 2>/dev/null; }
sim_agent_ready() { sim_http "http://127.0.0.1:${SIM_AGENT_PORT[$1]}/readyz" >/dev/null && [[ -f "$SIM_WORK/$1/net.d/10-palisade.conflist" ]]; }
sim_agent_metric() { sim_http "http://127.0.0.1:${SIM_AGENT_PORT[$1]}/metrics" | awk -v m="$2" '$1==m {print $2}'; }

# ---- the network: a fabric bridge, nodes on it, one external host holding the seeds' outside addresses
sim_ns() { ip netns add "$1"; echo "$1" >>"$SIM_WORK/netns"; ip -n "$1" link set lo up; }

sim_fabric() {
  mkdir -p "$SIM_WORK"; : >"$SIM_WORK/netns"
  sim_ns "$SIM-fab"
  ip -n "$SIM-fab" link add br0 type bridge stp_state 0 && ip -n "$SIM-fab" link set br0 up
  sim_ns "$SIM-ext"
  sim_attach "$SIM-ext" xt 192.168.200.100/24
  # 8.8.8.8 played by 192.168.250.8 (+ .9 beside it), api.nasa.gov by 192.168.251.141 and 192.168.252.47
  for a in 192.168.250.8/24 192.168.250.9/24 192.168.251.141/24 192.168.252.47/24; do ip -n "$SIM-ext" addr add $a dev eth0; done
  sim_server "$SIM-ext" external 80 443 53
}

sim_attach() { # netns tag cidr
  ip -n "$1" link add eth0 type veth peer name "$SIM$2" netns "$SIM-fab"
  ip -n "$1" addr add "$3" dev eth0 && ip -n "$1" link set eth0 up
  ip -n "$SIM-fab" link set "$SIM$2" master br0 && ip -n "$SIM-fab" link set "$SIM$2" up
}

sim_server() { # netns name ports...
  local ns=$1 name=$2; shift 2
  ip netns exec "$ns" python3 "$SIM_HELPERS/server.py" "$name" "$@" >>"$SIM_WORK/logs/servers.log" 2>&1 &
  SIM_PIDS+=($!)
}

sim_node() { # name index podCIDR
  local n=$1 i=$2 cidr=$3 ns="$SIM-$1"
  SIM_NODE_NS[$n]=$ns
  sim_ns "$ns"
  sim_attach "$ns" "$n" "192.168.200.$i/24"
  ip -n "$ns" route add default via 192.168.200.100
  ip netns exec "$ns" sysctl -q -w net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  mkdir -p "$SIM_WORK/$n/net.d" "$SIM_WORK/$n/ipam"
  kc apply -f - >/dev/null <<N
apiVersion: v1
kind: Node
metadata: {name: $n}
spec: {podCIDR: "$cidr", podCIDRs: ["$cidr"]}
N
  kc patch node "$n" --subresource status --type merge \
    -p "{\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"192.168.200.$i\"}]}}" >/dev/null
  sim_start_agent "$n"
}

SIM_PORTS=(80 443 53 3306 6379 5432 8080 8081 31999 32000 32768 32769)

# A pod: its namespace wired by the CNI plugins from the agent's configuration, its servers, and the
# Pod object as the kubelet would report it (scheduled to the node, Running, with the CNI's address).
sim_pod() { # namespace/name node labels-json [named-ports-json] [ip]
  local key=$1 node=$2 labels=$3 ports=${4:-[]} want=${5:-}
  local k8sns=${key%/*} name=${key#*/} ns="$SIM-p$(printf %s "$key" | md5sum | cut -c1-8)"
  sim_ns "$ns"
  local ip; ip=$(python3 "$SIM_HELPERS/cni.py" ADD "${SIM_NODE_NS[$node]}" "$SIM_WORK/$node/net.d/10-palisade.conflist" \
    "$ns" "$ns" $want) || sim_die "CNI ADD of $key failed"
  SIM_POD_NS[$key]=$ns; SIM_POD_IP[$key]=$ip; SIM_POD_NODE[$key]=$node
  echo "$key $ns $ip $node" >>"$SIM_WORK/pods"
  sim_server "$ns" "$name" "${SIM_PORTS[@]}"
  kc get ns "$k8sns" >/dev/null 2>&1 || kc create ns "$k8sns" >/dev/null
  kc apply -f - >/dev/null <<P
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$name","namespace":"$k8sns","labels":$labels},
 "spec":{"nodeName":"$node","containers":[{"name":"c","image":"registry.invalid/sim","ports":$ports}]}}
P
  kc -n "$k8sns" patch pod "$name" --subresource status --type merge \
    -p "{\"status\":{\"phase\":\"Running\",\"podIP\":\"$ip\",\"podIPs\":[{\"ip\":\"$ip\"}]}}" >/dev/null
}

sim_up() { # nodes: "name:podCIDR" ...
  sim_check
  mkdir -p "$SIM_WORK/logs"; : >"$SIM_WORK/pods"
  sim_log "work directory $SIM_WORK, namespaces $SIM-*"
  sim_fabric
  sim_control_plane
  sim_log "kube-apiserver on https://127.0.0.1:$SIM_API_PORT (KUBECONFIG=$KUBECONFIG)"
  sim_start_operator op-1
  local i=0 spec
  for spec in "$@"; do i=$((i + 1)); sim_node "${spec%%:*}" $i "${spec#*:}"; done
  for spec in "$@"; do sim_wait 90 "agent ${spec%%:*} ready" sim_agent_ready "${spec%%:*}" \
    || { tail -30 "$SIM_WORK/logs/agent-${spec%%:*}.log" >&2; return 1; }; done
  sim_log "control plane, operator and ${#@} agents up"
}

sim_down() {
  local p
  for p in "${SIM_PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${SIM_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  # servers run under `ip netns exec`: kill what still holds a namespace of ours
  if [[ -f "$SIM_WORK/netns" ]]; then
    while read -r ns; do
      for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    done <"$SIM_WORK/netns"
    tac "$SIM_WORK/netns" | while read -r ns; do ip netns delete "$ns" 2>/dev/null || true; done
  fi
  if [[ -z "${SIM_KEEP_WORK:-}" ]]; then rm -rf "$SIM_WORK"; else sim_log "logs kept in $SIM_WORK/logs"; fi
}

# ---- probes: "src dst port" triples, by pod key (namespace/name) or "ext:<ip>"
sim_target_ip() { if [[ $1 == ext:* ]]; then echo "${1#ext:}"; else echo "${SIM_POD_IP[$1]}"; fi; }

# prints "<i> ok|refused|timeout" for each triple, all probed at once
sim_probe() { # timeout triples...
  local t=$1; shift; local i=0
  while (( $# >= 3 )); do
    echo "$i ${SIM_POD_NS[$1]} $(sim_target_ip "$2") $3"; i=$((i + 1)); shift 3
  done | python3 "$SIM_HELPERS/probe.py" "$t"
}
