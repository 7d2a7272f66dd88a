#!/usr/bin/env bash
# What to look at when a bed check fails: nodes, pods, Palisade's objects, agent and operator logs,
# each node's nftables. Prints to stdout; never fails.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set +e
echo "== nodes"; kc get nodes -o wide
echo "== pods"; kc get pods -A -o wide
echo "== palisade objects"; kc get palisadenoderulesets,palisadepolicystatuses -A
echo "== networkpolicies"; kc get networkpolicies -A
echo "== events (warnings)"; kc get events -A --field-selector type=Warning | tail -30
echo "== operator log"; kc -n palisade-system logs -l app.kubernetes.io/component=operator --prefix --tail=80
echo "== agent logs"; kc -n palisade-system logs -l app.kubernetes.io/component=agent --prefix --tail=80
for n in $(kindc get nodes --name "$KIND_CLUSTER" 2>/dev/null); do
  echo "== $n: nft list tables; ip route"; dk exec "$n" nft list tables; dk exec "$n" ip route
done
exit 0
