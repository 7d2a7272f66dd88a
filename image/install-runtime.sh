#!/bin/sh
# Installs the runtime image's packages and its user. Run as root inside the image's root
# filesystem: by the Dockerfile on debian:bookworm-slim, and by image/check-rootfs.sh in a
# debootstrap'd bookworm, so the checked filesystem and the shipped one come from one recipe.
set -eu
here=$(dirname "$0")
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2046 # one word per package
apt-get install -y -qq --no-install-recommends $(grep -v '^#' "$here/runtime-packages.txt") >/dev/null
apt-get clean
rm -rf /var/lib/apt/lists/*
# The operator runs as this user (the chart sets runAsUser 65532 and runAsNonRoot); the agent runs
# as root with only NET_ADMIN. 65532 is the usual "nonroot" id of distroless images.
if ! id palisade >/dev/null 2>&1; then
  groupadd --system --gid 65532 palisade
  useradd --system --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin palisade
fi
