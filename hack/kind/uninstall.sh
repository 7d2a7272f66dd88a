#!/usr/bin/env bash
# Uninstall leaves nodes as they were (issue 11, item 4), on the kind bed of hack/kind-up.sh:
#   1. a rolling update of the agents: every node holds `table inet palisade` at every sample, and a
#      denied probe never connects;
#   2. the agent removed from one node by a changed nodeSelector: that node's policy table goes, new
#      pods there talk to each other; the selector restored, enforcement comes back;
#   3. `helm uninstall`: no node keeps `table inet palisade`; pods that exist keep their network
#      (CNI mode) and new pods talk to each other;
#   4. `helm install` again: enforcement is back.
# Prints a pass/fail table with the figures; exits 1 on any failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/walkthroughs.sh"
source "$here/cluster.sh"
NS=palisade-uninstall
FREE=palisade-uninstall-free
W1="$KIND_CLUSTER-worker" W2="$KIND_CLUSTER-worker2"
ROWS=()
FAILED=0
WORK=$(mktemp -d)
row() { ROWS+=("$(printf '%-4s | %-62s | %s' "$1" "$2" "$3")"); [[ $1 == pass ]] || FAILED=$((FAILED + 1)); kind_log "$1: $2: $3"; }
cleanup() { kc delete namespace "$NS" "$FREE" --wait=false >/dev/null 2>&1 || true; rm -rf "$WORK"; jobs -p | xargs -r kill 2>/dev/null || true; }
trap cleanup EXIT

has_table() { dk exec "$1" nft list tables 2>/dev/null | grep -qx 'table inet palisade'; }
# sample NODE: "yes" | "no <what nft listed>" | "unknown <error>" (an exec that failed proves nothing)
sample() {
  local out
  if ! out=$(dk exec "$1" nft list tables 2>&1); then echo "unknown ${out//$'\n'/ }"; return; fi
  grep -qx 'table inet palisade' <<<"$out" && echo yes || echo "no ${out//$'\n'/ }"
}
no_table() { ! has_table "$1"; }
pinned() { # NS/NAME NODE LABELS-JSON: a workload pod on a given node
  wl pod "$1" "$3" | jq -c --arg n "$2" '.spec.nodeName = $n'
}
ip_of() { kc get pod -n "${1%/*}" "${1#*/}" -o jsonpath='{.status.podIP}'; }
probe1() { # NS/POD TARGET -> ok... | timeout | ...
  kc exec -n "${1%/*}" "${1#*/}" -- python3 /probe.py 1 "$2" 2>/dev/null || echo "error exec"
}
connects() { [[ $(probe1 "$1" "$2") == ok* ]]; }
denied() { local r; r=$(probe1 "$1" "$2"); [[ $r != ok* && $r != "error exec" ]]; }
enforcing() { has_table "$1" && denied "$2" "$3"; }
# watch_tables SECONDS-FILE: samples every node's tables until the file disappears; prints missing samples
watch_tables() {
  local stop=$1 n s samples=0 missing=0 unknown=0
  local nodes; nodes=$(kindc get nodes --name "$KIND_CLUSTER")
  while [[ -f $stop ]]; do
    for n in $nodes; do
      s=$(sample "$n")
      case $s in
        yes) samples=$((samples + 1)) ;;
        unknown*) unknown=$((unknown + 1)); echo "$(date +%T.%3N) $n $s" >>"$WORK/unknown" ;;
        *) samples=$((samples + 1)); missing=$((missing + 1)); echo "$(date +%T.%3N) $n $s" >>"$WORK/missing" ;;
      esac
    done
  done
  echo "$samples $missing $unknown"
}
# deny_loop NS/POD TARGET STOP-FILE: probes until the file disappears; prints "probes connected"
deny_loop() {
  kc exec -n "${1%/*}" "${1#*/}" -- sh -c \
    "n=0; c=0; end=\$((\$(date +%s) + 600)); while [ \$(date +%s) -lt \$end ]; do r=\$(python3 /probe.py 0.3 $2); n=\$((n+1)); case \$r in ok*) c=\$((c+1));; esac; echo \"\$n \$c\"; sleep 0.1; done" \
    >"$WORK/deny.$$" 2>/dev/null &
  local pid=$!
  while [[ -f $3 ]]; do sleep 0.5; done
  kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
  tail -1 "$WORK/deny.$$"
}

[[ $(id -u) == 0 ]] || kind_die "must run as root (the bed's network namespace)"
kc create namespace $NS >/dev/null; kc create namespace $FREE >/dev/null
{
  pinned $NS/a "$W1" '{"role":"client"}'
  pinned $NS/b "$W1" '{"role":"server"}'
  pinned $NS/c "$W2" '{"role":"other"}'
  cat <<YAML
{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"only-clients","namespace":"$NS"},
 "spec":{"podSelector":{"matchLabels":{"role":"server"}},"policyTypes":["Ingress"],
         "ingress":[{"from":[{"podSelector":{"matchLabels":{"role":"client"}}}]}]}}
YAML
} | kc apply -f - >/dev/null
kc wait --for=condition=Ready pod --all -n $NS --timeout=3m >/dev/null
B=$(ip_of $NS/b):80
kind_wait 60 "c -> b denied" denied $NS/c "$B" || kind_die "the check's policy is not enforced"
kind_wait 60 "a -> b allowed" connects $NS/a "$B" || kind_die "the check's allowed flow does not connect"

# ---- 1. rolling update
stop="$WORK/rolling"; touch "$stop"
watch_tables "$stop" >"$WORK/tables" &
wt=$!
deny_loop $NS/c "$B" "$stop" >"$WORK/deny" &
dl=$!
t=$SECONDS
kc -n palisade-system rollout restart daemonset/palisade-agent >/dev/null
kc -n palisade-system rollout status daemonset/palisade-agent --timeout=5m >/dev/null
took=$((SECONDS - t))
sleep 2; rm -f "$stop"; wait $wt $dl || true
read -r samples missing unknown <"$WORK/tables"; read -r probes connected <"$WORK/deny" || { probes=0; connected=0; }
if [[ $missing == 0 && $connected == 0 && $samples -gt 0 && $probes -gt 0 ]]; then
  row pass "rolling update of the agents (${took} s)" "$samples table samples, none without inet palisade ($unknown execs failed); $probes denied probes, none connected"
else
  row FAIL "rolling update of the agents (${took} s)" "$missing of $samples samples without the table ($(head -3 "$WORK/missing" 2>/dev/null | tr '\n' ';')); $connected of $probes denied probes connected"
fi
[[ $(probe1 $NS/a "$B") == ok* ]] && row pass "after the update: allowed a -> b" "connects" || row FAIL "after the update: allowed a -> b" "does not connect"

# ---- 2. nodeSelector no longer selects worker2
for n in "$KIND_CLUSTER-control-plane" "$W1"; do kc label node "$n" palisade-test-agent=yes --overwrite >/dev/null; done
t=$SECONDS
helmc upgrade palisade "$KIND_REPO/charts/palisade" -n palisade-system "${KIND_HELM_VALUES[@]}" \
  --set agent.nodeSelector.palisade-test-agent=yes >/dev/null
kc -n palisade-system rollout status daemonset/palisade-agent --timeout=5m >/dev/null
if kind_wait 120 "$W2 without table inet palisade" no_table "$W2"; then
  row pass "nodeSelector excludes $W2: its policy table goes" "gone $((SECONDS - t)) s after helm upgrade; left: $(dk exec "$W2" nft list tables | grep palisade | sed 's/table //' | tr '\n' ' ')"
else
  row FAIL "nodeSelector excludes $W2: its policy table goes" "still there after 120 s"
fi
{ pinned $FREE/d "$W2" '{"role":"d"}'; pinned $FREE/e "$W2" '{"role":"e"}'; } | kc apply -f - >/dev/null
if kc wait --for=condition=Ready pod/d pod/e -n $FREE --timeout=3m >/dev/null && [[ $(probe1 $FREE/d "$(ip_of $FREE/e):80") == ok* ]]; then
  row pass "new pods on $W2 (no agent) talk to each other" "d -> e connects"
else
  row FAIL "new pods on $W2 (no agent) talk to each other" "d -> e: $(probe1 $FREE/d "$(ip_of $FREE/e):80")"
fi
t=$SECONDS
helmc upgrade palisade "$KIND_REPO/charts/palisade" -n palisade-system "${KIND_HELM_VALUES[@]}" >/dev/null
kc -n palisade-system rollout status daemonset/palisade-agent --timeout=5m >/dev/null
for n in "$KIND_CLUSTER-control-plane" "$W1"; do kc label node "$n" palisade-test-agent- >/dev/null; done
if kind_wait 120 "$W2 enforcing again" enforcing "$W2" $NS/c "$B"; then
  row pass "selector restored: $W2 enforces again" "table back and c -> b denied $((SECONDS - t)) s after helm upgrade"
else
  row FAIL "selector restored: $W2 enforces again" "not within 120 s"
fi

# ---- 3. helm uninstall
t=$SECONDS
helmc uninstall palisade -n palisade-system --wait --timeout 5m >/dev/null
left=""
for n in $(kindc get nodes --name "$KIND_CLUSTER"); do
  kind_wait 60 "$n without table inet palisade" no_table "$n" || left+="$n "
done
if [[ -z $left ]]; then
  row pass "helm uninstall: no node keeps table inet palisade" "all gone $((SECONDS - t)) s after helm uninstall began; $W1 keeps: $(dk exec "$W1" nft list tables | grep palisade | sed 's/table //' | tr '\n' ' ')"
else
  row FAIL "helm uninstall: no node keeps table inet palisade" "still on: $left"
fi
r=$(probe1 $NS/c "$B")
[[ $r == ok* ]] && row pass "existing pods keep their network (c on $W2 -> b on $W1)" "connects, no policy enforced any more" ||
  row FAIL "existing pods keep their network (c on $W2 -> b on $W1)" "$r"
{ pinned $FREE/f "$W1" '{"role":"f"}'; pinned $FREE/g "$W1" '{"role":"g"}'; } | kc apply -f - >/dev/null
if kc wait --for=condition=Ready pod/f pod/g -n $FREE --timeout=3m >/dev/null && [[ $(probe1 $FREE/f "$(ip_of $FREE/g):80") == ok* ]]; then
  row pass "new pods after uninstall talk to each other ($W1)" "f -> g connects"
else
  row FAIL "new pods after uninstall talk to each other ($W1)" "f -> g does not connect"
fi

# ---- 4. install again
t=$SECONDS
KIND_EXISTED=false kind_helm_install
if kind_wait 120 "c -> b denied again" denied $NS/c "$B"; then
  row pass "helm install again: enforcement is back" "c -> b denied $((SECONDS - t)) s after helm install began"
else
  row FAIL "helm install again: enforcement is back" "c -> b still connects after 120 s"
fi

printf '\n%-4s | %-62s | %s\n' result check figures
printf '%s\n' "${ROWS[@]}"
printf '\n%d checks, %d failed\n' "${#ROWS[@]}" "$FAILED"
((FAILED == 0))
