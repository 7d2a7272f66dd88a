#!/usr/bin/env bash
# Provision prometheus-operator's CustomResourceDefinitions (ServiceMonitor, PodMonitor,
# PrometheusRule, ...) so that charts-test's ChartInstallApiTest installs the chart's monitoring
# objects into kube-apiserver against their real schemas.
#
# They are the files of example/prometheus-operator-crd/ in the Go module
# github.com/prometheus-operator/prometheus-operator, fetched from the Go module proxy
# (`go mod download`), not from a release URL: build machines reach the module proxy and nothing
# else. The module's Go code is not built. The CRDs (about 4 MiB, most of it Prometheus and
# Alertmanager) are kept in ${PALISADE_PROMETHEUS_CRDS_DIR:-~/.cache/palisade/prometheus-operator-crds}/v<version>/,
# so a second run only checks that they are there.
#
# Environment:
#   PALISADE_PROMETHEUS_OPERATOR_VERSION  prometheus-operator version (default below; "v" prefix optional)
#   PALISADE_PROMETHEUS_CRDS_DIR          cache directory (default: ~/.cache/palisade/prometheus-operator-crds)
#
# Progress goes to stderr; the directory holding the CRD files is printed on stdout.
set -euo pipefail

# The newest version the module proxy served when this was written
# (`go list -m -versions github.com/prometheus-operator/prometheus-operator`).
DEFAULT_VERSION=0.85.0
MODULE=github.com/prometheus-operator/prometheus-operator
# The kinds the chart renders; the others are copied for a cluster that runs the operator itself.
NEEDED=(servicemonitors podmonitors prometheusrules)

VERSION="${PALISADE_PROMETHEUS_OPERATOR_VERSION:-$DEFAULT_VERSION}"
VERSION="${VERSION#v}"
if [[ ! "$VERSION" =~ ^0\.[0-9]+\.[0-9]+$ ]]; then
  echo "provision-prometheus-operator-crds: PALISADE_PROMETHEUS_OPERATOR_VERSION must look like 0.85.0, got '$VERSION'" >&2
  exit 2
fi

log() { printf '[provision-prometheus-operator-crds] %s\n' "$*" >&2; }
die() { printf '[provision-prometheus-operator-crds] ERROR: %s\n' "$*" >&2; exit 1; }

DIR="${PALISADE_PROMETHEUS_CRDS_DIR:-$HOME/.cache/palisade/prometheus-operator-crds}/v$VERSION"

have_crds() {
  [[ -f "$DIR/.complete" ]] || return 1
  local k
  for k in "${NEEDED[@]}"; do
    [[ -s "$DIR/monitoring.coreos.com_$k.yaml" ]] || return 1
  done
}

if have_crds; then
  echo "$DIR"
  exit 0
fi

command -v go >/dev/null 2>&1 || die "go is not on PATH (the CRDs come from the Go module proxy with go mod download)"
mkdir -p "$DIR"
exec 9>"$DIR/.lock"
flock 9
if have_crds; then # provisioned by a concurrent run while we waited for the lock
  echo "$DIR"
  exit 0
fi

log "fetching $MODULE@v$VERSION from the Go module proxy"
# Outside any module, so no go.mod is read or touched.
info=$(cd "$DIR" && GOFLAGS=-mod=mod go mod download -json "$MODULE@v$VERSION" 2>&1) || die "cannot download $MODULE@v$VERSION from the module proxy: $info"
src=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$info")
[[ -n "$src" && -d "$src/example/prometheus-operator-crd" ]] || die "$MODULE@v$VERSION has no example/prometheus-operator-crd/: $info"

rm -f "$DIR"/*.yaml
for f in "$src"/example/prometheus-operator-crd/monitoring.coreos.com_*.yaml; do
  grep -q '^kind: CustomResourceDefinition$' "$f" || die "$f is not a CustomResourceDefinition"
  grep -q "operator.prometheus.io/version: $VERSION\$" "$f" || die "$f is not of prometheus-operator $VERSION"
  install -m 0644 "$f" "$DIR/"
done
for k in "${NEEDED[@]}"; do
  [[ -s "$DIR/monitoring.coreos.com_$k.yaml" ]] || die "$MODULE@v$VERSION has no CRD for $k"
done
echo "$MODULE v$VERSION" >"$DIR/.complete"
log "$(ls "$DIR"/*.yaml | wc -l) CRDs of prometheus-operator v$VERSION in $DIR"
echo "$DIR"
