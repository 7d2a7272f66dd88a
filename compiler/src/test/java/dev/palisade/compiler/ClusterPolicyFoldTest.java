package dev.palisade.compiler;

import dev.palisade.model.Cidr;
import dev.palisade.model.Cluster;
import dev.palisade.model.ClusterNetworkPolicy;
import dev.palisade.model.ClusterNetworkPolicy.Subject;
import dev.palisade.model.ClusterNetworkPolicy.Tier;
import dev.palisade.model.ClusterPeer;
import dev.palisade.model.ClusterRule;
import dev.palisade.model.ClusterRule.Action;
import dev.palisade.model.LabelSelector;
import dev.palisade.model.NetworkPolicy;
import dev.palisade.model.PortSpec;
import dev.palisade.model.Protocol;
import dev.palisade.ruleset.ClusterVerdict;
import dev.palisade.ruleset.ClusterVerdicts;
import dev.palisade.ruleset.NodeRuleSet;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static dev.palisade.compiler.Manifests.cluster;
import static dev.palisade.compiler.Manifests.ingressPolicy;
import static dev.palisade.compiler.Manifests.namespace;
import static dev.palisade.compiler.Manifests.node;
import static dev.palisade.compiler.Manifests.pod;
import static dev.palisade.compiler.Manifests.selector;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The verdicts the fold produces for hand-written cases, one line per verdict:
 * {@code DECISION rule pods -> peers ports [+other]}. The property test checks the meaning on generated
 * clusters; these pin the shape (what merges, what is left to NetworkPolicy) and the edge cases by name.
 */
class ClusterPolicyFoldTest {

    /** web (10.0.1.10) on n1; db (10.0.1.20) on n1; client (10.0.2.30) on n2, in namespace "other". */
    private static Cluster base(List<NetworkPolicy> policies, ClusterNetworkPolicy... cnps) {
        return cluster(List.of(namespace("prod", "env=prod"), namespace("other", "env=dev")),
                List.of(node("n1", "192.168.0.1"), node("n2", "192.168.0.2")),
                List.of(pod("prod/web", "n1", "app=web", "10.0.1.10", ""),
                        pod("prod/db", "n1", "app=db", "10.0.1.20", ""),
                        pod("other/client", "n2", "app=client", "10.0.2.30", "")),
                policies).withClusterPolicies(List.of(cnps));
    }

    private static ClusterNetworkPolicy cnp(String name, Tier tier, int priority, String podLabels,
                                            List<ClusterRule> ingress, List<ClusterRule> egress) {
        return new ClusterNetworkPolicy(name, tier, priority,
                new Subject(LabelSelector.EVERYTHING, selector(podLabels)), ingress, egress);
    }

    private static ClusterRule rule(Action action, ClusterPeer peer, PortSpec... ports) {
        return new ClusterRule("", action, List.of(peer), List.of(ports));
    }

    private static final ClusterPeer EVERY_POD = new ClusterPeer.Pods(LabelSelector.EVERYTHING, LabelSelector.EVERYTHING);

    private static List<String> lines(Cluster c, String node, boolean ingress) {
        ClusterIndex index = new ClusterIndex(c);
        NodeRuleSet rs = new PolicyCompiler(index).compileNode(node);
        ClusterVerdicts v = new ClusterPolicyFold(index).fold(rs);
        return v.direction(ingress).stream().map(ClusterPolicyFoldTest::line).toList();
    }

    static String line(ClusterVerdict v) {
        String peers = v.peers().addresses().stream().map(Object::toString).collect(Collectors.joining(","))
                + (v.peers().addresses().isEmpty() || v.peers().ranges().isEmpty() ? "" : ",")
                + v.peers().ranges().stream().map(Object::toString).collect(Collectors.joining(","));
        return v.decision() + " " + v.rule() + " " + v.pods() + " -> " + peers + " " + v.ports()
                + (v.otherProtocols() ? " +other" : "");
    }

    @Test
    void withoutClusterNetworkPoliciesThereAreNoVerdicts() {
        assertEquals(List.of(), lines(base(List.of()), "n1", true));
        assertEquals(List.of(), lines(base(List.of()), "n1", false));
    }

    @Test
    void anAcceptedPortCutsItsDenyAllAroundIt() {
        Cluster c = base(List.of(), cnp("web", Tier.Admin, 10, "app=web", List.of(
                rule(Action.Accept, EVERY_POD, new PortSpec.Numbered(Protocol.TCP, 80)),
                rule(Action.Deny, EVERY_POD)), List.of()));
        assertEquals(List.of(
                "ACCEPT web#ingress[0] [10.0.1.10] -> 10.0.1.10,10.0.1.20,10.0.2.30 [tcp/80]",
                "DENY web#ingress[1] [10.0.1.10] -> 10.0.1.10,10.0.1.20,10.0.2.30 "
                        + "[tcp/0-79, tcp/81-65535, udp/0-65535, sctp/0-65535] +other"), lines(c, "n1", true));
        assertEquals(List.of(), lines(c, "n1", false), "no egress rules: egress untouched");
    }

    @Test
    void equalPrioritiesResolveToTheStrictestMatchWhateverTheNames() {
        for (String[] names : new String[][] {{"a-accept", "b-deny"}, {"z-accept", "b-deny"}}) {
            Cluster c = base(List.of(),
                    cnp(names[0], Tier.Admin, 5, "app=web", List.of(rule(Action.Accept, EVERY_POD)), List.of()),
                    cnp(names[1], Tier.Admin, 5, "app=web", List.of(rule(Action.Deny, EVERY_POD,
                            new PortSpec.Numbered(Protocol.TCP, 80, 90))), List.of()));
            assertEquals(List.of(
                    "ACCEPT " + names[0] + "#ingress[0] [10.0.1.10] -> "
                            + "10.0.1.10,10.0.1.20,10.0.2.30 [tcp/0-79, tcp/91-65535, udp/0-65535, sctp/0-65535] +other",
                    "DENY b-deny#ingress[0] [10.0.1.10] -> 10.0.1.10,10.0.1.20,10.0.2.30 [tcp/80-90]"),
                    lines(c, "n1", true).stream().sorted().toList(), String.join(",", names));
        }
    }

    @Test
    void aLowerPriorityNumberWinsAndPassHandsOverToNetworkPolicy() {
        // db is isolated by a NetworkPolicy that admits only web; the Admin Pass leaves db to it
        Cluster c = base(List.of(ingressPolicy("prod/db-in", selector("app=db"),
                        Manifests.rule(Manifests.peers(Manifests.pods(selector("app=web")))))),
                cnp("pass-prod", Tier.Admin, 1, "", List.of(rule(Action.Pass,
                        new ClusterPeer.Pods(selector("env=prod"), LabelSelector.EVERYTHING))), List.of()),
                cnp("deny-all", Tier.Admin, 2, "", List.of(rule(Action.Deny, EVERY_POD)), List.of()));
        assertEquals(List.of(
                "DENY deny-all#ingress[0] [10.0.1.10, 10.0.1.20] -> 10.0.2.30 "
                        + "[tcp/0-65535, udp/0-65535, sctp/0-65535] +other"), lines(c, "n1", true));
    }

    @Test
    void baselineDenyAppliesOnlyToPodsNoNetworkPolicyIsolates() {
        Cluster c = base(List.of(ingressPolicy("prod/db-in", selector("app=db"))),
                cnp("baseline", Tier.Baseline, 0, "", List.of(
                        rule(Action.Pass, new ClusterPeer.Pods(selector("env=prod"), LabelSelector.EVERYTHING)),
                        rule(Action.Deny, EVERY_POD)), List.of()));
        assertEquals(List.of(
                "DENY baseline#ingress[1] [10.0.1.10] -> 10.0.2.30 [tcp/0-65535, udp/0-65535, sctp/0-65535] +other"),
                lines(c, "n1", true));
    }

    @Test
    void networksAreRangesAndTheSubjectsOwnAddressIsNoException() {
        Cluster c = base(List.of(), cnp("egress", Tier.Admin, 0, "app=web", List.of(), List.of(
                rule(Action.Accept, new ClusterPeer.Networks(List.of(Cidr.parse("10.0.1.0/24"))),
                        new PortSpec.Numbered(Protocol.UDP, 53)),
                rule(Action.Deny, new ClusterPeer.Networks(List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("fd00::/8")))))));
        assertEquals(List.of(
                "ACCEPT egress#egress[0] [10.0.1.10] -> 10.0.1.0-10.0.1.255 [udp/53]",
                "DENY egress#egress[1] [10.0.1.10] -> 10.0.0.0-10.0.0.255,10.0.2.0-10.255.255.255,"
                        + "fd00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff [udp/53]",
                "DENY egress#egress[1] [10.0.1.10] -> 10.0.0.0-10.255.255.255,fd00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
                        + "[tcp/0-65535, udp/0-52, udp/54-65535, sctp/0-65535] +other"), lines(c, "n1", false));
    }
}
