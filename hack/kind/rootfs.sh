# Root filesystems for the bed's images, all from one Debian bookworm minbase made by debootstrap on
# the host (the host reaches Debian's mirror; dockerd's namespace reaches nothing). Each variant is
# the minbase plus Debian packages, installed with chroot and cached by a hash of its recipe.
# Sourced after lib.sh.
KIND_MIRROR="${PALISADE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
KIND_SUITE=bookworm

kind_minbase() { # prints the path of the cached minbase tarball
  local tar="$KIND_CACHE/rootfs/minbase-$KIND_SUITE.tar"
  if [[ ! -f "$tar" ]]; then
    local build="$KIND_CACHE/rootfs/.minbase-$$"
    mkdir -p "$KIND_CACHE/rootfs"
    kind_log "debootstrap $KIND_SUITE minbase from $KIND_MIRROR"
    debootstrap --variant=minbase "$KIND_SUITE" "$build" "$KIND_MIRROR" >"$KIND_CACHE/rootfs/debootstrap.log" 2>&1 ||
      { tail -20 "$KIND_CACHE/rootfs/debootstrap.log" >&2; rm -rf "$build"; kind_die "debootstrap failed"; }
    rm -f "$build/etc/apt/sources.list"
    cat >"$build/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: ${KIND_MIRROR}
Suites: ${KIND_SUITE} ${KIND_SUITE}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${KIND_MIRROR%/debian}/debian-security
Suites: ${KIND_SUITE}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    rm -rf "$build"/var/cache/apt/archives/*.deb "$build"/var/lib/apt/lists/*
    tar -C "$build" -cf "$tar.tmp" . && mv -f "$tar.tmp" "$tar"
    rm -rf "$build"
  fi
  echo "$tar"
}

# kind_rootfs NAME PACKAGES...: minbase plus PACKAGES (--no-install-recommends), cached; prints its path
kind_rootfs() {
  local name=$1; shift
  local key; key=$(printf '%s\n' "$KIND_SUITE" "$@" | sha256sum | cut -c1-12)
  local dir="$KIND_CACHE/rootfs/$name-$key"
  if [[ ! -f "$dir/.complete" ]]; then
    local base; base=$(kind_minbase)
    rm -rf "$dir" && mkdir -p "$dir"
    tar -C "$dir" -xf "$base"
    cp /etc/resolv.conf "$dir/etc/resolv.conf"
    kind_log "rootfs $name: installing $*"
    mount -t proc proc "$dir/proc"
    if ! chroot "$dir" sh -c 'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" >/dev/null' sh "$@" \
      >"$dir.log" 2>&1; then
      umount "$dir/proc"; tail -20 "$dir.log" >&2; kind_die "apt-get install in rootfs $name failed"
    fi
    umount "$dir/proc"
    chroot "$dir" apt-get clean
    rm -rf "$dir"/var/lib/apt/lists/* "$dir/etc/resolv.conf"
    : >"$dir/etc/resolv.conf"
    touch "$dir/.complete"
  fi
  echo "$dir"
}

# kind_import DIR IMAGE [--change ...]...: the directory as a one-layer image
kind_import() {
  local dir=$1 image=$2; shift 2
  tar -C "$dir" --exclude=./.complete -c . | dk import "$@" - "$image" >/dev/null
}
