#!/usr/bin/env bash
# The agent's footprint: a real kube-apiserver holds one node's rule set of 10,000 local policy
# rules that expand to 100,000 set elements (the operator's wire format, with its address sets);
# one agent process programs a node network namespace. Prints the time from process start to the
# first full ruleset committed, resident memory and idle CPU, with their targets.
# Needs root (network namespaces) and hack/provision-kube-binaries.sh. Arguments go to the program:
#   --grants=10000 --peers-per-grant=10 --idle-seconds=60 --verify-interval=30 --jvm="<agent JVM flags>"
set -euo pipefail
cd "$(dirname "$0")/.."

mvn -q -B install -DskipTests -pl agent -am
mvn -q -B test-compile -pl agent

cd agent
exec java -XX:+UseSerialGC -Dpalisade.repo.root=.. \
  -Dlogback.configurationFile=target/test-classes/logback-test.xml \
  -cp "target/test-classes:target/classes:$(cat target/classpath.txt)" \
  dev.palisade.agent.e2e.FootprintBench "$@"
