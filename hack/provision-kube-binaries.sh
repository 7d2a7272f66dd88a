#!/usr/bin/env bash
# Provision real kube-apiserver, etcd and kubectl binaries for tests, in the layout
# that fabric8's io.fabric8:kube-api-test (7.6.1) looks for before it tries to download:
#
#   ${KUBE_API_TEST_DIR:-~/.kubeapitest}/k8s/<x.y.z>-<os>-<arch>/{kube-apiserver,etcd,kubectl}
#
# (BinaryManager.BINARY_LIST_DIR = "k8s", dir name = version without "v" + "-" + os + "-" + arch,
# file names from io.fabric8.kubeapitest.binary.Binaries.)
#
# Nothing is downloaded from GitHub: kube-apiserver and etcd are compiled from the Go module
# proxy (k8s.io/kubernetes and go.etcd.io/etcd/*), kubectl is copied from the Google Cloud SDK.
#
# Environment:
#   PALISADE_KUBE_VERSION  Kubernetes version to build (default below; "v" prefix optional)
#   PALISADE_ETCD_VERSION  etcd version to build (default below; "v" prefix optional)
#   PALISADE_KUBECTL       kubectl binary to copy (default: gcloud's kubectl.<major>.<minor>)
#   KUBE_API_TEST_DIR      kube-api-test base dir, same variable kube-api-test reads (default: ~/.kubeapitest)
#   PALISADE_BUILD_DIR     wrapper modules / build outputs (default: ~/.cache/palisade/kube-build)
#
# With --node it also builds what a kind node runs (kubelet, kubeadm, kubectl, kube-controller-manager,
# kube-scheduler, kube-proxy; hack/kind/) into $PALISADE_BUILD_DIR/kubernetes-v<x.y.z>/bin.
#
# Progress goes to stderr (one line per step); the binary directory is printed on stdout.
set -euo pipefail

NODE_CMDS="kubelet kubeadm kubectl kube-controller-manager kube-scheduler kube-proxy"
ALL_KUBE_CMDS="kube-apiserver $NODE_CMDS"
WITH_NODE=false
case "${1:-}" in
  --node) WITH_NODE=true ;;
  "") ;;
  *) echo "usage: $0 [--node]" >&2; exit 2 ;;
esac

# Newest v1.33.x / v3.5.x on proxy.golang.org when this script was written
# (`go list -m -versions k8s.io/kubernetes`, `go list -m -versions go.etcd.io/etcd/server/v3`).
DEFAULT_KUBE_VERSION=1.33.13
DEFAULT_ETCD_VERSION=3.5.35

KUBE_VERSION="${PALISADE_KUBE_VERSION:-$DEFAULT_KUBE_VERSION}"
KUBE_VERSION="${KUBE_VERSION#v}"
ETCD_VERSION="${PALISADE_ETCD_VERSION:-$DEFAULT_ETCD_VERSION}"
ETCD_VERSION="${ETCD_VERSION#v}"

if [[ ! "$KUBE_VERSION" =~ ^1\.([0-9]+)\.([0-9]+)$ ]]; then
  echo "provision: PALISADE_KUBE_VERSION must look like 1.33.13, got '$KUBE_VERSION'" >&2
  exit 2
fi
KUBE_MINOR="${BASH_REMATCH[1]}"
if [[ ! "$ETCD_VERSION" =~ ^3\.[0-9]+\.[0-9]+$ ]]; then
  echo "provision: PALISADE_ETCD_VERSION must look like 3.5.35, got '$ETCD_VERSION'" >&2
  exit 2
fi

log() { printf '[provision] %s\n' "$*" >&2; }
die() { printf '[provision] ERROR: %s\n' "$*" >&2; exit 1; }

case "$(uname -s)" in
  Linux) GOOS_NAME=linux ;;
  Darwin) GOOS_NAME=darwin ;;
  *) die "unsupported OS $(uname -s)" ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) GOARCH_NAME=amd64 ;;
  aarch64 | arm64) GOARCH_NAME=arm64 ;;
  ppc64le) GOARCH_NAME=ppc64le ;;
  *) die "unsupported arch $(uname -m)" ;;
esac

KUBE_API_TEST_DIR="${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}"
TARGET_DIR="$KUBE_API_TEST_DIR/k8s/${KUBE_VERSION}-${GOOS_NAME}-${GOARCH_NAME}"
BUILD_DIR="${PALISADE_BUILD_DIR:-$HOME/.cache/palisade/kube-build}"
KUBECTL_SRC="${PALISADE_KUBECTL:-/usr/lib/google-cloud-sdk/bin/kubectl.1.${KUBE_MINOR}}"

# --- version checks (also used for the fast cached path) ------------------------------------
# Output is captured before matching: `bin | grep -q` can SIGPIPE the binary, which fails the
# pipeline under pipefail.
apiserver_ok() { # $1 = binary
  local v
  [[ -x "$1" ]] && v="$("$1" --version 2>/dev/null)" && [[ "$v" == "Kubernetes v${KUBE_VERSION}" ]]
}
etcd_ok() {
  local v
  [[ -x "$1" ]] && v="$("$1" --version 2>/dev/null)" && [[ $'\n'"$v"$'\n' == *$'\n'"etcd Version: ${ETCD_VERSION}"$'\n'* ]]
}
kubectl_ok() { # same minor as the API server is all kubectl's skew policy needs
  local v
  [[ -x "$1" ]] && v="$("$1" version --client 2>/dev/null)" &&
    [[ $'\n'"$v" =~ $'\n'"Client Version: v1.${KUBE_MINOR}."[0-9]+ ]]
}

if ! $WITH_NODE && apiserver_ok "$TARGET_DIR/kube-apiserver" && etcd_ok "$TARGET_DIR/etcd" && kubectl_ok "$TARGET_DIR/kubectl"; then
  log "cached: kube-apiserver v${KUBE_VERSION}, etcd v${ETCD_VERSION}, kubectl 1.${KUBE_MINOR} already in place"
  echo "$TARGET_DIR"
  exit 0
fi

command -v go >/dev/null || die "go not found in PATH"
mkdir -p "$BUILD_DIR" "$TARGET_DIR"

# Serialize concurrent runs so that nothing is built twice.
exec 9>"$BUILD_DIR/.lock"
if command -v flock >/dev/null; then
  log "acquiring lock $BUILD_DIR/.lock"
  flock 9
fi

# Builds inherit the normal, persistent Go build and module caches (go env GOCACHE / GOMODCACHE).
export CGO_ENABLED=0 GOOS="$GOOS_NAME" GOARCH="$GOARCH_NAME"
log "go $(go env GOVERSION), GOCACHE=$(go env GOCACHE), GOMODCACHE=$(go env GOMODCACHE)"

install_bin() { # $1 = src, $2 = name
  cp -f "$1" "$TARGET_DIR/.$2.tmp"
  chmod 0755 "$TARGET_DIR/.$2.tmp"
  mv -f "$TARGET_DIR/.$2.tmp" "$TARGET_DIR/$2"
}

elapsed() { echo "$((SECONDS - $1))s"; }

# --- k8s.io/kubernetes commands ----------------------------------------------------------------
# One wrapper module serves every command: kube-apiserver for the API tests, and (hack/kind/, the
# offline kind bed) the node's kubelet, kubeadm, kubectl, controller-manager, scheduler and
# kube-proxy. Built by one `go build` so the shared packages compile once.
KUBE_MOD="$BUILD_DIR/kubernetes-v${KUBE_VERSION}"

kube_cmd_ok() { # $1 = command name, $2 = binary
  local v
  [[ -x "$2" ]] || return 1
  case "$1" in
    kubectl) v="$("$2" version --client 2>/dev/null | sed -n 1p)"; [[ "$v" == "Client Version: v${KUBE_VERSION}" ]] ;;
    kubeadm) v="$("$2" version -o short 2>/dev/null)"; [[ "$v" == "v${KUBE_VERSION}" ]] ;;
    *) v="$("$2" --version 2>/dev/null)"; [[ "$v" == "Kubernetes v${KUBE_VERSION}" ]] ;;
  esac
}

# build_kube_cmds CMD... : builds the commands missing from $KUBE_MOD/bin
build_kube_cmds() {
  local missing=() c
  for c in "$@"; do kube_cmd_ok "$c" "$KUBE_MOD/bin/$c" || missing+=("$c"); done
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "$* v${KUBE_VERSION} already built in $KUBE_MOD/bin"
    return
  fi
  local mod="$KUBE_MOD"
  mkdir -p "$mod/bin"

  if [[ ! -f "$mod/go.sum" ]]; then
    log "fetching k8s.io/kubernetes@v${KUBE_VERSION} go.mod from the module proxy"
    local upstream_mod
    upstream_mod="$(cd "$BUILD_DIR" && GOFLAGS= go mod download -json "k8s.io/kubernetes@v${KUBE_VERSION}" |
      sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
    [[ -f "$upstream_mod" ]] || die "could not download go.mod of k8s.io/kubernetes@v${KUBE_VERSION}"

    # Staging modules: every `k8s.io/x => ./staging/src/k8s.io/x` replace of upstream's go.mod
    # is pointed at the published k8s.io/x v0.<minor>.<patch> instead.
    local staging
    staging="$(sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\)[[:space:]]*=>[[:space:]]*\./staging/src/.*#\1#p' "$upstream_mod")"
    [[ -n "$staging" ]] || die "no staging replaces found in $upstream_mod"
    local go_line godebug_lines
    go_line="$(grep -m1 '^go ' "$upstream_mod")"
    godebug_lines="$(grep '^godebug ' "$upstream_mod" || true)"
    log "writing wrapper module $mod/go.mod ($(wc -w <<<"$staging") staging replaces -> v0.${KUBE_MINOR}.${KUBE_VERSION##*.}, ${go_line}${godebug_lines:+, $godebug_lines})"
    {
      echo "module palisade.local/kube-build"
      echo
      echo "$go_line"
      [[ -z "$godebug_lines" ]] || { echo; echo "$godebug_lines"; }
      echo
      echo "require k8s.io/kubernetes v${KUBE_VERSION}"
      echo
      # every command the bed may need, so one go.sum serves them all
      for c in $ALL_KUBE_CMDS; do echo "tool k8s.io/kubernetes/cmd/$c"; done
      echo
      echo "replace ("
      local m
      for m in $staging; do
        printf '\t%s => %s v0.%s.%s\n' "$m" "$m" "$KUBE_MINOR" "${KUBE_VERSION##*.}"
      done
      echo ")"
    } >"$mod/go.mod"

    local t=$SECONDS
    log "resolving k8s.io/kubernetes dependencies (go mod tidy)"
    (cd "$mod" && go mod tidy >"$mod/tidy.log" 2>&1) || { rm -f "$mod/go.sum"; cat "$mod/tidy.log" >&2; die "go mod tidy failed in $mod"; }
    log "resolved dependencies in $(elapsed $t)"
  fi

  local t=$SECONDS
  local x ldflags="-s -w"
  for x in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $x.gitVersion=v${KUBE_VERSION} -X $x.gitMajor=1 -X $x.gitMinor=${KUBE_MINOR}"
    ldflags+=" -X $x.gitTreeState=clean -X $x.buildDate=1970-01-01T00:00:00Z"
  done
  local pkgs=() tmp="$mod/bin/.tmp"
  for c in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  log "building ${missing[*]} v${KUBE_VERSION} (CGO_ENABLED=0; slow on a cold cache)"
  rm -rf "$tmp" && mkdir -p "$tmp"
  (cd "$mod" && go build -trimpath -ldflags "$ldflags" -o "$tmp/" "${pkgs[@]}") ||
    die "go build ${missing[*]} failed"
  for c in "${missing[@]}"; do
    mv -f "$tmp/$c" "$mod/bin/$c"
    kube_cmd_ok "$c" "$mod/bin/$c" || die "built $c does not report v${KUBE_VERSION}"
  done
  log "built ${missing[*]} in $(elapsed $t)"
}

# --- etcd -------------------------------------------------------------------------------------
build_etcd() {
  local mod="$BUILD_DIR/etcd-v${ETCD_VERSION}"
  local out="$mod/bin/etcd"
  if etcd_ok "$out"; then
    log "etcd v${ETCD_VERSION} already built in $out"
    return
  fi
  mkdir -p "$mod/bin"
  log "writing wrapper main package $mod/main.go (calls go.etcd.io/etcd/server/v3/etcdmain.Main)"
  # Same main as etcd's own main.go (go.etcd.io/etcd/v3 is not served by the proxy).
  cat >"$mod/main.go" <<'EOF'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
EOF
  log "fetching go.etcd.io/etcd/server/v3@v${ETCD_VERSION} go.mod from the module proxy"
  local server_mod
  server_mod="$(cd "$BUILD_DIR" && GOFLAGS= go mod download -json "go.etcd.io/etcd/server/v3@v${ETCD_VERSION}" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
  [[ -f "$server_mod" ]] || die "could not download go.mod of go.etcd.io/etcd/server/v3@v${ETCD_VERSION}"
  # The sibling modules server/v3 requires (api/v3, client/pkg/v3, client/v2 v2.305.x, ...) are
  # pinned, via replace, to exactly the versions released together with it.
  local siblings
  siblings="$(sed -n 's#^[[:space:]]*\(go\.etcd\.io/etcd/[A-Za-z0-9/._-]*\)[[:space:]]\{1,\}\(v[0-9][^[:space:]]*\).*#\1 \2#p' "$server_mod")"
  [[ -n "$siblings" ]] || die "no go.etcd.io/etcd/* requirements found in $server_mod"
  local m v
  {
    echo "module palisade.local/etcd-build"
    echo
    echo "go 1.22"
    echo
    echo "require go.etcd.io/etcd/server/v3 v${ETCD_VERSION}"
    echo
    echo "replace ("
    printf '\tgo.etcd.io/etcd/server/v3 => go.etcd.io/etcd/server/v3 v%s\n' "$ETCD_VERSION"
    while read -r m v; do
      printf '\t%s => %s %s\n' "$m" "$m" "$v"
    done <<<"$siblings"
    echo ")"
  } >"$mod/go.mod"
  log "wrote wrapper module $mod/go.mod pinning ${siblings//$'\n'/, }"

  local t=$SECONDS
  log "resolving etcd dependencies (go mod tidy)"
  (cd "$mod" && go mod tidy >"$mod/tidy.log" 2>&1) || { cat "$mod/tidy.log" >&2; die "go mod tidy failed in $mod"; }
  log "resolved dependencies in $(elapsed $t)"

  t=$SECONDS
  log "building etcd v${ETCD_VERSION} (CGO_ENABLED=0)"
  (cd "$mod" && go build -trimpath -ldflags "-s -w" -o "$out.tmp" .) || die "go build etcd failed"
  mv -f "$out.tmp" "$out"
  etcd_ok "$out" || die "built etcd reports '$("$out" --version 2>&1 | sed -n 1p)', expected etcd Version: ${ETCD_VERSION}"
  log "built etcd in $(elapsed $t): $("$out" --version | sed -n 1p)"
}

if $WITH_NODE; then
  # shellcheck disable=SC2086 # one word per command
  build_kube_cmds $ALL_KUBE_CMDS
fi
if apiserver_ok "$TARGET_DIR/kube-apiserver"; then
  log "kube-apiserver v${KUBE_VERSION} already installed"
else
  build_kube_cmds kube-apiserver
  install_bin "$KUBE_MOD/bin/kube-apiserver" kube-apiserver
  log "installed $TARGET_DIR/kube-apiserver"
fi

if etcd_ok "$TARGET_DIR/etcd"; then
  log "etcd v${ETCD_VERSION} already installed"
else
  build_etcd
  install_bin "$BUILD_DIR/etcd-v${ETCD_VERSION}/bin/etcd" etcd
  log "installed $TARGET_DIR/etcd"
fi

if kubectl_ok "$TARGET_DIR/kubectl"; then
  log "kubectl 1.${KUBE_MINOR} already installed"
else
  kubectl_ok "$KUBECTL_SRC" || die "kubectl at $KUBECTL_SRC missing or not v1.${KUBE_MINOR}.x (set PALISADE_KUBECTL)"
  install_bin "$KUBECTL_SRC" kubectl
  log "installed $TARGET_DIR/kubectl ($("$TARGET_DIR/kubectl" version --client | sed -n 1p)) from $KUBECTL_SRC"
fi

log "done: kube-apiserver v${KUBE_VERSION}, etcd v${ETCD_VERSION}, kubectl 1.${KUBE_MINOR} in $TARGET_DIR"
echo "$TARGET_DIR"
