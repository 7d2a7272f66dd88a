#!/usr/bin/env bash
# Runs the operator's and the agent's API tests with the chart's RBAC instead of deploy/rbac.
#
# Those tests read their CRDs and RBAC from ${palisade.repo.root}/deploy/{crds,rbac} and run the
# programs impersonating the palisade-operator and palisade-agent ServiceAccounts (TestCluster,
# ApiServer, AgentProcess). This script builds a stand-in repository root whose deploy/ holds what
# `helm template` renders from charts/palisade (release palisade in palisade-system: the same
# names), and points the tests at it. A rule missing from the chart fails the tests that need it;
# a rule too many fails OperatorRbacApiTest's and ClusterE2eTest's "must not" rows (and
# ChartMatchesDeployTest compares the chart with deploy/rbac rule for rule).
#
# Needs a built tree (the operator's and agent's test classes: mvn verify or test-compile), root
# (ClusterE2eTest builds network namespaces), Helm (hack/provision-helm.sh) and the API server
# binaries (hack/provision-kube-binaries.sh).
#
# Environment: PALISADE_CHART_SUITES  the test classes (default below, surefire's -Dtest syntax)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The operator's API tests that exercise its permissions (informers, publishing, status, events, the
# Lease, the RBAC table), and the agent's cluster tests that do (its rule set's watch, address sets,
# status writes, Nodes; its RBAC table), and DepartureApiTest (the Role on its own DaemonSet, by
# name). The agent's failure-injection cases add nothing on RBAC.
TESTS="${PALISADE_CHART_SUITES:-OperatorApiTest,OperatorRbacApiTest,LeaderElectionApiTest,ClusterE2eTest#podsGet*+policiesAreEnforced*+aNewPod*+aNodeAddedAndRemoved+theAgentsServiceAccount*,DepartureApiTest}"
log() { printf '[chart-rbac] %s\n' "$*" >&2; }

HELM="$("$REPO/hack/provision-helm.sh")"
ROOT="$(mktemp -d /tmp/palisade-chart-root.XXXXXX)"
trap 'rm -rf "$ROOT"' EXIT
mkdir -p "$ROOT/deploy/rbac"
cp -r "$REPO/charts/palisade/crds" "$ROOT/deploy/crds"
ln -s "$REPO/examples" "$ROOT/examples"
for component in operator agent; do
  {
    printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: palisade-system\n---\n'
    "$HELM" template palisade "$REPO/charts/palisade" --namespace palisade-system \
      --show-only "templates/$component/serviceaccount.yaml" --show-only "templates/$component/rbac.yaml"
  } >"$ROOT/deploy/rbac/$component.yaml"
  log "deploy/rbac/$component.yaml from the chart: $(grep -c '^kind:' "$ROOT/deploy/rbac/$component.yaml") objects"
done

log "running $TESTS with palisade.repo.root=$ROOT"
cd "$REPO"
# Failures do not stop Maven (an operator failure would skip the agent, its dependent): the reports
# decide, below. -am: the agent resolves the operator from the reactor; test-compile is a no-op on a
# built tree. Reports of earlier runs of these classes are removed first, so none is read stale.
for t in ${TESTS//,/ }; do
  t="${t%%#*}"
  rm -f operator/target/surefire-reports/TEST-*."$t".xml agent/target/surefire-reports/TEST-*."$t".xml
done
mvn -B -q -pl operator,agent -am test-compile surefire:test -Dmaven.test.failure.ignore=true \
  -Dtest="$TESTS" -Dsurefire.failIfNoSpecifiedTests=false \
  -Dpalisade.repo.root="$ROOT"
python3 - "$TESTS" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
wanted = [w.split("#")[0] for w in sys.argv[1].split(",")]
ran = {}
for r in glob.glob("operator/target/surefire-reports/TEST-*.xml") + glob.glob("agent/target/surefire-reports/TEST-*.xml"):
    root = ET.parse(r).getroot()
    name = root.get("name").rsplit(".", 1)[-1]
    if name in wanted:
        ran[name] = (int(root.get("tests")), int(root.get("failures")) + int(root.get("errors")), int(root.get("skipped")))
ok = True
for w in wanted:
    tests, bad, skipped = ran.get(w, (0, 0, 0))
    print(f"[chart-rbac] {w}: {tests} tests, {bad} failed, {skipped} skipped (chart RBAC)", file=sys.stderr)
    ok = ok and tests > 0 and not bad and not skipped
if not ok:
    sys.exit("[chart-rbac] FAILED: a class did not run, failed or skipped with the chart's RBAC (output above)")
PY
log "the operator's and agent's API tests pass with the chart's RBAC"
