#!/usr/bin/env bash
# The dataplane benchmark: one peer IP added or removed, one policy of 100 peers, and a cold full
# sync, through the Java FFI (libnftables via jnr-ffi) on tables of 1,000, 10,000 and 100,000 set
# elements, side by side with the same scripts through `nft -f -`. Prints its figures with their
# targets; see bench/README.md. Extra arguments go to the program (e.g. --ops=1000 --sizes=1000,100000).
# Runs the JVM in a fresh network namespace (root needed), deleted at exit: the host's ruleset is never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $EUID -eq 0 ]] || { echo "dataplane.sh: run as root (it creates a network namespace)" >&2; exit 1; }

mvn -q -B install -DskipTests -pl api,compiler,dataplane
mvn -q -B package -DskipTests -pl bench

NETNS="palisade-bench-dp-$$"
ip netns add "$NETNS"
trap 'ip netns delete "$NETNS"' EXIT

# A fixed heap so that GC pressure is the same from run to run.
ip netns exec "$NETNS" java -Xms2g -Xmx2g -XX:+UseG1GC \
  -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
  dev.palisade.bench.DataplaneBench "$@"
