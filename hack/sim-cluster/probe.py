# Concurrent TCP probes from network namespaces, one process: each thread enters its source namespace
# (setns(2) acts on the calling thread only) and connects. Input lines: "<id> <netns> <ip> <port>";
# output lines: "<id> ok <server name>" | "<id> refused" | "<id> timeout".
import ctypes, os, socket, sys, threading
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000
timeout = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
out, lock = [], threading.Lock()

def probe(pid, ns, ip, port):
    fd = os.open("/var/run/netns/" + ns, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            res = "error setns " + os.strerror(ctypes.get_errno())
        else:
            try:
                c = socket.create_connection((ip, int(port)), timeout=timeout)
                c.settimeout(timeout)
                data = c.recv(200).decode().split()
                c.close()
                res = "ok " + (data[0] if data else "?")
            except ConnectionRefusedError:
                res = "refused"
            except (socket.timeout, TimeoutError):
                res = "timeout"
            except OSError as e:
                res = "error " + str(e).replace(" ", "_")
    finally:
        os.close(fd)
    with lock:
        out.append(pid + " " + res)

threads = []
for line in sys.stdin:
    f = line.split()
    if len(f) == 4:
        t = threading.Thread(target=probe, args=f)
        t.start()
        threads.append(t)
for t in threads:
    t.join()
print("\n".join(sorted(out)))
