# One long-lived TCP connection from a pod's namespace: after the server's greeting, a line every
# 20 ms that the server echoes. Prints "open" once connected, then on exit (stop file, or the
# connection dead: no echo within 200 ms, or reset) "<last echo epoch> <first failure epoch or 0>".
# usage: conn.py <netns> <ip> <port> <stop file>
import ctypes, os, socket, sys, time
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open("/var/run/netns/" + sys.argv[1], os.O_RDONLY); libc.setns(fd, 0x40000000); os.close(fd)
c = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=2)
c.recv(200)
print("open", flush=True)
c.settimeout(0.2)
last, failed = time.time(), 0.0
while not os.path.exists(sys.argv[4]):
    try:
        c.sendall(b"x\n")
        if not c.recv(100):
            raise OSError("closed")
        last = time.time()
    except OSError:
        failed = time.time()
        break
    time.sleep(0.02)
print("%.3f %.3f" % (last, failed), flush=True)
