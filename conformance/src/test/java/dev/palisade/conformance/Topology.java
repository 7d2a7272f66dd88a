package dev.palisade.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.palisade.conformance.ClusterSpec.ExternalSpec;
import dev.palisade.conformance.ClusterSpec.NodeSpec;
import dev.palisade.conformance.ClusterSpec.PodSpec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link ClusterSpec} built from network namespaces: a "fabric" namespace holding a bridge, one
 * namespace per node (forwarding on, joined to the bridge by a veth, routes to every other node's pod
 * CIDRs), and one namespace per pod or external host, attached to its node by a veth pair, ptp style
 * (the pod has a /32 and a /128 and a default route via an on-link gateway; the node has a host
 * route to the pod). Every namespace runs the agent's server on {@link #SERVED_PORTS}.
 *
 * <p>All names start with a random prefix ({@code pzXXXX-}) so concurrent runs never collide;
 * {@link #close()} (and a shutdown hook, should the JVM exit early) kills every process the topology
 * started and deletes every namespace it created.
 */
public final class Topology implements AutoCloseable {

    /** TCP and UDP ports every server listens on, whether or not its pod declares them. */
    public static final List<Integer> SERVED_PORTS =
            List.of(53, 80, 81, 443, 3306, 5432, 6379, 8080, 8081, 31999, 32000, 32768, 32769);
    /** A TCP port that echoes lines on a long-lived connection (established-connection tests). */
    public static final int ECHO_PORT = 7000;

    /**
     * A table of the harness's own in every node namespace, standing in for the other tenants of a
     * real node's ruleset (kube-proxy, the CNI): it turns connection tracking on from the start, as
     * on a real node, and lets each scenario check that loading Palisade's script leaves other
     * tables alone.
     */
    public static final String HARNESS_TABLE = "inet pzharness";
    static final String HARNESS_TABLE_SCRIPT = "table inet pzharness {\n"
            + "  chain prerouting {\n"
            + "    type filter hook prerouting priority raw; policy accept;\n"
            + "    ct state invalid counter\n"
            + "  }\n"
            + "}\n";

    static final String PYTHON = "/usr/bin/python3";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SPORT_FIRST = 40000;
    private static final int SPORT_LAST = 59999;

    /** Probe timeouts: a TCP connect, a UDP reply, and the server's name once connected. */
    static final int TCP_TIMEOUT_MS = 400;
    static final int UDP_TIMEOUT_MS = 600;
    static final int REPLY_TIMEOUT_MS = 1500;

    /** A probe-able address: a pod, a node's own namespace, or an external host. */
    public record Endpoint(String key, String netns, String node, String ip4, String ip6, String serverName) {
        public String ip(Family family) {
            return family == Family.V4 ? ip4 : ip6;
        }
    }

    /** One thing to probe from a source endpoint. */
    public record Target(String key, String ip, int port, Proto proto) {
    }

    private final ClusterSpec spec;
    private final String prefix;
    private final Path workDir;
    private final Path agent;
    private final Map<String, Endpoint> endpoints = new LinkedHashMap<>();
    private final List<String> createdNamespaces = Collections.synchronizedList(new ArrayList<>());
    private final List<Process> processes = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, AtomicInteger> sourcePorts = new LinkedHashMap<>();
    private final Thread shutdownHook;
    private volatile boolean closed;

    private Topology(ClusterSpec spec, Path workDir) {
        this.spec = spec;
        this.workDir = workDir;
        this.prefix = uniquePrefix();
        this.agent = workDir.resolve("agent.py");
        this.shutdownHook = new Thread(this::cleanup, "topology-cleanup-" + prefix);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Builds the topology and waits until every endpoint reaches every other one (no policy loaded). */
    public static Topology create(ClusterSpec spec, Path workDir) {
        Topology t = new Topology(spec, workDir);
        try {
            t.build();
            return t;
        } catch (RuntimeException | Error e) {
            t.close();
            throw e;
        }
    }

    public ClusterSpec spec() {
        return spec;
    }

    public String prefix() {
        return prefix;
    }

    public String nodeNetns(String node) {
        return prefix + "-" + node;
    }

    public Map<String, Endpoint> endpoints() {
        return Collections.unmodifiableMap(endpoints);
    }

    public Endpoint endpoint(String key) {
        Endpoint e = endpoints.get(key);
        if (e == null) {
            // a host-network pod's traffic is its node's traffic
            e = spec.pod(key).filter(PodSpec::hostNetwork).map(p -> endpoints.get("node:" + p.node())).orElse(null);
        }
        if (e == null) {
            throw new IllegalArgumentException("no endpoint " + key + " (known: " + endpoints.keySet() + ")");
        }
        return e;
    }

    private void build() {
        try {
            Files.createDirectories(workDir.resolve("servers"));
            try (InputStream in = Objects.requireNonNull(Topology.class.getResourceAsStream("agent.py"), "agent.py")) {
                Files.write(agent, in.readAllBytes());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String fabric = prefix + "-fab";
        // namespaces first: veths are created straight into them, never in the caller's namespace
        createNamespace(fabric);
        for (NodeSpec n : spec.nodes()) {
            createNamespace(nodeNetns(n.name()));
            endpoints.put(n.key(), new Endpoint(n.key(), nodeNetns(n.name()), n.name(), n.ip4(), n.ip6(), "node-" + n.name()));
        }
        int index = 0;
        for (PodSpec p : spec.pods()) {
            if (!p.hostNetwork()) {
                String ns = prefix + "-p" + (++index);
                createNamespace(ns);
                endpoints.put(p.key(), new Endpoint(p.key(), ns, p.node(), p.ip4(), p.ip6(), p.key()));
            }
        }
        index = 0;
        for (ExternalSpec x : spec.externals()) {
            String ns = prefix + "-e" + (++index);
            createNamespace(ns);
            endpoints.put(x.key(), new Endpoint(x.key(), ns, x.node(), x.ip4(), x.ip6(), x.key()));
        }

        Netns.sysctl(fabric, "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0");
        Netns.ipBatch(fabric, List.of("link set lo up", "link add br0 type bridge stp_state 0", "link set br0 up"));
        List<String> fabricPorts = new ArrayList<>();
        for (NodeSpec n : spec.nodes()) {
            String ns = nodeNetns(n.name());
            Netns.sysctl(ns, "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1",
                    "net.ipv6.conf.default.forwarding=1", "net.ipv6.conf.all.accept_dad=0",
                    "net.ipv6.conf.default.accept_dad=0", "net.ipv4.conf.all.rp_filter=0",
                    "net.ipv4.conf.default.rp_filter=0");
            List<String> cmds = new ArrayList<>(List.of(
                    "link set lo up",
                    "link add eth0 type veth peer name " + n.name() + " netns " + fabric,
                    "addr add " + n.ip4() + "/24 dev eth0",
                    "addr add " + n.ip6() + "/64 dev eth0 nodad",
                    "link set eth0 up"));
            for (Endpoint e : endpoints.values()) {
                if (e.node().equals(n.name()) && !e.key().startsWith("node:")) {
                    String veth = vethName(e);
                    cmds.add("link add " + veth + " type veth peer name eth0 netns " + e.netns());
                    cmds.add("addr add 169.254.1.1/32 dev " + veth);
                    cmds.add("addr add fe80::1/64 dev " + veth + " nodad");
                    cmds.add("link set " + veth + " up");
                    cmds.add("route add " + e.ip4() + "/32 dev " + veth + " src " + n.ip4());
                    cmds.add("route add " + e.ip6() + "/128 dev " + veth + " src " + n.ip6());
                }
            }
            Netns.ipBatch(ns, cmds);
            fabricPorts.add("link set " + n.name() + " master br0");
            fabricPorts.add("link set " + n.name() + " up");
        }
        Netns.ipBatch(fabric, fabricPorts);
        for (Endpoint e : endpoints.values()) {
            if (!e.key().startsWith("node:")) {
                Netns.sysctl(e.netns(), "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
                        "net.ipv6.conf.eth0.accept_dad=0");
                Netns.ipBatch(e.netns(), List.of(
                        "link set lo up",
                        "addr add " + e.ip4() + "/32 dev eth0",
                        "addr add " + e.ip6() + "/128 dev eth0 nodad",
                        "link set eth0 up",
                        "route add default via 169.254.1.1 dev eth0 onlink",
                        "route add ::/0 via fe80::1 dev eth0"));
            }
        }
        for (NodeSpec n : spec.nodes()) {
            Netns.nft(nodeNetns(n.name()), HARNESS_TABLE_SCRIPT, false).orThrow();
        }
        // every node routes every other node's pod CIDRs and external hosts via that node
        for (NodeSpec n : spec.nodes()) {
            List<String> routes = new ArrayList<>();
            for (NodeSpec m : spec.nodes()) {
                if (m != n) {
                    routes.add("route add " + m.podCidr4() + " via " + m.ip4());
                    routes.add("route add " + m.podCidr6() + " via " + m.ip6());
                }
            }
            for (ExternalSpec x : spec.externals()) {
                if (!x.node().equals(n.name())) {
                    NodeSpec m = spec.node(x.node());
                    routes.add("route add " + x.ip4() + "/32 via " + m.ip4());
                    routes.add("route add " + x.ip6() + "/128 via " + m.ip6());
                }
            }
            Netns.ipBatch(nodeNetns(n.name()), routes);
        }
        for (Endpoint e : endpoints.values()) {
            startServer(e);
        }
        for (Endpoint e : endpoints.values()) {
            awaitReady(e);
        }
        awaitConnectivity();
    }

    private static String vethName(Endpoint e) {
        // unique on its node, well under IFNAMSIZ: "vp12" for the 12th pod namespace, "ve3" for externals
        String suffix = e.netns().substring(e.netns().lastIndexOf('-') + 1);
        return "v" + suffix;
    }

    private void createNamespace(String ns) {
        Netns.add(ns);
        createdNamespaces.add(ns);
    }

    private void startServer(Endpoint e) {
        List<String> cmd = Netns.inside(e.netns(), PYTHON, "-S", agent.toString(), "serve", e.serverName(),
                "--tcp", joined(SERVED_PORTS), "--udp", joined(SERVED_PORTS), "--echo", Integer.toString(ECHO_PORT));
        Path log = serverLog(e);
        try {
            Files.deleteIfExists(log);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
            processes.add(p);
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot start server in " + e.netns(), ex);
        }
    }

    private Path serverLog(Endpoint e) {
        return workDir.resolve("servers").resolve(e.key().replaceAll("[^A-Za-z0-9.-]", "_") + ".log");
    }

    private void awaitReady(Endpoint e) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        Path log = serverLog(e);
        while (System.nanoTime() < deadline) {
            try {
                if (Files.exists(log) && Files.readString(log).contains("READY")) {
                    return;
                }
                Thread.sleep(20);
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(ex);
            }
        }
        String out;
        try {
            out = Files.exists(log) ? Files.readString(log) : "(no output)";
        } catch (IOException ex) {
            out = ex.toString();
        }
        throw new IllegalStateException("server for " + e.key() + " in " + e.netns() + " not ready:\n" + out);
    }

    /**
     * Veths and IPv6 need a moment after link-up (the first neighbour solicitation can be lost), so
     * wait until every endpoint reaches every other one on TCP/80 over both families, for up to 15 s.
     * This doubles as the baseline: with no policy loaded, everything must be reachable.
     */
    private void awaitConnectivity() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        Map<String, List<String>> failures = Map.of();
        while (System.nanoTime() < deadline) {
            Map<String, List<Target>> plan = new LinkedHashMap<>();
            for (Endpoint from : endpoints.values()) {
                List<Target> targets = new ArrayList<>();
                for (Endpoint to : endpoints.values()) {
                    if (to != from) {
                        targets.add(new Target(to.key(), to.ip4(), 80, Proto.TCP));
                        targets.add(new Target(to.key(), to.ip6(), 80, Proto.TCP));
                    }
                }
                plan.put(from.key(), targets);
            }
            Map<String, List<String>> results = probe(plan);
            failures = new LinkedHashMap<>();
            for (Map.Entry<String, List<Target>> e : plan.entrySet()) {
                List<String> bad = new ArrayList<>();
                for (int i = 0; i < e.getValue().size(); i++) {
                    Target t = e.getValue().get(i);
                    String r = results.get(e.getKey()).get(i);
                    if (!r.equals("ok:" + endpoints.get(t.key()).serverName())) {
                        bad.add(t.key() + "@" + t.ip() + " -> " + r);
                    }
                }
                if (!bad.isEmpty()) {
                    failures.put(e.getKey(), bad);
                }
            }
            if (failures.isEmpty()) {
                return;
            }
        }
        throw new IllegalStateException("topology " + prefix + " never became fully connected:\n" + failures);
    }

    /** Probes, concurrently, every source's targets (one agent process per source); results in target order. */
    public Map<String, List<String>> probe(Map<String, List<Target>> plan) {
        return probe(plan, 1);
    }

    /** As {@link #probe(Map)}, with every timeout multiplied by {@code patience} (for a second look). */
    public Map<String, List<String>> probe(Map<String, List<Target>> plan, int patience) {
        record Running(String source, Process process, CompletableFuture<String> out, CompletableFuture<String> err) {
        }
        List<Running> running = new ArrayList<>();
        try {
            for (Map.Entry<String, List<Target>> e : plan.entrySet()) {
                Endpoint from = endpoint(e.getKey());
                ObjectNode request = JSON.createObjectNode();
                request.put("tcpTimeoutMs", TCP_TIMEOUT_MS * patience);
                request.put("udpTimeoutMs", UDP_TIMEOUT_MS * patience);
                request.put("replyTimeoutMs", REPLY_TIMEOUT_MS * patience);
                request.put("sportBase", sourcePorts(from.key(), e.getValue().size()));
                ArrayNode targets = request.putArray("targets");
                for (Target t : e.getValue()) {
                    targets.addObject().put("ip", t.ip()).put("port", t.port()).put("proto", t.proto().name());
                }
                Process p = new ProcessBuilder(Netns.inside(from.netns(), PYTHON, "-S", agent.toString(), "probe")).start();
                processes.add(p);
                running.add(new Running(e.getKey(), p, Netns.drain(p.getInputStream()), Netns.drain(p.getErrorStream())));
                try (OutputStream in = p.getOutputStream()) {
                    in.write(JSON.writeValueAsBytes(request));
                }
            }
            Map<String, List<String>> results = new LinkedHashMap<>();
            for (Running r : running) {
                if (!r.process().waitFor(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("probe from " + r.source() + " did not finish");
                }
                String out = r.out().get(10, TimeUnit.SECONDS);
                if (r.process().exitValue() != 0 || out.isBlank()) {
                    throw new IllegalStateException("probe from " + r.source() + " failed (exit "
                            + r.process().exitValue() + "):\n" + r.err().get(10, TimeUnit.SECONDS) + out);
                }
                JsonNode node = JSON.readTree(out);
                List<String> list = new ArrayList<>();
                node.get("results").forEach(n -> list.add(n.asText()));
                if (list.size() != plan.get(r.source()).size()) {
                    throw new IllegalStateException("probe from " + r.source() + " answered " + list.size() + " of "
                            + plan.get(r.source()).size() + " targets: " + out);
                }
                results.put(r.source(), list);
            }
            return results;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(e);
        } finally {
            for (Running r : running) {
                if (r.process().isAlive()) {
                    r.process().destroyForcibly();
                }
                processes.remove(r.process());
            }
        }
    }

    /**
     * Source ports never repeat within a run (40000-59999, above every served port), so a conntrack
     * entry left by an earlier scenario can never make a new probe look like an established flow.
     */
    private synchronized int sourcePorts(String source, int count) {
        AtomicInteger next = sourcePorts.computeIfAbsent(source, k -> new AtomicInteger(SPORT_FIRST));
        if (next.get() + count > SPORT_LAST) {
            next.set(SPORT_FIRST);
        }
        return next.getAndAdd(count);
    }

    /** Opens a long-lived TCP connection from one endpoint to another's echo port. */
    public Held hold(String from, String to, Family family) {
        Endpoint src = endpoint(from);
        Endpoint dst = endpoint(to);
        try {
            Process p = new ProcessBuilder(Netns.inside(src.netns(), PYTHON, "-S", agent.toString(), "hold",
                    dst.ip(family), Integer.toString(ECHO_PORT))).redirectErrorStream(true).start();
            processes.add(p);
            Held held = new Held(from + " -> " + to + " (" + family.label() + " tcp/" + ECHO_PORT + ")", p);
            String first = held.next(3);
            if (!"CONNECTED".equals(first)) {
                held.close();
                throw new IllegalStateException("cannot open " + held.name + ": " + first);
            }
            return held;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A connection opened by {@link #hold}; {@link #ping()} sends a line and waits 1 s for its echo. */
    public final class Held implements AutoCloseable {
        private final String name;
        private final Process process;
        private final Writer in;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        private Held(String name, Process process) {
            this.name = name;
            this.process = process;
            this.in = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // process gone
                }
                lines.add("EOF");
            }, "held-connection-reader");
            reader.setDaemon(true);
            reader.start();
        }

        public String name() {
            return name;
        }

        /** PONG when the echo came back, TIMEOUT, BROKEN ... or EOF otherwise. */
        public String ping() {
            try {
                in.write("ping\n");
                in.flush();
            } catch (IOException e) {
                return "BROKEN " + e.getMessage();
            }
            return next(5);
        }

        private String next(int seconds) {
            try {
                String line = lines.poll(seconds, TimeUnit.SECONDS);
                return line == null ? "NO ANSWER" : line;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "INTERRUPTED";
            }
        }

        @Override
        public void close() {
            try {
                in.close();
            } catch (IOException e) {
                // already gone
            }
            process.destroy();
            try {
                if (!process.waitFor(2, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            processes.remove(process);
        }
    }

    @Override
    public void close() {
        try {
            cleanup();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down and runs the hook itself
            }
        }
    }

    private synchronized void cleanup() {
        if (closed) {
            return;
        }
        closed = true;
        List<Process> all;
        synchronized (processes) {
            all = new ArrayList<>(processes);
            processes.clear();
        }
        for (Process p : all) {
            p.destroy();
        }
        for (Process p : all) {
            try {
                if (!p.waitFor(2, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        List<String> names;
        synchronized (createdNamespaces) {
            names = new ArrayList<>(createdNamespaces);
            createdNamespaces.clear();
        }
        Collections.reverse(names);
        for (String ns : names) {
            Netns.delete(ns);
        }
    }

    private static String uniquePrefix() {
        List<String> existing = Netns.list();
        for (int attempt = 0; attempt < 100; attempt++) {
            String candidate = "pz" + HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt(1 << 16));
            if (existing.stream().noneMatch(n -> n.startsWith(candidate + "-"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("no free namespace prefix");
    }

    private static String joined(List<Integer> ports) {
        StringBuilder sb = new StringBuilder();
        for (int p : ports) {
            sb.append(sb.length() == 0 ? "" : ",").append(p);
        }
        return sb.toString();
    }
}
