package dev.palisade.agent.e2e;

import dev.palisade.agent.cni.CniSettings;
import dev.palisade.agent.cni.ConfList;
import dev.palisade.agent.cni.NodeNetwork;
import dev.palisade.agent.sync.Conntrack;
import dev.palisade.agent.sync.Inputs;
import dev.palisade.agent.sync.RuleSetRevision;
import dev.palisade.agent.sync.SyncLoop;
import dev.palisade.agent.telemetry.AgentMetrics;
import dev.palisade.dataplane.kernel.LibNftables;
import dev.palisade.dataplane.sync.Backoff;
import dev.palisade.model.Cidr;
import dev.palisade.model.IpAddress;
import dev.palisade.model.Protocol;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;
import dev.palisade.ruleset.PeerSet;
import dev.palisade.ruleset.PortRange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Revocation of open connections with real packets: one node namespace, three pods wired by Debian's
 * CNI plugins, the agent's sync loop in this JVM in the node's namespace with the kernel's conntrack
 * over netlink. Long-lived TCP connections to the database pod carry a line every 20 ms, either
 * the client talking (echo) or the server streaming; a rule-set change that denies one must stop it
 * while the connections it still allows flow on. How long after the change the denied ones stopped is
 * printed, not asserted (the machine may be loaded; timings belong in benchmarks). The control: the same change with
 * revocation off (a conntrack port that sees nothing) leaves the denied connection flowing, which is
 * the hole revocation closes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RevocationKernelTest {

    private static final Cidr POD_CIDR = Cidr.parse("10.244.1.0/24");
    private static final int PORT = 7000;
    /** How long a test waits for an outcome: generous, because the machine may be loaded. */
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private static final String SERVER = """
            import socket, sys, threading, time
            def serve(c):
                f = c.makefile("rb")
                mode = f.readline().strip()
                try:
                    if mode == b"stream":
                        while True:
                            c.sendall(b"s\\n")
                            time.sleep(0.02)
                    else:
                        for line in f:
                            c.sendall(line)
                except OSError:
                    pass
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", int(sys.argv[1])))
            s.listen(16)
            while True:
                c, a = s.accept()
                threading.Thread(target=serve, args=(c,), daemon=True).start()
            """;

    /** Prints a line per line received; exits when nothing arrives for 3 s (the test decides what that means). */
    private static final String CLIENT = """
            import socket, sys, time
            for attempt in range(50):
                try:
                    c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
                    break
                except ConnectionRefusedError:
                    time.sleep(0.1)  # the server is not listening yet
            mode = sys.argv[3]
            c.sendall(mode.encode() + b"\\n")
            c.settimeout(3)
            f = c.makefile("rb")
            print("connected", flush=True)
            while True:
                if mode == "echo":
                    c.sendall(b"e\\n")
                line = f.readline()
                if not line:
                    print("closed", flush=True)
                    sys.exit(4)
                print("line", flush=True)
                if mode == "echo":
                    time.sleep(0.02)
            """;

    private SimNetwork net;
    private SimNetwork.Node node;
    private Path work;
    private final List<Process> processes = new ArrayList<>();
    private SyncLoop loop;

    @BeforeAll
    void up() throws Exception {
        work = Files.createTempDirectory("palisade-revocation-kernel");
        net = new SimNetwork(work);
        node = net.addNode("n1", "10.0.0.1");
        Files.createDirectories(node.confDir());
        Files.writeString(node.confDir().resolve(CniSettings.CONF_NAME), ConfList.render(
                CniSettings.Preset.KIND.settings().withIpamDataDir(node.ipamDir()), List.of(POD_CIDR)));
        net.addPod("db", node);
        net.addPod("php", node);
        net.addPod("backend", node);
        Files.writeString(work.resolve("hold-server.py"), SERVER);
        Files.writeString(work.resolve("hold-client.py"), CLIENT);
        processes.add(new ProcessBuilder("ip", "netns", "exec", net.pod("db").netns(), "python3",
                work.resolve("hold-server.py").toString(), Integer.toString(PORT))
                .redirectErrorStream(true).redirectOutput(work.resolve("hold-server.log").toFile()).start());
    }

    @AfterEach
    void stopLoop() {
        if (loop != null) {
            loop.close();
            loop = null;
        }
    }

    @AfterAll
    void down() {
        processes.forEach(Process::destroyForcibly);
        if (net != null) {
            net.close(); // the tables and the conntrack entries die with the namespaces
        }
    }

    /** A held connection: how many lines it received, and when the last one came. */
    private final class Held {
        final Process process;
        final AtomicLong lines = new AtomicLong();
        final AtomicLong lastLine = new AtomicLong(System.nanoTime());
        final List<String> said = java.util.Collections.synchronizedList(new ArrayList<>());

        Held(String from, String mode) {
            try {
                process = new ProcessBuilder("ip", "netns", "exec", net.pod(from).netns(), "python3",
                        work.resolve("hold-client.py").toString(), net.pod("db").ip(), Integer.toString(PORT), mode)
                        .redirectErrorStream(true).start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            processes.add(process);
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        if (!line.equals("line")) {
                            said.add(line);
                        }
                        if (line.equals("line")) {
                            lines.incrementAndGet();
                            lastLine.set(System.nanoTime());
                        }
                    }
                } catch (IOException e) {
                    // the process ended
                }
            }, "held-" + from);
            reader.setDaemon(true);
            reader.start();
        }

        /** Waits (python and ip netns exec start slowly on a loaded machine) until the first line came. */
        Held awaitFirstLine() {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (lines.get() == 0 && process.isAlive() && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            return this;
        }

        /** Lines keep arriving: at least five more within a second. */
        boolean flowing() {
            long before = lines.get();
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return lines.get() >= before + 5;
        }

        /** Nanoseconds from {@code t0} to the last line received (negative: none after t0). */
        long lastLineAfter(long t0) {
            return lastLine.get() - t0;
        }

        @Override
        public String toString() {
            return "lines " + lines.get() + ", alive " + process.isAlive() + ", said " + said;
        }

        void close() {
            process.destroyForcibly();
        }
    }

    /** The node's conntrack entries of the database port, either direction (an independent view: conntrack(8)). */
    private String tracked() {
        return "conntrack:\n" + Sh.inNetns(node.netns(), "conntrack", "-L", "-p", "tcp").orThrow().out();
    }

    private SyncLoop start(Inputs inputs, Conntrack conntrack, AgentMetrics metrics) throws Exception {
        SyncLoop l = new SyncLoop(new SyncLoop.Settings("n1", true, List.of(), Duration.ofHours(1), Duration.ofHours(1),
                Backoff.DEFAULT, Optional.of(node.netns())), LibNftables::open, SyncLoop::kernelGeneration, conntrack,
                Optional.empty(), inputs, metrics, (r, e) -> { });
        l.start();
        l.firstFullApply().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        return l;
    }

    /** The database isolated for ingress and reachable on {@value #PORT} from {@code clients}. */
    private RuleSetRevision dbAllowing(long revision, String... clients) {
        TreeSet<IpAddress> local = new TreeSet<>();
        for (String p : List.of("db", "php", "backend")) {
            local.add(IpAddress.parse(net.pod(p).ip()));
        }
        TreeSet<IpAddress> db = new TreeSet<>(List.of(IpAddress.parse(net.pod("db").ip())));
        TreeSet<IpAddress> peers = new TreeSet<>();
        for (String c : clients) {
            peers.add(IpAddress.parse(net.pod(c).ip()));
        }
        List<Grant> grants = peers.isEmpty() ? List.of() : List.of(new Grant("shop/db", 0, db,
                new PeerSet(false, peers, List.of()), List.of(new PortRange(Protocol.TCP, PORT, PORT))));
        return new RuleSetRevision(revision, "h" + revision, new NodeRuleSet("n1", local,
                new DirectionRules(db, grants), DirectionRules.NONE));
    }

    private Inputs inputs(RuleSetRevision first) {
        Inputs in = new Inputs();
        in.nodes(Map.of("n1", new NodeNetwork("n1", List.of(POD_CIDR), List.of(IpAddress.parse("10.0.0.1")))));
        in.ruleSet(first);
        return in;
    }

    private void awaitApplied(AgentMetrics metrics, long revision) {
        ApiServer.eventually(DEADLINE, () -> metrics.text().contains("palisade_agent_applied_revision "
                + revision + ".0"), metrics::text);
    }

    @Test
    void aDeniedOpenConnectionStopsAndAnAllowedOneFlowsOn() throws Exception {
        AgentMetrics metrics = new AgentMetrics();
        Inputs inputs = inputs(dbAllowing(1, "php", "backend"));
        loop = start(inputs, Conntrack.KERNEL, metrics);
        Held php = new Held("php", "echo");
        Held backend = new Held("backend", "echo");
        Held stream = new Held("php", "stream");
        try {
            php.awaitFirstLine();
            backend.awaitFirstLine();
            stream.awaitFirstLine();
            assertTrue(php.flowing() && backend.flowing() && stream.flowing(), () -> "the connections flow before the "
                    + "change: php " + php + "; backend " + backend + "; stream " + stream);
            long t0 = System.nanoTime();
            inputs.ruleSet(dbAllowing(2, "backend"));
            awaitApplied(metrics, 2);
            // without revocation the denied connections flow on indefinitely (the control), so stopping at all is the outcome
            ApiServer.eventually(DEADLINE, () -> !php.flowing(), () -> "php's echo connection still flows after the "
                    + "change denied it; " + tracked());
            ApiServer.eventually(DEADLINE, () -> !stream.flowing(), () -> "php's streamed connection still flows after "
                    + "the change denied it; " + tracked());
            System.out.printf("denied connections stopped: php's last line %d ms, the stream's %d ms after the change%n",
                    php.lastLineAfter(t0) / 1_000_000, stream.lastLineAfter(t0) / 1_000_000);
            assertTrue(backend.flowing(), "backend's connection, still allowed, was cut");
            assertTrue(metrics.revokedCount() >= 2, metrics.text());
            assertTrue(tracked().contains("src=" + net.pod("backend").ip()), this::tracked);
        } finally {
            php.close();
            backend.close();
            stream.close();
        }
    }

    @Test
    void controlWithoutRevocationTheDeniedConnectionFlowsOn() throws Exception {
        AgentMetrics metrics = new AgentMetrics();
        Inputs inputs = inputs(dbAllowing(1, "php", "backend"));
        Conntrack blind = new Conntrack() {
            @Override
            public List<dev.palisade.agent.sync.TrackedFlow> flows() {
                return List.of();
            }

            @Override
            public java.util.Set<IpAddress> nodeAddresses() {
                return java.util.Set.of();
            }

            @Override
            public int delete(List<dev.palisade.agent.sync.TrackedFlow> flows) {
                return 0;
            }
        };
        loop = start(inputs, blind, metrics);
        Held php = new Held("php", "echo");
        try {
            php.awaitFirstLine();
            assertTrue(php.flowing(), () -> "the connection flows before the change: " + php);
            inputs.ruleSet(dbAllowing(2, "backend"));
            awaitApplied(metrics, 2);
            assertTrue(php.flowing(), "without revocation an established connection outlives the policy");
            assertFalse(net.reaches(net.pod("php"), net.pod("db"), 5432), "yet a new connection from php is denied");
            assertEquals(0.0, metrics.revokedCount());
        } finally {
            php.close();
        }
    }
}
