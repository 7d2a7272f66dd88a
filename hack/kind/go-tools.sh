# Go programs of the bed, built from the Go module proxy into $KIND_CACHE/bin (cached by version):
# kind, crictl, CoreDNS, Prometheus, the e2e suite. The kube binaries come from hack/provision-kube-binaries.sh --node.
# Sourced after lib.sh.

kind_module_dir() { # MODULE@VERSION: prints the module's source directory (downloaded from the proxy)
  (cd /tmp && go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
}

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
  local src; src=$(kind_module_dir "k8s.io/kubernetes@v$KUBE_VERSION")
  [[ -f "$src/build/pause/linux/pause.c" ]] || kind_die "pause.c not found in k8s.io/kubernetes@v$KUBE_VERSION"
  gcc -Os -static -Wall -DVERSION="v$PAUSE_TAG-palisade" -o "$out" "$src/build/pause/linux/pause.c" || kind_die "gcc pause.c failed"
}

kind_go_tools() {
  kind_go_install kind "sigs.k8s.io/kind@$KIND_VERSION"
  kind_go_install crictl "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION"
  kind_coredns
  kind_pause
}

# Upstream's NetworkPolicy e2e suite: e2e.test (k8s.io/kubernetes/test/e2e, built with `go test -c`
# from the module proxy) and agnhost, its test image's program, from the same module. Their wrapper
# module is the kube binaries' one (hack/provision-kube-binaries.sh) plus the test-only dependencies,
# resolved by go itself (-mod=mod); k8s.io/sample-apiserver v0.33.13 is not served here, and v0.33.5
# stands in (only the aggregator e2e tests use it).
kind_e2e_binaries() {
  local kube_mod="$PALISADE_CACHE/kube-build/kubernetes-v$KUBE_VERSION" dir="$KIND_CACHE/go/e2e-v$KUBE_VERSION"
  [[ -x "$dir/e2e.test" && -x "$dir/agnhost" && -x "$dir/ginkgo" ]] && return
  [[ -f "$kube_mod/go.sum" ]] || kind_die "run hack/provision-kube-binaries.sh --node first"
  mkdir -p "$dir"
  if [[ ! -f "$dir/go.sum" ]]; then
    sed 's#^module .*#module palisade.local/kube-e2e-build#' "$kube_mod/go.mod" >"$dir/go.mod"
    cp "$kube_mod/go.sum" "$dir/go.sum"
    (cd "$dir" && go mod edit -replace "k8s.io/sample-apiserver=k8s.io/sample-apiserver@v0.33.5")
  fi
  local x ldflags="-s -w" minor=${KUBE_VERSION#1.}; minor=${minor%%.*}
  for x in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $x.gitVersion=v$KUBE_VERSION -X $x.gitMajor=1 -X $x.gitMinor=$minor"
  done
  kind_log "building e2e.test, agnhost and ginkgo v$KUBE_VERSION (go test -c -vet=off)"
  (cd "$dir" && export GOFLAGS=-mod=mod CGO_ENABLED=0 &&
    go test -c -vet=off -trimpath -ldflags "$ldflags" -o e2e.test.tmp k8s.io/kubernetes/test/e2e &&
    go build -trimpath -ldflags '-s -w' -o agnhost.tmp k8s.io/kubernetes/test/images/agnhost &&
    go build -trimpath -ldflags '-s -w' -o ginkgo.tmp github.com/onsi/ginkgo/v2/ginkgo) >"$dir/build.log" 2>&1 ||
    { tail -20 "$dir/build.log" >&2; kind_die "building the e2e binaries failed (log: $dir/build.log)"; }
  mv -f "$dir/e2e.test.tmp" "$dir/e2e.test"; mv -f "$dir/agnhost.tmp" "$dir/agnhost"; mv -f "$dir/ginkgo.tmp" "$dir/ginkgo"
}

# Upstream Prometheus, built here from its Go module (hack/kind/prometheus.sh runs it). Debian's `prometheus` package
# cannot run this check: Debian removed Kubernetes service discovery in 1.5.0 ("due to the insane
# amount of dependencies in their client library", its NEWS.Debian; bookworm's 2.42 still refuses
# kubernetes_sd_configs), so a plain-Prometheus user runs upstream's build. Built the way the bed
# builds CoreDNS: only the service discovery it needs (Kubernetes, DNS; file and HTTP are always in),
# no cloud SDKs, so minutes less to build; prometheus and promtool, in an image of just those two.
PROM_VERSION=v0.53.3   # the Go module version of Prometheus 2.53.3 (the 2.53 long-term support line)
kind_prometheus() { # prints the directory holding prometheus and promtool
  local out="$KIND_CACHE/bin/prometheus-$PROM_VERSION"
  [[ -x "$out/prometheus" && -x "$out/promtool" ]] && { echo "$out"; return; }
  local src; src=$(kind_module_dir "github.com/prometheus/prometheus@$PROM_VERSION")
  [[ -f "$src/plugins/plugins.go" ]] || kind_die "github.com/prometheus/prometheus@$PROM_VERSION: no plugins/plugins.go"
  local dir="$KIND_CACHE/go/prometheus-$PROM_VERSION"
  kind_log "building Prometheus $PROM_VERSION (Kubernetes and DNS service discovery only)"
  rm -rf "$dir" && mkdir -p "$(dirname "$dir")" && cp -r "$src" "$dir" && chmod -R u+w "$dir"
  cat >"$dir/plugins/plugins.go" <<'GO'
package plugins

// The service discovery a plain Prometheus needs on Kubernetes (upstream's list is generated from
// plugins.yml; file and http come with minimum.go).
import (
	_ "github.com/prometheus/prometheus/discovery/dns"
	_ "github.com/prometheus/prometheus/discovery/kubernetes"
)
GO
  mkdir -p "$out.tmp"
  (cd "$dir" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/prometheus/common/version.Version=2.${PROM_VERSION#v0.} -X github.com/prometheus/common/version.Branch=module" -o "$out.tmp/" ./cmd/prometheus ./cmd/promtool) >&2 ||
    kind_die "go build of Prometheus $PROM_VERSION failed"
  rm -rf "$out" && mv "$out.tmp" "$out"
  echo "$out"
}
