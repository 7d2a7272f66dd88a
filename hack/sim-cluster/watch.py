# Probes flows that policy forbids, in a loop until <stop file> exists: every round all flows at once
# (one thread per flow, each in its source namespace). Prints "<rounds> <violations>" and each violation.
# usage: watch.py <stop file> <timeout s> then stdin lines "<id> <netns> <ip> <port>"
import ctypes, os, socket, sys, threading, time
libc = ctypes.CDLL(None, use_errno=True)
stop, timeout = sys.argv[1], float(sys.argv[2])
flows = [l.split() for l in sys.stdin if len(l.split()) == 4]
rounds, bad, lock = [0] * len(flows), [], threading.Lock()

def loop(i, pid, ns, ip, port):
    fd = os.open("/var/run/netns/" + ns, os.O_RDONLY)
    libc.setns(fd, 0x40000000)
    os.close(fd)
    while not os.path.exists(stop):
        try:
            c = socket.create_connection((ip, int(port)), timeout=timeout)
            data = c.recv(100)
            c.close()
            if data:
                with lock:
                    bad.append("%.3f %s connected" % (time.time(), pid))
        except OSError:
            pass
        rounds[i] += 1
        time.sleep(0.01)

ts = [threading.Thread(target=loop, args=(i, *f)) for i, f in enumerate(flows)]
for t in ts: t.start()
for t in ts: t.join()
times = sorted(float(b.split()[0]) for b in bad)
# the exposure window: first to last forbidden connection seen (0 when none)
print(sum(rounds), len(bad), int((times[-1] - times[0]) * 1000) if times else 0)
for b in sorted(bad): print(b)
