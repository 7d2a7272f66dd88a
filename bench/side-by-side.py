#!/usr/bin/env python3
"""Helpers of bench/side-by-side.sh (runs in the kind bed's network namespace).

  side-by-side.py measure --arm ARM --changes K --out FILE ...   K grant changes, appended to FILE
  side-by-side.py table FILE REST-FILE                           the p50/p99 table and ratios

One change: with a deny-all ingress policy standing on the server, write NetworkPolicy allow-client
(the client may reach the server's port) with a POST straight to the API server and time until the
client's new connections get through (apply-to-enforced), then DELETE it and time until they are
dropped again (delete-to-revoked). The clock starts just before the request is sent; the flip is the
send time of the first connection attempt, out of one every --interval seconds from inside the client
pod (bench/side-by-side-probe.py), that has the new verdict and is followed by 4 more with it.
"""
import argparse, base64, json, os, ssl, subprocess, sys, tempfile, time, http.client, urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))


def api_client(kubectl):
    cfg = json.loads(subprocess.check_output([kubectl, "config", "view", "--raw", "--minify", "-o", "json"]))
    cluster = cfg["clusters"][0]["cluster"]
    user = cfg["users"][0]["user"]
    d = tempfile.mkdtemp(prefix="sbs-")
    paths = {}
    for k, field in (("ca", cluster["certificate-authority-data"]), ("cert", user["client-certificate-data"]),
                     ("key", user["client-key-data"])):
        paths[k] = os.path.join(d, k)
        with open(paths[k], "wb") as f:
            f.write(base64.b64decode(field))
    ctx = ssl.create_default_context(cafile=paths["ca"])
    ctx.load_cert_chain(paths["cert"], paths["key"])
    u = urllib.parse.urlparse(cluster["server"])
    return lambda: http.client.HTTPSConnection(u.hostname, u.port, context=ctx)


def allow_policy(ns, port):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "allow-client", "namespace": ns},
            "spec": {"podSelector": {"matchLabels": {"workload": "server"}}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": [{"podSelector": {"matchLabels": {"workload": "client"}}}],
                                  "ports": [{"protocol": "TCP", "port": port}]}]}}


def measure(a):
    conn = api_client(a.kubectl)()
    probe = open(os.path.join(HERE, "side-by-side-probe.py"), "rb").read()
    base = "/apis/networking.k8s.io/v1/namespaces/%s/networkpolicies" % a.ns
    body = json.dumps(allow_policy(a.ns, a.port)).encode()

    def request(method, path, data=None):
        t0 = time.time()
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
        r = conn.getresponse()
        out = r.read()
        t1 = time.time()
        if r.status >= 300:
            raise SystemExit("%s %s: %d %s" % (method, path, r.status, out[:300]))
        return t0, t1

    def one(kind, old, method, path, data=None):
        p = subprocess.Popen([a.kubectl, "exec", "-i", "-n", a.ns, a.client, "--", "python3", "-u", "-",
                              a.server_ip, str(a.port), old, str(a.interval), str(a.timeout), str(a.limit)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=False)
        p.stdin.write(probe); p.stdin.close()
        line = p.stdout.readline().decode().strip()
        if line != "ready":
            p.kill(); raise SystemExit("%s: probe not ready (%r): is the flow %s before the change?" % (kind, line, old))
        t0, t1 = request(method, path, data)
        line = p.stdout.readline().decode().split()
        p.wait()
        if not line or line[0] != "flip":
            raise SystemExit("%s: no flip within %s s (%r)" % (kind, a.limit, line))
        sent, last_old, glitches = float(line[1]), float(line[2]), int(line[3])
        rec = "%s\t%s\t%.1f\t%.1f\t%d\t%.1f\t%.6f" % (a.arm, kind, (sent - t0) * 1000, (last_old - t0) * 1000,
                                                      glitches, (t1 - t0) * 1000, t0)
        with open(a.out, "a") as f:
            f.write(rec + "\n")
        print(rec, flush=True)

    for _ in range(a.changes):
        one("enforce", "deny", "POST", base, body)
        one("revoke", "allow", "DELETE", base + "/allow-client")


def pct(xs, p):  # nearest rank
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = max(0, min(len(xs) - 1, int(-(-p * len(xs) // 100)) - 1))
    return xs[k]


def table(a):
    rows = [l.rstrip("\n").split("\t") for l in open(a.results) if l.strip()]
    lat = {}
    for arm, kind, ms, *_ in rows:
        lat.setdefault((arm, kind), []).append(float(ms))
    rest = {}
    if a.rest and os.path.exists(a.rest):
        for l in open(a.rest):
            if l.strip():
                arm, what, val = l.split("\t")[:3]
                rest.setdefault((arm, what), []).append(float(val))
    arms = ["palisade", "peer"]
    print("%-34s %14s %14s %10s" % ("", "palisade", "kube-netpol", "P/peer"))

    def line(name, pv, qv, unit, digits=1):
        r = "%10.2f" % (pv / qv) if qv and qv == qv and pv == pv else "%10s" % "-"
        print("%-34s %11.*f %-2s %11.*f %-2s %s" % (name, digits, pv, unit, digits, qv, unit, r))
    for kind, label in (("enforce", "apply-to-enforced"), ("revoke", "delete-to-revoked")):
        for p in (50, 99):
            pv, qv = (pct(lat.get((arm, kind), []), p) for arm in arms)
            line("%s p%d" % (label, p), pv, qv, "ms")
    for kind in ("enforce", "revoke"):
        n = [len(lat.get((arm, kind), [])) for arm in arms]
        print("%-34s %14d %14d" % ("  samples (%s)" % kind, n[0], n[1]))
    def mean(arm, what):
        v = rest.get((arm, what))
        return sum(v) / len(v) if v else float("nan")
    for what, label, unit in (("rss_mb", "agent RSS at rest", "MB"), ("cpu_pct", "agent CPU at rest", "% "),
                              ("op_rss_mb", "operator RSS at rest (leader)", "MB"),
                              ("op_cpu_pct", "operator CPU at rest (leader)", "% "),
                              ("conn_per_s", "new connections/s (%s policies)" % a.policies, "/s"),
                              ("conn_fail", "  failed connections", "  ")):
        if any(rest.get((arm, what)) for arm in arms):
            line(label, mean("palisade", what), mean("peer", what), unit)
    # the enforcing agent's CPU per connection: its CPU share over the run / connections per second
    per = []
    for arm in arms:
        c, r = mean(arm, "conn_agent_cpu_pct"), mean(arm, "conn_per_s")
        per.append(c / 100 / r * 1e6 if r == r and r else float("nan"))
    if any(p == p for p in per):
        line("  agent CPU per connection", per[0], per[1], "us")
    per = []
    for arm in arms:
        c, r = mean(arm, "conn_client_cpu_s"), mean(arm, "conn_per_s")
        per.append(c / (r * a.conn_seconds) * 1e6 if r == r and r else float("nan"))
    if any(p == p for p in per):
        line("  client CPU per connection", per[0], per[1], "us")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--arm", required=True)
    m.add_argument("--changes", type=int, default=10)
    m.add_argument("--out", required=True)
    m.add_argument("--ns", default="sbs")
    m.add_argument("--client", required=True)
    m.add_argument("--server-ip", required=True)
    m.add_argument("--port", type=int, default=8080)
    m.add_argument("--interval", type=float, default=0.01)
    m.add_argument("--timeout", type=float, default=0.8)
    m.add_argument("--limit", type=float, default=60)
    m.add_argument("--kubectl", default="kubectl")
    t = sub.add_parser("table")
    t.add_argument("results")
    t.add_argument("rest", nargs="?")
    t.add_argument("--policies", default="?")
    t.add_argument("--conn-seconds", type=float, default=10)
    a = ap.parse_args()
    measure(a) if a.cmd == "measure" else table(a)


if __name__ == "__main__":
    main()
