#!/usr/bin/env bash
# A real Prometheus scrapes Palisade on the kind cluster of hack/kind-up.sh the way a user without
# prometheus-operator would: upstream Prometheus 2.53 (built here from its Go module, see prom_build
# for why not Debian's package) in an image of its own, run as a Deployment in a namespace of its own
# ($PROM_NS) with read-only RBAC on endpointslices, services and pods, and the scrape job of
# docs/operations.md ("Without prometheus-operator", read from the page itself, so the documented
# job is the one checked) under a 5 s scrape interval. Then:
#
#   d  `promtool check config` (the image's own promtool) on the configuration it runs
#   -  the ServiceAccount may read what service discovery needs and nothing else
#   a  `up` is 1 for every Ready operator replica and every node's agent, with the labels the alerts
#      and the dashboard use (job, namespace, pod, node)
#   c  values move when a policy changes: a DaemonSet of workload pods (one per node) in $PROM_NS,
#      then a NetworkPolicy selecting them; the leader's sync/publish/status-write counters and, on
#      each node, the agent's applied revision, non-noop applies and grants move
#   b  every family charts-test/prometheus/metric-families.sh lists was ingested (a histogram as
#      <name>_count) with its documented type (the scrape metadata), except the families that appear
#      only with their first error, listed in ALLOWED_ABSENT with the reason
#
# Prometheus's HTTP API is queried from the bed's namespace at the pod's address (routed there by
# kind-up). Nothing is created in the release's namespace: the RBAC is a ClusterRole bound
# cluster-wide (a Role in the release namespace is enough for a real install), and service discovery
# looks only at palisade-system. The namespace, the ClusterRole and its binding are deleted on exit
# (PROM_KEEP=1 keeps them). Prints a pass/fail table; exits 1 on any failure.
#
#   hack/kind/prometheus.sh        # as root, after hack/kind-up.sh; a few minutes
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$KIND_REPO/hack/kind/rootfs.sh"   # kind_import
source "$KIND_REPO/hack/kind/go-tools.sh" # kind_prometheus
source "$KIND_REPO/hack/kind/images.sh"   # kind_binary_image
source "$KIND_REPO/hack/kind/cluster.sh"

PROM_NS="${PROM_NS:-palisade-monitoring}"
PROM_SETTLE="${PROM_SETTLE:-180}"   # seconds to wait for an outcome (the machine may be loaded)
PALISADE_NS=palisade-system
OWNER_LABEL="palisade.dev/check=prometheus"
# families that exist only once their first error is counted (a labelled counter has no series before
# its first sample), with the reason
declare -A ALLOWED_ABSENT=(
  [palisade_agent_cni_errors_total]="labelled by what: first series on the first CNI write error"
  [palisade_agent_ruleset_errors_total]="labelled by reason: first series on the first unreadable rule set"
)
RESULTS=()
FAILED=0
row() { # pass|FAIL CHECK WHAT DETAIL
  RESULTS+=("$(printf '%-4s | %-2s | %-62s | %s' "$1" "$2" "$3" "$4")")
  [[ $1 == pass ]] || FAILED=$((FAILED + 1))
}

# ---- the image: upstream Prometheus 2.53 built here (hack/kind/go-tools.sh, kind_prometheus)
PROM_IMAGE="palisade.local/prometheus:v2.${PROM_VERSION#v0.}"
prom_image() {
  kind_have_image "$PROM_IMAGE" && return
  local bin; bin=$(kind_prometheus)
  kind_log "image $PROM_IMAGE"
  kind_binary_image "$PROM_IMAGE" "" "$bin/prometheus:/usr/local/bin/prometheus" "$bin/promtool:/usr/local/bin/promtool"
}

# ---- the configuration: a short interval for the check, and the scrape job of docs/operations.md
prom_config() {
  cat <<'YAML'
global:
  scrape_interval: 5s
  scrape_timeout: 4s
  evaluation_interval: 5s
YAML
  awk '/<!-- palisade-scrape-job/ { on = 1; next } on && /^```yaml/ { block = 1; next } block && /^```/ { exit } block { print }' \
    "$KIND_REPO/docs/operations.md"
}

manifests() {
  cat <<YAML
apiVersion: v1
kind: Namespace
metadata: {name: $PROM_NS, labels: {palisade.dev/check: prometheus}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: prometheus, namespace: $PROM_NS}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: $PROM_NS-prometheus, labels: {palisade.dev/check: prometheus}}
rules:
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [get, list, watch]
  - apiGroups: [""]
    resources: [services, pods]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: $PROM_NS-prometheus, labels: {palisade.dev/check: prometheus}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: $PROM_NS-prometheus}
subjects: [{kind: ServiceAccount, name: prometheus, namespace: $PROM_NS}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: prometheus, namespace: $PROM_NS}
data:
  prometheus.yml: |
$(sed 's/^/    /' "$WORK/prometheus.yml")
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: prometheus, namespace: $PROM_NS}
spec:
  replicas: 1
  selector: {matchLabels: {app: prometheus}}
  template:
    metadata: {labels: {app: prometheus}}
    spec:
      serviceAccountName: prometheus
      terminationGracePeriodSeconds: 5
      securityContext: {runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534}
      containers:
        - name: prometheus
          image: $PROM_IMAGE
          imagePullPolicy: Never
          command: [/usr/local/bin/prometheus]
          args: [--config.file=/etc/prometheus/prometheus.yml, --storage.tsdb.path=/prometheus,
                 --storage.tsdb.retention.time=2h, --web.listen-address=:9090]
          ports: [{name: http, containerPort: 9090}]
          readinessProbe:
            httpGet: {path: /-/ready, port: http}
            periodSeconds: 5
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
          resources: {requests: {cpu: 50m, memory: 128Mi}}
          volumeMounts:
            - {name: config, mountPath: /etc/prometheus}
            - {name: data, mountPath: /prometheus}
      volumes:
        - {name: config, configMap: {name: prometheus}}
        - {name: data, emptyDir: {}}
---
# one workload pod per node: the pods the policy of check c selects
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: policy-target, namespace: $PROM_NS}
spec:
  selector: {matchLabels: {app: policy-target}}
  template:
    metadata: {labels: {app: policy-target}}
    spec:
      terminationGracePeriodSeconds: 1
      tolerations: [{operator: Exists}]
      containers:
        - {name: server, image: $WORKLOAD_IMAGE, imagePullPolicy: Never, args: [policy-target, "80"]}
YAML
}

policy() {
  cat <<YAML
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: prometheus-check, namespace: $PROM_NS}
spec:
  podSelector: {matchLabels: {app: policy-target}}
  policyTypes: [Ingress]
  ingress:
    - from: [{podSelector: {matchLabels: {app: prometheus}}}]
      ports: [{protocol: TCP, port: 80}]
YAML
}

cleanup() {
  local rc=$?
  if [[ ${PROM_KEEP:-0} == 1 ]]; then
    kind_log "PROM_KEEP=1: keeping namespace $PROM_NS and ClusterRole(Binding) $PROM_NS-prometheus"
  elif [[ ${CREATED:-0} == 1 ]]; then
    kind_log "deleting namespace $PROM_NS and ClusterRole(Binding) $PROM_NS-prometheus"
    kc delete clusterrolebinding,clusterrole -l "$OWNER_LABEL" --ignore-not-found --timeout=120s >/dev/null 2>&1 || true
    kc delete namespace "$PROM_NS" --ignore-not-found --timeout=180s >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
  exit "$rc"
}

# ---- Prometheus's HTTP API, from the bed's namespace
PROM=""
api() { # PATH [curl args...] -> the response's data (fails on a non-success status)
  local path=$1; shift
  innet curl -sS -m 30 -G "http://$PROM:9090$path" "$@" | jq -ce 'if .status == "success" then .data else error(.error) end'
}
query() { api /api/v1/query --data-urlencode "query=$1" | jq -c '.result'; }

# ---- checks
check_rbac() {
  local sa="system:serviceaccount:$PROM_NS:prometheus" ok=1 detail="" verb_res verb res want got
  for verb_res in "list endpointslices.discovery.k8s.io yes" "watch services yes" "get pods yes" \
    "list secrets no" "list endpoints no" "create pods no" "update services no" "list nodes no"; do
    read -r verb res want <<<"$verb_res"
    got=$(kc auth can-i "$verb" "$res" -n "$PALISADE_NS" --as="$sa" 2>/dev/null || true)
    detail+="$verb $res: $got; "
    [[ $got == "$want" ]] || ok=0
  done
  row "$( ((ok)) && echo pass || echo FAIL)" - "ServiceAccount prometheus: service discovery's reads only" "${detail%; }"
}

# a: up == 1 for each Ready operator replica and each node's agent, with job, namespace, pod and node
check_up() {
  local end=$((SECONDS + PROM_SETTLE)) t0=$SECONDS up want ok
  local nodes; nodes=$(kc get nodes -o jsonpath='{.items[*].metadata.name}')
  # until a Ready agent on every node and a Ready operator replica are all up (other checks on the
  # bed may be restarting nodes or agents: their pods are waited for, not judged mid-restart)
  while :; do
    # the targets that must be there: Ready, not terminating pods of the release
    want=$(kc -n "$PALISADE_NS" get pods -l app.kubernetes.io/instance=palisade -o json | jq -c '[.items[]
      | select(.metadata.deletionTimestamp == null)
      | select(any(.status.conditions[]?; .type == "Ready" and .status == "True"))
      | {job: ("palisade-" + .metadata.labels["app.kubernetes.io/component"]), pod: .metadata.name, node: .spec.nodeName}]')
    up=$(query 'up{job=~"palisade-(operator|agent)"}' || echo '[]')
    ok=$(jq -n --argjson want "$want" --argjson up "$up" --arg nodes "$nodes" '
      ($up | map({key: .metric.pod, value: .}) | from_entries) as $by
      | ($nodes | split(" ") | sort) == ([$want[] | select(.job == "palisade-agent") | .node] | unique)
        and any($want[]; .job == "palisade-operator")
        and ([$want[] | $by[.pod] | . != null and .value[1] == "1" and .metric.namespace == "'"$PALISADE_NS"'" and (.metric.node // "") != ""] | all)
        and ([$up[] | .value[1] == "1"] | all)')
    [[ $ok == true ]] && break
    (( SECONDS < end )) || break
    sleep 3
  done
  local agents
  agents=$(jq -r '[.[] | select(.job == "palisade-agent") | .node] | unique | join(" ")' <<<"$want")
  [[ $agents == "$(tr ' ' '\n' <<<"$nodes" | sort | xargs)" ]] ||
    row FAIL a "an agent on every node" "nodes: $nodes; Ready agents on: $agents"
  [[ $(jq '[.[] | select(.job == "palisade-operator")] | length' <<<"$want") -ge 1 ]] ||
    row FAIL a "an operator replica" "no Ready operator pod"
  # one row per target Prometheus has, and per Ready pod it lacks
  while IFS=$'\t' read -r job pod node ns inst val; do
    local expected; expected=$(jq -r --arg p "$pod" 'any(.[]; .pod == $p)' <<<"$want")
    local st=pass
    [[ $val == 1 && $node != - && $ns == "$PALISADE_NS" ]] || st=FAIL
    row $st a "up{job=\"$job\", node=\"$node\"}" "up=$val pod=$pod instance=$inst namespace=$ns$([[ $expected == true ]] || echo ' (pod not Ready or gone)') after $((SECONDS - t0)) s"
  done < <(jq -r '.[] | [.metric.job, .metric.pod, (.metric.node // "-"), (.metric.namespace // "-"), .metric.instance, .value[1]] | @tsv' <<<"$up" | sort)
  while IFS=$'\t' read -r job pod node; do
    jq -e --arg p "$pod" 'any(.[]; .metric.pod == $p)' <<<"$up" >/dev/null ||
      row FAIL a "up{job=\"$job\", node=\"$node\"}" "no target for Ready pod $pod after $((SECONDS - t0)) s"
  done < <(jq -r '.[] | [.job, .pod, .node] | @tsv' <<<"$want")
}

# c: a policy change moves the leader's counters and every node's agent
snapshot() { # -> {"op:<metric>": {pod: value}, "ag:<metric>": {node: value}}
  local out='{}' m expr r
  for m in \
    'op:syncs|sum by (pod) (palisade_operator_syncs_total{job="palisade-operator",result="ok"})' \
    'op:publish|sum by (pod) (palisade_operator_publish_total{job="palisade-operator",kind="PalisadeNodeRuleSet",result=~"created|updated"})' \
    'op:status|sum by (pod) (palisade_operator_status_writes_total{job="palisade-operator",result="ok"})' \
    'ag:revision|max by (node) (palisade_agent_applied_revision{job="palisade-agent"})' \
    'ag:applies|sum by (node) (palisade_agent_apply_total{job="palisade-agent",result="ok",mode!="noop"})' \
    'ag:rules|max by (node) (palisade_agent_rules{job="palisade-agent"})' \
    'ag:lag|max by (node) (palisade_agent_generation_lag{job="palisade-agent"})'; do
    expr=${m#*|}
    r=$(query "$expr") || return 1
    out=$(jq -c --arg k "${m%%|*}" --argjson r "$r" '.[$k] = ($r | map({key: (.metric.pod // .metric.node), value: (.value[1] | tonumber)}) | from_entries)' <<<"$out")
  done
  echo "$out"
}

check_policy_moves() {
  local nodes; nodes=$(kc get nodes -o jsonpath='{.items[*].metadata.name}')
  kc -n "$PROM_NS" rollout status daemonset/policy-target --timeout="${PROM_SETTLE}s" >/dev/null ||
    { row FAIL c "policy-target pods on every node" "DaemonSet not ready after ${PROM_SETTLE}s"; return; }
  # quiet before the baseline: every agent has applied its newest rule set, seen by two scrapes
  local end=$((SECONDS + PROM_SETTLE)) before
  until before=$(snapshot) && [[ $(jq '[.["ag:lag"][]] | length > 0 and all(. == 0)' <<<"$before") == true ]]; do
    (( SECONDS < end )) || break
    sleep 3
  done
  sleep 11
  before=$(snapshot) || { row FAIL c "baseline" "queries failed"; return; }
  kind_log "applying NetworkPolicy $PROM_NS/prometheus-check"
  local t0=$SECONDS after moved
  policy | kc apply -f - >/dev/null || { row FAIL c "kubectl apply the NetworkPolicy" "failed"; return; }
  # moved: a series that existed before is higher now (rules: different), for the operator on some
  # replica (the leader), for the agent on every node
  end=$((SECONDS + PROM_SETTLE))
  while :; do
    after=$(snapshot) || after=$before
    moved=$(jq -n --argjson b "$before" --argjson a "$after" --arg nodes "$nodes" '
      def gt(k): [$b[k] | keys[] as $x | select($a[k][$x] != null and $a[k][$x] > $b[k][$x]) | $x];
      def ne(k): [$b[k] | keys[] as $x | select($a[k][$x] != null and $a[k][$x] != $b[k][$x]) | $x];
      ($nodes | split(" ")) as $n
      | {syncs: (gt("op:syncs") | length > 0), publish: (gt("op:publish") | length > 0),
         status: (gt("op:status") | length > 0),
         revision: ($n - gt("ag:revision") | length == 0), applies: ($n - gt("ag:applies") | length == 0),
         rules: ($n - ne("ag:rules") | length == 0)}')
    [[ $(jq '[.[]] | all' <<<"$moved") == true ]] && break
    (( SECONDS < end )) || break
    sleep 3
  done
  local took=$((SECONDS - t0)) k what
  for k in syncs publish status; do
    case $k in
      syncs) what='palisade_operator_syncs_total{result="ok"}' ;;
      publish) what='palisade_operator_publish_total{kind="PalisadeNodeRuleSet",result=~"created|updated"}' ;;
      status) what='palisade_operator_status_writes_total{result="ok"}' ;;
    esac
    row "$([[ $(jq ".$k" <<<"$moved") == true ]] && echo pass || echo FAIL)" c "operator: $what" \
      "$(jq -rn --argjson b "$before" --argjson a "$after" --arg k "op:$k" '[$b[$k] | keys[] as $p | "\($p | sub("^palisade-operator-"; "")): \($b[$k][$p]) -> \($a[$k][$p] // "gone")"] | join(", ")') (within ${took} s)"
  done
  local n
  for n in $nodes; do
    for k in revision applies rules; do
      case $k in
        revision) what=palisade_agent_applied_revision ;;
        applies) what='palisade_agent_apply_total{result="ok",mode!="noop"}' ;;
        rules) what=palisade_agent_rules ;;
      esac
      local b a st=FAIL
      b=$(jq -r --arg k "ag:$k" --arg n "$n" '.[$k][$n] // "none"' <<<"$before")
      a=$(jq -r --arg k "ag:$k" --arg n "$n" '.[$k][$n] // "none"' <<<"$after")
      if [[ $b != none && $a != none ]]; then
        if [[ $k == rules ]]; then [[ $a != "$b" ]] && st=pass; else (( ${a%.*} > ${b%.*} )) && st=pass; fi
      fi
      row $st c "agent $n: $what" "$b -> $a (within ${took} s)"
    done
  done
}

# b: every documented family was ingested, with its documented type
check_families() {
  local end=$((SECONDS + PROM_SETTLE)) names meta missing
  local families; families=$(bash "$KIND_REPO/charts-test/prometheus/metric-families.sh" --types)
  while :; do
    # the series API sees every series ingested since the start, also those of targets gone since
    names=$(api /api/v1/series --data-urlencode 'match[]={__name__=~"palisade_(operator|agent)_.+",job=~"palisade-(operator|agent)"}' \
      --data-urlencode "start=$START" | jq -c 'group_by(.__name__) | map({key: .[0].__name__, value: length}) | from_entries') || names='{}'
    missing=0
    while read -r name type; do
      local s=$name; [[ $type != histogram ]] || s=${name}_count
      [[ $(jq --arg s "$s" 'has($s)' <<<"$names") == true || -n ${ALLOWED_ABSENT[$name]:-} ]] || missing=$((missing + 1))
    done <<<"$families"
    (( missing == 0 )) && break
    (( SECONDS < end )) || break
    sleep 5
  done
  meta=$(api /api/v1/metadata) || meta='{}'
  while read -r name type; do
    local s=$name; [[ $type != histogram ]] || s=${name}_count
    local count; count=$(jq --arg s "$s" '.[$s] // 0' <<<"$names")
    # a counter's family is named without _total where the target answered in OpenMetrics
    local got; got=$(jq -r --arg n "$name" '[(.[$n], .[$n | sub("_total$"; "")])[]?.type] | unique | join(",")' <<<"$meta")
    if (( count > 0 )); then
      row "$([[ $got == "$type" ]] && echo pass || echo FAIL)" b "$name ($type)" "$count series of $s; scrape metadata type: ${got:-none}"
    elif [[ -n ${ALLOWED_ABSENT[$name]:-} ]]; then
      row pass b "$name ($type)" "absent, allowed: ${ALLOWED_ABSENT[$name]}"
    else
      row FAIL b "$name ($type)" "no series of $s"
    fi
  done <<<"$families"
}

# ---- main
WORK=$(mktemp -d)
trap cleanup EXIT
if kc get namespace "$PROM_NS" >/dev/null 2>&1 &&
  [[ $(kc get namespace "$PROM_NS" -o jsonpath='{.metadata.labels.palisade\.dev/check}') != prometheus ]]; then
  kind_die "namespace $PROM_NS exists and is not this check's: set PROM_NS"
fi
prom_image
prom_config >"$WORK/prometheus.yml"
grep -q 'job_name: palisade' "$WORK/prometheus.yml" || kind_die "no scrape job in docs/operations.md (marker palisade-scrape-job)"

# d: promtool of the same package, on the configuration the pod gets
if out=$(dk run --rm --network none -v "$WORK:/cfg:ro" "$PROM_IMAGE" promtool check config /cfg/prometheus.yml 2>&1); then
  row pass d "promtool check config (the docs' scrape job, 5 s interval)" "$(tr '\n' ' ' <<<"$out" | sed 's/  */ /g')"
else
  row FAIL d "promtool check config (the docs' scrape job, 5 s interval)" "$(tr '\n' ' ' <<<"$out")"
fi

kind_log "loading $PROM_IMAGE into the nodes"
kind_load "$PROM_IMAGE"
CREATED=1
START=$(date +%s)
manifests | kc apply -f - >/dev/null || kind_die "kubectl apply of the Prometheus manifests failed"
check_rbac
kc -n "$PROM_NS" rollout status deployment/prometheus --timeout="${PROM_SETTLE}s" >&2 ||
  { kc -n "$PROM_NS" logs deploy/prometheus --tail=30 >&2 || true; kind_die "Prometheus not ready"; }
PROM=$(kc -n "$PROM_NS" get pods -l app=prometheus --field-selector=status.phase=Running -o jsonpath='{.items[0].status.podIP}')
kind_log "Prometheus at $PROM:9090 ($(api /api/v1/status/buildinfo | jq -r .version))"

check_up
check_policy_moves
check_families

printf '%s\n' "---- hack/kind/prometheus.sh: Prometheus $(api /api/v1/status/buildinfo | jq -r .version 2>/dev/null || echo "?") (upstream, from its Go module), scrape interval 5s"
printf '%s\n' "${RESULTS[@]}"
printf '%s\n' "---- ${#RESULTS[@]} checks, $FAILED failed"
(( FAILED == 0 ))
