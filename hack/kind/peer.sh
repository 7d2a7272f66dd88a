# The peer enforcer for side-by-side runs (issue 17): kube-network-policies, the SIG reference
# NetworkPolicy agent, built from its Go module (the proxy serves it), packaged as a local image from
# a Debian rootfs the way images.sh builds the bed's images, loaded into the kind nodes (no pulls),
# and installed with its upstream install.yaml adapted (our image, imagePullPolicy: Never).
# Sourced after lib.sh, rootfs.sh, images.sh and cluster.sh.
#
# What it needs at runtime (read from its cmd/main.go, pkg/networkpolicy and install.yaml): one
# binary (/bin/netpol, static, CGO_ENABLED=0 as its Dockerfile builds it) that programs the table
# `inet kube-network-policies` through netlink (github.com/google/nftables, no `nft` binary) and
# judges the first packet of each connection to or from a pod selected by a policy in userspace
# through NFQUEUE (--nfqueue-id, 98 in install.yaml); hostNetwork, privileged, /var/run/netns and
# /var/run/nri from the host. NRI is optional: the nodes' containerd (Debian's 1.6) has none, so it
# logs that and takes pod IPs from the API server only. The image also holds Debian's nftables, so
# that `nft list table inet kube-network-policies` can be run in it to look at what it programmed.

PEER_MODULE=sigs.k8s.io/kube-network-policies
PEER_VERSION="${PALISADE_PEER_VERSION:-v0.8.0}"
PEER_IMAGE="palisade.local/kube-network-policies:$PEER_VERSION"
PEER_PACKAGES="nftables"
PEER_DIR="$KIND_CACHE/peer/$PEER_VERSION"   # the cache, keyed by version
PEER_NFT_MODULE=github.com/google/nftables

# This machine's kernel has nfnetlink_queue and nft_compat with the xtables NFQUEUE target, but not
# the nftables `queue` expression (CONFIG_NFT_QUEUE is not set, and there are no modules to load): the
# peer as released fails every table sync with "netlink receive: no such file or directory" and
# enforces nothing. kind_peer_queue_compat detects that; the build then swaps in a copy of the
# peer's github.com/google/nftables whose expr.Queue is encoded as the xtables NFQUEUE target,
# revision 3 (same queue number, same bypass flag, same kernel queue), which nft_compat accepts. The
# peer's own code is unchanged; hack/kind/peer/queue_xt.go is the whole change.
kind_peer_queue_compat() {
  [[ ${PALISADE_PEER_QUEUE:-auto} != native ]] || return 1
  [[ ${PALISADE_PEER_QUEUE:-auto} == xt ]] && return 0
  local config; config=$(zcat /proc/config.gz 2>/dev/null || cat "/boot/config-$(uname -r)" 2>/dev/null || true)
  grep -q '^# CONFIG_NFT_QUEUE is not set' <<<"$config"
}

# kind_peer_binary: builds /bin/netpol of $PEER_MODULE@$PEER_VERSION once per version; prints its path
kind_peer_binary() {
  local out="$PEER_DIR/netpol" variant=native
  if kind_peer_queue_compat; then
    variant="xt-$(sha256sum "$KIND_REPO/hack/kind/peer/queue_xt.go" | cut -c1-12)"
    out="$PEER_DIR/netpol-$variant"
  fi
  if [[ ! -x $out ]]; then
    local src; src=$(kind_module_dir "$PEER_MODULE@$PEER_VERSION")
    [[ -f "$src/cmd/main.go" ]] || kind_die "$PEER_MODULE@$PEER_VERSION: no cmd/main.go"
    kind_log "building $PEER_MODULE@$PEER_VERSION (./cmd, CGO_ENABLED=0, as its Dockerfile does)"
    mkdir -p "$PEER_DIR"
    rm -rf "$PEER_DIR/src" && cp -r "$src" "$PEER_DIR/src" && chmod -R u+w "$PEER_DIR/src"
    if [[ $variant != native ]]; then
      local nv; nv=$(cd "$PEER_DIR/src" && go list -m -f '{{.Version}}' "$PEER_NFT_MODULE")
      local nsrc; nsrc=$(kind_module_dir "$PEER_NFT_MODULE@$nv")
      kind_log "this kernel has no nft_queue: $PEER_NFT_MODULE@$nv with expr.Queue as the xtables NFQUEUE target"
      rm -rf "$PEER_DIR/nftables" && cp -r "$nsrc" "$PEER_DIR/nftables" && chmod -R u+w "$PEER_DIR/nftables"
      sed -i 's/^func (e \*Queue) marshal(fam byte)/func (e *Queue) marshalNative(fam byte)/' "$PEER_DIR/nftables/expr/queue.go"
      grep -q marshalNative "$PEER_DIR/nftables/expr/queue.go" || kind_die "expr.Queue.marshal not found in $PEER_NFT_MODULE@$nv"
      cp "$KIND_REPO/hack/kind/peer/queue_xt.go" "$PEER_DIR/nftables/expr/queue_xt.go"
      (cd "$PEER_DIR/src" && go mod edit -replace "$PEER_NFT_MODULE=$PEER_DIR/nftables")
    fi
    (cd "$PEER_DIR/src" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -o "$out.tmp" ./cmd) >&2 ||
      kind_die "go build of $PEER_MODULE@$PEER_VERSION failed"
    mv -f "$out.tmp" "$out"
    # the upstream manifest, kept beside the binary it goes with
    cp "$src/install.yaml" "$PEER_DIR/install.yaml" && chmod u+w "$PEER_DIR/install.yaml"
  fi
  echo "$out"
}

# kind_peer_image: $PEER_IMAGE (bookworm + nftables + /bin/netpol), rebuilt when the binary or this
# recipe changes
kind_peer_image() {
  local bin; bin=$(kind_peer_binary)
  local key; key=$(cat "$bin" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-12)
  if kind_have_image "$PEER_IMAGE" && [[ $(dk image inspect -f '{{index .Config.Labels "palisade.recipe"}}' "$PEER_IMAGE") == "$key" ]]; then
    return
  fi
  local base; base=$(kind_rootfs peer $PEER_PACKAGES)
  local root="$PEER_DIR/rootfs"
  rm -rf "$root" && cp -a "$base" "$root"
  install -m 0755 "$bin" "$root/bin/netpol"
  kind_import "$root" "$PEER_IMAGE" --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL palisade.recipe=$key" --change 'CMD ["/bin/netpol"]'
  rm -rf "$root"
  kind_log "image $PEER_IMAGE built"
}

# kind_peer_manifest: upstream install.yaml with the image swapped for ours, never pulled. Everything
# else (RBAC, ServiceAccount, DaemonSet in kube-system, privileged, hostNetwork, --nfqueue-id=98,
# NRI and netns mounts) is upstream's, and so is its log level (--v=2, which logs every queued packet
# and every policy it evaluates for it) unless PEER_VERBOSITY says otherwise.
kind_peer_manifest() {
  kind_peer_binary >/dev/null
  sed -e "s#^\( *\)image: registry.k8s.io/networking/kube-network-policies:.*#\1image: $PEER_IMAGE\n\1imagePullPolicy: Never#" \
    -e "${PEER_VERBOSITY:+s#- --v=[0-9]*\$#- --v=$PEER_VERBOSITY#}" "$PEER_DIR/install.yaml"
}

kind_peer_load() { kind_peer_image; kind_load "$PEER_IMAGE"; }

kind_peer_install() {
  kind_peer_manifest | kc apply -f - >/dev/null || kind_die "kubectl apply of kube-network-policies failed"
  kc -n kube-system rollout status daemonset/kube-network-policies --timeout=3m >&2 ||
    kind_die "kube-network-policies not ready"
}

# kind_peer_uninstall: deletes it and waits until its pods are gone (it deletes its table on SIGTERM)
kind_peer_uninstall() {
  kind_peer_manifest | kc delete --ignore-not-found -f - >/dev/null
  kind_wait 120 "kube-network-policies pods gone" kind_peer_gone || true
}
kind_peer_gone() { [[ -z $(kc -n kube-system get pods -l app=kube-network-policies -o name 2>/dev/null) ]]; }
