#!/usr/bin/env bash
# What only real nodes show, on the kind cluster of hack/kind-up.sh: address reuse, a Deployment
# scaled up under default-deny, a worker node's container restarted (kubelet, containerd and the
# node's kernel state gone), the agent deleted in the middle of a burst of policy changes, and the
# operator's leader deleted before a change. Each check runs in namespaces of its own (labelled
# palisade-real-node, deleted after it) while probers loop inside pods: one long-running
# `kubectl exec` per prober runs a Python loop that opens a TCP connection to each of its targets
# every REAL_NODE_INTERVAL seconds (0.15; each attempt on its own socket, so a dropped SYN, waited on
# for 1 s, never slows the sampling) and prints one timestamped line per attempt. Some pods run the
# same loop as their own process (their egress, from their first second), read back with kubectl
# logs. A denied flow "connects" when it gets an answer or a refusal: a refusal comes from the
# destination pod's own kernel, so the SYN got through (Palisade drops, never rejects). Any such
# connect of a flow the policies deny fails the check, reported with its time and target (only
# connects to the check's own pods count: an answer by their name, or a refusal from an address the
# API gave them; other pods may take a probed address). Times (pod address to first allowed
# connection, change to enforcement, restart to recovery) are measured and reported, never
# asserted. Prints a table; exits 1 on any failure.
#
#   hack/kind/real-node.sh [1 2 3 4 5]        # as root; all checks by default, 3-5 minutes on 2 cores
#
# 1 address reuse: an isolated pod deleted, a pod with other labels given its address (the node's
#   host-local state set to that address minus one, the new pod released from a scheduling gate
#   the moment the old address is free): it never gets the old pod's allowances, either way
# 2 scale-up 0 -> 10 under default-deny ingress + allow from role=client: the addresses host-local
#   will hand out next are probed from before the pods exist; a denied prober never connects, the
#   allowed one's first connection after each pod got its address is reported
# 3 `docker restart` of a worker node: denied probes to (and from) its pods never connect, before,
#   during and after, and no pod gets an address while the node has no Palisade table (the node is
#   sampled from inside every 0.2 s; the whole ruleset every 5 s while the table is missing, kept in
#   the work directory); when the table is back, when allowed traffic works, when pods are Ready
# 4 the worker's agent pod deleted after 10 of 20 policy changes: forbidden flows never connect,
#   the final truth table holds, convergence after the last change
# 5 the operator's leader (its Lease's holder) deleted, a policy change right after: enforced
#   (time from the change), forbidden flows never connect, and the leader hands the Lease over as it
#   stops (docs/design/operator.md) rather than leaving it to expire
#
# The work directory (probe lines, facts, node samples, agent log) is kept when a check fails;
# REAL_NODE_KEEP=1 keeps it and the namespaces always. walkthroughs.sh deletes every NetworkPolicy of
# the cluster at each step: a check waits for a running one to end, and fails if one overlaps it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/walkthroughs.sh"   # lib.sh, and wl (pod and Deployment manifests of the workload image)

NODE="$KIND_CLUSTER-worker"
NODE2="$KIND_CLUSTER-worker2"
IPAM_DIR=/var/lib/cni/networks/palisade   # host-local's state for the agent's network "palisade"
INTERVAL="${REAL_NODE_INTERVAL:-0.15}"
PROBE_TIMEOUT=1.0
WAIT=300            # generous deadline for pods to become Ready and the like (seconds)
SETTLE=120          # deadline for a state to converge (seconds)
HOLD=5              # a converged state must hold this long (seconds)
NS_LABEL=palisade-real-node
W=$(mktemp -d /tmp/palisade-real-node.XXXXXX)

now() { printf '%s' "$EPOCHREALTIME"; }
log() { kind_log "real-node${CHECK:+ $CHECK}: $*"; }

# ---- the probe loop (runs inside the pods; see the header)
LOOP=$(cat <<'EOF'
import errno, selectors, socket, struct, sys, threading, time
mode, interval, timeout, lifetime = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
lock, cmds = threading.Lock(), []
def reader():
    for line in sys.stdin:
        with lock:
            cmds.append(line.strip())
    with lock:
        cmds.append("q")
if mode == "stdin":
    threading.Thread(target=reader, daemon=True).start()
state = {}
def add(t):
    if t and t not in state:
        state[t] = [time.time(), 0, None, 0.0]
for t in sys.argv[5:]:
    add(t)
sel = selectors.DefaultSelector()
pending = {}
linger = struct.pack("ii", 1, 0)
out = []
def emit(tgt, seq, t0, res):
    st = state.get(tgt)
    now = time.time()
    if st is not None:
        if res == st[2] and not res.startswith("ok") and res != "refused" and now - st[3] < 1.0:
            return
        st[2], st[3] = res, now
    out.append("%.3f %.3f %s %d %s\n" % (t0, now, tgt, seq, res))
def finish(s, res):
    tgt, seq, t0 = pending.pop(s)[:3]
    sel.unregister(s)
    s.close()
    emit(tgt, seq, t0, res)
def why(e):
    return "refused" if e == errno.ECONNREFUSED else "timeout" if e == errno.ETIMEDOUT else "error " + errno.errorcode.get(e, str(e))
end = time.time() + lifetime
running = True
while running and time.time() < end:
    with lock:
        todo, cmds[:] = cmds[:], []
    for c in todo:
        if c == "q":
            running = False
        elif c.startswith("+"):
            add(c[1:])
        elif c.startswith("-"):
            state.pop(c[1:], None)
    now = time.time()
    for tgt, st in list(state.items()):
        if now < st[0]:
            continue
        st[0] = max(st[0] + interval, now)
        st[1] += 1
        host, port = tgt.rsplit(":", 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        e = s.connect_ex((host, int(port)))
        if e in (0, errno.EINPROGRESS):
            pending[s] = [tgt, st[1], now, "connect", now + timeout]
            sel.register(s, selectors.EVENT_WRITE)
        else:
            s.close()
            emit(tgt, st[1], now, why(e))
    wake = min([st[0] for st in state.values()] + [p[4] for p in pending.values()] + [now + 0.2])
    for key, _ in sel.select(max(0.0, wake - time.time())):
        s = key.fileobj
        p = pending[s]
        if p[3] == "connect":
            e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if e == 0:
                p[3], p[4] = "read", time.time() + timeout
                sel.modify(s, selectors.EVENT_READ)
            else:
                finish(s, why(e))
        else:
            try:
                data = s.recv(200).decode(errors="replace").split()
            except OSError:
                data = []
            finish(s, "ok " + (data[0] if data else "-"))
    now = time.time()
    for s, p in list(pending.items()):
        if now >= p[4]:
            finish(s, "timeout" if p[3] == "connect" else "ok -")
    if out:
        sys.stdout.write("".join(out))
        sys.stdout.flush()
        out.clear()
sys.stdout.write("end %.3f\n" % time.time())
sys.stdout.flush()
EOF
)

# ---- the analysis (on this machine, over the probe lines and the facts each check wrote)
cat >"$W/analyze.py" <<'EOF'
import os, sys, time

def load(path):
    """Probe lines: (start, end, target, seq, result)."""
    recs = []
    if os.path.exists(path):
        for line in open(path, errors="replace"):
            p = line.split(None, 4)
            if len(p) < 5 or ":" not in p[2]:
                continue
            try:
                recs.append((float(p[0]), float(p[1]), p[2], int(p[3]), p[4].strip()))
            except ValueError:
                pass
    recs.sort(key=lambda r: r[0])
    return recs

def facts(path):
    f = {}
    if os.path.exists(path):
        for line in open(path):
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                f[k] = v
    return f

def reached(res):
    return res.startswith("ok") or res == "refused"

def allowed_ok(res):
    return res.startswith("ok")

def count(recs, tgt, t_from=0.0, t_to=1e18):
    """Attempts to tgt that started in [t_from, t_to] (from the sequence numbers)."""
    seqs = [r[3] for r in recs if r[2] == tgt and t_from <= r[0] <= t_to]
    return max(seqs) - min(seqs) + 1 if seqs else 0

def s(x):
    return "%.1f s" % x

def p50max(xs):
    xs = sorted(xs)
    return "p50 %s, max %s" % (s(xs[(len(xs) - 1) // 2]), s(xs[-1])) if xs else "none"

def at(t, base):
    return "%+.2f s" % (t - base)

def final_run(recs, tgt, want):
    """Start of the last run of attempts to tgt that all match want ('allow': ok, 'deny': no
    connect), and the last attempt's start; None when the last attempt does not match."""
    rs = [r for r in recs if r[2] == tgt]
    start = None
    for r in reversed(rs):
        if (allowed_ok(r[4]) if want == "allow" else not reached(r[4])):
            start = r[0]
        else:
            break
    return None if start is None else (start, rs[-1][0])

class Pairs:
    """SRC->TARGET pairs with a wanted verdict, probed by loops whose output is W/SRC.out."""
    def __init__(self, w, spec):
        self.pairs = []
        for item in spec.split():
            src, rest = item.split("@", 1)
            tgt, want = rest.rsplit("=", 1)
            self.pairs.append((src, tgt, want))
        self.recs = {src: load(os.path.join(w, src + ".out")) for src, _, _ in self.pairs}

    def converged(self, hold, now):
        for src, tgt, want in self.pairs:
            run = final_run(self.recs[src], tgt, want)
            if run is None or run[1] - run[0] < hold or now - run[1] > 3:
                return False
        return True

    def convergence(self, since):
        """Per pair: when its final verdict began (relative to since, >= 0), or None."""
        out = {}
        for src, tgt, want in self.pairs:
            run = final_run(self.recs[src], tgt, want)
            out[(src, tgt)] = None if run is None else max(0.0, run[0] - since)
        return out

def ours(rec, name, ips):
    """A connect that reached one of a check's own server pods: its server answered by name, or the
    address was the pod's (known from the API) and its kernel refused (the server not up yet).
    Other pods that took a probed address (host-local's next ones) do not count."""
    return rec[4] == "ok " + name or (rec[4] == "refused" and rec[2].rsplit(":", 1)[0] in ips)

def watched(w):
    """Addresses the API watch reported (time name ip node lines)."""
    out = {}
    if os.path.exists(os.path.join(w, "watch")):
        for line in open(os.path.join(w, "watch")):
            p = line.split()
            if len(p) >= 3:
                out[p[2]] = p[1]
    return out

def violations(recs, tgts, t_from=0.0, t_to=1e18):
    return [r for r in recs if r[2] in tgts and t_from <= r[0] <= t_to and reached(r[4])]

def describe(v, base, names):
    return "%s %s -> %s (%s) %s" % (v[0], at(v[0], base), v[2], names.get(v[2].rsplit(":", 1)[0], "?"), v[4])

def row(result, figures, problems=()):
    print("%s\t%s" % ("pass" if not problems else "FAIL",
                      "; ".join(list(problems) + [figures])))

# ---- check 1: address reuse
def check1(w):
    f = facts(os.path.join(w, "facts"))
    x, b_ip = f["old_ip"], f.get("new_ip", "")
    t_del, t_rel, t_alloc, t_end = float(f["t_delete"]), float(f["t_released"]), float(f.get("t_alloc", "0") or 0), float(f["t_end"])
    tgt = x + ":80"
    P, D = load(os.path.join(w, "friend.out")), load(os.path.join(w, "stranger.out"))
    problems = []
    if b_ip != x:
        problems.append("reuse not forced: the new pod got %s, not the old pod's %s" % (b_ip or "no address", x))
    ctrl = [r for r in P if r[2] == tgt and r[0] < t_del and r[4] == "ok old"]
    if not ctrl:
        problems.append("control: the allowed prober never reached the old pod (nothing shown)")
    bad_d = violations(D, {tgt})
    bad_p = [r for r in P if r[2] == tgt and ((t_alloc and r[0] >= t_alloc and reached(r[4])) or r[4] == "ok new")]
    bad = bad_d + bad_p
    b_egress = load(os.path.join(w, "new.log"))
    a_egress = load(os.path.join(w, "old.log"))
    sink = f["sink_ip"] + ":80"
    bad_eg = violations(b_egress, {sink})
    if not [r for r in a_egress if r[2] == sink and r[4] == "ok sink"]:
        problems.append("control: the old pod's egress to the sink never connected")
    base = t_alloc or t_del
    for who, vs in (("the old pod's allowed peer", bad_p), ("the denied prober", bad_d)):
        if vs:
            problems.append("%s reached the address %d times from %s to %s after the new pod got it (%s)"
                            % (who, len(vs), at(vs[0][0], base), at(vs[-1][0], base), ", ".join(sorted({v[4] for v in vs}))))
    if bad_eg:
        problems.append("the new pod's egress to the old pod's sink connected %d times from %s to %s after it got the address"
                        % (len(bad_eg), at(bad_eg[0][0], base), at(bad_eg[-1][0], base)))
    n_after = count(P, tgt, t_alloc or t_end, t_end) if t_alloc else 0
    if t_alloc and (n_after == 0 or not b_egress):
        problems.append("a prober was not running after the reuse (allowed prober %d attempts, new pod %d lines)" % (n_after, len(b_egress)))
    row(True, "%s reused %s after release (%s after delete); before: allowed ok %d/%d; after: allowed prober %d, denied prober %d, new pod's egress %d attempts, %d connected"
        % (x, s(t_alloc - t_rel) if t_alloc else "?", s(t_alloc - t_del) if t_alloc else "?",
           len(ctrl), count(P, tgt, 0, t_del), n_after, count(D, tgt, t_alloc or t_del, t_end),
           sum(count(b_egress, t) for t in {r[2] for r in b_egress}), len(bad) + len(bad_eg)), problems)

# ---- check 2: scale-up under default-deny
def check2(w):
    f = facts(os.path.join(w, "facts"))
    t_scale, t_end = float(f["t_scale"]), float(f["t_end"])
    pods = {}   # ip -> (name, node, alloc time)
    for line in open(os.path.join(w, "alloc")):
        name, ip, node, t = line.split()
        pods[ip] = (name, node, float(t) if t != "-" else None)
    names = {ip: p[0] for ip, p in pods.items()}
    names.update(watched(w))
    C = load(os.path.join(w, "client.out"))
    problems, bad, n_denied = [], [], 0
    tgts = {r[2] for r in C}
    for d in ("other1", "other2"):
        D = load(os.path.join(w, d + ".out"))
        tgts |= {r[2] for r in D}
        n_denied += sum(count(D, t) for t in {r[2] for r in D})
        bad += [r for r in D if ours(r, "web", names)]
    first_ok, first_through = [], []
    for ip, (name, node, t_alloc) in sorted(pods.items()):
        if t_alloc is None:
            problems.append("%s (%s): no host-local record of its address" % (name, ip))
            continue
        rs = [r for r in C if r[2] == ip + ":80" and r[1] >= t_alloc]
        ok = [r for r in rs if allowed_ok(r[4])]
        th = [r for r in rs if reached(r[4])]
        if not ok:
            problems.append("%s (%s): the allowed prober never connected" % (name, ip))
            continue
        first_ok.append(max(0.0, ok[0][0] - t_alloc))
        first_through.append(max(0.0, th[0][0] - t_alloc))
    if len(pods) != 10:
        problems.append("%d pods got addresses, not 10" % len(pods))
    for v in sorted(bad)[:3]:
        ip = v[2].rsplit(":", 1)[0]
        base = pods.get(ip, (0, 0, None))[2] or t_scale
        problems.append("denied prober connected: " + describe(v, base, names) + " (relative to the pod's address)")
    unpredicted = [ip for ip in pods if ip + ":80" not in set(f.get("predicted", "").split(","))]
    row(True, "10 pods, %d addresses probed (%d predicted from host-local, %d seen first in the API); address -> first allowed connect %s; -> first packet through (refused or ok) %s; denied: %d attempts, %d connected; scale -> all Ready %s"
        % (len(tgts), len(f.get("predicted", "").split(",")), len(unpredicted), p50max(first_ok), p50max(first_through),
           n_denied, len(bad), s(float(f["t_ready"]) - t_scale) if f.get("t_ready") else "never"), problems)

# ---- check 3: worker node container restart
def check3(w):
    f = facts(os.path.join(w, "facts"))
    t0, t_up, t_end = float(f["t_restart"]), float(f["t_restarted"]), float(f["t_end"])
    C, D = load(os.path.join(w, "client.out")), load(os.path.join(w, "other.out"))
    srv = {}   # ip -> name (before and after)
    for line in open(os.path.join(w, "srv_ips")):
        name, ip = line.split()
        srv[ip] = name
    srv.update(watched(w))
    allocs = {}
    for line in open(os.path.join(w, "alloc")):
        ip, t = line.split()
        allocs[ip] = float(t)
    problems = []
    # ingress: the denied prober against every address it probed that is not another (unisolated) pod's
    bad = [r for r in D if ours(r, "srv", srv)]
    names = dict(srv)
    if bad:
        oks = [r for r in bad if allowed_ok(r[4])]
        problems.append("denied ingress connected %d times from %s to %s (first: %s%s)"
                        % (len(bad), at(bad[0][0], t0), at(bad[-1][0], t0), describe(bad[0], t0, names),
                           "; first answer: " + describe(oks[0], t0, names) if oks else ""))
    # egress: the server pods' own loops, before (previous container) and after
    sink, deny_dst = f["sink_ip"] + ":80", f["other_ip"] + ":80"
    eg_bad, eg_first, eg_n = [], [], 0
    for name in f["srv_pods"].split(","):
        for which in ("previous", "current"):
            rs = load(os.path.join(w, "%s.%s.log" % (name, which)))
            eg_n += count(rs, deny_dst)
            eg_bad += [(r, name) for r in rs if r[2] == deny_dst and reached(r[4])]
            if which == "current":
                ok = [r for r in rs if r[2] == sink and allowed_ok(r[4]) and r[0] > t0]
                eg_first.append(ok[0][0] - t0 if ok else None)
    if eg_bad:
        eg_bad.sort()
        problems.append("denied egress (server pods -> other:80) connected %d times from %s to %s (first: %s, %s)"
                        % (len(eg_bad), at(eg_bad[0][0][0], t0), at(eg_bad[-1][0][0], t0), eg_bad[0][1], eg_bad[0][0][4]))
    # the node's samples: when the table was back; addresses handed out before it
    samples = []   # (time, nft's tables, the CNI configuration directory)
    for line in open(os.path.join(w, "node_samples")):
        p = line.split(None, 1)
        tables, _, conf = (p[1] if len(p) > 1 else "").partition("|")
        if "rror" in tables:
            continue   # nft could not answer: unknown
        try:
            samples.append((float(p[0]), tables + " ", conf))
        except ValueError:
            pass
    with_table = [t for t, tb, _ in samples if "table inet palisade " in tb]
    t_table = with_table[0] if with_table else None
    no_table = [t for t, tb, _ in samples if (t_table is None or t < t_table) and "table inet palisade " not in tb]
    conflist = [t for t, tb, c in samples if "10-palisade.conflist" in c and (t_table is None or t < t_table)]
    early = sorted((t, ip) for ip, t in allocs.items() if t > t0 and no_table and t < no_table[-1])
    if early:
        problems.append("fail-open window: %d pod address(es) (%d of this check's server pods) handed out while the node had no Palisade table, from %s (the CNI configuration list was there from %s; the table came back at %s)"
                        % (len(early), len([1 for _, ip in early if ip in f["srv_ips_after"].split(",")]), at(early[0][0], t0),
                           at(conflist[0], t0) if conflist else "-", at(t_table, t0) if t_table else "never"))
    # recovery: the allowed prober's first connect to every server pod's current address
    rec = []
    for ip in f["srv_ips_after"].split(","):
        ok = [r for r in C if r[2] == ip + ":80" and allowed_ok(r[4]) and r[0] > t_up]
        rec.append(ok[0][0] - t0 if ok else None)
    if None in rec or not rec:
        problems.append("allowed ingress did not come back to every server pod")
    if None in eg_first:
        problems.append("allowed egress did not come back from every server pod")
    n_d = sum(count(D, t) for t in {r[2] for r in D})
    row(True, "restart took %s; node table back %s, first pod address %s, allowed ingress back %s (all %d pods), allowed egress back %s, all Ready %s (agent Ready %s); denied: %d ingress + %d egress attempts, %d connected"
        % (s(t_up - t0), at(t_table, t0) if t_table else "never",
           at(min(t for t in allocs.values() if t > t0), t0) if [t for t in allocs.values() if t > t0] else "-",
           "+" + s(max(rec)) + (" (before the table: unpoliced)" if t_table and t0 + max(rec) < t_table else "")
           if rec and None not in rec else "never", len(rec),
           "+" + s(max(eg_first)) if eg_first and None not in eg_first else "never",
           at(float(f["t_ready"]), t0) if f.get("t_ready") else "never",
           at(float(f["t_agent_ready"]), t0) if f.get("t_agent_ready") else "never",
           n_d, eg_n, len(bad) + len(eg_bad)), problems)

# ---- checks 4 and 5: convergence of a truth table, forbidden flows never connecting
def truth(w, invariant, final, since):
    """invariant: pairs denied in every state; final: the final table. Returns (problems, figures)."""
    f = facts(os.path.join(w, "facts"))
    names = {v: k[3:] for k, v in f.items() if k.startswith("ip_")}
    problems = []
    inv = Pairs(w, invariant)
    n = nbad = 0
    for src, tgt, _ in inv.pairs:
        n += count(inv.recs[src], tgt)
        nbad += len(violations(inv.recs[src], {tgt}))
        for v in violations(inv.recs[src], {tgt})[:2]:
            problems.append("forbidden %s -> %s connected at %s (%s)" % (src, names.get(tgt.rsplit(":", 1)[0], tgt) + ":" + tgt.rsplit(":", 1)[1], at(v[0], since), v[4]))
    fin = Pairs(w, final)
    conv = fin.convergence(since)
    late = [k for k, v in conv.items() if v is None]
    for src, tgt in late:
        problems.append("final table: %s -> %s not as wanted at the end" % (src, names.get(tgt.rsplit(":", 1)[0], tgt)))
    return problems, n, nbad, conv

def check4(w):
    f = facts(os.path.join(w, "facts"))
    t_last, t_first = float(f["t_last_change"]), float(f["t_first_change"])
    problems, n, nbad, conv = truth(w, f["invariant"], f["final"], t_last)
    vals = [v for v in conv.values() if v is not None]
    row(True, "20 changes in %s, agent deleted after change 10 (%s after the first), its successor Ready %s after the last change; final table (%d pairs) converged %s after the last change; forbidden: %d attempts, %d connected"
        % (s(t_last - t_first), s(float(f["t_agent_deleted"]) - t_first),
           at(float(f["t_agent_ready"]), t_last) if f.get("t_agent_ready") else "never",
           len(conv), s(max(vals)) if vals and len(vals) == len(conv) else "never", n, nbad), problems)

def check5(w):
    f = facts(os.path.join(w, "facts"))
    t_change, t_del = float(f["t_change"]), float(f["t_delete"])
    problems, n, nbad, conv = truth(w, f["invariant"], f["final"], t_change)
    # a leader that shuts down hands the Lease over (fabric8 rewrites it with a 1 s duration), so
    # the next holder takes it within a second or two of the old pod's end, not at expiry
    lease = [l.split() for l in open(os.path.join(w, "lease"))] if os.path.exists(os.path.join(w, "lease")) else []
    released = any(l[1] == f["old_leader"] and l[2] == "1" for l in lease) or \
        any(l[1] not in (f["old_leader"], "?") for l in lease if f.get("t_old_gone") and float(l[0]) < float(f["t_old_gone"]) + 2)
    if not released:
        problems.append("the deleted leader did not release its Lease (operator.md: a leader that shuts down hands over at once); it stayed the holder, duration 15 s, until it expired")
    ctrl = [r for r in load(os.path.join(w, "client.out")) if r[2] == f["ip_s1"] + ":80" and allowed_ok(r[4]) and r[0] < float(f["t_delete"])]
    if not ctrl:
        problems.append("control: client -> s1 never connected before the change")
    allow = conv.get(("client", f["ip_s2"] + ":80"))
    deny = conv.get(("client", f["ip_s1"] + ":80"))
    row(True, "leader %s deleted, its pod gone %s, Lease released: %s, next leader %s %s after the deletion; the change (applied %s after the deletion) -> client->s2 allowed %s, client->s1 denied %s after it; forbidden: %d attempts, %d connected"
        % (f["old_leader"].rsplit("-", 1)[-1], at(float(f["t_old_gone"]), t_del) if f.get("t_old_gone") else "never",
           "yes" if released else "no", f.get("new_leader", "?").rsplit("-", 1)[-1]
           + (" (the deleted one's replacement)" if float(f.get("new_leader_created", "0")) >= int(t_del) else " (the standby)"),
           s(float(f["t_new_leader"]) - t_del) if f.get("t_new_leader") else "never seen", s(t_change - t_del),
           s(allow) if allow is not None else "never", s(deny) if deny is not None else "never", n, nbad), problems)

def converged(w, spec, hold):
    sys.exit(0 if Pairs(w, spec).converged(float(hold), time.time()) else 1)

if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    globals()[cmd](*args)
EOF

# ---- manifests
on_node() { jq -c --arg n "$1" 'if .kind == "Pod" then .spec.nodeSelector = {"kubernetes.io/hostname": $n}
  else .spec.template.spec.nodeSelector = {"kubernetes.io/hostname": $n} end'; }
# self_probing TARGET...: the pod's own process is the probe loop (static targets); its server runs
# beside it on 80 and 8080
self_probing() {
  jq -c --arg loop "$LOOP" --arg iv "$INTERVAL" --arg to "$PROBE_TIMEOUT" --args '
    (if .kind == "Pod" then .spec else .spec.template.spec end) |= (.containers[0] |= (
      .command = ["sh", "-c", "python3 /server.py \"$0\" 80 8080 & exec python3 -u -c \"$PROBE_LOOP\" static \($iv) \($to) 1800 \"$@\""]
      | .args = [.args[0]] + $ARGS.positional
      | .env = [{name: "PROBE_LOOP", value: $loop}]))' "$@"
}
np() { # NS NAME POD-SELECTOR-JSON TYPES [INGRESS-JSON [EGRESS-JSON]]
  jq -nc --arg ns "$1" --arg name "$2" --argjson sel "$3" --arg types "$4" --argjson in "${5:-null}" --argjson eg "${6:-null}" '
    {apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: {name: $name, namespace: $ns},
     spec: ({podSelector: $sel, policyTypes: ($types | split(","))}
            + (if $in then {ingress: $in} else {} end) + (if $eg then {egress: $eg} else {} end))}'
}
roles() { jq -nc '{matchExpressions: [{key: "role", operator: "In", values: $ARGS.positional}]}' --args "$@"; }
from_roles() { jq -nc --argjson s "$(roles "$@")" '[{from: [{podSelector: $s}], ports: [{protocol: "TCP", port: 80}]}]'; }
to_roles() { jq -nc --argjson s "$(roles "$@")" '[{to: [{podSelector: $s}], ports: [{protocol: "TCP", port: 80}]}]'; }

mkns() { local ns; for ns; do
  kc create namespace "$ns" >/dev/null && kc label namespace "$ns" "$NS_LABEL=1" >/dev/null
done; }
ready() { kc wait -n "$1" --for=condition=Ready pod "${@:2}" --timeout="${WAIT}s" >/dev/null; }
pod_ip() { kc get pod -n "$1" "$2" -o jsonpath='{.status.podIP}'; }
node_sh() { dk exec "$1" sh -c "$2"; }
agent_pod() { kc get pods -n palisade-system -l app.kubernetes.io/component=agent --field-selector spec.nodeName="$1" -o jsonpath='{.items[0].metadata.name}'; }
logs_of() { # into $CW: the worker's agent's and the operator leader's logs
  kc logs -n palisade-system -c agent "$(agent_pod "$NODE")" >"$CW/agent.log" 2>&1 || true
  kc logs -n palisade-system "$(kc get lease -n palisade-system palisade-operator -o jsonpath='{.spec.holderIdentity}')" >"$CW/operator.log" 2>&1 || true
}

# ---- addresses
ip2n() { local a b c d; IFS=. read -r a b c d <<<"$1"; echo $(((a << 24) + (b << 16) + (c << 8) + d)); }
n2ip() { echo "$(($1 >> 24 & 255)).$(($1 >> 16 & 255)).$(($1 >> 8 & 255)).$(($1 & 255))"; }
# next_ips NODE N: the N addresses host-local hands out next on NODE (after its last reserved one,
# skipping those in use, within the node's /24 from .2 to .254)
next_ips() {
  local node=$1 n=$2 cidr last used base i=1 k=0 a
  cidr=$(kc get node "$node" -o jsonpath='{.spec.podCIDR}')
  base=$(ip2n "${cidr%/*}")
  last=$(node_sh "$node" "cat $IPAM_DIR/last_reserved_ip.0 2>/dev/null" || true)
  used=" $(node_sh "$node" "ls $IPAM_DIR 2>/dev/null" | tr '\n' ' ') "
  [[ -z $last ]] || i=$(($(ip2n "$last") - base))
  while ((k < n)); do
    i=$((i + 1)); ((i <= 254)) || i=2
    a=$(n2ip $((base + i)))
    [[ $used == *" $a "* ]] && continue
    echo "$a"; k=$((k + 1))
  done
}
alloc_time() { # NODE IP...: "IP <host-local record's mtime>" per address ("-" if none)
  local node=$1; shift
  node_sh "$node" "for a in $*; do printf '%s ' \$a; date -r $IPAM_DIR/\$a +%s.%N 2>/dev/null || echo -; done"
}

# ---- probers: one `kubectl exec -i` each, targets added and removed on its stdin
declare -A PROBER_FD PROBER_PID
prober_start() { # ID NS POD TARGET...: output in $CW/ID.out; returns once the loop prints
  local id=$1 ns=$2 pod=$3 fd; shift 3
  mkfifo "$CW/$id.in"
  kc exec -i -n "$ns" "$pod" -- python3 -u -c "$LOOP" stdin "$INTERVAL" "$PROBE_TIMEOUT" 1800 "$@" \
    <"$CW/$id.in" >"$CW/$id.out" 2>"$CW/$id.err" &
  PROBER_PID[$id]=$!
  exec {fd}>"$CW/$id.in"
  PROBER_FD[$id]=$fd
  kind_wait 120 "prober $id" test -s "$CW/$id.out" || { log "prober $id: $(cat "$CW/$id.err")"; return 1; }
}
prober_add() { local id=$1 t; shift; for t; do echo "+$t" >&"${PROBER_FD[$id]}"; done; }
prober_stop() {
  local id fd
  for id; do
    fd=${PROBER_FD[$id]}
    echo q >&"$fd" || true
    exec {fd}>&-
  done
  for id; do
    local end=$((SECONDS + 30))
    while kill -0 "${PROBER_PID[$id]}" 2>/dev/null && ((SECONDS < end)); do sleep 0.5; done
    ! kill -0 "${PROBER_PID[$id]}" 2>/dev/null || kill_tree "${PROBER_PID[$id]}"
  done
}
kill_tree() { # PID: it and its descendants, by id
  local c
  for c in $(pgrep -P "$1" 2>/dev/null || true); do kill_tree "$c"; done
  kill "$1" 2>/dev/null || true
}
# ip_watch NS SELECTOR PROBER...: every new address of a pod matching SELECTOR is added (port 80) to
# the probers, at once; "time name ip node" lines in $CW/watch
ip_watch() {
  local ns=$1 sel=$2; shift 2
  (
    declare -A seen=()
    while IFS='|' read -r name ip node; do
      [[ -n $ip && -z ${seen[$ip]:-} ]] || continue
      seen[$ip]=1
      for p in "$@"; do prober_add "$p" "$ip:80"; done
      echo "$(now) $name $ip $node" >>"$CW/watch"
    done < <(kc get pods -n "$ns" -l "$sel" -w -o jsonpath='{.metadata.name}|{.status.podIP}|{.spec.nodeName}{"\n"}')
  ) &
  WATCH_PID=$!
}

fact() { echo "$1=$2" >>"$CW/facts"; }
converged() { python3 "$W/analyze.py" converged "$CW" "$1" "$HOLD"; }
await_converged() { # SPEC: until the pairs hold their verdicts for HOLD seconds, or SETTLE passes
  local end=$((SECONDS + SETTLE))
  until converged "$1"; do
    ((SECONDS < end)) || { log "not converged after ${SETTLE}s"; return 0; }
    sleep 2
  done
}

# ======== 1: address reuse
check_1() {
  local ns=rn-reuse
  mkns $ns
  {
    # the old pod is isolated both ways; friend may reach it, and it may reach the sink
    np $ns isolate "$(roles old new)" Ingress,Egress
    np $ns allow-old '{"matchLabels":{"role":"old"}}' Ingress,Egress "$(from_roles friend)" "$(to_roles sink)"
    wl pod $ns/sink '{"role":"sink"}' | on_node "$NODE2"
    wl pod $ns/friend '{"role":"friend"}' | on_node "$NODE2"
    wl pod $ns/stranger '{"role":"stranger"}' | on_node "$NODE"
  } | kc apply -f - >/dev/null
  ready $ns sink friend stranger
  local sink; sink=$(pod_ip $ns sink)
  fact sink_ip "$sink"
  wl pod $ns/old '{"role":"old"}' | on_node "$NODE" | self_probing "$sink:80" | kc apply -f - >/dev/null
  # the new pod waits at a scheduling gate, so that it starts the moment the old address is free
  wl pod $ns/new '{"role":"new"}' | on_node "$NODE" | self_probing "$sink:80" |
    jq -c '.spec.schedulingGates = [{"name": "palisade.dev/real-node"}]' | kc apply -f - >/dev/null
  ready $ns old
  local x; x=$(pod_ip $ns old)
  fact old_ip "$x"
  log "old pod at $x"
  prober_start friend $ns friend "$x:80"
  prober_start stranger $ns stranger "$x:80"
  kind_wait 60 "friend -> old" grep -q "ok old" "$CW/friend.out" || log "friend never reached the old pod"
  sleep 2
  kc logs -n $ns old >"$CW/old.log"
  local prev; prev=$(n2ip $(($(ip2n "$x") - 1)))
  fact t_delete "$(now)"
  kc delete pod -n $ns old --wait=false >/dev/null
  # the moment host-local has released the address: point its allocator just before it
  local t_rel
  t_rel=$(node_sh "$NODE" "timeout 180 sh -c 'while [ -e $IPAM_DIR/$x ]; do sleep 0.05; done'; date +%s.%N; printf %s $prev >$IPAM_DIR/last_reserved_ip.0")
  fact t_released "$t_rel"
  kc patch pod -n $ns new --type=json -p '[{"op":"remove","path":"/spec/schedulingGates"}]' >/dev/null
  log "old address released at $t_rel; new pod ungated"
  local end=$((SECONDS + WAIT))
  until [[ -n $(pod_ip $ns new) ]] || ((SECONDS > end)); do sleep 0.5; done
  local b; b=$(pod_ip $ns new)
  fact new_ip "$b"
  [[ -z $b ]] || fact t_alloc "$(alloc_time "$NODE" "$b" | awk '{print $2}')"
  log "new pod at ${b:-nothing}"
  ready $ns new || true
  sleep 10   # well past the operator's next rule set
  fact t_end "$(now)"
  prober_stop friend stranger
  kc logs -n $ns new >"$CW/new.log" || true
  logs_of
  python3 "$W/analyze.py" check1 "$CW"
}

# ======== 2: scale-up 0 -> 10 under default-deny ingress
check_2() {
  local ns=rn-scale
  mkns $ns
  {
    np $ns default-deny '{}' Ingress
    np $ns allow-client '{"matchLabels":{"workload":"web"}}' Ingress "$(jq -nc '[{from: [{podSelector: {matchLabels: {role: "client"}}}]}]')"
    wl deploy $ns/web '{"app":"web"}' | jq -c '.spec.replicas = 0'
    wl pod $ns/client '{"role":"client"}' | on_node "$NODE"
    wl pod $ns/other1 '{"role":"other"}' | on_node "$NODE"
    wl pod $ns/other2 '{"role":"other"}' | on_node "$NODE2"
  } | kc apply -f - >/dev/null
  ready $ns client other1 other2
  # what host-local will hand out next on both workers: probed from before the pods exist
  local predicted=() a
  for a in $(next_ips "$NODE" 11) $(next_ips "$NODE2" 11); do predicted+=("$a:80"); done
  fact predicted "$(IFS=,; echo "${predicted[*]}")"
  prober_start client $ns client "${predicted[@]}"
  prober_start other1 $ns other1 "${predicted[@]}"
  prober_start other2 $ns other2 "${predicted[@]}"
  ip_watch $ns workload=web client other1 other2
  sleep 2
  fact t_scale "$(now)"
  kc scale -n $ns deployment/web --replicas=10 >/dev/null
  local end=$((SECONDS + WAIT))
  until [[ $(kc get pods -n $ns -l workload=web -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True) == 10 ]]; do
    ((SECONDS < end)) || break
    sleep 1
  done
  ((SECONDS < end)) && fact t_ready "$(now)"
  sleep 5
  fact t_end "$(now)"
  kill_tree "$WATCH_PID"
  prober_stop client other1 other2
  : >"$CW/alloc"
  local name ip node t
  while read -r name ip node; do
    t=$(alloc_time "$node" "$ip" | awk '{print $2}')
    echo "$name $ip $node $t" >>"$CW/alloc"
  done < <(kc get pods -n $ns -l workload=web -o jsonpath='{range .items[*]}{.metadata.name} {.status.podIP} {.spec.nodeName}{"\n"}{end}')
  python3 "$W/analyze.py" check2 "$CW"
}

# ======== 3: the worker node's container restarted
check_3() {
  local ns=rn-restart
  mkns $ns
  {
    np $ns isolate-srv '{"matchLabels":{"role":"srv"}}' Ingress,Egress "$(from_roles client)" "$(to_roles sink)"
    wl pod $ns/sink '{"role":"sink"}' | on_node "$NODE2"
    wl pod $ns/client '{"role":"client"}' | on_node "$NODE2"
    wl pod $ns/other '{"role":"other"}' | on_node "$NODE2"
  } | kc apply -f - >/dev/null
  ready $ns sink client other
  local sink other
  sink=$(pod_ip $ns sink); other=$(pod_ip $ns other)
  fact sink_ip "$sink"; fact other_ip "$other"
  # the servers: their own loops probe the sink (allowed) and "other" (denied) from their first second
  wl deploy $ns/srv '{"role":"srv"}' | jq -c '.spec.replicas = 3' | on_node "$NODE" | self_probing "$sink:80" "$other:80" |
    kc apply -f - >/dev/null
  kc rollout status -n $ns deployment/srv --timeout="${WAIT}s" >/dev/null
  local pods=() ips=() name ip
  while read -r name ip; do pods+=("$name"); ips+=("$ip:80"); echo "$name $ip" >>"$CW/srv_ips"; done \
    < <(kc get pods -n $ns -l workload=srv -o jsonpath='{range .items[*]}{.metadata.name} {.status.podIP}{"\n"}{end}')
  fact srv_pods "$(IFS=,; echo "${pods[*]}")"
  local predicted=() a
  # every pod of the node gets a new address after the restart: the next 30 are probed from before
  for a in $(next_ips "$NODE" 30); do predicted+=("$a:80"); done
  prober_start client $ns client "${ips[@]}" "${predicted[@]}"
  prober_start other $ns other "${ips[@]}" "${predicted[@]}"
  ip_watch $ns workload=srv client other
  sleep 3
  log "docker restart $NODE"
  fact t_restart "$(now)"
  dk restart "$NODE" >/dev/null
  fact t_restarted "$(now)"
  # the node's tables and CNI configuration, sampled every 0.2 s from inside it, until a stop file
  # appears (or 10 minutes pass: the loop lives in the node, not in this script); every 5 s while
  # Palisade's table is missing, and once after it is back, the whole ruleset, host-local's leases
  # and the routes go to /tmp/real-node-evidence
  (
    local end=$((SECONDS + 60))
    until dk exec "$NODE" sh -c 'rm -f /tmp/real-node-stop /tmp/real-node-evidence; end=$(($(date +%s) + 600)); i=0; after=0
        while [ ! -e /tmp/real-node-stop ] && [ "$(date +%s)" -lt $end ]; do
          tables=$(nft list tables 2>&1 | tr "\n" " ")
          echo "$(date +%s.%N) $tables| $(find -L /etc/cni/net.d -maxdepth 1 -type f 2>&1 | tr "\n" " ")"
          case "$tables " in *"table inet palisade "*) after=$((after + 1)) ;; esac
          if { [ $after = 0 ] && [ $((i % 25)) = 0 ]; } || [ $after = 1 ]; then
            { echo "=== $(date +%T.%N) nft list ruleset"; nft list ruleset; echo "=== ls '"$IPAM_DIR"'"; ls --full-time '"$IPAM_DIR"';
              echo "=== ip route"; ip route; } >>/tmp/real-node-evidence 2>&1
          fi
          i=$((i + 1)); sleep 0.2
        done' >>"$CW/node_samples" 2>/dev/null; do
      ((SECONDS < end)) || break
      sleep 0.2
    done
  ) &
  local sampler=$!
  # Ready again: the node's agent and every server pod with a container started after the restart
  local end=$((SECONDS + WAIT)) agent_ready="" st
  started_ready() { python3 -c '
import datetime, sys
t0 = int(float(sys.argv[1]))
items = [i.split("/") for i in sys.argv[2].split()]
def ok(started, ready):
    try:
        t = datetime.datetime.strptime(started, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()
    except ValueError:
        return False
    return t >= t0 and ready == "true"
sys.exit(0 if len(items) == int(sys.argv[3]) and all(len(i) == 2 and ok(*i) for i in items) else 1)' "$@"; }
  local fmt='{range .items[*]}{.status.containerStatuses[0].state.running.startedAt}/{.status.containerStatuses[0].ready} {end}'
  while ((SECONDS < end)); do
    if [[ -z $agent_ready ]]; then
      st=$(kc get pods -n palisade-system -l app.kubernetes.io/component=agent --field-selector spec.nodeName="$NODE" -o jsonpath="$fmt" 2>/dev/null || true)
      if started_ready "$(sed -n 's/^t_restart=//p' "$CW/facts")" "$st" 1; then agent_ready=$(now); fact t_agent_ready "$agent_ready"; fi
    fi
    st=$(kc get pods -n $ns -l workload=srv -o jsonpath="$fmt" 2>/dev/null || true)
    if [[ -n $agent_ready ]] && started_ready "$(sed -n 's/^t_restart=//p' "$CW/facts")" "$st" 3; then
      fact t_ready "$(now)"; break
    fi
    sleep 1
  done
  sleep 8
  fact t_end "$(now)"
  kill_tree "$WATCH_PID"
  dk exec "$NODE" touch /tmp/real-node-stop || true
  sleep 1
  kill_tree "$sampler"
  prober_stop client other
  local after=()
  while read -r name ip; do
    after+=("$ip"); echo "$name $ip" >>"$CW/srv_ips"
  done < <(kc get pods -n $ns -l workload=srv -o jsonpath='{range .items[*]}{.metadata.name} {.status.podIP}{"\n"}{end}')
  fact srv_ips_after "$(IFS=,; echo "${after[*]}")"
  kc get pods -A --field-selector spec.nodeName="$NODE" -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name} {.status.podIP}{"\n"}{end}' |
    awk 'NF == 2' >"$CW/node_pods"
  node_sh "$NODE" "cd $IPAM_DIR && for a in \$(ls | grep -E '^[0-9.]+\$'); do printf '%s ' \$a; date -r \$a +%s.%N; done" >"$CW/alloc"
  for name in "${pods[@]}"; do
    kc logs -n $ns "$name" >"$CW/$name.current.log" 2>/dev/null || true
    kc logs -n $ns "$name" --previous >"$CW/$name.previous.log" 2>/dev/null || true
  done
  node_sh "$NODE" "cat /tmp/real-node-evidence" >"$CW/node_evidence" 2>&1 || true
  logs_of
  python3 "$W/analyze.py" check3 "$CW"
}

# ======== 4: the agent deleted in the middle of a burst of 20 policy changes
check_4() {
  local ns=rn-burst
  mkns $ns
  {
    np $ns isolate '{}' Ingress
    wl pod $ns/s1 '{"role":"s1"}' | on_node "$NODE"
    wl pod $ns/s2 '{"role":"s2"}' | on_node "$NODE"
    wl pod $ns/s3 '{"role":"s3"}' | on_node "$NODE"
    wl pod $ns/ca '{"role":"a"}' | on_node "$NODE2"
    wl pod $ns/cb '{"role":"b"}' | on_node "$NODE"
    wl pod $ns/cc '{"role":"c"}' | on_node "$NODE2"
  } | kc apply -f - >/dev/null
  ready $ns s1 s2 s3 ca cb cc
  declare -A ip
  local p t
  for p in s1 s2 s3; do ip[$p]=$(pod_ip $ns $p); fact "ip_$p" "${ip[$p]}"; done
  local targets=("${ip[s1]}:80" "${ip[s1]}:8080" "${ip[s2]}:80" "${ip[s2]}:8080" "${ip[s3]}:80" "${ip[s3]}:8080")
  for p in ca cb cc; do prober_start $p $ns $p "${targets[@]}"; done
  # denied in every state of the burst: c everywhere, s3, port 8080; the final state: b -> s1,
  # a -> s2, b -> s2 on port 80
  local inv="" fin=""
  for t in "${targets[@]}"; do inv+=" cc@$t=deny"; done
  for p in ca cb; do inv+=" $p@${ip[s3]}:80=deny $p@${ip[s3]}:8080=deny $p@${ip[s1]}:8080=deny $p@${ip[s2]}:8080=deny"; done
  fin="$inv ca@${ip[s1]}:80=deny cb@${ip[s1]}:80=allow ca@${ip[s2]}:80=allow cb@${ip[s2]}:80=allow"
  fact invariant "$inv"; fact final "$fin"
  sleep 3
  allow() { np $ns "$1" "{\"matchLabels\":{\"role\":\"$2\"}}" Ingress "$(from_roles "${@:3}")" | kc apply -f - >/dev/null; }
  drop() { kc delete networkpolicy -n $ns "$1" >/dev/null; }
  local agent; agent=$(agent_pod "$NODE")
  fact t_first_change "$(now)"
  allow p1 s1 a; allow p2 s2 b; allow p3 s1 b; allow p1 s1 a b; drop p3
  allow p4 s2 a; allow p2 s2 a b; drop p1; allow p3 s1 a; drop p4
  fact t_agent_deleted "$(now)"
  kc delete pod -n palisade-system "$agent" --wait=false >/dev/null
  log "deleted agent $agent after 10 changes"
  allow p1 s2 b; allow p4 s1 b; drop p2; allow p2 s1 a b; drop p3
  allow p3 s2 a; allow p2 s1 b; drop p4; allow p4 s2 a b; drop p3
  fact t_last_change "$(now)"
  log "20 changes done"
  local end=$((SECONDS + WAIT))
  until [[ $(kc get pods -n palisade-system -l app.kubernetes.io/component=agent --field-selector spec.nodeName="$NODE" \
      -o jsonpath='{range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}') == *=True* ]] &&
      ! kc get pod -n palisade-system "$agent" >/dev/null 2>&1; do
    ((SECONDS < end)) || break
    sleep 1
  done
  ((SECONDS < end)) && fact t_agent_ready "$(now)"
  await_converged "$fin"
  fact t_end "$(now)"
  prober_stop ca cb cc
  node_sh "$NODE" "nft list table inet palisade" >"$CW/nft-after.txt" 2>&1 || true
  python3 "$W/analyze.py" check4 "$CW"
}

# ======== 5: the operator's leader deleted, a policy change right after
check_5() {
  local ns=rn-leader
  mkns $ns
  {
    np $ns isolate '{}' Ingress
    np $ns allow-client '{"matchLabels":{"role":"s1"}}' Ingress "$(from_roles client)"
    wl pod $ns/s1 '{"role":"s1"}' | on_node "$NODE"
    wl pod $ns/s2 '{"role":"s2"}' | on_node "$NODE2"
    wl pod $ns/client '{"role":"client"}' | on_node "$NODE2"
    wl pod $ns/x '{"role":"x"}' | on_node "$NODE"
  } | kc apply -f - >/dev/null
  ready $ns s1 s2 client x
  local s1 s2
  s1=$(pod_ip $ns s1); s2=$(pod_ip $ns s2)
  fact ip_s1 "$s1"; fact ip_s2 "$s2"
  prober_start client $ns client "$s1:80" "$s2:80"
  prober_start x $ns x "$s1:80" "$s2:80"
  local inv="x@$s1:80=deny x@$s2:80=deny"
  fact invariant "$inv"
  fact final "$inv client@$s1:80=deny client@$s2:80=allow"
  await_converged "$inv client@$s1:80=allow client@$s2:80=deny"
  local leader; leader=$(kc get lease -n palisade-system palisade-operator -o jsonpath='{.spec.holderIdentity}')
  fact old_leader "$leader"
  kc get pod -n palisade-system "$leader" >/dev/null || { log "the Lease's holder $leader is not a pod"; return 1; }
  fact t_delete "$(now)"
  kc delete pod -n palisade-system "$leader" --wait=false >/dev/null
  # one change that revokes client -> s1 and grants client -> s2
  np $ns allow-client '{"matchLabels":{"role":"s2"}}' Ingress "$(from_roles client)" | kc apply -f - >/dev/null
  fact t_change "$(now)"
  log "leader $leader deleted, policy changed"
  # the Lease and the old leader's pod, every half second, until another replica holds the Lease
  local end=$((SECONDS + 60)) h d gone=""
  while ((SECONDS < end)); do
    read -r h d < <(kc get lease -n palisade-system palisade-operator -o jsonpath='{.spec.holderIdentity} {.spec.leaseDurationSeconds}{"\n"}' 2>/dev/null || echo "? ?")
    [[ -n $gone ]] || kc get pod -n palisade-system "$leader" >/dev/null 2>&1 || { gone=$(now); fact t_old_gone "$gone"; }
    echo "$(now) ${h:-none} ${d:-?}" >>"$CW/lease"
    if [[ -n $h && $h != "?" && $h != "$leader" ]]; then fact new_leader "$h"; fact t_new_leader "$(now)"; break; fi
    sleep 0.5
  done
  local born; born=$(kc get pod -n palisade-system "$h" -o jsonpath='{.metadata.creationTimestamp}' 2>/dev/null || true)
  [[ -z $born ]] || fact new_leader_created "$(date -d "$born" +%s)"
  await_converged "$inv client@$s1:80=deny client@$s2:80=allow"
  fact t_end "$(now)"
  prober_stop client x
  python3 "$W/analyze.py" check5 "$CW"
}

# ---- driver
NAMES=([1]="1 address reuse" [2]="2 scale-up 0->10, default-deny" [3]="3 worker container restart"
  [4]="4 agent deleted mid-burst" [5]="5 operator leader deleted")
NSES=([1]=rn-reuse [2]=rn-scale [3]=rn-restart [4]=rn-burst [5]=rn-leader)
RESULTS=()
FAILED=0

cleanup_ns() { # NS...: delete, and wait (so the next run can reuse the names)
  ((${REAL_NODE_KEEP:-0})) && return 0
  kc delete namespace "$@" --ignore-not-found --wait=false >/dev/null 2>&1 || true
}

# walkthroughs.sh deletes every NetworkPolicy of the cluster at each step: a check that overlaps it
# proves nothing
intruder() { pgrep -f 'kind/walkthroughs\.sh' >/dev/null; }
await_no_intruder() {
  local end=$((SECONDS + 900))
  while intruder && ((SECONDS < end)); do
    kind_log "real-node: hack/kind/walkthroughs.sh is running (it deletes every NetworkPolicy); waiting for it to end"
    sleep 30
  done
}

run_check() {
  local n=$1 rc out
  CHECK=$n CW="$W/c$n"
  mkdir -p "$CW"
  await_no_intruder
  log "start"
  local t0=$SECONDS
  ( while :; do intruder && echo "$(date +%T)" >>"$CW/intruder"; sleep 2; done ) &
  local guard=$!
  set +e
  (
    set -eE
    trap 'log "failed: line $LINENO: $BASH_COMMAND"' ERR
    trap '' PIPE   # a prober that died makes writes to it fail, not this shell
    "check_$n"
  ) >"$CW/result" 2> >(tee "$CW/log" >&2)
  rc=$?
  set -e
  sleep 0.5   # the log's tee
  kill_tree "$guard"
  out=$(grep -E '^(pass|FAIL)'$'\t' "$CW/result" | tail -1 || true)
  if [[ -z $out ]]; then
    out="FAIL"$'\t'"the check did not finish (exit $rc): $(grep -o 'failed: .*' "$CW/log" | tail -1)"
  fi
  if [[ -s $CW/intruder ]]; then
    out="FAIL"$'\t'"hack/kind/walkthroughs.sh ran during the check ($(head -1 "$CW/intruder")-$(tail -1 "$CW/intruder")), deleting every NetworkPolicy: not a valid run; ${out#*$'\t'}"
  fi
  cleanup_ns "${NSES[$n]}"
  RESULTS+=("$(printf '%-4s | %-31s | %4s s | %s' "${out%%$'\t'*}" "${NAMES[$n]}" $((SECONDS - t0)) "${out#*$'\t'}")")
  [[ $out == pass* ]] || FAILED=$((FAILED + 1))
  log "${out%%$'\t'*} ($((SECONDS - t0)) s)"
  CHECK=""
}

report() {
  printf '\n%-4s | %-31s | %6s | %s\n' result check time figures
  printf '%s\n' "${RESULTS[@]}"
  printf '\n%d checks, %d failed (work directory %s)\n' "${#RESULTS[@]}" "$FAILED" "$W"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  [[ $(id -u) == 0 ]] || kind_die "must run as root (the bed's network namespace)"
  checks=("$@"); ((${#checks[@]})) || checks=(1 2 3 4 5)
  kc get nodes "$NODE" "$NODE2" >/dev/null || kind_die "no kind cluster (hack/kind-up.sh)"
  # leftovers of an earlier run
  if [[ -n $(kc get namespace -l "$NS_LABEL" -o name) ]]; then
    kind_log "deleting the namespaces of an earlier run"
    kc delete namespace -l "$NS_LABEL" --timeout=300s >/dev/null
  fi
  trap 'cleanup_ns $(kc get namespace -l "$NS_LABEL" -o name 2>/dev/null | sed "s|namespace/||")' EXIT
  for c in "${checks[@]}"; do run_check "$c"; done
  report
  ((${REAL_NODE_KEEP:-0})) || [[ $FAILED != 0 ]] || rm -rf "$W"
  ((FAILED == 0))
fi
