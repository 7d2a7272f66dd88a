package dev.palisade.dataplane.translate;

import dev.palisade.compiler.ClusterArbitraries;
import dev.palisade.compiler.ClusterIndex;
import dev.palisade.compiler.Flow;
import dev.palisade.compiler.PolicyCompiler;
import dev.palisade.compiler.ClusterReferenceEvaluator;
import dev.palisade.compiler.ReferenceEvaluator;
import dev.palisade.compiler.ReferenceEvaluator.Endpoint;
import dev.palisade.compiler.ReferenceEvaluator.PodEndpoint;
import dev.palisade.compiler.Scenario;
import dev.palisade.dataplane.nft.Element;
import dev.palisade.dataplane.nft.KeyType;
import dev.palisade.dataplane.nft.NamedSet;
import dev.palisade.dataplane.nft.Table;
import dev.palisade.dataplane.nft.Value;
import dev.palisade.dataplane.render.NftRenderer;
import dev.palisade.dataplane.translate.NftInterpreter.Hook;
import dev.palisade.dataplane.translate.NftInterpreter.Packet;
import dev.palisade.dataplane.translate.NftInterpreter.Trace;
import dev.palisade.model.Cluster;
import dev.palisade.model.ContainerPort;
import dev.palisade.model.IpAddress;
import dev.palisade.model.LabelSelector;
import dev.palisade.model.NetworkPolicy;
import dev.palisade.model.Node;
import dev.palisade.model.Peer;
import dev.palisade.model.Pod;
import dev.palisade.model.Rule;
import dev.palisade.ruleset.NodeRuleSet;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The whole pure pipeline against the reference: generated clusters are compiled, translated into
 * each node's nftables table, and the first packet of generated flows is walked through the hooks
 * it crosses on its way; its fate must be what {@link ReferenceEvaluator} says.
 */
class CompiledPolicyPropertyTest {

    @Property(tries = 1000)
    void packetFateIsTheReferenceVerdict(@ForAll("scenarios") Scenario s) {
        packetFates(s, false);
    }

    /**
     * With ClusterNetworkPolicies (Admin and Baseline, tied priorities, Accept/Deny/Pass): the packet's fate in the
     * translated tables is what the tier walk of {@link ClusterReferenceEvaluator} says.
     */
    @Property(tries = 1000)
    void packetFateIsTheClusterReferenceVerdict(@ForAll("clusterPolicyScenarios") Scenario s) {
        packetFates(s, true);
    }

    @Provide
    Arbitrary<Scenario> clusterPolicyScenarios() {
        return ClusterArbitraries.clusterPolicyScenarios(30);
    }

    @Provide
    Arbitrary<Cluster> clusterPolicyClusters() {
        return ClusterArbitraries.clusterPolicyScenarios(1).map(Scenario::cluster);
    }

    @Property(tries = 300)
    void intervalSetsNeverOverlapWithClusterPolicies(@ForAll("clusterPolicyClusters") Cluster c) {
        intervalSetsNeverOverlap(c);
    }

    private void packetFates(Scenario s, boolean clusterPolicies) {
        Map<String, Table> tables = tables(s.cluster());
        for (Flow f : s.flows()) {
            boolean expected = clusterPolicies
                    ? ClusterReferenceEvaluator.allowed(s.cluster(), f.src(), f.dst(), f.protocol(), f.port())
                    : ReferenceEvaluator.allowed(s.cluster(), f.src(), f.dst(), f.protocol(), f.port());
            List<Hop> hops = path(s.cluster(), f);
            List<Trace> traces = new ArrayList<>();
            boolean delivered = true;
            for (Hop h : hops) {
                Trace t = NftInterpreter.run(tables.get(h.node()), h.hook(),
                        Packet.first(f.src().ip(), f.dst().ip(), f.protocol().number(), f.port()));
                traces.add(t);
                if (!t.accepted()) {
                    delivered = false;
                    break;
                }
            }
            Statistics.label("verdict").collect(expected ? "allowed" : "denied");
            Statistics.label("hops").collect(hops.stream().map(h -> h.hook().nft()).toList().toString());
            boolean finalDelivered = delivered;
            assertEquals(expected, delivered, () -> "flow " + f + "\nreference: " + (expected ? "allowed" : "denied")
                    + ", dataplane: " + (finalDelivered ? "delivered" : "dropped") + "\nhops " + hops + "\ntraces "
                    + traces + "\nrule sets " + ruleSetsOf(s.cluster()));
        }
    }

    @Provide
    Arbitrary<Scenario> scenarios() {
        return ClusterArbitraries.scenarios(30);
    }

    @Provide
    Arbitrary<Cluster> clusters() {
        return ClusterArbitraries.clusters();
    }

    /** Same snapshot, listed in any order (objects, and lists inside them): equal rule sets, identical text. */
    @Property(tries = 300)
    void inputOrderDoesNotMatter(@ForAll("clusters") Cluster c, @ForAll Random random) {
        Cluster shuffled = shuffled(c, random);
        Map<String, NodeRuleSet> expected = ruleSetsOf(c);
        Map<String, NodeRuleSet> actual = ruleSetsOf(shuffled);
        assertEquals(expected, actual);
        expected.forEach((node, rs) -> assertEquals(
                NftRenderer.replaceScript(RuleSetTranslator.translate(rs)),
                NftRenderer.replaceScript(RuleSetTranslator.translate(actual.get(node)))));
    }

    /** Equal inputs, built and compiled separately (node by node, or all nodes in parallel): byte-identical scripts. */
    @Property(tries = 300)
    void equalInputsRenderByteIdentically(@ForAll("clusters") Cluster c) {
        Cluster copy = new Cluster(new ArrayList<>(c.namespaces()), new ArrayList<>(c.nodes()),
                c.pods().stream().map(CompiledPolicyPropertyTest::copy).toList(), new ArrayList<>(c.policies()));
        Map<String, NodeRuleSet> all = ruleSetsOf(c);
        PolicyCompiler separate = new PolicyCompiler(new ClusterIndex(copy));
        for (Map.Entry<String, NodeRuleSet> e : all.entrySet()) {
            NodeRuleSet one = separate.compileNode(e.getKey());
            assertEquals(e.getValue(), one);
            assertEquals(NftRenderer.replaceScript(RuleSetTranslator.translate(e.getValue())),
                    NftRenderer.replaceScript(RuleSetTranslator.translate(one)));
        }
    }

    /**
     * The kernel's interval backend for concatenations (pipapo) rejects elements that overlap in
     * every field; and no element may hold an address of the other family than its set's type.
     */
    @Property(tries = 500)
    void intervalSetsNeverOverlap(@ForAll("clusters") Cluster c) {
        for (Table t : tables(c).values()) {
            for (NamedSet set : t.sets()) {
                for (Element e : set.elements()) {
                    for (int i = 0; i < e.key().size(); i++) {
                        assertFalse(wrongFamily(set.type().get(i), e.key().get(i)),
                                () -> "set " + set.name() + " element " + NftRenderer.element(e));
                    }
                }
                if (!set.interval()) {
                    continue;
                }
                List<Element> es = List.copyOf(set.elements());
                for (int i = 0; i < es.size(); i++) {
                    for (int j = i + 1; j < es.size(); j++) {
                        Element a = es.get(i);
                        Element b = es.get(j);
                        assertFalse(overlap(a, b), () -> "set " + set.name() + " holds overlapping elements "
                                + NftRenderer.element(a) + " and " + NftRenderer.element(b));
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ the path of a packet

    record Hop(String node, Hook hook) {
        @Override
        public String toString() {
            return node + "/" + hook.nft();
        }
    }

    /**
     * The hooks of Palisade's tables that a flow's first packet crosses. A pod's packet enters its
     * node's host stack from the pod's veth: {@code input} when it is for one of the node's own
     * addresses, else {@code forward}, once, even when the destination is a pod on the same node.
     * A packet for a pod on another node crosses that node's {@code forward} too, unless that node
     * sent it itself (node addresses, host-network pods), which goes through {@code output},
     * unhooked. A packet for a node address crosses that node's {@code input}. A pod talking to
     * itself never leaves its network namespace.
     */
    static List<Hop> path(Cluster c, Flow f) {
        Endpoint src = f.src();
        Endpoint dst = f.dst();
        String srcPodNode = podNode(src);
        String dstPodNode = podNode(dst);
        String srcHost = hostOf(c, src.ip());
        String dstHost = hostOf(c, dst.ip());
        if (src instanceof PodEndpoint s && dst instanceof PodEndpoint d && srcPodNode != null
                && s.pod().equals(d.pod())) {
            return List.of();
        }
        List<Hop> hops = new ArrayList<>();
        if (srcPodNode != null) {
            if (srcPodNode.equals(dstHost)) {
                // to its own node: input, which Palisade does not hook (always allowed)
                return List.of(new Hop(srcPodNode, Hook.INPUT));
            }
            hops.add(new Hop(srcPodNode, Hook.FORWARD));
            if (srcPodNode.equals(dstPodNode)) {
                return hops;
            }
        }
        if (dstPodNode != null) {
            if (!dstPodNode.equals(srcHost)) {
                hops.add(new Hop(dstPodNode, Hook.FORWARD));
            }
        } else if (dstHost != null) {
            hops.add(new Hop(dstHost, Hook.INPUT));
        }
        return hops;
    }

    /** The node of a pod that has its own network namespace, or null. */
    private static String podNode(Endpoint e) {
        return e instanceof PodEndpoint p && !p.pod().hostNetwork() ? p.pod().nodeName() : null;
    }

    /** The node that owns an address in its host stack, or null. */
    private static String hostOf(Cluster c, IpAddress a) {
        for (Node n : c.nodes()) {
            if (n.addresses().contains(a)) {
                return n.name();
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ pipeline

    static Map<String, NodeRuleSet> ruleSetsOf(Cluster c) {
        return new PolicyCompiler(new ClusterIndex(c)).compileAll();
    }

    static Map<String, Table> tables(Cluster c) {
        Map<String, Table> out = new TreeMap<>();
        ruleSetsOf(c).forEach((node, rs) -> out.put(node, RuleSetTranslator.translate(rs)));
        return out;
    }

    // ------------------------------------------------------------------ interval sets

    static boolean overlap(Element a, Element b) {
        for (int i = 0; i < a.key().size(); i++) {
            if (!intersect(a.key().get(i), b.key().get(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean intersect(Value x, Value y) {
        if (x instanceof Value.Address a && y instanceof Value.Address b) {
            return a.range().family() == b.range().family()
                    && a.range().first().compareTo(b.range().last()) <= 0
                    && b.range().first().compareTo(a.range().last()) <= 0;
        }
        if (x instanceof Value.Proto a && y instanceof Value.Proto b) {
            return a.first() <= b.last() && b.first() <= a.last();
        }
        if (x instanceof Value.Port a && y instanceof Value.Port b) {
            return a.first() <= b.last() && b.first() <= a.last();
        }
        throw new IllegalStateException("fields of different kinds: " + x + " / " + y);
    }

    private static boolean wrongFamily(KeyType type, Value v) {
        if (v instanceof Value.Address a) {
            return type != (a.range().family() == IpAddress.Family.V4 ? KeyType.IPV4_ADDR : KeyType.IPV6_ADDR);
        }
        if (v instanceof Value.Proto) {
            return type != KeyType.INET_PROTO;
        }
        return type != KeyType.INET_SERVICE;
    }

    // ------------------------------------------------------------------ reordering

    /** The same snapshot with every list in another order; sorted maps and sets keep theirs. */
    static Cluster shuffled(Cluster c, Random r) {
        List<Pod> pods = new ArrayList<>();
        for (Pod p : c.pods()) {
            pods.add(new Pod(p.namespace(), p.name(), p.nodeName(), reversedLabels(p.labels()), shuffle(p.ips(), r),
                    p.hostNetwork(), p.phase(), shuffle(p.ports(), r)));
        }
        List<NetworkPolicy> policies = new ArrayList<>();
        for (NetworkPolicy p : c.policies()) {
            policies.add(new NetworkPolicy(p.namespace(), p.name(), shuffle(p.podSelector(), r), p.affectsIngress(),
                    p.affectsEgress(), shuffleRules(p.ingress(), r), shuffleRules(p.egress(), r)));
        }
        List<Node> nodes = new ArrayList<>();
        for (Node n : c.nodes()) {
            nodes.add(new Node(n.name(), n.labels(), shuffle(n.addresses(), r), shuffle(n.podCidrs(), r)));
        }
        return new Cluster(shuffle(c.namespaces(), r), shuffle(nodes, r), shuffle(pods, r), shuffle(policies, r));
    }

    /** Rules keep their order (their index names them); peers and ports inside a rule do not. */
    private static List<Rule> shuffleRules(List<Rule> rules, Random r) {
        List<Rule> out = new ArrayList<>();
        for (Rule rule : rules) {
            List<Peer> peers = new ArrayList<>();
            for (Peer p : rule.peers()) {
                if (p instanceof Peer.IpBlock b) {
                    peers.add(new Peer.IpBlock(b.cidr(), shuffle(b.except(), r)));
                } else {
                    Peer.Pods pods = (Peer.Pods) p;
                    peers.add(new Peer.Pods(shuffle(pods.podSelector(), r),
                            pods.namespaceSelector().map(s -> shuffle(s, r))));
                }
            }
            out.add(new Rule(shuffle(peers, r), shuffle(rule.ports(), r)));
        }
        return out;
    }

    private static LabelSelector shuffle(LabelSelector s, Random r) {
        return new LabelSelector(reversedLabels(s.matchLabels()), shuffle(s.matchExpressions(), r));
    }

    private static Map<String, String> reversedLabels(Map<String, String> labels) {
        List<String> keys = new ArrayList<>(labels.keySet());
        Collections.reverse(keys);
        Map<String, String> out = new LinkedHashMap<>();
        keys.forEach(k -> out.put(k, labels.get(k)));
        return out;
    }

    private static <T> List<T> shuffle(List<T> in, Random r) {
        List<T> out = new ArrayList<>(in);
        Collections.shuffle(out, r);
        return out;
    }

    private static Pod copy(Pod p) {
        return new Pod(p.namespace(), p.name(), p.nodeName(), new TreeMap<>(p.labels()), new ArrayList<>(p.ips()),
                p.hostNetwork(), p.phase(), p.ports().stream().map(cp -> new ContainerPort(cp.name(), cp.protocol(),
                cp.port())).toList());
    }
}
