package dev.palisade.conformance;

import dev.palisade.conformance.ClusterSpec.PortDecl;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.palisade.conformance.Check.tcp;
import static dev.palisade.conformance.Check.tcpUdp;
import static dev.palisade.conformance.Check.udp;
import static dev.palisade.conformance.Reachability.Peer.ns;
import static dev.palisade.conformance.Reachability.Peer.pod;

/**
 * Where compilers and renderers tend to break, on upstream's x/y/z cluster plus a fourth node with
 * no pods (its script must load too): finished pods holding live pods' IPs, excepts nested inside
 * other blocks, overlapping port ranges across rules and policies (interval sets), named ports whose
 * protocol differs from the policy's or that resolve differently per pod, empty from/ports lists,
 * selectors combining matchLabels and matchExpressions, ipBlocks that name nodes.
 *
 * <p>Addresses: n1 runs x/a .10, x/b .11, y/a .12 of 10.30.1.0/24; n2 x/c, y/b, z/a in 10.30.2.0/24;
 * n3 y/c, z/b, z/c in 10.30.3.0/24; nodes are 192.168.30.1-4.
 */
@Tag("kernel")
class EdgeCasesKernelTest extends ConformanceSuite {

    private static final Check ALL = tcpUdp(80, 81);
    @Override
    protected ClusterSpec spec() {
        return UpstreamNetpolKernelTest.builder("edge-cases")
                .node("n4", "10.30.4.0/24", "fd10:30:4::/64")
                .build();
    }

    private List<String> podsAndNodes() {
        List<String> all = new ArrayList<>(k.pods());
        all.addAll(k.nodes());
        return all;
    }

    @Test
    @DisplayName("finished pods (Succeeded, Failed) that hold live pods' IPs are neither peers nor isolated; pending pods have nothing to match")
    void finishedPodsReusingIps() {
        k.scenario("finished-pods").policies("upstream/x-a-allows-x-b.yaml", "edge/finished-pods.yaml")
                .expect(ALL, r -> r.expectAllIngress("x/a", false).expect("x/b", "x/a", true))
                .run();
    }

    @Test
    @DisplayName("an except inside one block, and another block inside that except with its own except")
    void nestedExcepts() {
        k.scenario("nested-except").policies("edge/nested-except.yaml")
                .expect(tcp(80, 81).v4(), r -> r.expect("y/b", "x/a", false)
                        .expect("y/c", "x/b", false).expect("z/b", "x/b", false).expect("z/c", "x/b", false))
                .expect(udp(80).v4(), r -> r.expect("y/b", "x/a", false).expectAllIngress("x/b", false))
                .expect(udp(81).v4(), r -> r.expect("y/b", "x/a", false).expectAllIngress("x/b", false)
                        .expect("y/c", "x/b", true).expect("z/c", "x/b", true))
                .expect(ALL.v6(), r -> r.expectAllIngress("x/a", false).expectAllIngress("x/b", false))
                .run();
    }

    @Test
    @DisplayName("overlapping peers and port ranges across rules and policies")
    void overlappingRanges() {
        k.scenario("overlapping-ranges").policies("edge/overlapping-ranges.yaml")
                .expect(tcp(80), r -> r.expectAllIngress("x/c", false)
                        .expectPeer(ns("y"), pod("x", "c"), true).expectPeer(ns("z"), pod("x", "c"), true))
                .expect(tcp(81).v4(), r -> r.expectAllIngress("x/c", false)
                        .expectPeer(ns("y"), pod("x", "c"), true).expect("x/a", "x/c", true).expect("x/b", "x/c", true))
                .expect(tcp(81).v6(), r -> r.expectAllIngress("x/c", false).expectPeer(ns("y"), pod("x", "c"), true))
                .expect(udp(80, 81).v4(), r -> {
                })
                .expect(udp(80, 81).v6(), r -> r.expectAllIngress("x/c", false))
                .run();
    }

    @Test
    @DisplayName("a named port resolves by name AND protocol: serve-80-udp under a TCP policy port matches nothing")
    void namedPortProtocolMismatch() {
        k.scenario("named-port-protocol").policies("edge/named-port-protocol-mismatch.yaml")
                .expect(tcp(80, 81), r -> r.expectAllIngress("x/a", false).expectAllIngress("x/b", false))
                .expect(udp(80), r -> r.expectAllIngress("x/a", false))
                .expect(udp(81), r -> r.expectAllIngress("x/a", false).expectAllIngress("x/b", false))
                .run();
    }

    @Test
    @DisplayName("an ingress named port resolves per selected pod: 81 on x/a, 80 on x/b, nothing on x/c")
    void namedPortPerPod() {
        k.scenario("named-port-per-pod").policies("upstream/named-port-81.yaml")
                .podPorts("x/a", List.of(new PortDecl("serve-81-tcp", Proto.TCP, 81)))
                .podPorts("x/b", List.of(new PortDecl("serve-81-tcp", Proto.TCP, 80)))
                .podPorts("x/c", List.of())
                .expect(tcp(81), r -> r.expectAllIngress("x/b", false).expectAllIngress("x/c", false))
                .expect(tcp(80), r -> r.expectAllIngress("x/a", false).expectAllIngress("x/c", false))
                .expect(udp(80, 81), r -> r.expectPeer(Reachability.Peer.any(), ns("x"), false))
                .run();
    }

    @Test
    @DisplayName("'from: []' matches every source and 'ports: []' every port")
    void emptyFromAndPorts() {
        k.scenario("empty-from-and-ports").policies("edge/empty-from-and-ports.yaml")
                .expect(tcp(81), r -> r.expectPeer(ns("y"), pod("x", "b"), false).expectPeer(ns("z"), pod("x", "b"), false))
                .expect(tcp(80), r -> r.expectAllIngress("x/a", false)
                        .expectPeer(ns("y"), pod("x", "b"), false).expectPeer(ns("z"), pod("x", "b"), false))
                .expect(udp(80, 81), r -> r.expectAllIngress("x/a", false)
                        .expectPeer(ns("y"), pod("x", "b"), false).expectPeer(ns("z"), pod("x", "b"), false))
                .run();
    }

    @Test
    @DisplayName("matchLabels and matchExpressions in one selector are ANDed")
    void selectorAnd() {
        k.scenario("selector-and").policies("edge/selector-and.yaml")
                .expect(ALL, r -> r.expectAllIngress("x/a", false).expect("z/c", "x/a", true))
                .run();
    }

    @Test
    @DisplayName("ipBlocks naming nodes: ingress from another node, egress to a third (the pod's own node is always allowed)")
    void nodeIpBlocks() {
        k.scenario("node-ipblocks").policies("edge/node-ipblocks.yaml")
                .between(podsAndNodes(), podsAndNodes())
                .expect(tcpUdp(80).v4(), r -> r
                        .expectAllEgress("x/a", false).expect("x/a", "node:n1", true).expect("x/a", "node:n3", true)
                        .expectAllIngress("x/a", false).expect("node:n1", "x/a", true).expect("node:n2", "x/a", true))
                .expect(tcpUdp(80).v6(), r -> r.expectAllEgress("x/a", false).expect("x/a", "node:n1", true)
                        .expectAllIngress("x/a", false).expect("node:n1", "x/a", true))
                .run();
    }

    @Test
    @DisplayName("one block minus eighteen excepts, single addresses and a /25")
    void manyExcepts() {
        k.scenario("many-excepts").policies("edge/many-excepts.yaml")
                .expect(ALL.v4(), r -> {
                    for (String denied : List.of("y/a", "z/a", "y/c", "z/b", "z/c")) {
                        r.expect(denied, "x/a", false);
                    }
                })
                .expect(ALL.v6(), r -> r.expectAllIngress("x/a", false))
                .run();
    }

    @Test
    @DisplayName("egress anywhere but the pod networks: nodes yes, pods no, both families")
    void egressOutsideCluster() {
        k.scenario("egress-outside-cluster").policies("edge/egress-outside-cluster.yaml")
                .between(podsAndNodes(), podsAndNodes())
                .expect(tcpUdp(80), r -> {
                    for (String p : k.pods()) {
                        r.expect("x/a", p, false);
                    }
                })
                .run();
    }

    // ---- how the manifests are written --------------------------------------------------------

    /** upstream's client-side egress scenario: x/a may only reach y/a; y/a and y/b only take x/a. */
    private static void clientSide(Reachability r) {
        r.expectAllEgress("x/a", false).expectAllIngress("y/a", false).expectAllIngress("y/b", false)
                .expect("x/a", "y/a", true);
    }

    @Test
    @DisplayName("pods with status.podIP only (no status.podIPs): policy still applies (IPv4)")
    void podIpOnly() {
        k.scenario("pod-ip-only").policies("upstream/client-side-egress.yaml").podIpOnly()
                .expect(ALL.v4(), EdgeCasesKernelTest::clientSide)
                .run();
    }

    @Test
    @DisplayName("an IPv6-primary cluster (podIP and podIPs[0] are IPv6): both families enforced")
    void ipv6Primary() {
        k.scenario("ipv6-primary").policies("upstream/client-side-egress.yaml").ipv6Primary()
                .expect(ALL, EdgeCasesKernelTest::clientSide)
                .run();
    }

    @Test
    @DisplayName("no Namespace objects: a namespaceSelector on kubernetes.io/metadata.name still selects by name")
    void withoutNamespaceObjects() {
        k.scenario("without-namespace-objects").policies("upstream/client-side-egress.yaml",
                        "upstream/allow-client-a-via-ns-selector.yaml").withoutNamespaceObjects()
                .expect(ALL, r -> {
                    clientSide(r);
                    r.expectPeer(ns("x"), pod("x", "a"), false).expectPeer(ns("z"), pod("x", "a"), false);
                })
                .run();
    }

    @Test
    @DisplayName("Namespaces without the kubernetes.io/metadata.name label: it is implied, as the API server sets it")
    void withoutNamespaceNameLabel() {
        k.scenario("without-namespace-name-label").policies("upstream/client-side-egress.yaml",
                        "upstream/allow-client-a-via-ns-selector.yaml").withoutNamespaceNameLabel()
                .expect(ALL, r -> {
                    clientSide(r);
                    r.expectPeer(ns("x"), pod("x", "a"), false).expectPeer(ns("z"), pod("x", "a"), false);
                })
                .run();
    }

    @Test
    @DisplayName("Pending pods that already have IPs are enforced (no unprotected window while containers start)")
    void pendingPodsWithIps() {
        k.scenario("pending-pods").policies("upstream/client-side-egress.yaml").podPhase("Pending")
                .expect(ALL, EdgeCasesKernelTest::clientSide)
                .run();
    }
}
