#!/usr/bin/env bash
# Tears down what hack/kind-up.sh started: the kind cluster, dockerd, the outside servers and the
# network namespace. Built artifacts stay cached (~/.cache/palisade); `--purge` removes the bed's
# cache (~/.cache/palisade/kind) too.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/kind/lib.sh"
[[ $(id -u) == 0 ]] || kind_die "must run as root"
if [[ -e /var/run/netns/$KIND_NETNS ]] && bash "$here/kind/dockerd.sh" status >/dev/null 2>&1; then
  kindc delete cluster --name "$KIND_CLUSTER" >&2 || true
fi
pkill -f "server.py palisade-kind-outside" 2>/dev/null || true
bash "$here/kind/dockerd.sh" stop
if [[ ${1:-} == --purge ]]; then
  rm -rf "$KIND_CACHE"
  kind_log "removed $KIND_CACHE"
fi
