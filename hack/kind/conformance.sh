#!/usr/bin/env bash
# Upstream Kubernetes' NetworkPolicy e2e tests on the kind bed (issue 12): e2e.test of
# k8s.io/kubernetes v1.33.13 (built from the Go module proxy, hack/kind/go-tools.sh) against the
# cluster of hack/kind-up.sh with Palisade installed by its chart, with the suite's own test image
# (agnhost 2.53, built from the same module and loaded into every node under the exact name the
# suite asks for, so nothing is pulled).
#
#   sudo hack/kind/conformance.sh            # every [Feature:NetworkPolicy] spec; SCTP skipped only
#                                            # where the kernel has no SCTP (evidence printed)
# Environment: E2E_PROCS (ginkgo parallel processes, default 3), E2E_REPORT_DIR (default
# ~/.cache/palisade/kind/e2e-report). Writes the JUnit report there; prints each spec with its
# result and time, then passed, failed and skipped; exits 1 if any spec failed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
source "$here/rootfs.sh"
source "$here/go-tools.sh"
source "$here/images.sh"
source "$here/cluster.sh"
[[ $(id -u) == 0 ]] || kind_die "must run as root (the bed's network namespace)"
PROCS="${E2E_PROCS:-3}"
REPORT="${E2E_REPORT_DIR:-$KIND_CACHE/e2e-report}"
E2E="$KIND_CACHE/go/e2e-v$KUBE_VERSION"

kind_e2e_binaries
# the test image: agnhost on the workload image's Debian base (the suite execs /agnhost, sometimes sh)
if ! kind_have_image "$AGNHOST_IMAGE"; then
  root=$(kind_rootfs workload $WORKLOAD_PACKAGES)
  install -m 0755 "$E2E/agnhost" "$root/agnhost"
  kind_import "$root" "$AGNHOST_IMAGE" --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENTRYPOINT ["/agnhost"]'
  rm -f "$root/agnhost"
fi
kind_load "$AGNHOST_IMAGE"

# SCTP connectivity specs ([Feature:SCTPConnectivity]: SCTP packets between pods) are skipped only
# when the kernel (the nodes share the machine's) cannot open an SCTP socket; the two specs that
# check an SCTP policy does not open TCP run everywhere
sctp=$(python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132)' 2>&1 | tail -1 || true)
if [[ -n $sctp ]]; then
  kind_log "SCTP specs skipped: kernel $(uname -r) cannot open an SCTP socket: $sctp"
  skip='\[Feature:SCTPConnectivity\]'
else
  skip='^$'
fi

rm -rf "$REPORT" && mkdir -p "$REPORT"
kind_log "e2e.test --ginkgo.focus='\[Feature:NetworkPolicy\]' --ginkgo.skip='$skip' ($PROCS processes)"
t=$SECONDS
set +e
innet env PATH="$KUBE_BIN:$PATH" "$E2E/ginkgo" --procs="$PROCS" --timeout=60m \
  --focus='\[Feature:NetworkPolicy\]' --skip="$skip" --junit-report="$REPORT/junit.xml" --no-color \
  "$E2E/e2e.test" -- --provider=local --kubeconfig="$KUBECONFIG" --report-dir="$REPORT" \
  >"$REPORT/e2e.log" 2>&1
rc=$?
set -e
kind_log "e2e.test exited $rc after $((SECONDS - t)) s (log: $REPORT/e2e.log)"
python3 - "$REPORT/junit.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
rows, counts = [], {"passed": 0, "failed": 0, "skipped": 0}
for case in root.iter("testcase"):
    name = case.get("name", "")
    if "[Feature:NetworkPolicy]" not in name:
        continue  # ginkgo's suite nodes (BeforeSuite, ...)
    if case.find("skipped") is not None:
        res = "skipped"
    elif case.find("failure") is not None or case.find("error") is not None:
        res = "failed"
    else:
        res = "passed"
    counts[res] += 1
    rows.append((res, float(case.get("time", 0)), name.replace("[It] ", "")))
for res, t, name in sorted(rows, key=lambda r: r[2]):
    print(f"{res:7} {t:7.1f}s  {name}")
print(f"\n{len(rows)} specs: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
sys.exit(1 if counts["failed"] or not rows else 0)
PY
