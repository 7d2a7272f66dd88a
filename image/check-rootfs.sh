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
#   5. whether `palisade operator` and `palisade agent` are wired in the CLI (reported)
#
# The assembled filesystem is cached in ~/.cache/palisade/rootfs/<hash of the recipe>, so a
# second run only refreshes the jars (seconds). Needs root (debootstrap, chroot, unshare) and a
# built tree: mvn -B -DskipTests package (cli/target/palisade.jar and cli/target/lib).
#
# Environment: PALISADE_ROOTFS_CACHE (default ~/.cache/palisade/rootfs),
#              PALISADE_DEBIAN_MIRROR (default http://deb.debian.org/debian).
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
cleanup() {
  local m
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    m="${mounted[$i]}"
    umount -l "$m" 2>/dev/null || true
  done
  mounted=()
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
cleanup
log "image contents check passed"
