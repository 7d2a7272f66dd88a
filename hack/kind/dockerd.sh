#!/usr/bin/env bash
# dockerd for the offline kind bed, inside a network namespace of its own:
#   hack/kind/dockerd.sh start | stop | status
# Its data root is cached ($PALISADE_CACHE/kind/docker: images survive a restart); its socket is
# $KIND_RUN/docker.sock (lib.sh exports DOCKER_HOST). The namespace has only loopback and the
# bridges dockerd makes, so nothing inside reaches or changes the machine's network. No docker0
# (containers that need no network are built and run with --network none); kind's network gets
# 172.18.0.0/16 as on a usual Docker host, which keeps 172.17.0.0/16 free for the outside hosts of
# the walkthroughs (hack/kind/cluster.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start() {
  if dk info >/dev/null 2>&1; then kind_log "dockerd already answers on $DOCKER_HOST"; return; fi
  [[ $(id -u) == 0 ]] || kind_die "must run as root (network namespace, dockerd)"
  command -v dockerd >/dev/null || kind_die "dockerd not found: apt-get install docker.io"
  mkdir -p "$KIND_RUN" "$KIND_CACHE/docker" "$KIND_CACHE/bin"
  [[ -e /var/run/netns/$KIND_NETNS ]] || ip netns add "$KIND_NETNS"
  ip -n "$KIND_NETNS" link set lo up
  install -m 0755 "$KIND_REPO/hack/kind/runc-wrapper.py" "$KIND_CACHE/bin/palisade-runc"
  cat >"$KIND_RUN/daemon.json" <<JSON
{
  "default-runtime": "palisade-runc",
  "runtimes": { "palisade-runc": { "path": "$KIND_CACHE/bin/palisade-runc" } },
  "bridge": "none",
  "default-address-pools": [{ "base": "172.18.0.0/16", "size": 16 }],
  "log-driver": "json-file",
  "log-opts": { "max-size": "10m", "max-file": "2" }
}
JSON
  kind_log "starting dockerd in network namespace $KIND_NETNS (data root $KIND_CACHE/docker)"
  # setsid: dockerd outlives this script and the caller's session
  setsid nsenter --net="/var/run/netns/$KIND_NETNS" dockerd --config-file "$KIND_RUN/daemon.json" \
    --data-root "$KIND_CACHE/docker" --exec-root "$KIND_RUN/exec" -H "$DOCKER_HOST" \
    --pidfile "$KIND_RUN/dockerd.pid" >"$KIND_RUN/dockerd.log" 2>&1 </dev/null &
  kind_wait 60 "dockerd on $DOCKER_HOST" dk info || { tail -20 "$KIND_RUN/dockerd.log" >&2; exit 1; }
  kind_log "dockerd $(dk version -f '{{.Server.Version}}') up"
}

stop() {
  if [[ -f $KIND_RUN/dockerd.pid ]]; then
    local pid; pid=$(cat "$KIND_RUN/dockerd.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  # containerd-shims of containers that were running
  pkill -f "containerd-shim.*$KIND_RUN" 2>/dev/null || true
  ip netns delete "$KIND_NETNS" 2>/dev/null || true
  kind_log "dockerd stopped, network namespace $KIND_NETNS removed"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) dk info >/dev/null 2>&1 && echo up || { echo down; exit 1; } ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
