#!/usr/bin/env bash
# The compile benchmark: full compile time and heap of a 100,000-pod synthetic cluster, the time to
# recompute after one pod's labels change, translate + render of the largest node.
# Prints its figures with their targets; see bench/README.md. Extra arguments go to the program
# (e.g. --runs=7 --samples=200 --histogram=true).
set -euo pipefail
cd "$(dirname "$0")/.."

mvn -q -B install -DskipTests -pl api,compiler,dataplane
mvn -q -B package -DskipTests -pl bench

# A fixed heap so that GC pressure is the same from run to run; the heap figure is measured inside.
exec java -Xms4g -Xmx4g -XX:+UseG1GC \
  -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
  dev.palisade.bench.CompileBench "$@"
