package dev.palisade.dataplane.kernel;

import dev.palisade.model.IpAddress;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One node and its pods, made of network namespaces: a node namespace that routes, and one
 * namespace per pod joined to it by a veth pair, ptp style as Calico wires pods: the pod has a /32
 * on {@code eth0} and a default route out of it, the node has a host route to the pod over its end
 * of the pair and answers the pod's ARP requests by proxy. So every packet between two pods crosses
 * the node's {@code forward} hook, where Palisade's table filters it.
 *
 * <p>Each pod runs a TCP server ({@link #serve}) that accepts and closes connections: a connect that
 * completes proves the SYN got through. {@link #close()} stops the servers and deletes every
 * namespace, also after a failed {@link #create}.
 */
public final class PodTopology implements AutoCloseable {

    /** A pod: its name, namespace and IPv4 address. */
    public record Pod(String name, TestNetns netns, IpAddress ip) {
    }

    /** Accepts and closes at once, on every port given; prints "ready" once listening. */
    private static final String SERVER = """
            import selectors, socket, sys
            sel = selectors.DefaultSelector()
            for port in sys.argv[1:]:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("0.0.0.0", int(port)))
                s.listen(4096)
                s.setblocking(False)
                sel.register(s, selectors.EVENT_READ)
            print("ready", flush=True)
            while True:
                for key, _ in sel.select():
                    try:
                        conn, _ = key.fileobj.accept()
                        conn.close()
                    except OSError:
                        pass
            """;

    private final TestNetns node;
    private final Map<String, Pod> pods = new LinkedHashMap<>();
    private final List<Process> servers = new ArrayList<>();

    private PodTopology(TestNetns node) {
        this.node = node;
    }

    /** A node with pods named {@code names}, at 10.244.0.2, .3, ... in that order. */
    public static PodTopology create(String... names) {
        PodTopology t = new PodTopology(TestNetns.create());
        try {
            t.build(names);
            return t;
        } catch (RuntimeException | Error e) {
            t.close();
            throw e;
        }
    }

    private void build(String[] names) {
        String n = node.name();
        ip(n, "link", "set", "lo", "up");
        node.execInside("sysctl", "-qw", "net.ipv4.ip_forward=1");
        for (int i = 0; i < names.length; i++) {
            TestNetns netns = TestNetns.create();
            IpAddress address = IpAddress.parse("10.244.0." + (i + 2));
            Pod pod = new Pod(names[i], netns, address);
            pods.put(names[i], pod);
            String veth = "vp" + i;
            ip(n, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns.name());
            ip(netns.name(), "link", "set", "lo", "up");
            ip(netns.name(), "addr", "add", address + "/32", "dev", "eth0");
            ip(netns.name(), "link", "set", "eth0", "up");
            ip(netns.name(), "route", "add", "default", "dev", "eth0");
            // many short connections: a wide port range, and no port is reused while conntrack still
            // remembers its last connection
            netns.execInside("sysctl", "-qw", "net.ipv4.ip_local_port_range=10000 65000");
            ip(n, "link", "set", veth, "up");
            node.execInside("sysctl", "-qw", "net.ipv4.conf." + veth + ".proxy_arp=1");
            // proxy ARP answers after a random delay of up to 0.8 s by default; Calico sets 0 too
            node.execInside("sysctl", "-qw", "net.ipv4.neigh." + veth + ".proxy_delay=0");
            ip(n, "route", "add", address + "/32", "dev", veth);
        }
    }

    public TestNetns node() {
        return node;
    }

    public Pod pod(String name) {
        Pod p = pods.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no pod " + name + " (have " + pods.keySet() + ")");
        }
        return p;
    }

    /** Starts a server in pod {@code name} on {@code ports} and waits until it listens. */
    public void serve(String name, int... ports) {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", pod(name).netns().name(), python(), "-c", SERVER));
        for (int p : ports) {
            argv.add(Integer.toString(p));
        }
        try {
            Process p = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            servers.add(p);
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (IOException e) {
                    return null;
                }
            }).get(20, TimeUnit.SECONDS);
            if (!"ready".equals(line)) {
                throw new IllegalStateException("server in pod " + name + " did not start (exit "
                        + (p.isAlive() ? "none" : p.exitValue()) + ")");
            }
        } catch (Exception e) {
            if (e instanceof IllegalStateException ise) {
                throw ise;
            }
            throw new IllegalStateException("cannot start a server in pod " + name, e);
        }
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (Process p : servers) {
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Pod p : pods.values()) {
            try {
                p.netns().close();
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        try {
            node.close();
        } catch (RuntimeException e) {
            first = first == null ? e : first;
        }
        if (first != null) {
            throw first;
        }
    }

    private static void ip(String netns, String... args) {
        String[] argv = new String[args.length + 3];
        argv[0] = "ip";
        argv[1] = "-n";
        argv[2] = netns;
        System.arraycopy(args, 0, argv, 3, args.length);
        TestNetns.execOnHost(argv);
    }

    private static String python() {
        return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    }
}
