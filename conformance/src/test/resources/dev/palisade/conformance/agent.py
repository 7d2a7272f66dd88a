#!/usr/bin/python3
"""Palisade conformance agent: runs inside a pod's network namespace (stdlib only).

  agent.py serve NAME --tcp 80,81 --udp 80,81 [--echo 7000]
      Answers every TCP connection and UDP datagram on the given ports with "NAME\\n"; on the echo
      ports, keeps TCP connections open and echoes every line (for established-connection tests).
      Prints READY once every socket is bound.

  agent.py probe < spec.json
      spec: {"tcpTimeoutMs": 400, "udpTimeoutMs": 600, "replyTimeoutMs": 1500, "sportBase": 40000,
             "targets": [{"ip": "10.1.2.3", "port": 80, "proto": "TCP"}, ...]}
      Probes every target at once and prints one JSON line: {"results": ["ok:NAME" | "timeout" |
      "refused" | "unreachable" | "no-reply" | "skipped:..." | "error:..." , ...]} in target order.

  agent.py hold IP PORT
      Opens one TCP connection to an echo port, prints CONNECTED (or FAILED), then for every stdin
      line sends it and prints PONG or TIMEOUT (1 s), so a test can use a connection opened before a
      policy change after it.
"""
import errno
import json
import selectors
import socket
import sys
import time


def _ports(text):
    return [int(p) for p in text.split(",") if p]


def _listener(kind, port):
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    if kind == socket.SOCK_STREAM:
        s.listen(256)
    s.setblocking(False)
    return s


def serve(args):
    name = args[0]
    opts = dict(zip(args[1::2], args[2::2]))
    reply = (name + "\n").encode()
    sel = selectors.DefaultSelector()
    for port in _ports(opts.get("--tcp", "")):
        sel.register(_listener(socket.SOCK_STREAM, port), selectors.EVENT_READ, "tcp")
    for port in _ports(opts.get("--udp", "")):
        sel.register(_listener(socket.SOCK_DGRAM, port), selectors.EVENT_READ, "udp")
    for port in _ports(opts.get("--echo", "")):
        sel.register(_listener(socket.SOCK_STREAM, port), selectors.EVENT_READ, "echo-listen")
    print("READY", flush=True)
    while True:
        for key, _ in sel.select():
            s, kind = key.fileobj, key.data
            try:
                if kind == "tcp":
                    conn, _ = s.accept()
                    try:
                        conn.settimeout(1.0)
                        conn.sendall(reply)
                    except OSError:
                        pass
                    finally:
                        conn.close()
                elif kind == "udp":
                    data, addr = s.recvfrom(2048)
                    s.sendto(reply, addr)
                elif kind == "echo-listen":
                    conn, _ = s.accept()
                    conn.setblocking(False)
                    sel.register(conn, selectors.EVENT_READ, "echo")
                else:
                    data = s.recv(4096)
                    if data:
                        s.sendall(data)
                    else:
                        sel.unregister(s)
                        s.close()
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                if kind == "echo":
                    sel.unregister(s)
                    s.close()


def _errname(code):
    if code == errno.ECONNREFUSED:
        return "refused"
    if code in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return "unreachable"
    if code in (errno.EPERM, errno.EACCES):
        return "prohibited"
    return "error:" + errno.errorcode.get(code, str(code))


def probe(_args):
    spec = json.load(sys.stdin)
    tcp_timeout = spec.get("tcpTimeoutMs", 400) / 1000.0
    udp_timeout = spec.get("udpTimeoutMs", 600) / 1000.0
    reply_timeout = spec.get("replyTimeoutMs", 1500) / 1000.0
    sport = spec.get("sportBase", 0)
    targets = spec["targets"]
    results = [None] * len(targets)
    pending = {}  # socket -> [index, phase, deadline, buffer]
    sel = selectors.DefaultSelector()
    start = time.monotonic()
    for i, t in enumerate(targets):
        proto = t["proto"].upper()
        if proto not in ("TCP", "UDP"):
            results[i] = "skipped:" + proto + " not probed (no kernel support)"
            continue
        family = socket.AF_INET6 if ":" in t["ip"] else socket.AF_INET
        kind = socket.SOCK_STREAM if proto == "TCP" else socket.SOCK_DGRAM
        s = socket.socket(family, kind)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if sport:
            try:
                s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", sport + i))
            except OSError:
                pass  # fall back to an ephemeral port
        s.setblocking(False)
        try:
            if kind == socket.SOCK_STREAM:
                code = s.connect_ex((t["ip"], t["port"]))
                if code not in (0, errno.EINPROGRESS):
                    results[i] = _errname(code)
                    s.close()
                    continue
                # each deadline starts when its packet leaves: a probe stalled while opening
                # sockets (a loaded machine) must not expire packets it has not sent yet
                pending[s] = [i, "connect", time.monotonic() + tcp_timeout, b""]
                sel.register(s, selectors.EVENT_WRITE)
            else:
                s.connect((t["ip"], t["port"]))
                s.send(b"probe\n")
                pending[s] = [i, "reply", time.monotonic() + udp_timeout, b""]
                sel.register(s, selectors.EVENT_READ)
        except OSError as e:
            results[i] = _errname(e.errno)
            s.close()

    def finish(s, result):
        results[pending[s][0]] = result
        del pending[s]
        sel.unregister(s)
        s.close()

    def handle(events):
        for key, _ in events:
            s = key.fileobj
            st = pending.get(s)
            if st is None:
                continue
            if st[1] == "connect":
                code = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if code != 0:
                    finish(s, _errname(code))
                    continue
                st[1] = "reply"
                st[2] = time.monotonic() + reply_timeout
                sel.modify(s, selectors.EVENT_READ)
                continue
            try:
                data = s.recv(2048)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as e:
                finish(s, _errname(e.errno))
                continue
            st[3] += data
            if not data or b"\n" in st[3] or s.type == socket.SOCK_DGRAM:
                name = st[3].split(b"\n")[0].decode(errors="replace").strip()
                finish(s, "ok:" + name if name else "no-reply")

    while pending:
        wait = max(0.0, min(st[2] for st in pending.values()) - time.monotonic())
        handle(sel.select(timeout=wait))
        if any(st[2] <= time.monotonic() for st in pending.values()):
            # a probe descheduled past its deadline (a loaded machine) must not call a finished
            # handshake or a waiting reply a timeout: harvest what is ready, then expire the rest
            handle(sel.select(timeout=0))
            now = time.monotonic()
            for s, st in list(pending.items()):
                if st[2] <= now:
                    finish(s, "timeout" if st[1] == "connect" else "no-reply")
    print(json.dumps({"results": results, "ms": int((time.monotonic() - start) * 1000)}), flush=True)


def hold(args):
    ip, port = args[0], int(args[1])
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(1.0)
    try:
        s.connect((ip, port))
    except OSError as e:
        print("FAILED " + str(e), flush=True)
        return
    print("CONNECTED", flush=True)
    for line in sys.stdin:
        msg = line.strip().encode() + b"\n"
        try:
            s.sendall(msg)
            got = b""
            while not got.endswith(b"\n"):
                chunk = s.recv(4096)
                if not chunk:
                    raise OSError("closed")
                got += chunk
            print("PONG" if got == msg else "MISMATCH", flush=True)
        except socket.timeout:
            print("TIMEOUT", flush=True)
        except OSError as e:
            print("BROKEN " + str(e), flush=True)


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "serve":
        serve(sys.argv[2:])
    elif mode == "probe":
        probe(sys.argv[2:])
    elif mode == "hold":
        hold(sys.argv[2:])
    else:
        sys.exit(__doc__)
