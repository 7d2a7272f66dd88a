# The seed walkthroughs (/work/shared/seeds, docs/e2e.md): each step is `kubectl apply -f` of the
# walkthrough's own manifests (conformance/.../policies/seeds) then real TCP probes until the table
# matches (or SIM_SETTLE seconds pass). Sourced by hack/sim-cluster.sh after lib.sh.
SEEDS="$SIM_ROOT/conformance/src/test/resources/dev/palisade/conformance/policies/seeds"
SIM_RESULTS=()
SIM_FAILED=0

sim_topology() { # pods of all four seeds; node n1 10.0.0.0/24 (endPort), n3 172.17.0.0/16 (except)
  local ns; for ns in production security shop myapp database netpol-demo frontend apod; do kc create ns $ns >/dev/null; done
  kc label ns frontend purpose=frontend >/dev/null
  # seed 000
  sim_pod production/web n1 '{"env":"production","role":"app"}'
  sim_pod production/database n2 '{"env":"production","role":"database"}'
  sim_pod production/auditor n3 '{"env":"security"}' '[]' 172.17.0.11
  sim_pod security/scanner n2 '{"env":"security"}'
  sim_pod default/app n1 '{"role":"app"}'
  sim_pod default/suspicious n1 '{"role":"suspicious"}'
  sim_pod default/database n2 '{"role":"database"}'
  sim_pod default/db n2 '{"role":"db"}'
  sim_pod default/inside n3 '{"run":"inside"}' '[]' 172.17.0.10
  sim_pod default/excepted n3 '{"run":"excepted"}' '[]' 172.17.1.10
  # seed 001
  sim_pod shop/mysql n1 '{"app":"mysql"}'
  sim_pod shop/backend n2 '{"app":"backend"}'
  sim_pod shop/php n3 '{"app":"php"}'
  sim_pod shop/frontend n3 '{"app":"frontend"}'
  sim_pod myapp/backend n2 '{"app":"backend"}'
  sim_pod database/mysql n3 '{"app":"mysql"}'
  sim_pod database/redis n1 '{"app":"redis"}'
  sim_pod database/other n1 '{"app":"other"}'
  # seed 002
  sim_pod netpol-demo/web n1 '{"app":"web"}'
  sim_pod netpol-demo/db n2 '{"app":"db"}'
  sim_pod netpol-demo/tester n3 '{"run":"tester"}'
  sim_pod frontend/client n3 '{"app":"client"}'
  # seed 003: named port api (8080 on the API, 8081 on the log), kube-dns in kube-system
  local api='[{"name":"api","containerPort":8080,"protocol":"TCP"}]' log='[{"name":"api","containerPort":8081,"protocol":"TCP"}]'
  sim_pod default/apod-web n1 '{"app":"apod-web"}'
  sim_pod default/apod-api n2 '{"app":"apod-api"}' "$api"
  sim_pod default/apod-log n3 '{"app":"apod-log"}' "$log"
  sim_pod kube-system/coredns n2 '{"k8s-app":"kube-dns"}' '[{"name":"dns-tcp","containerPort":53,"protocol":"TCP"}]'
  sim_pod apod/apod-web n1 '{"app":"apod-web"}'
  sim_pod apod/apod-api n2 '{"app":"apod-api"}' "$api"
  sim_pod apod/apod-log n3 '{"app":"apod-log"}' "$log"
}

sim_apply() { # manifests (seed files) or "-n ns file"
  local f; for f in "$@"; do kc apply -f "$SEEDS/$f" >/dev/null || sim_die "kubectl apply -f $f failed"; done
}
sim_reset() { kc delete networkpolicy --all --all-namespaces --wait=false >/dev/null 2>&1 || true; }

# sim_expect "walkthrough" "step" "src dst port allow|deny" ...   (waits for the whole table, then records each row)
sim_expect() {
  local walk=$1 step=$2; shift 2
  local rows=("$@") triples=() r start=$SECONDS got=() ok
  for r in "${rows[@]}"; do read -r s d p w <<<"$r"; triples+=("$s" "$d" "$p"); done
  local t0; t0=$(date +%s%N)
  while :; do
    mapfile -t out < <(sim_probe 0.5 "${triples[@]}" | sort -n)
    ok=1; got=()
    for i in "${!rows[@]}"; do
      read -r _ res _ <<<"${out[$i]}"
      read -r s d p w <<<"${rows[$i]}"
      if [[ $w == allow && $res == ok ]] || [[ $w == deny && ( $res == timeout || $res == refused ) ]]; then got+=("pass $res"); else got+=("FAIL $res"); ok=0; fi
    done
    (( ok )) && break
    (( SECONDS - start < SIM_SETTLE )) || break
  done
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  for i in "${!rows[@]}"; do
    read -r s d p w <<<"${rows[$i]}"
    SIM_RESULTS+=("$(printf '%-4s | %-34s | %-36s -> %-28s :%-6s | %-5s | %s' "${got[$i]%% *}" "$walk: $step" "$s" "$d" "$p" "$w" "${got[$i]#* } (${ms} ms)")")
    [[ ${got[$i]} == pass* ]] || SIM_FAILED=$((SIM_FAILED + 1))
  done
  sim_log "$walk: $step: $( (( ok )) && echo pass || echo FAIL) in ${ms} ms"
}

sim_walkthrough_000() {
  local W="000 basics"
  sim_reset; sim_apply 000-default-deny-all.yaml
  sim_expect "$W" "deny-all (production)" \
    "default/app production/web 80 deny" "security/scanner production/database 80 deny" \
    "production/web default/app 80 deny" "production/web ext:192.168.250.8 80 deny" "default/app default/database 80 allow"
  sim_reset; sim_apply 000-default-deny-ingress.yaml
  sim_expect "$W" "deny ingress (default)" "production/web default/app 80 deny" "security/scanner default/database 80 deny"
  sim_apply 000-allow-ingress.yaml
  sim_expect "$W" "+ allow-all ingress" "production/web default/app 80 allow" "security/scanner default/database 80 allow"
  sim_reset; kc apply -n default -f "$SEEDS/000-suspicious-pod-verbatim.yaml" >/dev/null
  sim_expect "$W" "suspicious pod (verbatim)" \
    "default/app default/suspicious 80 deny" "default/suspicious default/app 80 deny" \
    "default/suspicious ext:192.168.250.8 80 deny" "default/app default/database 80 allow"
  sim_reset; sim_apply 000-app-to-database.yaml
  sim_expect "$W" "role=app -> role=database" \
    "production/web production/database 80 allow" "production/auditor production/database 80 deny" \
    "default/app production/database 80 deny" "security/scanner production/database 80 deny"
  sim_reset; sim_apply 000-namespace-selector.yaml
  sim_expect "$W" "security ns -> production" \
    "security/scanner production/web 80 allow" "security/scanner production/database 80 allow" \
    "default/app production/web 80 deny" "production/auditor production/web 80 deny"
  sim_reset; sim_apply 000-outbound-8888.yaml
  sim_expect "$W" "egress to one IP (8.8.8.8)" \
    "production/web ext:192.168.250.8 80 allow" "production/web ext:192.168.250.9 80 deny" \
    "production/web default/app 80 deny" "default/app ext:192.168.250.9 80 allow"
  sim_reset; sim_apply 000-demo-network-policy.yaml
  sim_expect "$W" "sample policy" \
    "production/auditor production/web 80 allow" "security/scanner production/web 80 deny" \
    "production/web ext:192.168.250.8 80 allow" "production/web ext:192.168.250.9 80 deny"
  sim_reset; sim_apply 000-except-ingress.yaml
  sim_expect "$W" "ipBlock except" \
    "default/inside default/database 80 allow" "production/auditor default/database 80 allow" \
    "default/excepted default/database 80 deny" "default/app default/database 80 deny"
  sim_reset; sim_apply 000-multi-port-egress.yaml
  sim_expect "$W" "endPort 32000-32768" \
    "default/db production/web 32000 allow" "default/db production/web 32768 allow" \
    "default/db production/web 31999 deny" "default/db production/web 32769 deny" \
    "default/db default/app 32000 allow" "default/db default/inside 32000 deny" "default/app default/inside 32000 allow"
}

sim_walkthrough_001() {
  local W="001 mysql/php/backend"
  sim_reset; sim_apply 001-mysql-from-backend.yaml
  sim_expect "$W" "mysql from backend" \
    "shop/backend shop/mysql 3306 allow" "shop/php shop/mysql 3306 deny" "shop/backend shop/mysql 80 deny"
  sim_apply 001-mysql-from-backend-and-php.yaml
  sim_expect "$W" "+ php" \
    "shop/backend shop/mysql 3306 allow" "shop/php shop/mysql 3306 allow" "shop/frontend shop/mysql 3306 deny"
  sim_apply 001-mysql-ingress-and-egress.yaml
  sim_expect "$W" "ingress and egress" \
    "shop/backend shop/mysql 3306 allow" "shop/php shop/mysql 3306 allow" "shop/frontend shop/mysql 3306 deny" \
    "shop/mysql shop/frontend 80 deny"
  sim_reset; sim_apply 001-backend-egress.yaml
  sim_expect "$W" "egress to MySQL+Redis (other ns)" \
    "myapp/backend database/mysql 3306 allow" "myapp/backend database/redis 6379 allow" \
    "myapp/backend database/mysql 6379 deny" "myapp/backend database/other 3306 deny" \
    "myapp/backend shop/mysql 3306 deny" "database/other database/mysql 3306 allow"
}

sim_walkthrough_002() {
  local W="002 netpol-demo"
  sim_reset
  sim_expect "$W" "no policy" "frontend/client netpol-demo/web 80 allow" "netpol-demo/tester netpol-demo/db 5432 allow"
  sim_apply 002-default-deny-ingress.yaml
  sim_expect "$W" "default-deny-ingress" \
    "frontend/client netpol-demo/web 80 deny" "netpol-demo/web netpol-demo/db 5432 deny" "netpol-demo/tester netpol-demo/web 80 deny"
  sim_apply 002-web-allow-frontend.yaml
  sim_expect "$W" "+ web-allow-frontend" \
    "frontend/client netpol-demo/web 80 allow" "netpol-demo/tester netpol-demo/web 80 deny" "frontend/client netpol-demo/web 443 deny"
  sim_apply 002-db-policy.yaml
  sim_expect "$W" "+ db-policy" \
    "netpol-demo/web netpol-demo/db 5432 allow" "netpol-demo/tester netpol-demo/db 5432 deny" \
    "netpol-demo/web netpol-demo/db 80 deny" "frontend/client netpol-demo/db 5432 deny" "frontend/client netpol-demo/web 80 allow"
}

sim_walkthrough_003() {
  local W="003 apod"
  sim_reset; sim_apply 003-deny-all.yaml
  sim_expect "$W" "deny-all (default)" \
    "default/apod-web default/apod-api 8080 deny" "default/app default/database 80 deny" "kube-system/coredns default/apod-web 80 deny" \
    "default/apod-web kube-system/coredns udp/53 deny"
  sim_apply 003-apod-web.yaml 003-apod-api.yaml 003-apod-log.yaml
  sim_expect "$W" "+ apod-web/api/log, DNS egress" \
    "default/apod-web default/apod-api 8080 allow" "default/apod-web default/apod-log 8081 allow" \
    "default/apod-web kube-system/coredns 53 allow" "default/apod-api kube-system/coredns 53 allow" \
    "default/apod-web kube-system/coredns udp/53 allow" "default/apod-api kube-system/coredns udp/53 allow" \
    "default/apod-log kube-system/coredns udp/53 deny" "default/apod-web kube-system/coredns udp/80 deny" \
    "default/apod-api ext:192.168.251.141 443 allow" "default/apod-api ext:192.168.252.47 443 allow" \
    "default/apod-api ext:192.168.251.141 80 deny" "default/apod-web ext:192.168.251.141 443 deny" \
    "default/apod-log kube-system/coredns 53 deny" "kube-system/coredns default/apod-web 80 allow" \
    "default/apod-api default/apod-log 8081 deny" "default/apod-log default/apod-api 8080 deny"
  sim_pod default/hacker n3 '{"app":"apod-web"}'
  sim_expect "$W" "label-spoofing pod (admitted)" \
    "default/hacker default/apod-api 8080 allow" "default/hacker default/apod-api 80 deny" \
    "default/app default/apod-api 8080 deny"
  sim_reset; sim_apply 003-solution-apod-namespace.yaml
  sim_expect "$W" "fix: own namespace apod" \
    "apod/apod-web apod/apod-api 8080 allow" "apod/apod-web apod/apod-log 8081 allow" \
    "default/hacker apod/apod-api 8080 deny" "kube-system/coredns apod/apod-api 8080 deny" \
    "apod/apod-api ext:192.168.252.47 443 allow" "apod/apod-log ext:192.168.250.9 80 allow"
}

sim_report() {
  printf '\n%-4s | %-34s | %-36s    %-28s  %-6s | %-5s | %s\n' result step from to port want seen
  printf '%s\n' "${SIM_RESULTS[@]}"
  printf '\n%d checks, %d failed\n' "${#SIM_RESULTS[@]}" "$SIM_FAILED"
}
