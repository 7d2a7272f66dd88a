#!/usr/bin/env bash
# The seed walkthroughs (/work/shared/seeds) on the real kind cluster of hack/kind-up.sh: the seeds'
# apps as Deployments, Pods and Services (the workload image's Python servers answer on every port
# the seeds use), each step `kubectl apply -f` of the seed's own policy manifests, then probes from
# inside the pods (kubectl exec) through pod IPs, Service names (CoreDNS), ClusterIPs and DNS, and
# from outside the cluster (the bed's namespace) to NodePorts and pod IPs, until the step's table
# holds or KIND_SETTLE seconds pass. Prints a pass/fail table; exits 1 on any failure.
#
#   sudo hack/kind/walkthroughs.sh [000 001 002 003]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SEEDS="$KIND_REPO/conformance/src/test/resources/dev/palisade/conformance/policies/seeds"
KIND_SETTLE="${KIND_SETTLE:-60}"
PORTS='"80","443","53","3306","6379","5432","8080","8081","31999","32000","32768","32769"'
RESULTS=()
FAILED=0

# ---- workloads: wl KIND NS/NAME LABELS-JSON [NAMED-PORTS-JSON]  (KIND: deploy | pod)
wl() {
  local kind=$1 ns=${2%/*} name=${2#*/} labels=$3 ports=${4:-[]}
  local spec="{\"containers\":[{\"name\":\"server\",\"image\":\"$WORKLOAD_IMAGE\",\"imagePullPolicy\":\"Never\",
    \"args\":[\"$name\",$PORTS],\"ports\":$ports}],\"terminationGracePeriodSeconds\":1}"
  local meta="\"labels\":$(jq -c --arg w "$name" '. + {workload: $w}' <<<"$labels")"
  if [[ $kind == pod ]]; then
    echo "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"$name\",\"namespace\":\"$ns\",$meta},\"spec\":$spec}"
  else
    echo "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"$name\",\"namespace\":\"$ns\"},
      \"spec\":{\"replicas\":1,\"selector\":{\"matchLabels\":{\"workload\":\"$name\"}},
      \"template\":{\"metadata\":{$meta},\"spec\":$spec}}}"
  fi
}
svc() { # NS/NAME PORT TARGET-PORT [NODEPORT]
  local ns=${1%/*} name=${1#*/} type=ClusterIP np=""
  [[ -z ${4:-} ]] || { type=NodePort; np=",\"nodePort\":$4"; }
  local tp=$3; [[ $tp =~ ^[0-9]+$ ]] || tp="\"$tp\""
  echo "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"$name\",\"namespace\":\"$ns\"},
    \"spec\":{\"type\":\"$type\",\"selector\":{\"workload\":\"$name\"},\"ports\":[{\"port\":$2,\"targetPort\":$tp$np}]}}"
}

topology() {
  local ns
  for ns in production security shop myapp database netpol-demo frontend apod; do
    kc create namespace $ns --dry-run=client -o yaml | kc apply -f - >/dev/null
  done
  kc label namespace frontend purpose=frontend --overwrite >/dev/null
  local api='[{"name":"api","containerPort":8080,"protocol":"TCP"}]' log='[{"name":"api","containerPort":8081,"protocol":"TCP"}]'
  {
    # seed 000
    wl pod production/web '{"env":"production","role":"app"}'
    wl pod production/database '{"env":"production","role":"database"}'
    wl pod production/auditor '{"env":"security"}'
    wl pod security/scanner '{"env":"security"}'
    wl pod default/app '{"role":"app"}'
    wl pod default/suspicious '{"role":"suspicious"}'
    wl pod default/database '{"role":"database"}'
    wl pod default/db '{"role":"db"}'
    # seed 001: MySQL and Redis stand-ins on their ports
    wl deploy shop/mysql '{"app":"mysql"}'; svc shop/mysql 3306 3306
    wl deploy shop/backend '{"app":"backend"}'
    wl deploy shop/php '{"app":"php"}'
    wl pod shop/frontend '{"app":"frontend"}'
    wl deploy myapp/backend '{"app":"backend"}'
    wl deploy database/mysql '{"app":"mysql"}'; svc database/mysql 3306 3306
    wl deploy database/redis '{"app":"redis"}'; svc database/redis 6379 6379
    wl pod database/other '{"app":"other"}'
    # seed 002: the web app and its database behind Services, a tester, a client in a frontend namespace
    wl deploy netpol-demo/web-app '{"app":"web"}'; svc netpol-demo/web-app 80 80
    wl deploy netpol-demo/db '{"app":"db"}'; svc netpol-demo/db 5432 5432
    wl pod netpol-demo/tester '{"run":"tester"}'
    wl pod frontend/client '{"app":"client"}'
    wl pod kube-system/probe '{"run":"probe"}'
    # seed 003: APOD, web published on NodePort 30016, named port api
    wl deploy default/apod-web '{"app":"apod-web"}'; svc default/apod-web 80 80 30016
    wl deploy default/apod-api '{"app":"apod-api"}' "$api"; svc default/apod-api 80 api
    wl deploy default/apod-log '{"app":"apod-log"}' "$log"; svc default/apod-log 80 api
    wl deploy apod/apod-web '{"app":"apod-web"}'; svc apod/apod-web 80 80 30017
    wl deploy apod/apod-api '{"app":"apod-api"}' "$api"; svc apod/apod-api 80 api
    wl deploy apod/apod-log '{"app":"apod-log"}' "$log"; svc apod/apod-log 80 api
  } | kc apply -f - >/dev/null
  kc wait --for=condition=Available deployment --all -A --timeout=5m >/dev/null
  kc wait --for=condition=Ready pod -l workload -A --timeout=5m >/dev/null
}

# ---- probes
declare -A POD_IP POD_NAME
refresh() { # pod IP and name by NS/WORKLOAD (the first Running pod of each)
  POD_IP=(); POD_NAME=()
  local ns w name ip phase
  while read -r ns w name ip phase; do
    [[ $phase == Running && -z ${POD_IP[$ns/$w]:-} ]] || continue
    POD_IP[$ns/$w]=$ip; POD_NAME[$ns/$w]=$name
  done < <(kc get pods -A -l workload -o jsonpath='{range .items[*]}{.metadata.namespace} {.metadata.labels.workload} {.metadata.name} {.status.podIP} {.status.phase}{"\n"}{end}')
}

target() { # DST PORT -> the probe's target
  local dst=$1 port=$2 host udp=""
  [[ $port != udp/* ]] || { udp=udp/; port=${port#udp/}; }
  case $dst in
    dns:*) echo "dns/${dst#dns:}.svc.cluster.local."; return ;;
    svc:*) host="${dst#svc:}.svc.cluster.local." ;;
    cip:*) dst=${dst#cip:}; host=$(kc get svc -n "${dst%/*}" "${dst#*/}" -o jsonpath='{.spec.clusterIP}') ;;
    ext:*) host=${dst#ext:} ;;
    node:*) host=$(kc get node "${dst#node:}" -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}') ;;
    *) host=${POD_IP[$dst]:-unknown-pod} ;;
  esac
  echo "$udp$host:$port"
}

run_probes() { # SRC TARGET... -> one result line per target
  local src=$1; shift
  case $src in
    outside) innet python3 "$KIND_REPO/hack/kind/workload/probe.py" 1 "$@" ;;
    outside@*) innet python3 "$KIND_REPO/hack/kind/workload/probe.py" "--bind=${src#outside@}" 1 "$@" ;;
    *) kc exec -n "${src%/*}" "${POD_NAME[$src]:-missing}" -- python3 /probe.py 1 "$@" 2>/dev/null ||
         for _ in "$@"; do echo "error exec"; done ;;
  esac
}

# expect WALK STEP "SRC DST PORT allow|deny"...: probes until the whole table holds (or KIND_SETTLE)
expect() {
  local walk=$1 step=$2; shift 2
  local rows=("$@") start=$SECONDS t0 ok i r s d p w
  t0=$(date +%s%N)
  local -a got
  local tmp; tmp=$(mktemp -d)
  while :; do
    refresh
    declare -A by_src=()
    local -a tgt=()
    for i in "${!rows[@]}"; do
      read -r s d p w <<<"${rows[$i]}"
      tgt[$i]=$(target "$d" "$p")
      by_src[$s]+="$i "
    done
    for s in "${!by_src[@]}"; do
      local -a ids=(${by_src[$s]}) ts=()
      for i in "${ids[@]}"; do ts+=("${tgt[$i]}"); done
      (run_probes "$s" "${ts[@]}" >"$tmp/${s//\//_}") &
    done
    wait
    ok=1; got=()
    for s in "${!by_src[@]}"; do
      local -a ids=(${by_src[$s]})
      mapfile -t res <"$tmp/${s//\//_}"
      for k in "${!ids[@]}"; do
        i=${ids[$k]}; read -r _ _ _ w <<<"${rows[$i]}"
        r=${res[$k]:-none}
        if [[ $w == allow && $r == ok* ]] || [[ $w == deny && $r != ok* && $r != "error exec" && $r != none ]]; then
          got[$i]="pass $r"
        else
          got[$i]="FAIL $r"; ok=0
        fi
      done
    done
    unset by_src
    (( ok )) && break
    (( SECONDS - start < KIND_SETTLE )) || break
    sleep 1
  done
  rm -rf "$tmp"
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  for i in "${!rows[@]}"; do
    read -r s d p w <<<"${rows[$i]}"
    RESULTS+=("$(printf '%-4s | %-34s | %-22s -> %-30s %-7s | %-5s | %s' "${got[$i]%% *}" "$walk: $step" "$s" "$d" "$p" "$w" "${got[$i]#* } (${ms} ms)")")
    [[ ${got[$i]} == pass* ]] || FAILED=$((FAILED + 1))
  done
  kind_log "$walk: $step: $( (( ok )) && echo pass || echo FAIL) in ${ms} ms"
}

apply() { local f; for f in "$@"; do kc apply -f "$SEEDS/$f" >/dev/null || kind_die "kubectl apply -f $f failed"; done; }
reset() { kc delete networkpolicy --all --all-namespaces >/dev/null 2>&1 || true; }

# ---- the walkthroughs: the simulated cluster's tables (hack/sim-cluster/walkthroughs.sh) where the
# seeds' pods exist here too, plus what only a real cluster has: Service names through CoreDNS,
# ClusterIPs DNATed by kube-proxy, NodePorts from outside, ipBlock sources outside the cluster.
walkthrough_000() {
  local W="000 basics"
  reset; apply 000-default-deny-all.yaml
  expect "$W" "deny-all (production)" \
    "default/app production/web 80 deny" "security/scanner production/database 80 deny" \
    "production/web default/app 80 deny" "production/web ext:192.168.250.8 80 deny" "default/app default/database 80 allow"
  reset; apply 000-default-deny-ingress.yaml
  expect "$W" "deny ingress (default)" "production/web default/app 80 deny" "security/scanner default/database 80 deny"
  apply 000-allow-ingress.yaml
  expect "$W" "+ allow-all ingress" "production/web default/app 80 allow" "security/scanner default/database 80 allow"
  reset; kc apply -n default -f "$SEEDS/000-suspicious-pod-verbatim.yaml" >/dev/null
  expect "$W" "suspicious pod (verbatim)" \
    "default/app default/suspicious 80 deny" "default/suspicious default/app 80 deny" \
    "default/suspicious ext:192.168.250.8 80 deny" "default/app default/database 80 allow"
  reset; apply 000-app-to-database.yaml
  expect "$W" "role=app -> role=database" \
    "production/web production/database 80 allow" "production/auditor production/database 80 deny" \
    "default/app production/database 80 deny" "security/scanner production/database 80 deny"
  reset; apply 000-namespace-selector.yaml
  expect "$W" "security ns -> production" \
    "security/scanner production/web 80 allow" "security/scanner production/database 80 allow" \
    "default/app production/web 80 deny" "production/auditor production/web 80 deny"
  reset; apply 000-outbound-8888.yaml
  expect "$W" "egress to one IP (8.8.8.8)" \
    "production/web ext:192.168.250.8 80 allow" "production/web ext:192.168.250.9 80 deny" \
    "production/web default/app 80 deny" "default/app ext:192.168.250.9 80 allow"
  reset; apply 000-demo-network-policy.yaml
  expect "$W" "sample policy" \
    "production/auditor production/web 80 allow" "security/scanner production/web 80 deny" \
    "production/web ext:192.168.250.8 80 allow" "production/web ext:192.168.250.9 80 deny"
  # ipBlock sources outside the cluster: 172.17.0.10 is in the block, 172.17.1.10 in its except
  reset; apply 000-except-ingress.yaml
  expect "$W" "ipBlock except (sources outside)" \
    "outside@172.17.0.10 default/database 80 allow" "outside@172.17.1.10 default/database 80 deny" \
    "production/auditor default/database 80 deny" "default/app default/database 80 deny"
  # the block 10.0.0.0/24 is outside the cluster here (pods are in 10.244.0.0/16): 10.0.0.10
  reset; apply 000-multi-port-egress.yaml
  expect "$W" "endPort 32000-32768" \
    "default/db ext:10.0.0.10 32000 allow" "default/db ext:10.0.0.10 32768 allow" \
    "default/db ext:10.0.0.10 31999 deny" "default/db ext:10.0.0.10 32769 deny" \
    "default/db default/app 32000 deny" "default/app ext:10.0.0.10 32000 allow"
}

walkthrough_001() {
  local W="001 mysql/php/backend"
  reset; apply 001-mysql-from-backend.yaml
  expect "$W" "mysql from backend" \
    "shop/backend shop/mysql 3306 allow" "shop/php shop/mysql 3306 deny" "shop/backend shop/mysql 80 deny" \
    "shop/backend svc:mysql.shop 3306 allow" "shop/php svc:mysql.shop 3306 deny"
  apply 001-mysql-from-backend-and-php.yaml
  expect "$W" "+ php" \
    "shop/backend shop/mysql 3306 allow" "shop/php shop/mysql 3306 allow" "shop/frontend shop/mysql 3306 deny" \
    "shop/php svc:mysql.shop 3306 allow" "shop/frontend cip:shop/mysql 3306 deny"
  apply 001-mysql-ingress-and-egress.yaml
  expect "$W" "ingress and egress" \
    "shop/backend shop/mysql 3306 allow" "shop/php shop/mysql 3306 allow" "shop/frontend shop/mysql 3306 deny" \
    "shop/mysql shop/frontend 80 deny"
  reset; apply 001-backend-egress.yaml
  expect "$W" "egress to MySQL+Redis (other ns)" \
    "myapp/backend database/mysql 3306 allow" "myapp/backend database/redis 6379 allow" \
    "myapp/backend database/mysql 6379 deny" "myapp/backend database/other 3306 deny" \
    "myapp/backend shop/mysql 3306 deny" "database/other database/mysql 3306 allow" \
    "myapp/backend cip:database/redis 6379 allow" "myapp/backend cip:shop/mysql 3306 deny"
}

walkthrough_002() {
  local W="002 netpol-demo"
  reset
  expect "$W" "no policy" \
    "frontend/client netpol-demo/web-app 80 allow" "netpol-demo/tester netpol-demo/db 5432 allow" \
    "default/app svc:web-app.netpol-demo 80 allow" "outside netpol-demo/web-app 80 allow" \
    "netpol-demo/tester ext:169.254.169.254 80 allow"
  apply 002-default-deny-ingress.yaml
  expect "$W" "default-deny-ingress" \
    "frontend/client netpol-demo/web-app 80 deny" "netpol-demo/web-app netpol-demo/db 5432 deny" \
    "netpol-demo/tester netpol-demo/web-app 80 deny" "default/app svc:web-app.netpol-demo 80 deny"
  apply 002-web-allow-frontend.yaml
  expect "$W" "+ web-allow-frontend" \
    "frontend/client netpol-demo/web-app 80 allow" "netpol-demo/tester netpol-demo/web-app 80 deny" \
    "frontend/client netpol-demo/web-app 443 deny" "frontend/client svc:web-app.netpol-demo 80 allow" \
    "default/app svc:web-app.netpol-demo 80 deny"
  apply 002-db-policy.yaml
  expect "$W" "+ db-policy" \
    "netpol-demo/web-app netpol-demo/db 5432 allow" "netpol-demo/tester netpol-demo/db 5432 deny" \
    "netpol-demo/web-app netpol-demo/db 80 deny" "frontend/client netpol-demo/db 5432 deny" \
    "frontend/client netpol-demo/web-app 80 allow" "netpol-demo/web-app svc:db.netpol-demo 5432 allow"
  # egress to the cloud metadata address denied, everything else (DNS, other pods) still allowed
  apply 002-deny-metadata.yaml
  expect "$W" "+ deny-metadata (egress)" \
    "netpol-demo/tester dns:web-app.netpol-demo - allow" "netpol-demo/web-app netpol-demo/db 5432 allow" \
    "netpol-demo/tester ext:192.168.250.8 80 allow" "netpol-demo/tester ext:169.254.169.254 80 deny"
}

walkthrough_003() {
  local W="003 apod"
  reset
  expect "$W" "no policy: the app works" \
    "outside node:$KIND_CLUSTER-worker 30016 allow" "default/apod-web svc:apod-api.default 80 allow" \
    "default/apod-web dns:apod-log.default - allow"
  apply 003-deny-all.yaml
  expect "$W" "deny-all (default)" \
    "default/apod-web default/apod-api 8080 deny" "default/app default/database 80 deny" \
    "kube-system/probe default/apod-web 80 deny" "default/apod-web dns:apod-api.default - deny" \
    "outside node:$KIND_CLUSTER-worker 30016 deny" "outside node:$KIND_CLUSTER-worker2 30016 deny"
  apply 003-apod-web.yaml 003-apod-api.yaml 003-apod-log.yaml
  expect "$W" "+ apod-web/api/log, DNS egress" \
    "default/apod-web default/apod-api 8080 allow" "default/apod-web default/apod-log 8081 allow" \
    "default/apod-web svc:apod-api.default 80 allow" "default/apod-web svc:apod-log.default 80 allow" \
    "default/apod-web dns:apod-api.default - allow" "default/apod-api dns:apod-log.default - allow" \
    "default/apod-log dns:apod-api.default - deny" \
    "default/apod-api ext:192.168.251.141 443 allow" "default/apod-api ext:192.168.252.47 443 allow" \
    "default/apod-api ext:192.168.251.141 80 deny" "default/apod-web ext:192.168.251.141 443 deny" \
    "kube-system/probe default/apod-web 80 allow" "outside node:$KIND_CLUSTER-worker 30016 allow" \
    "outside node:$KIND_CLUSTER-worker2 30016 allow" "outside node:$KIND_CLUSTER-control-plane 30016 allow" \
    "default/apod-api default/apod-log 8081 deny" "default/apod-log default/apod-api 8080 deny"
  # the label-spoofing pod of apod-hack: admitted with app=apod-web, it reaches the API
  wl pod default/hacker '{"app":"apod-web"}' | kc apply -f - >/dev/null
  kc wait --for=condition=Ready pod/hacker -n default --timeout=3m >/dev/null
  expect "$W" "label-spoofing pod (admitted)" \
    "default/hacker svc:apod-api.default 80 allow" "default/hacker default/apod-api 80 deny" \
    "default/app default/apod-api 8080 deny"
  reset; apply 003-solution-apod-namespace.yaml
  expect "$W" "fix: own namespace apod" \
    "apod/apod-web apod/apod-api 8080 allow" "apod/apod-web svc:apod-log.apod 80 allow" \
    "default/hacker apod/apod-api 8080 deny" "kube-system/probe apod/apod-api 8080 deny" \
    "apod/apod-web dns:apod-api.apod - allow" "outside node:$KIND_CLUSTER-worker 30017 allow"
  kc delete pod hacker -n default --wait=false >/dev/null
}

report() {
  printf '\n%-4s | %-34s | %-22s    %-30s %-7s | %-5s | %s\n' result step from to port want seen
  printf '%s\n' "${RESULTS[@]}"
  printf '\n%d checks, %d failed\n' "${#RESULTS[@]}" "$FAILED"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  [[ $(id -u) == 0 ]] || kind_die "must run as root (the bed's network namespace)"
  walks=("$@"); ((${#walks[@]})) || walks=(000 001 002 003)
  topology
  for w in "${walks[@]}"; do "walkthrough_$w"; done
  reset
  report
  ((FAILED == 0))
fi
