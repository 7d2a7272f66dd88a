package dev.palisade.compiler;

import dev.palisade.compiler.ReferenceEvaluator.PodEndpoint;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code palisade explain}'s point-wise reading of the tiers agrees with the reference tier walk on generated
 * clusters with ClusterNetworkPolicies (and so, through {@link ClusterPolicyFoldPropertyTest}, with the fold).
 */
class ExplainerClusterPolicyPropertyTest {

    @Property(tries = 500)
    void explanationsAgreeWithTheTierWalk(@ForAll("scenarios") Scenario s) {
        Explainer explainer = new Explainer(new ClusterIndex(s.cluster()));
        for (Flow f : s.flows()) {
            if (f.src() instanceof PodEndpoint a && f.dst() instanceof PodEndpoint b && a.pod().equals(b.pod())) {
                continue; // a pod talking to itself: explain judges it by policy as it always has (the dataplane never sees it)
            }
            if ((f.src() instanceof PodEndpoint && ReferenceEvaluator.policyEndpoint(f.src()) == null)
                    || (f.dst() instanceof PodEndpoint && ReferenceEvaluator.policyEndpoint(f.dst()) == null)) {
                // host-network or finished pods: explain resolves a named port against a finished destination pod,
                // the compiler does not (a NetworkPolicy-only difference older than ClusterNetworkPolicy)
                continue;
            }
            boolean expected = ClusterReferenceEvaluator.allowed(s.cluster(), f.src(), f.dst(), f.protocol(), f.port());
            Explainer.Explanation e = explainer.explain(endpoint(f.src()), endpoint(f.dst()), f.protocol(), f.port());
            assertEquals(expected, e.allowed(), () -> "flow " + f + "\n" + String.join("\n", e.lines()));
        }
    }

    @Provide
    Arbitrary<Scenario> scenarios() {
        return ClusterArbitraries.clusterPolicyScenarios(30);
    }

    private static Explainer.Endpoint endpoint(ReferenceEvaluator.Endpoint e) {
        if (e instanceof PodEndpoint p) {
            return new Explainer.Endpoint.PodEndpoint(p.pod(), Optional.of(p.ip()));
        }
        return new Explainer.Endpoint.Address(e.ip());
    }
}
