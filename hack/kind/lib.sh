# The offline kind bed, as functions (sourced by hack/kind-up.sh, hack/kind-down.sh and the checks
# under hack/kind/). Everything it runs lives in one network namespace of its own ($KIND_NETNS):
# dockerd, the kind node containers, and every client that talks to the cluster (kind, kubectl,
# helm), because the API server is published on that namespace's 127.0.0.1. The machine's own
# interfaces, routes and firewall are never touched. Built artifacts are cached under
# $PALISADE_CACHE/kind (default ~/.cache/palisade/kind), so a rerun reuses them.

KIND_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PALISADE_CACHE="${PALISADE_CACHE:-$HOME/.cache/palisade}"
KIND_CACHE="$PALISADE_CACHE/kind"
KIND_NETNS="${PALISADE_KIND_NETNS:-palisade-kind}"
KIND_RUN="/run/$KIND_NETNS"
KIND_CLUSTER="${PALISADE_KIND_CLUSTER:-palisade}"
KIND_VERSION=v0.33.0
CRICTL_VERSION=v1.34.0
COREDNS_VERSION=v1.12.0
KUBE_VERSION=1.33.13
KUBE_BIN="$PALISADE_CACHE/kube-build/kubernetes-v$KUBE_VERSION/bin"
ETCD_BIN="$PALISADE_CACHE/kube-build/etcd-v3.5.35/bin/etcd"
# the tags `kubeadm config images list` prints for v1.33.13; etcd is the project's etcd 3.5.35 build
# under kubeadm's tag (same minor; kubeadm does not look inside the image)
ETCD_TAG=3.5.24-0
PAUSE_TAG=3.10
NODE_IMAGE="palisade.local/kind-node:v$KUBE_VERSION"
PALISADE_IMAGE="palisade:dev"
AGNHOST_IMAGE="registry.k8s.io/e2e-test-images/agnhost:2.53"
WORKLOAD_IMAGE="palisade.local/workload:dev"
export DOCKER_HOST="unix://$KIND_RUN/docker.sock"
export KUBECONFIG="$KIND_CACHE/kubeconfig"
export PATH="$KIND_CACHE/bin:$PATH"

kind_log() { printf '%s [kind-bed] %s\n' "$(date +%T)" "$*" >&2; }
kind_die() { kind_log "FATAL: $*"; exit 1; }

# innet CMD...: runs CMD in the bed's network namespace (nsenter, not `ip netns exec`: that remounts
# /sys and hides the cgroup v1 mounts dockerd needs)
innet() { nsenter --net="/var/run/netns/$KIND_NETNS" "$@"; }
kc() { innet "$KUBE_BIN/kubectl" "$@"; }
dk() { /usr/bin/docker "$@"; }   # Debian's docker client: it matches the daemon and builds with its BuildKit
kindc() { innet "$KIND_CACHE/bin/kind" "$@"; }
helmc() { innet "$(helm_bin)" "$@"; }
helm_bin() { bash "$KIND_REPO/hack/provision-helm.sh" 2>/dev/null | tail -1; }

kind_wait() { # timeout-seconds description command...
  local t=$1 what=$2; shift 2
  local end=$((SECONDS + t))
  until "$@" >/dev/null 2>&1; do
    (( SECONDS < end )) || { kind_log "timed out after ${t}s waiting for $what"; return 1; }
    sleep 1
  done
}
