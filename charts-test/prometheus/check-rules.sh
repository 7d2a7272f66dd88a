#!/usr/bin/env bash
# Checks the alerts of charts/palisade with promtool, without a cluster:
#   1. renders the chart's PrometheusRule (release palisade in palisade-system, default values) and
#      writes its spec, the rule groups, as a Prometheus rules file;
#   2. `promtool check rules` on it (syntax, PromQL, templates);
#   3. checks that the unit tests beside this script (*.test.yaml) cover every alert of the chart,
#      each with a case where it fires and one where it stays silent, and name no other alert;
#   4. `promtool test rules` on them.
# Exits non-zero if any step fails. ChartAlertRulesTest runs it in charts-test's `mvn verify`.
#
# Environment:
#   PALISADE_HELM        helm binary (default: the one hack/provision-helm.sh provisions)
#   PALISADE_PROMTOOL    promtool binary (default: promtool on PATH; Debian: apt-get install prometheus)
#   PALISADE_RULE_TESTS  folder of *.test.yaml files (default: this script's folder)
#
# Output: promtool's, then one line per alert, "check-rules: alert NAME: F firing, S silent", and a
# last line with the totals.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
tests_dir="${PALISADE_RULE_TESTS:-$here}"

die() { printf 'check-rules: ERROR: %s\n' "$*" >&2; exit 1; }

promtool="${PALISADE_PROMTOOL:-promtool}"
command -v "$promtool" >/dev/null 2>&1 || die "promtool not found ('$promtool'); on Debian: apt-get install prometheus"
helm="${PALISADE_HELM:-}"
if [[ -z "$helm" ]]; then
  helm=$("$repo/hack/provision-helm.sh")
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$helm" template palisade "$repo/charts/palisade" --namespace palisade-system \
  --set metrics.prometheusRule.enabled=true \
  --show-only templates/monitoring/prometheusrule.yaml >"$work/prometheusrule.yaml"
grep -qx 'kind: PrometheusRule' "$work/prometheusrule.yaml" || die "helm template rendered no PrometheusRule"

# The object's spec ({groups: [...]}) is a rules file as it stands: the lines under the top-level
# "spec:" up to the next top-level key or document, two spaces of indentation less.
awk '/^spec:/ { on = 1; next } on && /^[^ ]/ { on = 0 } on { sub(/^  /, ""); print }' \
  "$work/prometheusrule.yaml" >"$work/palisade-rules.yaml"
mapfile -t alerts < <(sed -n 's/^ *- alert: *\([A-Za-z0-9_]*\).*/\1/p' "$work/palisade-rules.yaml")
(( ${#alerts[@]} > 0 )) || die "no alerts in the rendered PrometheusRule"

echo "== promtool check rules (${#alerts[@]} alerts in the chart)"
"$promtool" check rules "$work/palisade-rules.yaml"

shopt -s nullglob
tests=("$tests_dir"/*.test.yaml)
(( ${#tests[@]} > 0 )) || die "no *.test.yaml in $tests_dir"
cp "${tests[@]}" "$work/"

# Cases per alert, from the alert_rule_test items: an item starts with "- eval_time:" or
# "- alertname:"; "exp_alerts:" with a list under it fires, "exp_alerts: []" (or none) is silent.
awk '
  function flush() { if (name != "") print name, (fires ? "firing" : "silent"); name = ""; fires = 0 }
  /^[[:space:]]*- (eval_time|alertname):/ { flush() }
  /^[[:space:]]*-?[[:space:]]*alertname:/ {
    v = $0; sub(/^[[:space:]]*-?[[:space:]]*alertname:[[:space:]]*/, "", v); sub(/[[:space:]]*(#.*)?$/, "", v); name = v; next
  }
  /^[[:space:]]*exp_alerts:[[:space:]]*(#.*)?$/ { fires = 1 }
  /^[[:space:]]*- (name|interval|series|expr):/ || /^[^ ]/ { flush() }
  END { flush() }
' "${tests[@]}" >"$work/cases"

problems=()
for a in "${alerts[@]}"; do
  f=$(grep -cx "$a firing" "$work/cases" || true)
  s=$(grep -cx "$a silent" "$work/cases" || true)
  echo "check-rules: alert $a: $f firing, $s silent"
  (( f > 0 )) || problems+=("$a has no case where it fires")
  (( s > 0 )) || problems+=("$a has no case where it stays silent")
done
while read -r name _; do
  printf '%s\n' "${alerts[@]}" | grep -qx "$name" || problems+=("the tests name $name, which is not an alert of the chart")
done < <(sort -u "$work/cases")

echo "== promtool test rules ($(wc -l <"$work/cases") alert cases in ${#tests[@]} files)"
status=0
(cd "$work" && "$promtool" test rules "${tests[@]##*/}") || status=$?

if (( ${#problems[@]} > 0 )); then
  printf 'check-rules: %s\n' "${problems[@]}" >&2
  status=1
fi
if (( status != 0 )); then
  die "failed (promtool test rules exit $status, ${#problems[@]} coverage problems)"
fi
echo "check-rules: OK: ${#alerts[@]} alerts, $(wc -l <"$work/cases") alert cases ($(grep -c ' firing$' "$work/cases") firing, $(grep -c ' silent$' "$work/cases") silent) in ${#tests[@]} files"
