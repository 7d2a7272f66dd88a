# Runs inside the client pod (kubectl exec -i ... python3 -u - HOST PORT OLD INTERVAL TIMEOUT MAX):
# opens a new TCP connection to HOST:PORT every INTERVAL seconds, each on its own non-blocking
# socket, and classifies each attempt, in the order they were sent, as "allow" (handshake done) or
# "deny" (refused, or no answer within TIMEOUT: a dropped SYN). Prints "ready" once the first 3
# attempts all gave OLD (the verdict before the change), then waits for the verdict to flip: the first
# attempt giving the other verdict that is followed by 4 more with it. Prints
#   flip SENT LAST_OLD GLITCHES
# SENT: wall-clock time (time.time(), the node's clock, the same as the host's) at which that attempt
# was sent; LAST_OLD: when the last attempt still giving OLD before it was sent; GLITCHES: attempts
# after ready that broke the expected order. "noflip" if nothing flipped within MAX seconds.
import errno, select, socket, sys, time

host, port, old = sys.argv[1], int(sys.argv[2]), sys.argv[3]
interval, timeout, limit = float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
new = "deny" if old == "allow" else "allow"
attempts = []          # [sent, verdict or None]
pending = {}           # fd -> (socket, index)
poll = select.poll()
ready_at = None
start = time.time()
next_send = start
RUN = 5


def send():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    sent = time.time()
    rc = s.connect_ex((host, port))
    attempts.append([sent, None])
    i = len(attempts) - 1
    if rc == 0:
        attempts[i][1] = "allow"; s.close()
    elif rc in (errno.EINPROGRESS, errno.EAGAIN):
        pending[s.fileno()] = (s, i); poll.register(s.fileno(), select.POLLOUT)
    else:
        attempts[i][1] = "deny"; s.close()


def resolve(fd, verdict):
    s, i = pending.pop(fd)
    poll.unregister(fd)
    attempts[i][1] = verdict
    s.close()


while True:
    now = time.time()
    if now >= next_send:
        send()
        next_send += interval
        if next_send < now:
            next_send = now + interval
    wait = max(0.0, min(next_send - time.time(), 0.005))
    for fd, ev in poll.poll(wait * 1000):
        s, i = pending[fd]
        err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        resolve(fd, "allow" if err == 0 else "deny")
    now = time.time()
    for fd, (s, i) in list(pending.items()):
        if now - attempts[i][0] > timeout:
            resolve(fd, "deny")
    if ready_at is None:
        first = [a[1] for a in attempts[:3]]
        if len(first) == 3 and None not in first:
            if first == [old] * 3:
                ready_at = len(attempts)
                print("ready", flush=True)
            else:   # not yet in the old state (a previous change still settling): start over
                for fd, (s, i) in list(pending.items()):
                    poll.unregister(fd); s.close()
                pending.clear()
                attempts.clear()
        elif now - start > limit:
            print("noready", flush=True); sys.exit(1)
        continue
    # after ready: the first run of RUN resolved attempts with the new verdict
    done = False
    for j in range(ready_at, len(attempts) - RUN + 1):
        window = [a[1] for a in attempts[j:j + RUN]]
        if None in window:
            break
        if window == [new] * RUN:
            last_old = max((a[0] for a in attempts[ready_at:j] if a[1] == old), default=attempts[ready_at - 1][0])
            glitches = sum(1 for a in attempts[ready_at:j] if a[1] == new) + \
                sum(1 for a in attempts[j:] if a[1] == old)
            print("flip %.6f %.6f %d" % (attempts[j][0], last_old, glitches), flush=True)
            done = True
            break
    if done:
        sys.exit(0)
    if now - start > limit:
        print("noflip", flush=True); sys.exit(1)
