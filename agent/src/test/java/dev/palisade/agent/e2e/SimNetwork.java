package dev.palisade.agent.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.palisade.agent.cni.RuntimeConfDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Simulated nodes and pods on one host, all network namespaces the test creates (never the host's
 * own interfaces, routes or ruleset): a fabric namespace with a bridge standing in for the nodes'
 * L2 network, one namespace per node (eth0 on the bridge, with its InternalIP), an external host on
 * the same bridge, and pods wired into their node by the real CNI plugins from Debian, run exactly
 * as a container runtime runs them: {@code CNI_COMMAND=ADD/DEL}, {@code CNI_NETNS},
 * {@code CNI_IFNAME}, {@code CNI_PATH}, each plugin of the agent's configuration list in turn on
 * stdin with the previous plugin's result as {@code prevResult}, inside the node's namespace.
 */
final class SimNetwork implements AutoCloseable {

    static final Path CNI_PATH = Path.of("/usr/lib/cni");
    static final String EXTERNAL_IP = "10.0.0.100";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code runDir}: where the agent keeps the configuration list its link in {@code confDir} points at (the node's /run). */
    record Node(String name, String netns, String ip, Path confDir, Path ipamDir, Path runDir) {
    }

    record Pod(String name, Node node, String netns, String ip, JsonNode cniResult) {
    }

    private final String prefix;
    private final Path work;
    private final String fabric;
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final Map<String, Pod> pods = new LinkedHashMap<>();
    private final List<String> namespaces = Collections.synchronizedList(new ArrayList<>());
    private final List<Process> servers = Collections.synchronizedList(new ArrayList<>());
    private final Path serverPy;
    private final Path probePy;
    private int nextVeth;

    SimNetwork(Path work) {
        Sh.requireRoot();
        for (String plugin : List.of("ptp", "host-local", "portmap", "loopback")) {
            if (!Files.isExecutable(CNI_PATH.resolve(plugin))) {
                throw new IllegalStateException(CNI_PATH.resolve(plugin) + " is missing: apt-get install "
                        + "containernetworking-plugins (the agent's E2E tests wire pods with Debian's CNI plugins)");
            }
        }
        byte[] b = new byte[2];
        new SecureRandom().nextBytes(b);
        this.prefix = "pa" + HexFormat.of().formatHex(b);
        this.work = work;
        this.fabric = prefix + "-fab";
        try {
            Files.createDirectories(work);
            serverPy = work.resolve("server.py");
            probePy = work.resolve("probe.py");
            Files.writeString(serverPy, SERVER);
            Files.writeString(probePy, PROBE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(this::close));
        addNetns(fabric);
        Sh.ipBatch(fabric, List.of("link set lo up", "link add br0 type bridge stp_state 0", "link set br0 up"));
        String ext = prefix + "-ext";
        addNetns(ext);
        attach(ext, "xt", EXTERNAL_IP);
        servers.add(startServer(ext, "external", 80));
    }

    String prefix() {
        return prefix;
    }

    private void addNetns(String ns) {
        Sh.run(List.of("ip", "netns", "add", ns)).orThrow();
        namespaces.add(ns);
    }

    /** A veth from {@code ns}'s eth0 to the fabric bridge. */
    private void attach(String ns, String tag, String ip) {
        String peer = prefix + tag;
        Sh.ipBatch(ns, List.of("link set lo up",
                "link add eth0 type veth peer name " + peer + " netns " + fabric,
                "addr add " + ip + "/24 dev eth0", "link set eth0 up"));
        Sh.ipBatch(fabric, List.of("link set " + peer + " master br0", "link set " + peer + " up"));
    }

    /** A node: its namespace, on the fabric with {@code ip}, forwarding on; its CNI directories. */
    Node addNode(String name, String ip) {
        String ns = prefix + "-" + name;
        addNetns(ns);
        attach(ns, name, ip);
        Sh.inNetns(ns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0",
                "net.ipv4.conf.default.rp_filter=0").orThrow();
        Node n = new Node(name, ns, ip, work.resolve(name).resolve("net.d"), work.resolve(name).resolve("ipam"),
                work.resolve(name).resolve("run"));
        nodes.put(name, n);
        return n;
    }

    void removeNode(String name) {
        Node n = nodes.remove(name);
        pods.values().removeIf(p -> p.node().equals(n));
        Sh.run(List.of("ip", "netns", "delete", n.netns()));
        namespaces.remove(n.netns());
    }

    Node node(String name) {
        return nodes.get(name);
    }

    Pod pod(String name) {
        return pods.get(name);
    }

    /**
     * The agent's configuration list on {@code node}, as the runtime would read it (the first file of
     * its configuration directory, through a link: {@link RuntimeConfDir}).
     */
    JsonNode confList(Node node) {
        try {
            return RuntimeConfDir.load(node.confDir());
        } catch (IOException e) {
            throw new IllegalStateException("the runtime has no CNI configuration in " + node.confDir() + ": " + e.getMessage(), e);
        }
    }

    /** Creates a pod namespace and runs CNI ADD for it on its node: loopback, then the configuration list. */
    Pod addPod(String name, Node node) {
        String ns = prefix + "-" + name;
        addNetns(ns);
        JsonNode list = confList(node);
        invoke(node, "ADD", name, ns, "lo", loopbackConf(), null);
        JsonNode prev = null;
        for (JsonNode plugin : list.get("plugins")) {
            prev = invoke(node, "ADD", name, ns, "eth0", pluginConf(list, plugin, prev), null);
        }
        String ip = prev.get("ips").get(0).get("address").asText().split("/")[0];
        Pod p = new Pod(name, node, ns, ip, prev);
        pods.put(name, p);
        servers.add(startServer(ns, name, 80, 5432, 8080));
        return p;
    }

    /** CNI DEL, in reverse order, with the ADD result as prevResult, then the namespace goes. */
    void deletePod(String name) {
        Pod p = pods.remove(name);
        JsonNode list = confList(p.node());
        List<JsonNode> plugins = new ArrayList<>();
        list.get("plugins").forEach(plugins::add);
        Collections.reverse(plugins);
        for (JsonNode plugin : plugins) {
            invoke(p.node(), "DEL", name, p.netns(), "eth0", pluginConf(list, plugin, p.cniResult()), null);
        }
        Sh.run(List.of("ip", "netns", "delete", p.netns()));
        namespaces.remove(p.netns());
    }

    private static ObjectNode loopbackConf() {
        ObjectNode o = JSON.createObjectNode();
        o.put("cniVersion", "1.0.0");
        o.put("name", "cni-loopback");
        o.put("type", "loopback");
        return o;
    }

    private static ObjectNode pluginConf(JsonNode list, JsonNode plugin, JsonNode prev) {
        ObjectNode o = plugin.deepCopy();
        o.put("cniVersion", list.get("cniVersion").asText());
        o.put("name", list.get("name").asText());
        if (prev != null) {
            o.set("prevResult", prev);
        }
        return o;
    }

    private JsonNode invoke(Node node, String command, String container, String podNs, String ifname, ObjectNode conf,
                            Object unused) {
        String type = conf.get("type").asText();
        Map<String, String> env = Map.of("CNI_COMMAND", command, "CNI_CONTAINERID", prefix + "-" + container,
                "CNI_NETNS", "/var/run/netns/" + podNs, "CNI_IFNAME", ifname, "CNI_PATH", CNI_PATH.toString());
        Sh.Result r = Sh.run(List.of("ip", "netns", "exec", node.netns(), CNI_PATH.resolve(type).toString()),
                conf.toString(), env, 30);
        if (!r.ok()) {
            throw new IllegalStateException("CNI " + command + " of " + type + " for " + container + " on " + node.name()
                    + " failed (exit " + r.exit() + "): " + r.out() + r.err());
        }
        try {
            return r.out().isBlank() ? null : JSON.readTree(r.out());
        } catch (IOException e) {
            throw new IllegalStateException("CNI " + type + " printed no JSON: " + r.out(), e);
        }
    }

    private Process startServer(String ns, String name, Integer... ports) {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", ns, "python3", serverPy.toString(), name));
        for (Integer p : ports) {
            argv.add(p.toString());
        }
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectOutput(work.resolve("server-" + name + ".log").toFile()).start();
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A TCP connection from {@code from}'s namespace to {@code ip:port}: the line the server sent
     * ({@code "<name> <client address>"}), or null when the connection failed (dropped: timed out).
     */
    String connect(String fromNetns, String ip, int port) {
        Sh.Result r = Sh.run(List.of("ip", "netns", "exec", fromNetns, "python3", probePy.toString(), ip,
                Integer.toString(port), "0.6"), null, Map.of(), 20);
        return r.ok() ? r.out().strip() : null;
    }

    /** True when {@code from} reaches {@code to}'s server on {@code port} (waits up to 3 s for the server to listen). */
    boolean reaches(Pod from, Pod to, int port) {
        return reply(from.netns(), to.ip(), port, to.name()) != null;
    }

    String reply(String fromNetns, String ip, int port, String expectName) {
        for (int i = 0; i < 3; i++) {
            String line = connect(fromNetns, ip, port);
            if (line != null && line.startsWith(expectName + " ")) {
                return line;
            }
            if (line == null) {
                return null; // dropped
            }
            // refused: the server is not listening yet
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }

    String routes(Node n) {
        return Sh.run(List.of("ip", "-n", n.netns(), "-4", "route", "show", "proto", "157")).orThrow().out();
    }

    String nft(Node n, String... args) {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", n.netns(), "nft"));
        argv.addAll(List.of(args));
        return Sh.run(argv).orThrow().out();
    }

    @Override
    public synchronized void close() {
        for (Process p : servers) {
            p.destroyForcibly();
        }
        servers.clear();
        List<String> all = new ArrayList<>(namespaces);
        Collections.reverse(all);
        for (String ns : all) {
            Sh.run(List.of("ip", "netns", "delete", ns));
        }
        namespaces.clear();
    }

    private static final String SERVER = """
            import socket, sys, threading
            name = sys.argv[1]
            ports = [int(p) for p in sys.argv[2:]]
            def serve(port):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("0.0.0.0", port))
                s.listen(128)
                while True:
                    c, a = s.accept()
                    try:
                        c.sendall((name + " " + a[0] + "\\n").encode())
                    except OSError:
                        pass
                    c.close()
            for p in ports[1:]:
                threading.Thread(target=serve, args=(p,), daemon=True).start()
            serve(ports[0])
            """;

    private static final String PROBE = """
            import socket, sys
            t = float(sys.argv[3])
            try:
                c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=t)
                c.settimeout(t)
                data = c.recv(200).decode().strip()
                print(data)
                sys.exit(0 if data else 2)
            except ConnectionRefusedError:
                print("refused")
                sys.exit(0)
            except Exception as e:
                print(e)
                sys.exit(1)
            """;
}
