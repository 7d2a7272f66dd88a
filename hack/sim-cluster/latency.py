# Enforcement and revocation latency: a prober thread inside the client pod's namespace starts a TCP
# connection to the server every 10 ms (non-blocking; an attempt fails when no answer came within
# 150 ms, i.e. its SYN was dropped). The main thread, in the host namespace, runs
# `kubectl apply -f allow.yaml` and measures the time from just before kubectl starts to the start of
# the first attempt that connects; then `kubectl delete` to the start of the first attempt that fails.
# Revocation of an open connection: while the policy allows, a connection is opened and kept busy (a
# line every 10 ms, echoed by the server); from `kubectl delete` to the first line not echoed within
# 100 ms (the agent deletes its conntrack entry, and its next packet meets the policy).
# usage: latency.py <kubectl> <client netns> <server ip> <port> <allow manifest> <changes>
import ctypes, os, selectors, socket, subprocess, sys, threading, time
kubectl, netns, ip, port, manifest, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
PERIOD, TIMEOUT = 0.010, 0.150
results = []          # (start, ok) in start order, appended once resolved
lock = threading.Lock()
stop = False

def prober():
    enter_netns()
    sel = selectors.DefaultSelector()
    pending = {}
    nxt = time.monotonic()
    while not stop:
        now = time.monotonic()
        if now >= nxt:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex((ip, port))
            pending[s] = now
            sel.register(s, selectors.EVENT_WRITE)
            nxt += PERIOD
        for key, _ in sel.select(timeout=max(0, min(nxt - time.monotonic(), 0.005))):
            s = key.fileobj
            ok = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
            with lock:
                results.append((pending.pop(s), ok))
            sel.unregister(s); s.close()
        now = time.monotonic()
        for s, t in list(pending.items()):
            if now - t > TIMEOUT:
                with lock:
                    results.append((pending.pop(s), False))
                sel.unregister(s); s.close()

def enter_netns():
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/var/run/netns/" + netns, os.O_RDONLY)
    assert libc.setns(fd, 0x40000000) == 0
    os.close(fd)

class Held(threading.Thread):
    """An open connection kept busy; `stopped` is when the first unanswered line was sent."""
    def __init__(self):
        super().__init__(daemon=True)
        self.opened, self.stopped, self.quit = threading.Event(), None, False
    def run(self):
        enter_netns()
        try:
            c = socket.create_connection((ip, port), timeout=1)
            c.recv(200)
        except OSError:
            self.opened.set(); return
        c.settimeout(0.1)
        self.opened.set()
        while not self.quit:
            t = time.monotonic()
            try:
                c.sendall(b"x\n")
                if not c.recv(100):
                    raise OSError("closed")
            except OSError:
                self.stopped = t
                break
            time.sleep(0.01)
        c.close()

def first(after, want):
    """Start time of the first attempt started after `after` whose outcome is `want`, waiting up to 20 s."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with lock:
            hits = [t for t, ok in results if t > after and ok == want]
        if hits:
            return min(hits)
        time.sleep(0.005)
    return None

def kubectl_run(*args):
    t0 = time.monotonic()
    subprocess.run([kubectl, *args], check=True, capture_output=True)
    return t0, time.monotonic()

threading.Thread(target=prober, daemon=True).start()
time.sleep(1)
enforce, enforce_ret, revoke, revoke_ret, missed = [], [], [], [], 0
cut, cut_ret, cut_missed = [], [], 0
for i in range(n):
    t0, t1 = kubectl_run("apply", "-f", manifest)
    t = first(t0, True)
    if t is None: missed += 1
    else: enforce.append(t - t0); enforce_ret.append(max(0.0, t - t1))
    time.sleep(0.2)
    held = Held(); held.start(); held.opened.wait(3); time.sleep(0.05)
    t0, t1 = kubectl_run("delete", "-f", manifest, "--wait=false")
    t = first(t0, False)
    if t is None: missed += 1
    else: revoke.append(t - t0); revoke_ret.append(max(0.0, t - t1))
    deadline = time.monotonic() + 5
    while held.stopped is None and held.is_alive() and time.monotonic() < deadline:
        time.sleep(0.005)
    held.quit = True
    if held.stopped is None: cut_missed += 1
    else: cut.append(held.stopped - t0); cut_ret.append(max(0.0, held.stopped - t1))
    time.sleep(0.2)
    with lock:
        cutoff = time.monotonic() - 5
        results[:] = [r for r in results if r[0] > cutoff]
stop = True

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] * 1000 if xs else float("nan")

print("%-44s %6s %8s %8s %8s" % ("latency over %d changes (ms)" % n, "n", "p50", "p99", "max"))
for name, xs in [("enforce: kubectl apply started -> first connect", enforce),
                 ("enforce: kubectl apply returned -> first connect", enforce_ret),
                 ("revoke: kubectl delete started -> first refused", revoke),
                 ("revoke: kubectl delete returned -> first refused", revoke_ret),
                 ("revoke open: kubectl delete started -> cut", cut),
                 ("revoke open: kubectl delete returned -> cut", cut_ret)]:
    print("%-44s %6d %8.0f %8.0f %8.0f" % (name, len(xs), pct(xs, 50), pct(xs, 99), pct(xs, 100)))
print("probe period 10 ms (resolution), attempts without an answer in 150 ms count as refused; missed changes: %d" % missed)
print("open connection: a line every 10 ms, cut = first line without an echo in 100 ms; open connections not cut within 5 s: %d" % cut_missed)
sys.exit(1 if missed or cut_missed else 0)
