package dev.palisade.dataplane.sync;

import static dev.palisade.compiler.Manifests.ingressPolicy;
import static dev.palisade.compiler.Manifests.peers;
import static dev.palisade.compiler.Manifests.pods;
import static dev.palisade.compiler.Manifests.rule;
import static dev.palisade.compiler.Manifests.selector;
import static dev.palisade.compiler.Manifests.tcp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.dataplane.kernel.LibNftables;
import dev.palisade.dataplane.kernel.NetnsThread;
import dev.palisade.dataplane.kernel.PodTopology;
import dev.palisade.dataplane.kernel.TcpProbe;
import dev.palisade.dataplane.kernel.TestNetns;
import dev.palisade.dataplane.nft.Element;
import dev.palisade.dataplane.nft.NamedSet;
import dev.palisade.dataplane.nft.Table;
import dev.palisade.dataplane.nft.Value;
import dev.palisade.dataplane.sync.ApplyResult.Mode;
import dev.palisade.dataplane.sync.ApplyResult.Reason;
import dev.palisade.model.Cidr;
import dev.palisade.model.IpRange;
import dev.palisade.model.NetworkPolicy;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A transaction the kernel refuses changes nothing: neither the ruleset nor, probed with real TCP
 * connections between pod namespaces, the verdicts. Pods b and c are isolated for ingress; the
 * first policy lets a reach b, the second lets a reach c instead.
 */
@Tag("kernel")
class FailedTransactionKernelTest {

    private static final Duration PROBE_TIMEOUT = Duration.ofMillis(300);

    private static final List<NetworkPolicy> A_TO_B = List.of(isolate("b"), isolate("c"), allowFromA("b"));
    private static final List<NetworkPolicy> A_TO_C = List.of(isolate("b"), isolate("c"), allowFromA("c"));

    private static PodTopology topology;
    private static NetnsThread node;
    private static NetnsThread podA;
    private static LibNftables nft;
    private static PodCluster cluster;

    @BeforeAll
    static void buildNodeAndPods() {
        assumeTrue(TestNetns.runningAsRoot(), "kernel tests need root");
        topology = PodTopology.create("a", "b", "c");
        topology.serve("b", 80);
        topology.serve("c", 80);
        node = NetnsThread.enter(topology.node().name());
        nft = node.call(LibNftables::open);
        podA = NetnsThread.enter(topology.pod("a").netns().name());
        Map<String, dev.palisade.model.IpAddress> ips = new LinkedHashMap<>();
        for (String p : List.of("a", "b", "c")) {
            ips.put(p, topology.pod(p).ip());
        }
        cluster = new PodCluster(ips);
    }

    @AfterAll
    static void tearDown() {
        try {
            if (nft != null) {
                node.run(nft::close);
            }
            if (node != null) {
                node.close();
            }
            if (podA != null) {
                podA.close();
            }
        } finally {
            if (topology != null) {
                topology.close();
            }
        }
    }

    @BeforeEach
    void noTable() {
        node.run(() -> nft.run("add table inet palisade\ndelete table inet palisade\n"));
    }

    @Test
    void withoutPolicyEveryPodReachesEveryOther() {
        assertReaches(true, true);
    }

    @Test
    void aRefusedFullReplacementLeavesTheRulesAndTheVerdictsInForce() {
        TableSync sync = new TableSync(nft);
        node.call(() -> sync.apply(cluster.table(A_TO_B)));
        assertReaches(true, false);
        String before = ruleset();
        // a restarting agent whose first, full transaction the kernel refuses
        TableSync restarted = new TableSync(nft);

        ApplyException e = assertThrows(ApplyException.class, () -> node.call(() -> restarted.apply(poisoned(A_TO_C))));

        assertEquals(Mode.FULL, e.mode());
        assertEquals("Could not process rule: File exists", e.nftError().errors().get(0).message());
        assertFalse(e.nftError().failingLines().isEmpty(), e.getMessage());
        assertEquals(before, ruleset());
        assertReaches(true, false);

        ApplyResult retry = node.call(() -> restarted.apply(cluster.table(A_TO_C)));

        assertEquals(Mode.FULL, retry.mode());
        assertReaches(false, true);
    }

    @Test
    void aRefusedDeltaLeavesTheRulesAndTheVerdictsInForce() {
        TableSync sync = new TableSync(nft);
        node.call(() -> sync.apply(cluster.table(A_TO_B)));
        String before = ruleset();

        // the delta deletes a → b and adds a → c, then adds an element the kernel refuses
        ApplyException e = assertThrows(ApplyException.class, () -> node.call(() -> sync.apply(poisoned(A_TO_C))));

        assertEquals(Mode.INCREMENTAL, e.mode());
        assertEquals("Could not process rule: File exists", e.nftError().errors().get(0).message());
        assertEquals(before, ruleset());
        assertReaches(true, false);

        ApplyResult retry = node.call(() -> sync.apply(cluster.table(A_TO_C)));

        assertEquals(Mode.FULL, retry.mode());
        assertEquals(Reason.AFTER_FAILURE, retry.reason());
        assertReaches(false, true);
    }

    /**
     * The table for {@code policies} plus two interval elements that overlap: nft accepts the
     * script, the kernel's pipapo set refuses the second element with EEXIST and aborts the whole
     * transaction. (The translator never produces overlaps; a bug that did would fail like this.)
     */
    private static Table poisoned(List<NetworkPolicy> policies) {
        Table t = cluster.table(policies);
        Value b = new Value.Address(IpRange.of(topology.pod("b").ip()));
        Value tcp = new Value.Proto(6);
        Element wide = Element.of(b, new Value.Address(Cidr.parse("10.99.0.0/16").range()), tcp, new Value.Port(1000, 2000));
        Element inside = Element.of(b, new Value.Address(Cidr.parse("10.99.1.0/24").range()), tcp, new Value.Port(1500, 1500));
        List<NamedSet> sets = t.sets().stream().map(s -> {
            if (!s.name().equals("in_range4")) {
                return s;
            }
            SortedSet<Element> elements = new TreeSet<>(s.elements());
            elements.add(wide);
            elements.add(inside);
            return s.withElements(elements);
        }).toList();
        return new Table(t.family(), t.name(), t.comment(), sets, t.chains());
    }

    /** Three probes to each pod, each must agree. */
    private static void assertReaches(boolean b, boolean c) {
        for (int i = 0; i < 3; i++) {
            assertEquals(b, reaches("b"), "a -> b:80, probe " + i);
            assertEquals(c, reaches("c"), "a -> c:80, probe " + i);
        }
    }

    private static boolean reaches(String pod) {
        return podA.call(() -> TcpProbe.connect(topology.pod(pod).ip(), 80, PROBE_TIMEOUT)).reached();
    }

    private static String ruleset() {
        return node.call(() -> nft.list("list ruleset")).replaceAll("counter packets \\d+ bytes \\d+", "counter");
    }

    static NetworkPolicy isolate(String pod) {
        return ingressPolicy(PodCluster.NAMESPACE + "/isolate-" + pod, selector("app=" + pod));
    }

    static NetworkPolicy allowFromA(String pod) {
        return ingressPolicy(PodCluster.NAMESPACE + "/a-to-" + pod, selector("app=" + pod),
                rule(peers(pods(selector("app=a"))), tcp(80)));
    }
}
