#!/usr/bin/env bash
# A real Kubernetes cluster on this machine, offline: kind v0.33.0 with Kubernetes v1.33.13 (one
# control-plane, two workers, default CNI disabled), every image built here from Debian packages and
# Go modules (nothing is pulled), Palisade installed by its chart exactly as docs/quickstart.md says.
# The nodes become Ready only through Palisade's CNI mode.
#
#   sudo hack/kind-up.sh            # then: sudo hack/kind/kubectl.sh get nodes
#   sudo hack/kind-up.sh --prepare  # only what needs no dockerd: Go programs, root filesystems
#                                   # (.ci/run runs it beside the Maven tests)
#   sudo hack/kind-down.sh          # deletes the cluster, stops dockerd, removes the namespace
#
# Everything runs in the network namespace palisade-kind (dockerd, nodes, clients); the machine's
# own network is not touched. Artifacts are cached under ~/.cache/palisade (kind/, kube-build/,
# helm/), so a rerun rebuilds nothing that is current. Needs root, Go, gcc and a Debian mirror; on a
# fresh Debian machine it installs docker.io, debootstrap and the rest with apt-get.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/kind/lib.sh"
source "$here/kind/rootfs.sh"
source "$here/kind/go-tools.sh"
source "$here/kind/images.sh"
source "$here/kind/cluster.sh"

[[ $(id -u) == 0 ]] || kind_die "must run as root (network namespace, dockerd, debootstrap)"
PREPARE_ONLY=false
case "${1:-}" in
  --prepare) PREPARE_ONLY=true ;;
  "") ;;
  *) echo "usage: $0 [--prepare]" >&2; exit 2 ;;
esac
t0=$SECONDS
phase() { kind_log "== $* ($((SECONDS - t0)) s)"; }

phase "packages"
need=()
for c in dockerd:docker.io debootstrap:debootstrap containerd:containerd runc:runc jq:jq ip:iproute2 nsenter:util-linux gcc:gcc; do
  command -v "${c%%:*}" >/dev/null || need+=("${c#*:}")
done
[[ -d /usr/lib/cni ]] || need+=(containernetworking-plugins)
if ((${#need[@]})); then
  kind_log "apt-get install ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

phase "kube binaries (hack/provision-kube-binaries.sh --node) and Helm"
bash "$KIND_REPO/hack/provision-kube-binaries.sh" --node >/dev/null
helm_bin >/dev/null
phase "kind, crictl, CoreDNS, pause; e2e.test, agnhost and ginkgo; Prometheus"
kind_go_tools
kind_e2e_binaries
kind_prometheus >/dev/null
phase "root filesystems"
kind_rootfs node $NODE_PACKAGES >/dev/null
kind_rootfs kube-proxy $KUBE_PROXY_PACKAGES >/dev/null
kind_rootfs workload $WORKLOAD_PACKAGES >/dev/null
kind_rootfs jdk-build $BUILD_PACKAGES >/dev/null
# shellcheck disable=SC2046 # one word per package
kind_rootfs runtime $(grep -v '^#' "$KIND_REPO/image/runtime-packages.txt") >/dev/null
if $PREPARE_ONLY; then phase "prepared"; exit 0; fi
if [[ ! -d "${MAVEN_REPO:-$HOME/.m2/repository}" ]]; then
  phase "the CLI's Maven dependencies (mvn -DskipTests package)"
  (cd "$KIND_REPO" && mvn -B -q -DskipTests -pl cli -am package) >&2
fi
phase "dockerd"
bash "$here/kind/dockerd.sh" start
phase "images"
kind_node_image
kind_palisade_image
kind_workload_image
phase "cluster"
kind_create
kind_load "$PALISADE_IMAGE" "$WORKLOAD_IMAGE"
kind_helm_install
kind_outside
phase "ready"
kc get nodes -o wide >&2
