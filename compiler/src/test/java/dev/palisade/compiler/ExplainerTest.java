package dev.palisade.compiler;

import dev.palisade.model.Cidr;
import dev.palisade.model.Cluster;
import dev.palisade.model.ContainerPort;
import dev.palisade.model.IpAddress;
import dev.palisade.model.LabelSelector;
import dev.palisade.model.Namespace;
import dev.palisade.model.NetworkPolicy;
import dev.palisade.model.Node;
import dev.palisade.model.Peer;
import dev.palisade.model.Pod;
import dev.palisade.model.PortSpec;
import dev.palisade.model.Protocol;
import dev.palisade.model.Rule;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Point-wise verdicts on a small cluster, each with the rules that allow it; and agreement with the compiler. */
class ExplainerTest {

    private static final Cluster CLUSTER = cluster();
    private static final ClusterIndex INDEX = new ClusterIndex(CLUSTER);
    private static final Explainer EXPLAINER = new Explainer(INDEX);

    private static Cluster cluster() {
        List<Namespace> namespaces = List.of(
                new Namespace("shop", Map.of("team", "shop")),
                new Namespace("frontend", Map.of("purpose", "frontend")),
                new Namespace("other", Map.of()));
        List<Node> nodes = List.of(
                new Node("n1", Map.of(), List.of(ip("172.18.0.2")), List.of(Cidr.parse("10.0.1.0/24"))),
                new Node("n2", Map.of(), List.of(ip("172.18.0.3")), List.of(Cidr.parse("10.0.2.0/24"))));
        List<Pod> pods = List.of(
                pod("shop", "web", "n1", Map.of("app", "web"), List.of(ip("10.0.1.1"), ip("fd00::1:1")),
                        List.of(new ContainerPort("http", Protocol.TCP, 8080))),
                pod("shop", "db", "n2", Map.of("app", "db"), List.of(ip("10.0.2.1")),
                        List.of(new ContainerPort("pg", Protocol.TCP, 5432))),
                pod("shop", "batch", "n2", Map.of("app", "batch"), List.of(ip("10.0.2.2")), List.of()),
                pod("frontend", "ui", "n1", Map.of("app", "ui"), List.of(ip("10.0.1.2")), List.of()),
                pod("other", "ui", "n2", Map.of("app", "ui"), List.of(ip("10.0.2.3")), List.of()),
                new Pod("kube-system", "agent", "n1", Map.of(), List.of(ip("172.18.0.2")), true, Pod.Phase.Running, List.of()),
                new Pod("shop", "done", "n2", Map.of("app", "web"), List.of(ip("10.0.2.9")), false, Pod.Phase.Succeeded, List.of()),
                pod("shop", "pending", "n2", Map.of("app", "db"), List.of(), List.of()));
        LabelSelector web = LabelSelector.of(Map.of("app", "web"));
        LabelSelector db = LabelSelector.of(Map.of("app", "db"));
        List<NetworkPolicy> policies = List.of(
                new NetworkPolicy("shop", "deny-ingress", LabelSelector.EVERYTHING, true, false, List.of(), List.of()),
                new NetworkPolicy("shop", "web-from-frontend", web, true, false, List.of(
                        new Rule(List.of(new Peer.Pods(LabelSelector.of(Map.of("app", "ui")),
                                Optional.of(LabelSelector.of(Map.of("purpose", "frontend"))))),
                                List.of(new PortSpec.Named(Protocol.TCP, "http")))), List.of()),
                new NetworkPolicy("shop", "db-from-web", db, true, false, List.of(
                        new Rule(List.of(new Peer.Pods(web, Optional.empty())), List.of(new PortSpec.Numbered(Protocol.TCP, 5432))),
                        new Rule(List.of(new Peer.IpBlock(Cidr.parse("10.0.0.0/16"), List.of(Cidr.parse("10.0.1.0/24")))), List.of())),
                        List.of()),
                new NetworkPolicy("shop", "batch-egress", LabelSelector.of(Map.of("app", "batch")), false, true, List.of(), List.of(
                        new Rule(List.of(new Peer.IpBlock(Cidr.parse("0.0.0.0/0"), List.of(Cidr.parse("169.254.169.254/32")))),
                                List.of(new PortSpec.Numbered(Protocol.TCP, 443))),
                        new Rule(List.of(new Peer.Pods(LabelSelector.EVERYTHING, Optional.of(LabelSelector.EVERYTHING))),
                                List.of(new PortSpec.Numbered(Protocol.UDP, 53))),
                        new Rule(List.of(new Peer.Pods(db, Optional.empty())), List.of(new PortSpec.Named(Protocol.TCP, "pg"))),
                        new Rule(List.of(new Peer.Pods(db, Optional.empty())), List.of(new PortSpec.Numbered(Protocol.TCP, 5000, 5500))))));
        return new Cluster(namespaces, nodes, pods, policies);
    }

    static Stream<Arguments> flows() {
        return Stream.of(
                Arguments.of("named port resolves on the destination", "frontend/ui", "shop/web", Protocol.TCP, 8080, true,
                        List.of("shop/web-from-frontend ingress[0]")),
                Arguments.of("named port does not cover another number", "frontend/ui", "shop/web", Protocol.TCP, 80, false, List.of()),
                Arguments.of("named port is per protocol", "frontend/ui", "shop/web", Protocol.UDP, 8080, false, List.of()),
                Arguments.of("namespaceSelector and podSelector are ANDed", "other/ui", "shop/web", Protocol.TCP, 8080, false, List.of()),
                Arguments.of("pod selector peer in the policy's namespace", "shop/web", "shop/db", Protocol.TCP, 5432, true,
                        List.of("shop/db-from-web ingress[0]")),
                Arguments.of("egress named port and ingress ipBlock over pod addresses", "shop/batch", "shop/db", Protocol.TCP, 5432, true,
                        List.of("shop/batch-egress egress[2]", "shop/batch-egress egress[3]", "shop/db-from-web ingress[1]")),
                Arguments.of("except carves the source out", "shop/web", "shop/db", Protocol.TCP, 6000, false, List.of()),
                Arguments.of("egress except blocks the metadata service", "shop/batch", "169.254.169.254", Protocol.TCP, 443, false, List.of()),
                Arguments.of("egress to an outside address", "shop/batch", "8.8.8.8", Protocol.TCP, 443, true,
                        List.of("shop/batch-egress egress[0]")),
                Arguments.of("namespaceSelector never matches an outside address", "shop/batch", "8.8.8.8", Protocol.UDP, 53, false, List.of()),
                Arguments.of("empty namespaceSelector matches pods of every namespace", "shop/batch", "other/ui", Protocol.UDP, 53, true,
                        List.of("shop/batch-egress egress[1]")),
                Arguments.of("endPort range, inside", "shop/batch", "shop/db", Protocol.TCP, 5500, true,
                        List.of("shop/batch-egress egress[3]", "shop/db-from-web ingress[1]")),
                Arguments.of("endPort range, outside", "shop/batch", "shop/db", Protocol.TCP, 5501, false,
                        List.of("shop/db-from-web ingress[1]")),
                Arguments.of("the destination's own node is always allowed", "172.18.0.2", "shop/web", Protocol.TCP, 9999, true, List.of()),
                Arguments.of("another node is not", "172.18.0.3", "shop/web", Protocol.TCP, 9999, false, List.of()),
                Arguments.of("host-network pod on the destination's node is the node", "kube-system/agent", "shop/web", Protocol.TCP, 9999,
                        true, List.of()),
                Arguments.of("host-network pods are never isolated", "shop/web", "kube-system/agent", Protocol.TCP, 10250, true, List.of()),
                Arguments.of("an address of a pod is that pod", "10.0.1.2", "shop/web", Protocol.TCP, 8080, true,
                        List.of("shop/web-from-frontend ingress[0]")),
                Arguments.of("finished pods match no pod selector, but ipBlocks by address", "shop/done", "shop/db", Protocol.TCP, 5432, true,
                        List.of("shop/db-from-web ingress[1]")),
                Arguments.of("a pod without an IP is judged by its labels", "shop/web", "shop/pending", Protocol.TCP, 5432, true,
                        List.of("shop/db-from-web ingress[0]")),
                Arguments.of("isolated by a policy without rules", "frontend/ui", "shop/batch", Protocol.TCP, 80, false, List.of()),
                Arguments.of("IPv6 flow uses the pod's IPv6 address", "fd00::2", "shop/web", Protocol.TCP, 8080, false, List.of()),
                Arguments.of("unisolated pods talk freely", "frontend/ui", "other/ui", Protocol.SCTP, 9, true, List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("flows")
    void explains(String name, String from, String to, Protocol protocol, int port, boolean allowed, List<String> allowedBy) {
        Explainer.Explanation e = EXPLAINER.explain(endpoint(from), endpoint(to), protocol, port);
        assertEquals(allowed, e.allowed(), () -> name + "\n" + String.join("\n", e.lines()));
        List<String> rules = new ArrayList<>();
        e.egress().allowedBy().forEach(r -> rules.add(r.toString()));
        e.ingress().allowedBy().forEach(r -> rules.add(r.toString()));
        assertEquals(allowedBy, rules, () -> String.join("\n", e.lines()));
        assertEquals(allowed ? "allowed" : "denied", e.lines().get(0));
    }

    /**
     * The explainer and the compiler are independent readings of the semantics: they must agree, on
     * every row. Two kinds of row need a step first, and still assert: traffic between a pod and its
     * own node never reaches the forward hook the rule sets program, so it must be allowed and the
     * address must be that node's; and a pod without an address is judged by its labels, so the
     * compiler must agree once the pod has one.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("flows")
    void agreesWithTheCompiledRuleSets(String name, String from, String to, Protocol protocol, int port, boolean allowed,
                                       List<String> allowedBy) {
        Explainer.Explanation e = EXPLAINER.explain(endpoint(from), endpoint(to), protocol, port);
        if (e.ingress().summary().contains("own node")) {
            assertOwnNode(name, e, e.sourceAddress(), e.destinationAddress());
            return;
        }
        if (e.egress().summary().contains("own node")) {
            assertOwnNode(name, e, e.destinationAddress(), e.sourceAddress());
            return;
        }
        ClusterIndex index = INDEX;
        IpAddress src = e.sourceAddress().orElse(null);
        IpAddress dst = e.destinationAddress().orElse(null);
        if (src == null || dst == null) {
            Cluster addressed = CLUSTER;
            if (src == null) {
                src = ip(UNUSED_SOURCE);
                addressed = withAddress(addressed, from, src);
            }
            if (dst == null) {
                dst = ip(UNUSED_DESTINATION);
                addressed = withAddress(addressed, to, dst);
            }
            index = new ClusterIndex(addressed);
        }
        PolicyCompiler compiler = new PolicyCompiler(index);
        boolean egressOk = permits(index, compiler, src, dst, protocol, port, true);
        boolean ingressOk = permits(index, compiler, src, dst, protocol, port, false);
        assertEquals(e.allowed(), egressOk && ingressOk, () -> name + "\n" + String.join("\n", e.lines()));
    }

    /** Addresses no pod or node of {@link #CLUSTER} holds, given to a pod that has none. */
    private static final String UNUSED_SOURCE = "10.0.2.201";
    private static final String UNUSED_DESTINATION = "10.0.2.202";

    /** Node-local traffic: allowed, and {@code nodeSide} is an address of the node {@code podSide}'s pod runs on. */
    private static void assertOwnNode(String name, Explainer.Explanation e, Optional<IpAddress> nodeSide,
                                      Optional<IpAddress> podSide) {
        assertTrue(e.allowed(), () -> name + "\n" + String.join("\n", e.lines()));
        Pod pod = INDEX.endpointByIp(podSide.orElseThrow()).orElseThrow();
        Node node = CLUSTER.nodes().stream().filter(n -> n.name().equals(pod.nodeName())).findFirst().orElseThrow();
        assertTrue(node.addresses().contains(nodeSide.orElseThrow()),
                () -> name + ": " + nodeSide + " is not an address of " + node + "\n" + String.join("\n", e.lines()));
    }

    /** {@code cluster} with the pod named {@code namespaceAndName} holding {@code address}. */
    private static Cluster withAddress(Cluster cluster, String namespaceAndName, IpAddress address) {
        List<Pod> pods = cluster.pods().stream()
                .map(p -> (p.namespace() + "/" + p.name()).equals(namespaceAndName)
                        ? new Pod(p.namespace(), p.name(), p.nodeName(), p.labels(), List.of(address), p.hostNetwork(),
                                p.phase(), p.ports(), p.uid())
                        : p)
                .toList();
        assertTrue(!pods.equals(cluster.pods()), () -> "no pod " + namespaceAndName + " to give " + address);
        return new Cluster(cluster.namespaces(), cluster.nodes(), pods, cluster.policies());
    }

    @Test
    void linesNameTheIsolatingPoliciesAndEveryRule() {
        Explainer.Explanation e = EXPLAINER.explain(endpoint("other/ui"), endpoint("shop/web"), Protocol.TCP, 8080);
        assertEquals(List.of(
                "denied",
                "flow: other/ui (10.0.2.3) -> shop/web (10.0.1.1) tcp/8080",
                "egress of other/ui (10.0.2.3): not isolated: no policy selects it with policyType Egress",
                "ingress of shop/web (10.0.1.1): isolated, and no ingress rule allows the flow",
                "  shop/deny-ingress isolates it and has no ingress rules",
                "  shop/web-from-frontend ingress[0]: peer does not match"), e.lines());
    }

    @Test
    void outsideAddressesAreNeverIsolated() {
        Explainer.Explanation e = EXPLAINER.explain(endpoint("shop/web"), endpoint("172.18.0.3"), Protocol.TCP, 10250);
        assertTrue(e.allowed());
        assertFalse(e.ingress().isolated());
        assertEquals("not a pod (an address of node n2): ingress is not restricted", e.ingress().summary());
    }

    @Test
    void unknownPodIsEmpty() {
        assertTrue(EXPLAINER.pod("shop", "nope").isEmpty());
        assertTrue(EXPLAINER.pod("shop", "pending").isPresent(), "pods without addresses can be named");
    }

    // ------------------------------------------------------------------------------- helpers

    private static Explainer.Endpoint endpoint(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            return EXPLAINER.address(IpAddress.parse(text));
        }
        return EXPLAINER.pod(text.substring(0, slash), text.substring(slash + 1)).orElseThrow();
    }

    /** Whether the compiled rule set of the enforcing node lets the flow through in one direction. */
    private static boolean permits(ClusterIndex index, PolicyCompiler compiler, IpAddress src, IpAddress dst,
                                   Protocol protocol, int port, boolean egress) {
        IpAddress local = egress ? src : dst;
        IpAddress remote = egress ? dst : src;
        Optional<Pod> pod = index.endpointByIp(local);
        if (pod.isEmpty()) {
            return true;
        }
        NodeRuleSet rules = compiler.compileNode(pod.get().nodeName());
        DirectionRules direction = egress ? rules.egress() : rules.ingress();
        if (!direction.isolated().contains(local)) {
            return true;
        }
        for (Grant g : direction.grants()) {
            if (g.pods().contains(local) && g.peers().contains(remote)
                    && (g.ports().isEmpty() || g.ports().stream().anyMatch(r -> r.contains(protocol, port)))) {
                return true;
            }
        }
        return false;
    }

    private static Pod pod(String ns, String name, String node, Map<String, String> labels, List<IpAddress> ips,
                           List<ContainerPort> ports) {
        return new Pod(ns, name, node, labels, ips, false, Pod.Phase.Running, ports);
    }

    private static IpAddress ip(String text) {
        return IpAddress.parse(text);
    }
}
