# The cluster: kind with its default CNI off (one control-plane, two workers, exactly
# docs/quickstart.md's kind.yaml), the images loaded, and Palisade installed by its chart with
# values-kind.yaml as the quickstart says. Sourced after lib.sh.

KIND_CONFIG="$KIND_REPO/hack/kind/kind.yaml"
# addresses outside the cluster, in the bed's namespace: the seeds' external hosts (8.8.8.8 played by
# 192.168.250.8, the APOD API's ranges) and the ipBlock sources of seed 000's except walkthrough
KIND_OUTSIDE="169.254.169.254 192.168.250.8 192.168.250.9 192.168.251.141 192.168.252.47 172.17.0.10 172.17.1.10 10.0.0.10"

KIND_EXISTED=false
kind_create() {
  if kindc get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER"; then
    kind_log "kind cluster $KIND_CLUSTER exists"
    KIND_EXISTED=true
  else
    kind_log "kind create cluster $KIND_CLUSTER ($NODE_IMAGE, default CNI disabled)"
    kindc create cluster --name "$KIND_CLUSTER" --config "$KIND_CONFIG" --image "$NODE_IMAGE" \
      --kubeconfig "$KUBECONFIG" --wait 0s >&2 || kind_die "kind create cluster failed"
  fi
}

kind_load() { # IMAGE...: kind load docker-image, as the quickstart does
  local i
  for i in "$@"; do
    kindc load docker-image "$i" --name "$KIND_CLUSTER" >/dev/null 2>&1 || kind_die "kind load docker-image $i failed"
  done
}

# the quickstart's install: values-kind.yaml and the locally built image
KIND_HELM_VALUES=(-f "$KIND_REPO/charts/palisade/values-kind.yaml"
  --set image.repository=palisade --set image.tag=dev --set image.pullPolicy=Never)

kind_helm_install() { # extra helm arguments...
  kind_log "helm install palisade (values-kind.yaml)"
  helmc upgrade --install palisade "$KIND_REPO/charts/palisade" --namespace palisade-system --create-namespace \
    "${KIND_HELM_VALUES[@]}" "$@" >/dev/null || kind_die "helm install failed"
  if $KIND_EXISTED; then # a rebuilt palisade:dev keeps its tag: restart onto it (a rolling update)
    kc -n palisade-system rollout restart daemonset/palisade-agent deployment/palisade-operator >/dev/null
  fi
  kc -n palisade-system rollout status daemonset/palisade-agent --timeout=5m >&2 || kind_die "agents not ready"
  kc -n palisade-system rollout status deployment/palisade-operator --timeout=5m >&2 || kind_die "operator not ready"
  kc wait --for=condition=Ready nodes --all --timeout=5m >&2 || kind_die "nodes not Ready"
}

# The outside world: the external hosts' addresses on the loopback of the bed's namespace (where the
# nodes' default route leads), with servers on them, and routes from there to each node's pod CIDR
# (ingress from ipBlock sources).
kind_outside() {
  local a n ip cidr
  for a in $KIND_OUTSIDE; do innet ip addr replace "$a/32" dev lo; done
  while read -r n ip cidr; do
    innet ip route replace "$cidr" via "$ip"
  done < <(kc get nodes -o jsonpath='{range .items[*]}{.metadata.name} {.status.addresses[?(@.type=="InternalIP")].address} {.spec.podCIDR}{"\n"}{end}')
  # one server on all of them (it binds 0.0.0.0 of the bed's namespace)
  if ! pgrep -f "server.py palisade-kind-outside" >/dev/null; then
    setsid nsenter --net="/var/run/netns/$KIND_NETNS" python3 "$KIND_REPO/hack/sim-cluster/server.py" \
      palisade-kind-outside 80 443 31999 32000 32768 32769 >/dev/null 2>&1 </dev/null &
  fi
}
