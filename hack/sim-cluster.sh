#!/usr/bin/env bash
# One command for the simulated cluster (docs/e2e.md): a real kube-apiserver and etcd, the operator
# (bin/palisade operator), three nodes as network namespaces each with its agent in CNI mode
# (bin/palisade agent --cni --netns ...), pods wired by Debian's CNI plugins and registered as Pod
# objects with their real addresses, small real servers in the pods; then every seed walkthrough
# with `kubectl apply -f` of its own manifests, real TCP probes after each step, a pass/fail table.
# Exit status: 0 when every check passed. Everything is removed on exit (SIM_KEEP_WORK=1 keeps logs).
#   hack/sim-cluster.sh                    all walkthroughs
#   hack/sim-cluster.sh 000 002            some of them
#   hack/sim-cluster.sh --shell            bring it up, print KUBECONFIG, wait for Ctrl-C
set -euo pipefail
source "$(dirname "$0")/sim-cluster/lib.sh"
source "$(dirname "$0")/sim-cluster/walkthroughs.sh"
source "$(dirname "$0")/sim-cluster/faults.sh"
trap sim_down EXIT
trap 'exit 130' INT TERM

walks=("$@"); [[ ${#walks[@]} -gt 0 ]] || walks=(000 001 002 003)
started=$SECONDS
sim_up n1:10.0.0.0/24 n2:10.0.2.0/24 n3:172.17.0.0/16
sim_topology
sim_log "$(wc -l <"$SIM_WORK/pods") pods wired and registered in $((SECONDS - started)) s"
if [[ ${walks[0]} == --shell ]]; then
  echo "export KUBECONFIG=$KUBECONFIG"; cat "$SIM_WORK/pods"; echo "Ctrl-C tears it down"; sleep infinity
fi
for w in "${walks[@]}"; do "sim_walkthrough_$w"; done
sim_report
sim_log "done in $((SECONDS - started)) s"
[[ $SIM_FAILED -eq 0 ]]
