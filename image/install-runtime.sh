#!/bin/sh
# Installs the runtime image's packages and its user. Run as root inside the image's root
# filesystem: by the Dockerfile on debian:bookworm-slim, and by image/check-rootfs.sh in a
# debootstrap'd bookworm, so the checked filesystem and the shipped one come from one recipe.
set -eu
here=$(dirname "$0")
export DEBIAN_FRONTEND=noninteractive
packages=$(grep -v '^#' "$here/runtime-packages.txt")
# A base that already holds every package (the offline kind bed's, made from the same list) needs no
# mirror; dpkg-query fails if any package is missing or not fully installed.
# shellcheck disable=SC2086 # one word per package
if [ "$(dpkg-query -W -f '${db:Status-Status}\n' $packages 2>/dev/null | grep -c '^installed$')" != "$(echo $packages | wc -w)" ]; then
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $packages >/dev/null
  apt-get clean
  rm -rf /var/lib/apt/lists/*
fi
# The operator runs as this user (the chart sets runAsUser 65532 and runAsNonRoot); the agent runs
# as root with only NET_ADMIN. 65532 is the usual "nonroot" id of distroless images.
if ! id palisade >/dev/null 2>&1; then
  groupadd --system --gid 65532 palisade
  useradd --system --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin palisade
fi
