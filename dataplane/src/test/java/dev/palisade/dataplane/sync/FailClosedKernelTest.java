package dev.palisade.dataplane.sync;

import static dev.palisade.compiler.Manifests.egressPolicy;
import static dev.palisade.compiler.Manifests.ingressPolicy;
import static dev.palisade.compiler.Manifests.peers;
import static dev.palisade.compiler.Manifests.pods;
import static dev.palisade.compiler.Manifests.rule;
import static dev.palisade.compiler.Manifests.selector;
import static dev.palisade.compiler.Manifests.tcp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.dataplane.kernel.LibNftables;
import dev.palisade.dataplane.kernel.NetnsThread;
import dev.palisade.dataplane.kernel.PodTopology;
import dev.palisade.dataplane.kernel.TcpProbe;
import dev.palisade.dataplane.kernel.TestNetns;
import dev.palisade.dataplane.readback.Drift;
import dev.palisade.model.IpAddress;
import dev.palisade.model.NetworkPolicy;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A table or chain emptied by hand fails closed, with real packets between pod namespaces. Pod b is
 * isolated for ingress and allows a on TCP 80; pod a is isolated for egress and may reach only b on
 * TCP 80. So a → b:80 is allowed (egress and ingress), c → b:80 is forbidden by b's ingress, and
 * a → c:80 by a's egress. After each flush the forbidden flow stays blocked and, the accepted cost,
 * the allowed one is blocked too until the agent repairs the table; the node itself still reaches its
 * pods, since only forwarded traffic meets the policy {@code drop}.
 */
@Tag("kernel")
class FailClosedKernelTest {

    private static final Duration PROBE_TIMEOUT = Duration.ofMillis(300);

    private static final List<NetworkPolicy> POLICIES = List.of(
            ingressPolicy(PodCluster.NAMESPACE + "/b-from-a", selector("app=b"), rule(peers(pods(selector("app=a"))), tcp(80))),
            egressPolicy(PodCluster.NAMESPACE + "/a-to-b", selector("app=a"), rule(peers(pods(selector("app=b"))), tcp(80))));

    private static PodTopology topology;
    private static NetnsThread node;
    private static NetnsThread podA;
    private static NetnsThread podC;
    private static LibNftables nft;
    private static PodCluster cluster;

    @BeforeAll
    static void buildNodeAndPods() {
        assumeTrue(TestNetns.runningAsRoot(), "kernel tests need root");
        topology = PodTopology.create("a", "b", "c");
        topology.serve("b", 80);
        topology.serve("c", 80);
        // an address of the node's own, so that the node can open connections to its pods
        topology.node().execInside("ip", "addr", "add", "10.0.0.1/32", "dev", "lo");
        node = NetnsThread.enter(topology.node().name());
        nft = node.call(LibNftables::open);
        podA = NetnsThread.enter(topology.pod("a").netns().name());
        podC = NetnsThread.enter(topology.pod("c").netns().name());
        Map<String, IpAddress> ips = new LinkedHashMap<>();
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
            for (NetnsThread t : new NetnsThread[] {node, podA, podC}) {
                if (t != null) {
                    t.close();
                }
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

    /**
     * The nftables semantics the layout relies on: after {@code goto}, the end of the target chain
     * applies the base chain's policy (nothing to come back to); after {@code jump}, the walk comes
     * back to the next rule. Same empty chain, same policy drop, only the verdict differs.
     */
    @Test
    void theEndOfAGotoTargetAppliesTheBaseChainsPolicy() {
        assertReaches(true, true, true);
        node.run(() -> nft.run(probeTable("jump")));
        assertReaches(true, true, true);

        node.run(() -> nft.run(probeTable("goto")));
        assertReaches(false, false, false);
    }

    private static String probeTable(String verdict) {
        return "add table inet palisade\ndelete table inet palisade\ntable inet palisade {\n"
                + "\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n"
                + "\t\tct state established,related accept\n\t\t" + verdict + " empty\n\t\taccept\n\t}\n"
                + "\tchain empty {\n\t}\n}\n";
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"flush chain inet palisade ingress4", "flush chain inet palisade egress4",
            "flush chain inet palisade ingress", "flush table inet palisade"})
    void aFlushByHandFailsClosed(String command) {
        TableSync sync = new TableSync(nft);
        node.call(() -> sync.apply(cluster.table(POLICIES)));
        // the control: the policy is in force, the allowed flow connects
        assertReaches(true, false, false);
        assertEquals(true, reaches(node, "b"), "node -> b:80");

        topology.node().execInside("nft", command);

        assertReaches(false, false, false);
        // the node's own traffic with its pods (output and input, never forward) is not Palisade's
        assertEquals(true, reaches(node, "b"), "node -> b:80");
        assertEquals(false, node.call(sync::verify).isEmpty(), "the flush is drift");
        node.call(sync::repair);
        assertEquals(Drift.NONE, node.call(sync::verify));
        assertReaches(true, false, false);
    }

    /** Three probes of each flow, each must agree: a → b:80 (allowed), c → b:80 and a → c:80 (forbidden). */
    private static void assertReaches(boolean aToB, boolean cToB, boolean aToC) {
        for (int i = 0; i < 3; i++) {
            assertEquals(aToB, reaches(podA, "b"), "a -> b:80, probe " + i);
            assertEquals(cToB, reaches(podC, "b"), "c -> b:80, probe " + i);
            assertEquals(aToC, reaches(podA, "c"), "a -> c:80, probe " + i);
        }
    }

    private static boolean reaches(NetnsThread from, String pod) {
        return from.call(() -> TcpProbe.connect(topology.pod(pod).ip(), 80, PROBE_TIMEOUT)).reached();
    }
}
