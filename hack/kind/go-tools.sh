# Go programs of the bed, built from the Go module proxy into $KIND_CACHE/bin (cached by version):
# kind, crictl, CoreDNS. The kube binaries come from hack/provision-kube-binaries.sh --node.
# Sourced after lib.sh.

kind_go_install() { # NAME MODULE@VERSION: go install into $KIND_CACHE/bin/NAME unless that version is there
  local name=$1 mod=$2 stamp="$KIND_CACHE/bin/.$1.version"
  [[ -x "$KIND_CACHE/bin/$name" && "$(cat "$stamp" 2>/dev/null)" == "$mod" ]] && return
  kind_log "building $mod"
  mkdir -p "$KIND_CACHE/bin"
  (cd /tmp && GOBIN="$KIND_CACHE/bin" CGO_ENABLED=0 go install -trimpath -ldflags '-s -w' "$mod") >&2 ||
    kind_die "go install $mod failed"
  echo "$mod" >"$stamp"
}

kind_coredns() { # CoreDNS with the plugins kubeadm's Corefile uses (no cloud SDKs: minutes less to build)
  local dir="$KIND_CACHE/go/coredns-$COREDNS_VERSION" out="$KIND_CACHE/bin/coredns"
  [[ -x "$out" && "$(cat "$out.version" 2>/dev/null)" == "$COREDNS_VERSION" ]] && return
  kind_log "building CoreDNS $COREDNS_VERSION (plugins of kubeadm's Corefile)"
  mkdir -p "$dir"
  cat >"$dir/main.go" <<'GO'
package main

// The plugins kubeadm's Corefile names, registered by import; their order is CoreDNS's own
// (dnsserver.Directives, from its plugin.cfg).
import (
	_ "github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/metrics"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
	_ "github.com/coredns/coredns/plugin/whoami"
)

func main() { coremain.Run() }
GO
  [[ -f "$dir/go.mod" ]] || (cd "$dir" && go mod init palisade.local/coredns >/dev/null 2>&1 &&
    go get "github.com/coredns/coredns@$COREDNS_VERSION" >/dev/null 2>&1 && go mod tidy >"$dir/tidy.log" 2>&1) ||
    { rm -f "$dir/go.mod"; kind_die "resolving CoreDNS $COREDNS_VERSION failed (see $dir/tidy.log)"; }
  (cd "$dir" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$out" .) >&2 || kind_die "go build CoreDNS failed"
  echo "$COREDNS_VERSION" >"$out.version"
}

kind_pause() { # pause, compiled from build/pause/linux/pause.c of the k8s.io/kubernetes module
  local out="$KIND_CACHE/bin/pause"
  [[ -x "$out" ]] && return
  local src; src=$(cd /tmp && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [[ -f "$src/build/pause/linux/pause.c" ]] || kind_die "pause.c not found in k8s.io/kubernetes@v$KUBE_VERSION"
  gcc -Os -static -Wall -DVERSION="v$PAUSE_TAG-palisade" -o "$out" "$src/build/pause/linux/pause.c" || kind_die "gcc pause.c failed"
}

kind_go_tools() {
  kind_go_install kind "sigs.k8s.io/kind@$KIND_VERSION"
  kind_go_install crictl "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION"
  kind_coredns
  kind_pause
}
