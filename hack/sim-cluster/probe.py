# Concurrent TCP and UDP probes from network namespaces, one process: each thread enters its source
# namespace (setns(2) acts on the calling thread only) and connects (TCP) or sends a datagram and
# waits for the answer (UDP). Input lines: "<id> <netns> <ip> <port>" where port is "80" (TCP) or
# "udp/53"; output lines: "<id> ok <server name>" | "<id> refused" | "<id> timeout".
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
                if port.startswith("udp/"):
                    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    c.settimeout(timeout)
                    c.connect((ip, int(port[4:])))
                    c.send(b"probe\n")
                else:
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
