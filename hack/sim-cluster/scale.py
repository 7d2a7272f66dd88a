# Load for bench/e2e-latency.sh: Pod objects (scheduled to n1..n3, Running, with addresses in the
# nodes' pod CIDRs 10.{1,2,3}.0.0/16 but no network of their own) and NetworkPolicies in namespaces
# scale-0..9, straight to the API server; or churn: create and delete pods at a given rate.
# usage: scale.py <api url> <token> load <pods> <policies> | churn <pods per second>
import json, ssl, sys, threading, time, urllib.request, itertools
from concurrent.futures import ThreadPoolExecutor
api, token, mode = sys.argv[1], sys.argv[2], sys.argv[3]
ctx = ssl._create_unverified_context()
NS = ["scale-%d" % i for i in range(10)]

def call(method, path, body=None, ctype="application/json"):
    req = urllib.request.Request(api + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"Authorization": "Bearer " + token, "Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code

def pod(k, prefix="p"):
    node = k % 3 + 1
    ip = "10.%d.%d.%d" % (node, 1 + (k // 3) // 250 % 250, 1 + (k // 3) % 250)
    ns, name = NS[k % 10], "%s%d" % (prefix, k)
    call("POST", "/api/v1/namespaces/%s/pods" % ns, {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": name, "labels": {"app": "a%d" % (k % 50)}},
         "spec": {"nodeName": "n%d" % node, "containers": [{"name": "c", "image": "registry.invalid/x"}]}})
    call("PATCH", "/api/v1/namespaces/%s/pods/%s/status" % (ns, name),
         {"status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]}}, "application/merge-patch+json")
    return ns, name

def policy(j):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "np%d" % j},
            "spec": {"podSelector": {"matchLabels": {"app": "a%d" % (j % 50)}}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "a%d" % ((j + 1) % 50)}}}],
                                  "ports": [{"protocol": "TCP", "port": 80 + j % 10}]}]}}

if mode == "load":
    pods, policies = int(sys.argv[4]), int(sys.argv[5])
    for ns in NS:
        call("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    t0 = time.time()
    with ThreadPoolExecutor(16) as ex:
        list(ex.map(lambda j: call("POST", "/apis/networking.k8s.io/v1/namespaces/%s/networkpolicies" % NS[j % 10], policy(j)), range(policies)))
        list(ex.map(pod, range(pods)))
    print("loaded %d pods and %d policies in %.0f s" % (pods, policies, time.time() - t0))
else:
    rate = float(sys.argv[4])
    live, made, t0 = [], 0, time.time()
    ex = ThreadPoolExecutor(16)
    for k in itertools.count(10_000_000):
        live.append(ex.submit(pod, k, "churn"))
        if len(live) > 200:
            ns, name = live.pop(0).result()
            # grace period 0: no kubelet confirms termination here, a graceful delete would leave it Terminating
            ex.submit(call, "DELETE", "/api/v1/namespaces/%s/pods/%s?gracePeriodSeconds=0" % (ns, name))
        made += 1
        if made % 500 == 0:
            print("churn: %d pods created in %.0f s (%.0f/s)" % (made, time.time() - t0, made / (time.time() - t0)), flush=True)
        time.sleep(max(0, t0 + made / rate - time.time()))
