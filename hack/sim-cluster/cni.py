# CNI ADD/DEL of one pod, as a container runtime does it: loopback, then each plugin of the node's
# configuration list with the previous result as prevResult, run inside the node's namespace.
# usage: cni.py ADD|DEL <node netns> <conflist> <pod netns> <container id> [ip]   (ADD prints the pod's IP)
import json, os, subprocess, sys
cmd, node_ns, conflist, pod_ns, cid = sys.argv[1:6]
want_ip = sys.argv[6] if len(sys.argv) > 6 else ""
cni_path = os.environ.get("CNI_PATH", "/usr/lib/cni")
state = os.path.join(os.path.dirname(conflist), ".." , "results", cid + ".json")

def run(conf, ifname, env_extra=None):
    env = dict(os.environ, CNI_COMMAND=cmd, CNI_CONTAINERID=cid, CNI_NETNS="/var/run/netns/" + pod_ns,
               CNI_IFNAME=ifname, CNI_PATH=cni_path)
    if env_extra:
        env.update(env_extra)
    p = subprocess.run(["ip", "netns", "exec", node_ns, os.path.join(cni_path, conf["type"])],
                       input=json.dumps(conf).encode(), capture_output=True, env=env, timeout=30)
    if p.returncode != 0:
        sys.exit("CNI %s of %s for %s failed: %s %s" % (cmd, conf["type"], cid, p.stdout.decode(), p.stderr.decode()))
    return json.loads(p.stdout) if p.stdout.strip() else None

lst = json.load(open(conflist))
plugins = []
for pl in lst["plugins"]:
    c = dict(pl)
    c["cniVersion"] = lst["cniVersion"]
    c["name"] = lst["name"]
    plugins.append(c)
if cmd == "ADD":
    run({"cniVersion": "1.0.0", "name": "cni-loopback", "type": "loopback"}, "lo")
    prev = None
    for c in plugins:
        if prev is not None:
            c["prevResult"] = prev
        # host-local takes a requested address from CNI_ARGS (IP=...): the seeds need pods at given addresses
        prev = run(c, "eth0", {"CNI_ARGS": "IgnoreUnknown=1;IP=" + want_ip} if want_ip else None)
    os.makedirs(os.path.dirname(state), exist_ok=True)
    json.dump(prev, open(state, "w"))
    print(prev["ips"][0]["address"].split("/")[0])
else:
    prev = json.load(open(state)) if os.path.exists(state) else None
    for c in reversed(plugins):
        if prev is not None:
            c["prevResult"] = prev
        run(c, "eth0")
