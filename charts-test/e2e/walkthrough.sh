#!/usr/bin/env bash
# The netpol-demo walkthrough on a real cluster with Palisade installed: workloads, then probes
# (everything connects), then examples/netpol-demo/policies.yaml, then probes against the
# walkthrough's truth table. If the palisade CLI is built (bin/palisade), it also asks
# `palisade explain` about every probe, on the live cluster's objects, and requires the same answer.
#
# Needs kubectl with KUBECONFIG (or the current context) pointing at the cluster. Used by the
# e2e-kind and e2e-k3d workflows and by ChartK3sTest.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KUBECTL="${KUBECTL:-kubectl}"
TIMEOUT="${PALISADE_E2E_TIMEOUT:-180}"
log() { printf '[walkthrough] %s\n' "$*" >&2; }
die() { printf '[walkthrough] FAILED: %s\n' "$*" >&2; exit 1; }

# from-namespace/pod  to-namespace/pod  port  expected (the walkthrough's, written by hand)
TRUTH=(
  "frontend/client      netpol-demo/web-app-1  80    allow"  # web-allow-frontend
  "frontend/client      netpol-demo/web-app-2  80    allow"
  "frontend/client      netpol-demo/database   5432  deny"   # db-policy: only app=web
  "netpol-demo/web-app-1 netpol-demo/database  5432  allow"  # db-policy
  "netpol-demo/web-app-2 netpol-demo/database  5432  allow"
  "elsewhere/stranger   netpol-demo/web-app-1  80    deny"   # not a purpose=frontend namespace
  "elsewhere/stranger   netpol-demo/database   5432  deny"   # default-deny-ingress
  "netpol-demo/database netpol-demo/web-app-1  80    deny"   # web-allow-frontend only
)

ip_of() { $KUBECTL get pod -n "${1%/*}" "${1#*/}" -o jsonpath='{.status.podIP}'; }
probe() { # probe FROM TO PORT -> allow | deny
  local ip
  ip=$(ip_of "$2")
  if $KUBECTL exec -n "${1%/*}" "${1#*/}" -- /agnhost connect --timeout=3s "$ip:$3" >/dev/null 2>&1; then
    echo allow
  else
    echo deny
  fi
}
matrix() { # matrix MODE: "open" expects allow everywhere, "policies" expects the truth table
  local bad=0 from to port want got
  for row in "${TRUTH[@]}"; do
    read -r from to port want <<<"$row"
    [[ "$1" == open ]] && want=allow
    got=$(probe "$from" "$to" "$port")
    printf '  %-22s -> %-22s %5s  want %-5s got %-5s %s\n' "$from" "$to" "$port" "$want" "$got" \
      "$([[ $want == "$got" ]] && echo ok || echo MISMATCH)" >&2
    [[ "$want" == "$got" ]] || bad=$((bad + 1))
  done
  return $bad
}
until_matches() { # until_matches MODE: enforcement converges; retry until the table holds or time is up
  local deadline=$((SECONDS + TIMEOUT)) n=1
  while true; do
    log "probes, round $n ($1)"
    if matrix "$1"; then return 0; fi
    ((SECONDS < deadline)) || return 1
    n=$((n + 1))
    sleep 5
  done
}

log "workloads"
$KUBECTL apply -f "$REPO/charts-test/e2e/netpol-demo-workloads.yaml"
$KUBECTL wait --for=condition=Ready --timeout="${TIMEOUT}s" -n netpol-demo pod --all
$KUBECTL wait --for=condition=Ready --timeout="${TIMEOUT}s" -n frontend pod/client
$KUBECTL wait --for=condition=Ready --timeout="${TIMEOUT}s" -n elsewhere pod/stranger
$KUBECTL get pods -o wide -n netpol-demo; $KUBECTL get pods -o wide -n frontend; $KUBECTL get pods -o wide -n elsewhere

until_matches open || die "without policies every probe must connect (is pod networking up?)"

log "policies: examples/netpol-demo/policies.yaml"
$KUBECTL apply -f "$REPO/examples/netpol-demo/policies.yaml"
until_matches policies || {
  $KUBECTL get palisadenoderulesets -o wide || true
  $KUBECTL get palisadepolicystatuses -A -o yaml || true
  die "the cluster does not enforce the walkthrough's truth table"
}
$KUBECTL get palisadepolicystatuses -n netpol-demo
$KUBECTL get palisadenoderulesets

if [[ -x "$REPO/bin/palisade" && -f "$REPO/cli/target/palisade.jar" ]]; then
  log "palisade explain on the live objects agrees with every probe"
  live=$(mktemp --suffix=.yaml)
  trap 'rm -f "$live"' EXIT
  $KUBECTL get pods,nodes,namespaces,networkpolicies -A -o yaml >"$live"
  for row in "${TRUTH[@]}"; do
    read -r from to port want <<<"$row"
    code=0
    "$REPO/bin/palisade" explain --manifests "$live" --from "$from" --to "$to" --port "$port" >/dev/null || code=$?
    case $code in
      0) got=allow ;;
      1) got=deny ;;
      *) die "palisade explain could not read the live objects (exit $code)" ;;
    esac
    [[ "$got" == "$want" ]] || die "palisade explain says $got for $from -> $to:$port, the walkthrough says $want"
  done
fi
log "netpol-demo walkthrough enforced"
