# The bed's images, all built on this machine (nothing is pulled): the kind node image, the
# control-plane images kubeadm asks for (imported into the node image's containerd), the Palisade
# image from the project's Dockerfile, and the workload image of the walkthroughs.
# Sourced after lib.sh, rootfs.sh and go-tools.sh.

NODE_PACKAGES="systemd systemd-sysv dbus conntrack iptables nftables iproute2 ethtool util-linux mount kmod
  libseccomp2 pigz bash ca-certificates curl jq procps containerd runc containernetworking-plugins"
KUBE_PROXY_PACKAGES="iptables nftables conntrack iproute2"
WORKLOAD_PACKAGES="python3-minimal iproute2"
BUILD_PACKAGES="openjdk-17-jdk-headless maven"

kind_have_image() { dk image inspect "$1" >/dev/null 2>&1; }

# kind_binary_image IMAGE ENTRYPOINT-JSON FILE:PATH...: an image holding only the given files
kind_binary_image() {
  local image=$1 entry=$2; shift 2
  local dir; dir=$(mktemp -d)
  mkdir -p "$dir/tmp" "$dir/etc" && chmod 1777 "$dir/tmp"
  echo 'root:x:0:0:root:/root:/sbin/nologin' >"$dir/etc/passwd"
  echo 'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' >>"$dir/etc/passwd"
  local f
  for f in "$@"; do install -D -m 0755 "${f%%:*}" "$dir${f#*:}"; done
  kind_import "$dir" "$image" --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' ${entry:+--change "ENTRYPOINT $entry"}
  rm -rf "$dir"
}

kind_control_plane_images() { # saved as one tarball for the node image's containerd; prints its path
  local key; key=$(cat "$KUBE_BIN"/kube-{apiserver,controller-manager,scheduler,proxy} "$ETCD_BIN" \
    "$KIND_CACHE/bin/coredns" "$KIND_CACHE/bin/pause" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-12)
  local tar="$KIND_CACHE/images/control-plane-$key.tar"
  if [[ ! -f "$tar" ]]; then
    kind_log "control-plane images (kube-apiserver, controller-manager, scheduler, proxy, etcd, CoreDNS, pause)"
    local r=registry.k8s.io c
    for c in kube-apiserver kube-controller-manager kube-scheduler; do
      kind_binary_image "$r/$c:v$KUBE_VERSION" "" "$KUBE_BIN/$c:/usr/local/bin/$c"
    done
    kind_binary_image "$r/etcd:$ETCD_TAG" "" "$ETCD_BIN:/usr/local/bin/etcd"
    kind_binary_image "$r/coredns/coredns:$COREDNS_VERSION" '["/coredns"]' "$KIND_CACHE/bin/coredns:/coredns"
    kind_binary_image "$r/pause:$PAUSE_TAG" '["/pause"]' "$KIND_CACHE/bin/pause:/pause"
    local proxy; proxy=$(kind_rootfs kube-proxy $KUBE_PROXY_PACKAGES)
    install -m 0755 "$KUBE_BIN/kube-proxy" "$proxy/usr/local/bin/kube-proxy"
    kind_import "$proxy" "$r/kube-proxy:v$KUBE_VERSION" --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    mkdir -p "$KIND_CACHE/images"
    rm -f "$KIND_CACHE"/images/control-plane-*.tar
    dk save -o "$tar.tmp" "$r"/kube-{apiserver,controller-manager,scheduler,proxy}:"v$KUBE_VERSION" \
      "$r/etcd:$ETCD_TAG" "$r/coredns/coredns:$COREDNS_VERSION" "$r/pause:$PAUSE_TAG"
    mv -f "$tar.tmp" "$tar"
  fi
  echo "$tar"
}

# The node image the way kind's images/base/Dockerfile and pkg/build/nodeimage assemble it, from
# Debian bookworm packages (systemd 252 still runs on cgroup v1; Debian's containerd 1.6 reads kind's
# v2 config) and kind's own base files from its module source.
kind_node_image() {
  local kindsrc; kindsrc=$(kind_module_dir "sigs.k8s.io/kind@$KIND_VERSION")
  [[ -d "$kindsrc/images/base/files" ]] || kind_die "kind's base files not found in sigs.k8s.io/kind@$KIND_VERSION"
  local images; images=$(kind_control_plane_images)
  local key; key=$(cat "$images" "${BASH_SOURCE[0]}" "$KUBE_BIN"/{kubeadm,kubelet,kubectl} | sha256sum | cut -c1-12)
  if kind_have_image "$NODE_IMAGE" && [[ $(dk image inspect -f '{{index .Config.Labels "palisade.recipe"}}' "$NODE_IMAGE") == "$key" ]]; then
    kind_log "node image $NODE_IMAGE is current"
    return
  fi
  local base; base=$(kind_rootfs node $NODE_PACKAGES)
  local root="$KIND_CACHE/node-build"
  kind_log "node image: assembling in $root"
  rm -rf "$root" && cp -a "$base" "$root"
  local f="$kindsrc/images/base/files"
  install -m 0755 "$f"/usr/local/bin/* "$root/usr/local/bin/"
  mkdir -p "$root/kind/bin" "$root/etc/kubernetes/manifests" "$root/opt/cni/bin"
  cp "$f"/kind/README.txt "$root/kind/"; install -m 0755 "$f"/kind/bin/* "$root/kind/bin/"
  cp -r "$f"/etc/. "$root/etc/"; chmod -R u+w "$root/etc"
  # Debian's containerd, runc and CNI plugins where kind's files expect them
  ln -sf /usr/bin/containerd "$root/usr/local/bin/containerd"
  cp /dev/null "$root/etc/containerd/cri-base.json"
  cp -a "$root"/usr/lib/cni/. "$root/opt/cni/bin/"
  # this machine cannot lower oom_score_adj (no CAP_SYS_RESOURCE): what kind does for rootless
  sed -i 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' "$root/etc/containerd/config.toml"
  sed -i '/^OOMScoreAdjust=/d' "$root/etc/systemd/system/containerd.service"
  ctr oci spec | jq '.hooks.createContainer[.hooks.createContainer | length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' |
    jq 'del(.process.rlimits)' >"$root/etc/containerd/cri-base.json"
  chroot "$root" sh -ec '
    find /lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete
    rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* \
      /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* \
      /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/*
    echo ReadKMsg=no >>/etc/systemd/journald.conf
    ln -sf /usr/lib/systemd/systemd /sbin/init
    systemctl enable kubelet.service containerd.service undo-mount-hacks.service >/dev/null 2>&1
    systemctl mask systemd-binfmt.service >/dev/null 2>&1'
  install -m 0755 "$KUBE_BIN"/{kubeadm,kubelet,kubectl} "$root/usr/bin/"
  install -m 0755 "$KIND_CACHE/bin/crictl" "$root/usr/local/bin/crictl"
  echo "v$KUBE_VERSION" >"$root/kind/version"
  # the control-plane images, imported by a containerd of the same version as the node's, rooted in
  # the node's /var/lib/containerd (kind does this with `ctr images import` inside a build container)
  local state="$KIND_RUN/ctd-build"
  rm -rf "$state" && mkdir -p "$state"
  containerd --root "$root/var/lib/containerd" --state "$state" --address "$state/ctd.sock" \
    --config /dev/null >"$state/log" 2>&1 &
  local ctd=$!
  kind_wait 30 "build containerd" ctr -a "$state/ctd.sock" version
  ctr -a "$state/ctd.sock" -n k8s.io images import --all-platforms --snapshotter overlayfs "$images" >/dev/null ||
    { kill $ctd; kind_die "ctr images import failed"; }
  kill $ctd; wait $ctd 2>/dev/null || true
  kind_import "$root" "$NODE_IMAGE.base"
  printf 'FROM %s\nENV container=docker\nLABEL palisade.recipe=%s\nSTOPSIGNAL SIGRTMIN+3\nENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]\n' \
    "$NODE_IMAGE.base" "$key" | DOCKER_BUILDKIT=0 dk build -q -t "$NODE_IMAGE" - >/dev/null
  dk rmi "$NODE_IMAGE.base" >/dev/null
  rm -rf "$root"
  kind_log "node image $NODE_IMAGE built"
}

# The Palisade image from the project's Dockerfile, with base images made here: a JDK with Maven and
# this machine's Maven repository (offline), and bookworm with the runtime packages already in it.
kind_palisade_image() {
  local build runtime
  build=$(kind_rootfs jdk-build $BUILD_PACKAGES)
  # shellcheck disable=SC2046 # one word per package
  runtime=$(kind_rootfs runtime $(grep -v '^#' "$KIND_REPO/image/runtime-packages.txt"))
  local rkey; rkey=$(basename "$runtime")
  kind_have_image "palisade.local/runtime-base:$rkey" || kind_import "$runtime" "palisade.local/runtime-base:$rkey"
  # the Maven repository the host's `mvn package` filled, as a layer of the build image
  local m2="${MAVEN_REPO:-$HOME/.m2/repository}"
  [[ -d "$m2" ]] || kind_die "no Maven repository at $m2: run mvn -B -DskipTests package first"
  local bkey; bkey=$( (basename "$build"; cd "$m2" && find . -name "*.jar" | sort) | sha256sum | cut -c1-12)
  if ! kind_have_image "palisade.local/jdk-build:$bkey"; then
    kind_log "build image: $(basename "$build") + the Maven repository ($(du -sh "$m2" | cut -f1))"
    rm -rf "$build/opt/m2" && mkdir -p "$build/opt/m2" && cp -a "$m2/." "$build/opt/m2/"
    kind_import "$build" "palisade.local/jdk-build:$bkey" --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    rm -rf "$build/opt/m2"
  fi
  kind_log "docker build $PALISADE_IMAGE from $KIND_REPO/Dockerfile"
  (cd "$KIND_REPO" && DOCKER_BUILDKIT=1 dk build -q --network none -t "$PALISADE_IMAGE" \
    --build-arg "BUILD_IMAGE=palisade.local/jdk-build:$bkey" \
    --build-arg "RUNTIME_IMAGE=palisade.local/runtime-base:$rkey" \
    --build-arg "MAVEN_ARGS=-o -Dmaven.repo.local=/opt/m2" \
    --build-arg "REVISION=$(git -C "$KIND_REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)" .) >/dev/null ||
    kind_die "docker build of the Palisade image failed"
}

# The walkthroughs' workloads: Python servers answering on every port they are given (TCP and UDP),
# and the in-pod probe client.
kind_workload_image() {
  local root; root=$(kind_rootfs workload $WORKLOAD_PACKAGES)
  local key; key=$(cat "$KIND_REPO/hack/sim-cluster/server.py" "$KIND_REPO/hack/kind/workload/probe.py" | sha256sum | cut -c1-12)
  if kind_have_image "$WORKLOAD_IMAGE" && [[ $(dk image inspect -f '{{index .Config.Labels "palisade.recipe"}}' "$WORKLOAD_IMAGE") == "$key" ]]; then
    return
  fi
  install -m 0644 "$KIND_REPO/hack/sim-cluster/server.py" "$root/server.py"
  install -m 0644 "$KIND_REPO/hack/kind/workload/probe.py" "$root/probe.py"
  kind_import "$root" "$WORKLOAD_IMAGE" --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL palisade.recipe=$key" --change 'ENTRYPOINT ["python3", "-u", "/server.py"]'
}
