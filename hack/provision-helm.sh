#!/usr/bin/env bash
# Provision the Helm binary that lints, renders and installs charts/palisade in .ci/run.
#
# Helm is built from the Go module proxy (`go install helm.sh/helm/v3/cmd/helm@v<version>`), not
# downloaded as a release tarball: build machines reach the module proxy and nothing else. The
# binary is kept in ${PALISADE_HELM_DIR:-~/.cache/palisade/helm}/v<version>/helm, so a second run
# only checks the version (about 0.05 s). The workflows install the same version with
# azure/setup-helm (.github/workflows/e2e-*.yml); keep the two in step.
#
# Environment:
#   PALISADE_HELM_VERSION  Helm version (default below; "v" prefix optional)
#   PALISADE_HELM_DIR      cache directory (default: ~/.cache/palisade/helm)
#
# Progress goes to stderr; the path of the helm binary is printed on stdout.
set -euo pipefail

# A recent v3 patch release on the module proxy when this was written (`go list -m -versions helm.sh/helm/v3`).
DEFAULT_HELM_VERSION=3.21.4

VERSION="${PALISADE_HELM_VERSION:-$DEFAULT_HELM_VERSION}"
VERSION="${VERSION#v}"
if [[ ! "$VERSION" =~ ^3\.[0-9]+\.[0-9]+$ ]]; then
  echo "provision-helm: PALISADE_HELM_VERSION must look like 3.21.4, got '$VERSION'" >&2
  exit 2
fi

log() { printf '[provision-helm] %s\n' "$*" >&2; }
die() { printf '[provision-helm] ERROR: %s\n' "$*" >&2; exit 1; }

DIR="${PALISADE_HELM_DIR:-$HOME/.cache/palisade/helm}/v$VERSION"
HELM="$DIR/helm"

# The version, and a stamp written after a build with the Kubernetes version `helm template` and
# `helm lint` assume without a cluster (.Capabilities.KubeVersion, which the chart's kubeVersion is
# checked against): Helm's Makefile sets it with -X, and a bare go install would leave it at v1.20.
have_helm() {
  [[ -x "$HELM" && -f "$DIR/.stamped" ]] && "$HELM" version --template '{{.Version}}' 2>/dev/null | grep -qx "v$VERSION"
}

if have_helm; then
  echo "$HELM"
  exit 0
fi

command -v go >/dev/null 2>&1 || die "go is not on PATH (Helm is built with go install; Go 1.24 or later)"
mkdir -p "$DIR"
exec 9>"$DIR/.lock"
flock 9
if have_helm; then # built by a concurrent run while we waited for the lock
  echo "$HELM"
  exit 0
fi

log "building helm v$VERSION with $(go version | cut -d' ' -f3) (go install; a few minutes on a cold cache)"
start=$(date +%s)
src=$(go mod download -json "helm.sh/helm/v3@v$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[[ -f "$src/go.mod" ]] || die "cannot download helm.sh/helm/v3@v$VERSION from the module proxy"
# As Helm's Makefile: the client-go minor it was built with, as Kubernetes 1.<minor>.
kminor=$(sed -n 's/^[[:space:]]*k8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$src/go.mod")
[[ -n "$kminor" ]] || die "no k8s.io/client-go in $src/go.mod"
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=v$VERSION"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$kminor"
done
GOBIN="$DIR" GOFLAGS=-mod=mod CGO_ENABLED=0 go install -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@v$VERSION"
echo "kubernetes 1.$kminor" >"$DIR/.stamped"
have_helm || die "$HELM does not report v$VERSION: $("$HELM" version 2>&1 || true)"
log "helm v$VERSION built in $(( $(date +%s) - start )) s"
echo "$HELM"
