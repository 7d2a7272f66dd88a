#!/usr/bin/env bash
# Checks the runtime image's contents without a Docker engine.
#
# It assembles the image's root filesystem the way the Dockerfile's runtime stage does: Debian
# bookworm (debootstrap --variant=minbase, the essential set that debian:bookworm-slim also has),
# the slim image's apt sources, then image/install-runtime.sh, the very script the Dockerfile runs.
# It copies in the jars and the launcher as the Dockerfile's COPY lines do, and runs, with chroot:
#   1. `palisade version` as the operator's non-root user (uid 65532)
#   2. `palisade compile` of examples/netpol-demo as that user
#   3. libnftables.so.1 through jnr-ffi in a fresh network namespace: `palisade agent --self-check`
#      once the CLI has it, else image/NftablesSelfCheck.java (add, list and delete a table)
#   4. the CNI plugins of CNI mode (ptp, host-local, portmap, loopback) in /usr/lib/cni answer
#      CNI_COMMAND=VERSION; ip and conntrack run
#   5. whether `palisade operator` and `palisade agent` are wired in the CLI
#   6. both programs running from the image against a real kube-apiserver (hack's binaries) with the
#      chart installed, each with a token of its chart ServiceAccount: the operator (uid 65532)
#      publishes a node's rule set, and the agent (root) applies it in a network namespace of its
#      own (--netns, as the agent's E2E tests do) and reports it applied
#
# The assembled filesystem is cached in ~/.cache/palisade/rootfs/<hash of the recipe>, so a
# second run only refreshes the jars (seconds). Needs root (debootstrap, chroot, unshare) and a
# built tree: mvn -B -DskipTests package (cli/target/palisade.jar and cli/target/lib).
#
# Environment: PALISADE_ROOTFS_CACHE (default ~/.cache/palisade/rootfs),
#              PALISADE_DEBIAN_MIRROR (default http://deb.debian.org/debian),
#              PALISADE_KUBE_BIN_DIR (default ~/.kubeapitest/k8s/1.33.13-linux-amd64).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SUITE=bookworm
MIRROR="${PALISADE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
CACHE="${PALISADE_ROOTFS_CACHE:-$HOME/.cache/palisade/rootfs}"
OPERATOR_UID=65532

t0=$(date +%s.%N)
log() { printf '[check-rootfs %5.1fs] %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$*" >&2; }
die() { printf '[check-rootfs] FAILED: %s\n' "$*" >&2; exit 1; }

[[ "$(id -u)" -eq 0 ]] || die "must run as root (debootstrap, chroot and unshare)"
JAR="$REPO/cli/target/palisade.jar"
LIB="$REPO/cli/target/lib"
for tool in debootstrap bc; do
  command -v "$tool" >/dev/null || { log "installing $tool"; apt-get install -y -qq --no-install-recommends "$tool" >/dev/null; }
done

# Everything that decides the filesystem's contents is in the key; the jars are not (copied each run).
KEY=$(cat "$REPO/image/runtime-packages.txt" "$REPO/image/install-runtime.sh" <(echo "$SUITE minbase slim-sources v1") \
  | sha256sum | cut -c1-16)
ROOT="$CACHE/$SUITE-$KEY"

mounted=()
pids=()
netns=""
work=""
cleanup() {
  local m p
  for p in "${pids[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  pids=()
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    m="${mounted[$i]}"
    umount -l "$m" 2>/dev/null || true
  done
  mounted=()
  [[ -z "$netns" ]] || ip netns delete "$netns" 2>/dev/null || true
  netns=""
  [[ -z "$work" ]] || rm -rf "$work"
  work=""
}
trap cleanup EXIT
mount_into() { # mount_into ROOT: /proc and /dev for the JVM inside the chroot
  mount -t proc proc "$1/proc" && mounted+=("$1/proc")
  mount --rbind /dev "$1/dev" && mount --make-rslave "$1/dev" && mounted+=("$1/dev")
}

if [[ ! -f "$ROOT/.palisade-rootfs-complete" ]]; then
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.lock"
  flock 9
fi
if [[ ! -f "$ROOT/.palisade-rootfs-complete" ]]; then
  BUILD="$CACHE/.build-$KEY-$$"
  log "assembling the runtime filesystem in $BUILD (debootstrap $SUITE minbase from $MIRROR)"
  debootstrap --variant=minbase "$SUITE" "$BUILD" "$MIRROR" >"$CACHE/debootstrap-$KEY.log" 2>&1 \
    || { tail -20 "$CACHE/debootstrap-$KEY.log" >&2; die "debootstrap failed (log: $CACHE/debootstrap-$KEY.log)"; }
  log "debootstrap done; installing the runtime packages with image/install-runtime.sh"
  # debian:bookworm-slim's apt sources (/etc/apt/sources.list.d/debian.sources): with updates and security
  rm -f "$BUILD/etc/apt/sources.list"
  cat >"$BUILD/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: ${MIRROR}
Suites: ${SUITE} ${SUITE}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${MIRROR%/debian}/debian-security
Suites: ${SUITE}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  cp /etc/resolv.conf "$BUILD/etc/resolv.conf"
  mkdir -p "$BUILD/tmp/image"
  cp "$REPO/image/install-runtime.sh" "$REPO/image/runtime-packages.txt" "$BUILD/tmp/image/"
  mount_into "$BUILD"
  chroot "$BUILD" /tmp/image/install-runtime.sh || die "image/install-runtime.sh failed inside the chroot"
  cleanup
  rm -rf "$BUILD/tmp/image"
  chroot "$BUILD" dpkg-query -W -f '${Package} ${Version}\n' >"$BUILD/.palisade-packages"
  touch "$BUILD/.palisade-rootfs-complete"
  mv -T "$BUILD" "$ROOT"
  log "runtime filesystem cached in $ROOT ($(du -sh "$ROOT" | cut -f1))"
else
  log "cached runtime filesystem $ROOT"
fi
for p in openjdk-17-jre-headless libnftables1 containernetworking-plugins iproute2 conntrack; do
  grep -m1 "^$p " "$ROOT/.palisade-packages" >&2 || die "package $p is not installed in the image"
done

# The Dockerfile's COPY lines: the jars and the launcher; examples only for the check.
[[ -f "$JAR" ]] && compgen -G "$LIB/*.jar" >/dev/null || die "$JAR or $LIB/*.jar is missing: run mvn -B -DskipTests package first"
rm -rf "$ROOT/opt/palisade" "$ROOT/opt/palisade-check"
mkdir -p "$ROOT/opt/palisade/lib" "$ROOT/opt/palisade-check"
cp "$JAR" "$LIB"/*.jar "$ROOT/opt/palisade/lib/"
install -m 0755 "$REPO/image/palisade" "$ROOT/usr/local/bin/palisade"
cp -r "$REPO/examples" "$ROOT/opt/palisade-check/examples"
chmod -R a+rX "$ROOT/opt/palisade-check"
log "copied $(ls "$ROOT/opt/palisade/lib" | wc -l) jars ($(du -sh "$ROOT/opt/palisade/lib" | cut -f1))"

mount_into "$ROOT"
as_operator() { chroot --userspec=$OPERATOR_UID:$OPERATOR_UID "$ROOT" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp "$@"; }
as_agent() { unshare --net -- chroot "$ROOT" env -i PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp "$@"; }

log "1. palisade version, as uid $OPERATOR_UID"
version=$(as_operator palisade version) || die "palisade version failed"
echo "   $version" >&2
[[ "$version" == palisade\ * ]] || die "unexpected version output: $version"

log "2. palisade compile examples/netpol-demo, as uid $OPERATOR_UID"
compiled=$(as_operator palisade compile --node node-1 --manifests /opt/palisade-check/examples/netpol-demo) \
  || die "palisade compile failed"
grep -q '^table inet palisade' <<<"$compiled" || grep -q 'table inet' <<<"$compiled" \
  || die "palisade compile printed no nftables table:\n$compiled"
echo "   $(wc -l <<<"$compiled") lines of nft script for node-1" >&2

help=$(as_operator palisade --help 2>&1 || true)
wired=()
for sub in operator agent; do
  grep -qE "^\s+$sub\b" <<<"$help" && wired+=("$sub")
done

log "3. libnftables.so.1 through jnr-ffi, as root in a fresh network namespace"
if [[ " ${wired[*]} " == *" agent "* ]] && as_operator palisade agent --help 2>&1 | grep -q -- '--self-check'; then
  as_agent palisade agent --self-check >&2 || die "palisade agent --self-check failed"
else
  classes="$ROOT/opt/palisade-check/classes"
  mkdir -p "$classes"
  javac -nowarn -d "$classes" -cp "$ROOT/opt/palisade/lib/*" "$REPO/image/NftablesSelfCheck.java" \
    || die "cannot compile image/NftablesSelfCheck.java against the image's jars"
  as_agent java -cp "/opt/palisade/lib/*:/opt/palisade-check/classes" NftablesSelfCheck >&2 \
    || die "libnftables does not work inside the image"
fi

log "4. CNI plugins and tools"
for plugin in ptp host-local portmap loopback; do
  out=$(as_agent env CNI_COMMAND=VERSION "/usr/lib/cni/$plugin" </dev/null) \
    || die "/usr/lib/cni/$plugin does not run"
  grep -q '"supportedVersions"' <<<"$out" || die "/usr/lib/cni/$plugin CNI_COMMAND=VERSION gave: $out"
  echo "   /usr/lib/cni/$plugin: $(sed 's/.*"cniVersion":"\([^"]*\)".*/CNI \1/' <<<"$out")" >&2
done
as_agent ip -V >&2 || die "ip does not run"
as_agent ip link show lo >/dev/null || die "ip link show does not work"
as_agent conntrack --version >&2 || die "conntrack does not run"

log "5. programs of the image"
for sub in operator agent; do
  if [[ " ${wired[*]} " == *" $sub "* ]]; then
    as_operator palisade "$sub" --help >/dev/null 2>&1 || die "palisade $sub --help failed"
    echo "   palisade $sub: wired" >&2
  else
    echo "   palisade $sub: NOT wired in the CLI yet (dev.palisade.cli.Palisade has no '$sub' subcommand)" >&2
  fi
done

log "6. palisade operator and palisade agent from the image, against kube-apiserver with the chart installed"
KUBE_BIN="${PALISADE_KUBE_BIN_DIR:-$HOME/.kubeapitest/k8s/1.33.13-linux-amd64}"
for b in etcd kube-apiserver kubectl; do
  [[ -x "$KUBE_BIN/$b" ]] || die "$KUBE_BIN/$b is missing: run hack/provision-kube-binaries.sh"
done
[[ " ${wired[*]} " == *" operator "* && " ${wired[*]} " == *" agent "* ]] || die "the CLI lacks palisade operator or palisade agent"
[[ -n "$ROOT" && "$ROOT" != / ]] || die "no root filesystem"
HELM="$("$REPO/hack/provision-helm.sh")"
work=$(mktemp -d /tmp/palisade-image-check.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
ETCD_PORT=$(free_port); PEER_PORT=$(free_port); API_PORT=$(free_port); OP_PORT=$(free_port); AG_PORT=$(free_port)
(
  cd "$work"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 -subj "/CN=palisade-image-ca" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout api.key -out api.csr -subj "/CN=kube-apiserver" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >api.ext
  openssl x509 -req -in api.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile api.ext -out api.crt 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=admin" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >admin.ext
  openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile admin.ext -out admin.crt 2>/dev/null
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
)
"$KUBE_BIN/etcd" --name default --data-dir "$work/etcd" --unsafe-no-fsync \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$PEER_PORT" \
  --initial-cluster "default=http://127.0.0.1:$PEER_PORT" >"$work/etcd.log" 2>&1 &
pids+=($!)
"$KUBE_BIN/kube-apiserver" --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" \
  --cert-dir="$work/certs" --tls-cert-file="$work/api.crt" --tls-private-key-file="$work/api.key" \
  --client-ca-file="$work/ca.crt" --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --service-cluster-ip-range=10.0.0.0/24 --authorization-mode=RBAC \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$work/sa.pub" --service-account-signing-key-file="$work/sa.key" \
  >"$work/apiserver.log" 2>&1 &
pids+=($!)
kubeconfig() { # kubeconfig USER-LINES: a kubeconfig for this API server
  printf 'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:%s\n    certificate-authority-data: %s\nusers:\n- name: u\n  user:\n%s\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\n' \
    "$API_PORT" "$(base64 -w0 <"$work/ca.crt")" "$1"
}
kubeconfig "$(printf '    client-certificate-data: %s\n    client-key-data: %s' \
  "$(base64 -w0 <"$work/admin.crt")" "$(base64 -w0 <"$work/admin.key")")" >"$work/admin.kubeconfig"
k() { "$KUBE_BIN/kubectl" --kubeconfig "$work/admin.kubeconfig" "$@"; }
deadline=$((SECONDS + 90))
until k get --raw /readyz >/dev/null 2>&1; do
  ((SECONDS < deadline)) || { tail -20 "$work/apiserver.log" >&2; die "kube-apiserver not ready"; }
  sleep 0.5
done
"$HELM" install palisade "$REPO/charts/palisade" --namespace palisade-system --create-namespace \
  --kubeconfig "$work/admin.kubeconfig" >/dev/null || die "helm install failed"
printf '%s\n' 'apiVersion: v1' 'kind: Node' 'metadata: {name: image-check-node}' \
  'spec: {podCIDR: 10.244.7.0/24, podCIDRs: [10.244.7.0/24]}' | k apply -f - >/dev/null || die "cannot create the Node"
# each program with its chart ServiceAccount's token, so the chart's RBAC decides what it may do
for sa in operator agent; do
  token=$(k create token "palisade-$sa" -n palisade-system --duration=1h) || die "no token for palisade-$sa"
  kubeconfig "    token: $token" >"$ROOT/opt/palisade-check/$sa.kubeconfig"
done
chmod 0644 "$ROOT"/opt/palisade-check/*.kubeconfig
netns="pzimg-$$"
ip netns add "$netns"
mkdir -p "$ROOT/run/netns"
mount --rbind /run/netns "$ROOT/run/netns" && mount --make-rslave "$ROOT/run/netns" && mounted+=("$ROOT/run/netns")
chroot --userspec=$OPERATOR_UID:$OPERATOR_UID "$ROOT" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp \
  KUBECONFIG=/opt/palisade-check/operator.kubeconfig POD_NAME=palisade-operator-image-check \
  POD_NAMESPACE=palisade-system PALISADE_HTTP_PORT="$OP_PORT" palisade operator >"$work/operator.log" 2>&1 &
pids+=($!)
chroot "$ROOT" env -i PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp \
  KUBECONFIG=/opt/palisade-check/agent.kubeconfig NODE_NAME=image-check-node \
  palisade agent --http-port="$AG_PORT" --netns "$netns" >"$work/agent.log" 2>&1 &
pids+=($!)
deadline=$((SECONDS + 150))
applied() { # the node's rule set is applied: spec.revision equals status.appliedRevision
  local r
  r=$(k get palisadenoderuleset image-check-node -o jsonpath='{.spec.revision}/{.status.appliedRevision}' 2>/dev/null) || return 1
  [[ -n "${r%%/*}" && "${r%%/*}" == "${r##*/}" ]]
}
until applied && curl -sf "http://127.0.0.1:$AG_PORT/readyz" >/dev/null; do
  if ((SECONDS >= deadline)); then
    echo "--- operator.log" >&2; tail -30 "$work/operator.log" >&2
    echo "--- agent.log" >&2; tail -30 "$work/agent.log" >&2
    die "the image's operator and agent did not publish and apply the node's rule set"
  fi
  sleep 1
done
echo "   PalisadeNodeRuleSet image-check-node: revision/applied $(k get palisadenoderuleset image-check-node \
  -o jsonpath='{.spec.revision}/{.status.appliedRevision}')" >&2
ip netns exec "$netns" nft list table inet palisade >/dev/null || die "no table inet palisade in the agent's namespace"
# each scrape waited for like the rest (a loaded machine can drop one); the last answer is shown on failure
reports() { # PORT REGEX
  until curl -sf --max-time 10 "http://127.0.0.1:$1/metrics" >"$work/metrics.$1" && grep -Eq "$2" "$work/metrics.$1"; do
    ((SECONDS < deadline)) || { grep -E '^palisade_(agent_ready|operator_leader)' "$work/metrics.$1" >&2; return 1; }
    sleep 1
  done
}
reports "$OP_PORT" '^palisade_operator_leader 1(\.0)?$' || die "the operator does not report leading"
reports "$AG_PORT" '^palisade_agent_ready 1(\.0)?$' || die "the agent does not report ready"
echo "   operator (uid $OPERATOR_UID) leads, agent ready, table inet palisade in $netns; both as their chart ServiceAccounts" >&2
cleanup
log "image contents check passed"
