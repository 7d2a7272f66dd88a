#!/usr/bin/env bash
# Operator benchmark against a real kube-apiserver (see OperatorBenchmark): 100 nodes, 5,000 pods,
# 1,000 policies; prints the BENCH lines. Needs the binaries of hack/provision-kube-binaries.sh.
# Sizes: -Dbench.nodes=, -Dbench.pods=, -Dbench.policies=, -Dbench.changes= after the script name.
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -q -B install -DskipTests -pl api,compiler,manifest,operator -am
mvn -q -B test-compile -pl operator
# the operator's JVM: its classes and runtime dependencies, plus logback and the tests' logback config
mvn -q -B dependency:build-classpath -pl operator -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.cp >/dev/null
CP="$PWD/operator/target/classes:$PWD/operator/target/test-classes:$(cat operator/target/bench.cp)"
mvn -B test -pl operator -Dtest=OperatorBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
  -Dpalisade.bench.classpath="$CP" "$@" 2>&1 | tee operator/target/operator-bench.log | grep -E "^BENCH|Tests run:|FAIL"
