# Probes from inside a pod (kubectl exec ... python3 /probe.py TIMEOUT TARGET...), all at once, or
# from outside the cluster (--bind=ADDRESS picks the source address). TARGET is HOST:PORT (TCP) or
# udp/HOST:PORT; HOST is an address or a name the pod's resolver answers (CoreDNS). One line per
# target, in order: "ok <server name>" | "refused" | "timeout" | "error <what>". TARGET dns/NAME
# looks NAME up with the pod's resolver instead: "ok <address>" | "no-name". A TCP server that
# accepts but says nothing (CoreDNS) is "ok -": the handshake is what a policy allows. A probe still
# waiting (a name lookup the policy starves, say) after twice TIMEOUT is a timeout. The servers
# (hack/sim-cluster/server.py) answer "<name> <client ip>".
import socket, sys, threading, time

args = sys.argv[1:]
bind = None
if args and args[0].startswith("--bind="):
    bind = args.pop(0)[len("--bind="):]
timeout = float(args[0])
targets = args[1:]
out = [None] * len(targets)


def probe(i, target):
    if target.startswith("dns/"):
        try:
            out[i] = "ok " + socket.gethostbyname(target[4:])
        except socket.gaierror:
            out[i] = "no-name"
        return
    udp = target.startswith("udp/")
    host, port = target[4 if udp else 0:].rsplit(":", 1)
    try:
        if udp:
            c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            c.settimeout(timeout)
            if bind:
                c.bind((bind, 0))
            c.connect((socket.gethostbyname(host), int(port)))
            c.send(b"probe\n")
        else:
            c = socket.create_connection((host, int(port)), timeout=timeout,
                                         source_address=(bind, 0) if bind else None)
            c.settimeout(timeout)
            try:
                data = c.recv(200).decode().split() or ["-"]
            except (socket.timeout, TimeoutError):
                data = ["-"]
            c.close()
            out[i] = "ok " + data[0]
            return
        data = c.recv(200).decode().split()
        c.close()
        out[i] = "ok " + (data[0] if data else "?")
    except ConnectionRefusedError:
        out[i] = "refused"
    except (socket.timeout, TimeoutError):
        out[i] = "timeout"
    except socket.gaierror:
        out[i] = "no-name"
    except OSError as e:
        out[i] = "error " + str(e).replace(" ", "_")


threads = [threading.Thread(target=probe, args=(i, t), daemon=True) for i, t in enumerate(targets)]
for t in threads:
    t.start()
deadline = time.monotonic() + 2 * timeout
for t in threads:
    t.join(max(0.0, deadline - time.monotonic()))
print("\n".join(r or "timeout" for r in out))
sys.stdout.flush()
