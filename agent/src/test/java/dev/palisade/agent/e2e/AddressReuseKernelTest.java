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
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;
import dev.palisade.ruleset.PeerSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A deleted pod's address given to a new pod, with real packets: one node namespace, pods wired and
 * unwired by Debian's CNI plugins (ptp, host-local), the agent's sync loop in this JVM fed rule sets
 * directly. Pod A admits the client C; A's sandbox is removed (CNI DEL) and host-local gives A's
 * address to a new pod (its {@code last_reserved_ip} file edited so it does at once), while the rule
 * set still lists A, as it does on a real cluster until the operator publishes the deletion. With
 * the agent watching the node's routes, the new pod is held as unknown: C does not reach it and it
 * does not reach C, although the node does (its server is up); a newer revision that still lists A
 * keeps it held; the revision that lists the new pod applies the new pod's own rules. The control,
 * without the route watch, shows the defect: the new pod inherits A's allowance.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AddressReuseKernelTest {

    private final AgentMetrics metrics = new AgentMetrics();

    private static final Cidr POD_CIDR = Cidr.parse("10.244.1.0/24");
    private SimNetwork net;
    private SimNetwork.Node node;
    /** The revision the loop last reported as applied. */
    private final AtomicLong reported = new AtomicLong();

    @BeforeAll
    void up() throws Exception {
        net = new SimNetwork(Files.createTempDirectory("palisade-reuse-kernel"));
        node = net.addNode("n1", "10.0.0.1");
        Files.createDirectories(node.confDir());
        Files.writeString(node.confDir().resolve(CniSettings.CONF_NAME), ConfList.render(
                CniSettings.Preset.KIND.settings().withIpamDataDir(node.ipamDir()), List.of(POD_CIDR)));
        net.addPod("client", node);
        Sh.inNetns(node.netns(), "sysctl", "-q", "-w", "net.ipv4.ip_forward=1").orThrow();
    }

    @AfterAll
    void down() {
        if (net != null) {
            net.close();
        }
    }

    private SyncLoop loop(Inputs inputs, boolean watchRoutes) {
        SyncLoop loop = new SyncLoop(new SyncLoop.Settings("n1", true, List.of(), Duration.ofHours(1), Duration.ofHours(1),
                Backoff.DEFAULT, Optional.of(node.netns()), false, watchRoutes), LibNftables::open,
                SyncLoop::kernelGeneration, Conntrack.KERNEL, Optional.empty(), inputs, metrics, (r, e) -> {
                    if (r != null && e == null) {
                        reported.set(r.revision());
                    }
                });
        loop.start();
        return loop;
    }

    /**
     * The client and {@code server} (by pod name, with its uid), the server isolated for ingress; when
     * {@code clientAllowed}, a policy admits the client to it on every port.
     */
    private RuleSetRevision rules(long revision, String server, String uid, boolean clientAllowed) {
        IpAddress c = IpAddress.parse(net.pod("client").ip());
        IpAddress s = IpAddress.parse(net.pod(server).ip());
        SortedMap<IpAddress, SortedSet<String>> holders = new TreeMap<>();
        holders.put(c, new TreeSet<>(Set.of("uid-client")));
        holders.put(s, new TreeSet<>(Set.of(uid)));
        List<Grant> grants = clientAllowed ? List.of(new Grant("default/allow-client", 0, new TreeSet<>(Set.of(s)),
                new PeerSet(false, new TreeSet<>(Set.of(c)), List.of()), List.of())) : List.of();
        return new RuleSetRevision(revision, "h" + revision, new NodeRuleSet("n1", new TreeSet<>(Set.of(c, s)),
                new DirectionRules(new TreeSet<>(Set.of(s)), grants), DirectionRules.NONE, holders));
    }

    private Inputs inputs(RuleSetRevision r) {
        Inputs in = new Inputs();
        in.nodes(Map.of("n1", new NodeNetwork("n1", List.of(POD_CIDR), List.of(IpAddress.parse("10.0.0.1")))));
        in.ruleSet(r);
        return in;
    }

    /**
     * CNI DEL of {@code old}, then CNI ADD of {@code fresh}, which gets {@code old}'s address: host-local
     * hands out the address after the last one it reserved, so that is set to the one before.
     */
    private SimNetwork.Pod reuse(String old, String fresh) throws IOException {
        String ip = net.pod(old).ip();
        net.deletePod(old);
        Path lastReserved;
        try (Stream<Path> files = Files.walk(node.ipamDir())) {
            lastReserved = files.filter(f -> f.getFileName().toString().equals("last_reserved_ip.0")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no last_reserved_ip.0 under " + node.ipamDir()));
        }
        String[] octets = ip.split("\\.");
        Files.writeString(lastReserved, octets[0] + "." + octets[1] + "." + octets[2] + "." + (Integer.parseInt(octets[3]) - 1));
        SimNetwork.Pod p = net.addPod(fresh, node);
        assertEquals(ip, p.ip(), "host-local gave " + fresh + " the address of " + old);
        return p;
    }

    private boolean clientReaches(String pod) {
        return net.reaches(net.pod("client"), net.pod(pod), 80);
    }

    private boolean reachesClient(String pod) {
        return net.reaches(net.pod(pod), net.pod("client"), 80);
    }

    private void nodeReaches(String pod) {
        assertNotNull(net.reply(node.netns(), net.pod(pod).ip(), 80, pod), "the node reaches " + pod + ": its server is up");
    }

    @Test
    void aNewPodOnADeletedPodsAddressIsHeldUntilARuleSetListsItAndWithoutTheRouteWatchItInheritsTheGrants()
            throws Exception {
        // the control first: without the route watch, the defect seen on kind
        net.addPod("a", node);
        Inputs control = inputs(rules(1, "a", "uid-a", true));
        SyncLoop open = loop(control, false);
        try {
            open.firstFullApply().get(20, TimeUnit.SECONDS);
            assertTrue(clientReaches("a"), "the grant: client to a");
            reuse("a", "b");
            nodeReaches("b");
            assertTrue(clientReaches("b"), "without the route watch, b inherits a's grant while the rule set lists a");
        } finally {
            open.close();
        }

        // with it: b is listed as itself (it admits the client), then deleted, and c gets its address
        Inputs inputs = inputs(rules(2, "b", "uid-b", true));
        SyncLoop guarded = loop(inputs, true);
        try {
            guarded.firstFullApply().get(20, TimeUnit.SECONDS);
            assertTrue(clientReaches("b"), "the grant: client to b");
            String address = net.pod("b").ip();
            reuse("b", "c");
            ApiServer.eventually(Duration.ofSeconds(60), () -> !podsSet().contains(address),
                    () -> "b's address still known: " + podsSet());
            nodeReaches("c");
            assertFalse(clientReaches("c"), "c must not inherit b's grant");
            assertFalse(reachesClient("c"), "c cannot send across the node either");
            ApiServer.eventually(Duration.ofSeconds(10), () -> metrics.text().contains("palisade_agent_held_addresses 1.0"),
                    () -> "the metric does not show the hold");

            // a newer revision that still lists b (the operator has not seen the deletion yet) keeps c held
            inputs.ruleSet(rules(3, "c", "uid-b", true));
            ApiServer.eventually(Duration.ofSeconds(60), () -> reported.get() == 3, () -> "revision 3 not applied");
            assertFalse(clientReaches("c"), "still listed as b: still held");

            // the revision that lists c: c's own rules (isolated for ingress, no grant; egress open)
            inputs.ruleSet(rules(4, "c", "uid-c", false));
            ApiServer.eventually(Duration.ofSeconds(60), () -> reachesClient("c"), () -> net.nft(node, "list", "ruleset"));
            assertFalse(clientReaches("c"), "c's own rules admit no one");
            assertTrue(podsSet().contains(address), "c is known");
            ApiServer.eventually(Duration.ofSeconds(10), () -> metrics.text().contains("palisade_agent_held_addresses 0.0"),
                    () -> "the metric does not show the release");
        } finally {
            guarded.close();
        }
    }

    private String podsSet() {
        return net.nft(node, "list", "set", "inet", "palisade", "pods4");
    }
}
