# A pod's (or external host's) servers: TCP and UDP on every port given. Each TCP connection, and
# each UDP datagram, is answered "<name> <client ip>\n".
# Long-lived connections (the revocation test) stay open while the client sends: every line is echoed.
import socket, sys, threading
name = sys.argv[1]
ports = [int(p) for p in sys.argv[2:]]

def handle(c, a):
    try:
        c.sendall((name + " " + a[0] + "\n").encode())
        c.settimeout(600)
        while True:
            data = c.recv(4096)
            if not data:
                break
            c.sendall(data)
    except OSError:
        pass
    finally:
        c.close()

def serve(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(256)
    while True:
        c, a = s.accept()
        threading.Thread(target=handle, args=(c, a), daemon=True).start()

def serve_udp(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    while True:
        _, a = s.recvfrom(2048)
        try:
            s.sendto((name + " " + a[0] + "\n").encode(), a)
        except OSError:
            pass

for p in ports:
    threading.Thread(target=serve_udp, args=(p,), daemon=True).start()
for p in ports[1:]:
    threading.Thread(target=serve, args=(p,), daemon=True).start()
serve(ports[0])
