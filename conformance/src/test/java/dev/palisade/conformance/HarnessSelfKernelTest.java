package dev.palisade.conformance;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.palisade.conformance.Check.tcp;
import static dev.palisade.conformance.Check.tcpUdp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The harness tested without the compiler: hand-written nft scripts prove that the topology routes
 * as the contract assumes (pod traffic crosses the node's forward hook, a node's own traffic does
 * not), that probes see drops per protocol, port and family, that a wrong expectation fails with a
 * readable table, and that everything is cleaned up.
 */
@Tag("kernel")
class HarnessSelfKernelTest extends ConformanceSuite {

    static ClusterSpec cluster() {
        return ClusterSpec.builder("harness-self", 31)
                .node("n1", "10.31.1.0/24", "fd10:31:1::/64")
                .node("n2", "10.31.2.0/24", "fd10:31:2::/64")
                .namespace("a", Map.of())
                .namespace("b", Map.of())
                .pod("a/one", "n1", Map.of("app", "one"), List.of())
                .pod("a/two", "n2", Map.of("app", "two"), List.of())
                .pod("b/one", "n1", Map.of("app", "one"), List.of())
                .external("internet", "n2", "192.168.250.31", "fd00:250::31")
                .build();
    }

    @Override
    protected ClusterSpec spec() {
        return cluster();
    }

    private List<String> everything() {
        List<String> all = new ArrayList<>(k.pods());
        all.addAll(k.nodes());
        all.add("ext:internet");
        return all;
    }

    private static String forwardDrops(String... rules) {
        return "table inet palisade {}\ndelete table inet palisade\ntable inet palisade {\n  chain forward {\n"
                + "    type filter hook forward priority filter; policy accept;\n"
                + String.join("\n", List.of(rules).stream().map(r -> "    " + r).toList()) + "\n  }\n}\n";
    }

    @Test
    @DisplayName("with no ruleset every endpoint reaches every other on TCP and UDP, both families")
    void baseline() {
        k.scenario("baseline").handWritten(Map.of()).between(everything(), everything())
                .expect(tcpUdp(80, 81), r -> {
                })
                .run();
    }

    @Test
    @DisplayName("probes see a forward-hook drop per protocol, port and family; a node's own traffic skips forward")
    void probesSeeDrops() {
        var one = k.topology().endpoint("a/one");
        String script = forwardDrops("ip daddr " + one.ip4() + " tcp dport 80 drop",
                "ip6 daddr " + one.ip6() + " udp dport 81 drop");
        k.scenario("drops").handWritten(Map.of("n1", script)).between(everything(), everything())
                .expect(tcp(80).v4(), r -> r.expectAllIngress("a/one", false).expect("node:n1", "a/one", true))
                .expect(Check.udp(81).v6(), r -> r.expectAllIngress("a/one", false).expect("node:n1", "a/one", true))
                .expect(tcp(80).v6(), r -> {
                })
                .expect(tcp(81), r -> {
                })
                .expect(Check.udp(80), r -> {
                })
                .expect(Check.udp(81).v4(), r -> {
                })
                .run();
    }

    @Test
    @DisplayName("a wrong expectation fails with expected, observed and comparison tables")
    void wrongExpectationFails() {
        AssertionError e = assertThrows(AssertionError.class, () -> k.scenario("deliberately-wrong").handWritten(Map.of())
                .expect(tcp(80).v4(), r -> r.expect("a/two", "a/one", false))
                .run());
        String report = e.getMessage();
        assertTrue(report.contains("a/two -> a/one: expected deny, observed ok:a/one"), report);
        assertTrue(report.contains("comparison"), report);
        assertTrue(report.contains("nft list ruleset on n1"), report);
    }

    @Test
    @DisplayName("a held connection passes an established-only ruleset that drops new connections")
    void heldConnectionIsEstablished() {
        var one = k.topology().endpoint("a/one");
        try (Topology.Held held = k.topology().hold("a/two", "a/one", Family.V4)) {
            assertEquals("PONG", held.ping());
            k.scenario("new-dropped").handWritten(Map.of("n1", forwardDrops(
                            "ct state established,related accept", "ip daddr " + one.ip4() + " drop")))
                    .expect(tcp(80).v4(), r -> r.expectAllIngress("a/one", false))
                    .run();
            assertEquals("PONG", held.ping());
            // without an established rule, replies to a/one's own connections die too
            k.scenario("everything-dropped").handWritten(Map.of("n1", forwardDrops("ip daddr " + one.ip4() + " drop")))
                    .expect(tcp(80).v4(), r -> r.expectAllIngress("a/one", false).expectAllEgress("a/one", false))
                    .run();
            assertFalse(held.ping().equals("PONG"), "a ruleset without an established rule must cut the held flow");
        }
    }

    @Test
    @DisplayName("closing a topology kills its servers and deletes its namespaces")
    void cleansUp() {
        ClusterSpec small = ClusterSpec.builder("cleanup", 32)
                .node("n1", "10.32.1.0/24", "fd10:32:1::/64")
                .namespace("a", Map.of())
                .pod("a/one", "n1", Map.of(), List.of())
                .build();
        Path dir = Path.of(System.getProperty("basedir", ".")).resolve("target/conformance/cleanup").toAbsolutePath();
        Topology t = Topology.create(small, dir);
        String prefix = t.prefix();
        assertTrue(Netns.list().stream().anyMatch(n -> n.startsWith(prefix + "-")));
        t.close();
        assertTrue(Netns.list().stream().noneMatch(n -> n.startsWith(prefix + "-")), "namespaces left: " + Netns.list());
        assertTrue(ProcessHandle.allProcesses().map(p -> p.info().commandLine().orElse(""))
                .noneMatch(c -> c.contains(prefix + "-") || c.contains(dir.resolve("agent.py").toString())),
                "processes left for " + prefix);
    }
}
