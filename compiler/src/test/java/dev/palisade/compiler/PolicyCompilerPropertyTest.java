package dev.palisade.compiler;

import dev.palisade.compiler.ReferenceEvaluator.PodEndpoint;
import dev.palisade.model.Cluster;
import dev.palisade.ruleset.NodeRuleSet;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The compiler's rule sets, read through the contract's own meaning ({@link RuleSetVerdicts}),
 * agree with the reference evaluator on generated clusters and flows. The dataplane's property
 * test checks the same through nftables; this one tells whether a disagreement is the compiler's.
 */
class PolicyCompilerPropertyTest {

    @Property(tries = 1000)
    void ruleSetsAgreeWithTheReference(@ForAll("scenarios") Scenario s) {
        Map<String, NodeRuleSet> ruleSets = new PolicyCompiler(new ClusterIndex(s.cluster())).compileAll();
        for (Flow f : s.flows()) {
            boolean expected = ReferenceEvaluator.allowed(s.cluster(), f.src(), f.dst(), f.protocol(), f.port());
            Statistics.collect(expected ? "allowed" : "denied");
            assertEquals(expected, contractAllows(s.cluster(), ruleSets, f), () -> "flow " + f);
        }
    }

    @Provide
    Arbitrary<Scenario> scenarios() {
        return ClusterArbitraries.scenarios(30);
    }

    /**
     * Egress is enforced on the source pod's node, ingress on the destination pod's node, except
     * for traffic between a pod and its own node, which is always allowed; a pod talking to itself
     * never leaves it.
     */
    static boolean contractAllows(Cluster c, Map<String, NodeRuleSet> ruleSets, Flow f) {
        if (f.src() instanceof PodEndpoint s && f.dst() instanceof PodEndpoint d && s.pod().equals(d.pod())) {
            return true;
        }
        if (f.src() instanceof PodEndpoint s && !s.pod().hostNetwork() && !onNode(c, s.pod().nodeName(), f.dst().ip())) {
            NodeRuleSet rs = ruleSets.get(s.pod().nodeName());
            if (!RuleSetVerdicts.allows(rs.egress(), f.src().ip(), f.dst().ip(), f.protocol(), f.port())) {
                return false;
            }
        }
        if (f.dst() instanceof PodEndpoint d && !d.pod().hostNetwork()) {
            if (onNode(c, d.pod().nodeName(), f.src().ip())) {
                return true;
            }
            NodeRuleSet rs = ruleSets.get(d.pod().nodeName());
            return RuleSetVerdicts.allows(rs.ingress(), f.dst().ip(), f.src().ip(), f.protocol(), f.port());
        }
        return true;
    }

    private static boolean onNode(Cluster c, String node, dev.palisade.model.IpAddress address) {
        return c.nodes().stream().anyMatch(n -> n.name().equals(node) && n.addresses().contains(address));
    }
}
