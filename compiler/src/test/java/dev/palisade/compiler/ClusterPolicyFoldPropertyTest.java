package dev.palisade.compiler;

import dev.palisade.compiler.ReferenceEvaluator.PodEndpoint;
import dev.palisade.model.Cluster;
import dev.palisade.model.IpAddress;
import dev.palisade.ruleset.ClusterVerdicts;
import dev.palisade.ruleset.NodeRuleSet;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The folded ClusterNetworkPolicy verdicts plus the NetworkPolicy rule sets, read through the contract's
 * meaning ({@link RuleSetVerdicts}), agree with the tier walk of {@link ClusterReferenceEvaluator} on generated
 * clusters (Admin and Baseline policies, priorities that tie, Accept/Deny/Pass, pod and network peers, port
 * ranges) and flows. Reading the verdicts also checks that no packet is covered by an ACCEPT and a DENY.
 */
class ClusterPolicyFoldPropertyTest {

    @Property(tries = 1000)
    void foldedVerdictsAgreeWithTheTierWalk(@ForAll("scenarios") Scenario s) {
        ClusterIndex index = new ClusterIndex(s.cluster());
        Map<String, NodeRuleSet> ruleSets = new PolicyCompiler(index).compileAll();
        ClusterPolicyFold fold = new ClusterPolicyFold(index);
        Map<String, ClusterVerdicts> verdicts = new TreeMap<>();
        ruleSets.forEach((node, rs) -> verdicts.put(node, fold.fold(rs)));
        // the compiler attaches exactly the fold to its rule sets
        ruleSets.forEach((node, rs) -> assertEquals(verdicts.get(node),
                new ClusterVerdicts(node, rs.ingress().verdicts(), rs.egress().verdicts())));
        for (Flow f : s.flows()) {
            boolean expected = ClusterReferenceEvaluator.allowed(s.cluster(), f.src(), f.dst(), f.protocol(), f.port());
            Statistics.collect(expected ? "allowed" : "denied");
            assertEquals(expected, contractAllows(s.cluster(), ruleSets, verdicts, f), () -> "flow " + f);
        }
    }

    @Provide
    Arbitrary<Scenario> scenarios() {
        return ClusterArbitraries.clusterPolicyScenarios(30);
    }

    /** As {@link PolicyCompilerPropertyTest#contractAllows}, with each node's verdicts consulted first. */
    static boolean contractAllows(Cluster c, Map<String, NodeRuleSet> ruleSets, Map<String, ClusterVerdicts> verdicts, Flow f) {
        if (f.src() instanceof PodEndpoint s && f.dst() instanceof PodEndpoint d && s.pod().equals(d.pod())) {
            return true;
        }
        if (f.src() instanceof PodEndpoint s && !s.pod().hostNetwork() && !onNode(c, s.pod().nodeName(), f.dst().ip())) {
            String node = s.pod().nodeName();
            if (!RuleSetVerdicts.allows(ruleSets.get(node).egress().withVerdicts(java.util.List.of()), verdicts.get(node).egress(),
                    f.src().ip(), f.dst().ip(), f.protocol(), f.port())) {
                return false;
            }
        }
        if (f.dst() instanceof PodEndpoint d && !d.pod().hostNetwork()) {
            if (onNode(c, d.pod().nodeName(), f.src().ip())) {
                return true;
            }
            String node = d.pod().nodeName();
            return RuleSetVerdicts.allows(ruleSets.get(node).ingress().withVerdicts(java.util.List.of()), verdicts.get(node).ingress(),
                    f.dst().ip(), f.src().ip(), f.protocol(), f.port());
        }
        return true;
    }

    private static boolean onNode(Cluster c, String node, IpAddress address) {
        return c.nodes().stream().anyMatch(n -> n.name().equals(node) && n.addresses().contains(address));
    }
}
