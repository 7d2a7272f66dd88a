#!/usr/bin/env bash
# kubectl for the kind bed (its API server listens in the bed's network namespace):
#   sudo hack/kind/kubectl.sh get pods -A
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
kc "$@"
