#!/usr/bin/env bash
# Every fault scenario on the simulated cluster, each with its verdict (docs/e2e.md#faults): agent
# kill -9 during a burst of changes, a chain and the whole table flushed by hand, the API server
# stopped and restarted, the operator's leader killed with a standby taking the Lease, revocation of
# an open connection. A watcher probes forbidden flows all along; convergence bound 30 s (SIM_SETTLE).
# Exit status 1 when any verdict fails. The cheap ones also run in SeedWalkthroughsE2eTest.
set -euo pipefail
exec "$(dirname "$0")/../hack/sim-cluster.sh" faults_all
