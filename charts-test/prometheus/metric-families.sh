#!/usr/bin/env bash
# Prints every metric family the operator and the agent export, one per line, sorted: the rows of
# the metric tables in docs/operations.md. Counters end in _total; a histogram is its base name
# (Prometheus stores <name>_bucket, <name>_sum and <name>_count). MetricNamesTest checks that this
# prints exactly the families the programs register, so the list follows the code without a copy.
#
# Usage: metric-families.sh [--types]    --types: "name type" (counter, gauge, histogram)
#
# For a check against a real Prometheus: a family counts as ingested when a series named
# <name> (or, for a histogram, <name>_count) exists. Labelled families appear only after their
# first sample with those labels (for example palisade_agent_cni_errors_total on a CNI error).
set -euo pipefail

types=false
case "${1:-}" in
  --types) types=true ;;
  "") ;;
  *) echo "usage: $0 [--types]" >&2; exit 2 ;;
esac

doc="$(cd "$(dirname "$0")/../.." && pwd)/docs/operations.md"
rows=$(sed -n 's/^| `\(palisade_\(operator\|agent\)_[a-z_]*\)` | \([a-z]*\) |.*/\1 \3/p' "$doc" | sort -u)
[[ -n "$rows" ]] || { echo "metric-families: no metric table rows in $doc" >&2; exit 1; }
if $types; then
  echo "$rows"
else
  cut -d' ' -f1 <<<"$rows"
fi
