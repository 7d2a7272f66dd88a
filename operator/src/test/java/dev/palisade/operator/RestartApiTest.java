package dev.palisade.operator;

import dev.palisade.operator.publish.RuleSetEncoder;
import dev.palisade.operator.resource.PalisadeAddressSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static dev.palisade.operator.TestCluster.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The operator stops mid-stream; the cluster changes; a new operator converges and continues the revisions. */
class RestartApiTest {

    @Test
    void restartedOperatorConverges() {
        TestCluster cluster = TestCluster.get();
        KubernetesClient admin = cluster.admin();
        Fixtures fx = new Fixtures(admin);
        fx.node("rs-node");
        fx.node("rs-node-gone");
        fx.node("rs-node-still");
        fx.namespace("rs", Map.of());
        fx.pod("rs", "web", "rs-node", "10.80.0.1", Map.of("app", "web"));
        fx.pod("rs", "cli", "rs-node-still", "10.80.0.2", Map.of("app", "cli"));
        fx.policy("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: web, namespace: rs}
                spec:
                  podSelector: {matchLabels: {app: web}}
                  ingress: [{from: [{podSelector: {matchLabels: {role: friend}}}]}]
                """);
        KubernetesClient c1 = cluster.asOperator();
        Operator first = OperatorMain.start(OperatorApiTest.testConfig("op-first"), c1);
        fx.converged("rs-node");
        fx.converged("rs-node-still");
        long revision = fx.ruleSetObject("rs-node").orElseThrow().getSpec().revision();
        String stillVersion = fx.ruleSetObject("rs-node-still").orElseThrow().getMetadata().getResourceVersion();
        first.close();
        c1.close();

        // While no operator runs: a peer appears, a node goes away.
        fx.label("rs", "cli", Map.of("app", "cli", "role", "friend"));
        admin.nodes().withName("rs-node-gone").delete();

        KubernetesClient c2 = cluster.asOperator();
        Operator second = OperatorMain.start(OperatorApiTest.testConfig("op-second"), c2);
        try {
            var rs = fx.converged("rs-node");
            assertFalse(rs.ingress().grants().isEmpty(), rs.toString());
            assertEquals(revision + 1, fx.ruleSetObject("rs-node").orElseThrow().getSpec().revision(),
                    "revisions continue from what is published, not from 1");
            eventually(Duration.ofSeconds(30), () -> fx.ruleSetObject("rs-node-gone").isEmpty(), () -> "not deleted");
            assertEquals(stillVersion, fx.ruleSetObject("rs-node-still").orElseThrow().getMetadata().getResourceVersion(),
                    "an unchanged rule set is not rewritten by a new leader");
        } finally {
            second.close();
            c2.close();
        }
    }

    @Test
    void largePeerSetsAreSharedByReferenceAndCollected() {
        TestCluster cluster = TestCluster.get();
        KubernetesClient admin = cluster.admin();
        Fixtures fx = new Fixtures(admin);
        fx.node("as-node-1");
        fx.node("as-node-2");
        fx.namespace("as", Map.of());
        for (int i = 0; i < 24; i++) {
            fx.pod("as", "p" + i, i % 2 == 0 ? "as-node-1" : "as-node-2", "10.90.0." + (i + 1), Map.of("app", "member"));
        }
        fx.policy("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: members, namespace: as}
                spec:
                  podSelector: {matchLabels: {app: member}}
                  ingress: [{from: [{podSelector: {matchLabels: {app: member}}}]}]
                """);
        KubernetesClient c = cluster.asOperator();
        // Tiny limits, so that 24 peers go into shared parts of at most 8 entries.
        Operator op = OperatorMain.start(OperatorApiTest.testConfig("op-sets").withLimits(new RuleSetEncoder.Limits(4, 8, 1 << 20)), c);
        try {
            fx.converged("as-node-1");
            fx.converged("as-node-2");
            var sets1 = fx.ruleSetObject("as-node-1").orElseThrow().getSpec().ruleSet().ingress().grants().get(0).peers().addressSets();
            var sets2 = fx.ruleSetObject("as-node-2").orElseThrow().getSpec().ruleSet().ingress().grants().get(0).peers().addressSets();
            assertTrue(sets1.size() >= 4, sets1.toString());
            assertEquals(sets1, sets2, "both nodes reference the same parts");
            for (String name : sets1) {
                PalisadeAddressSet part = admin.resources(PalisadeAddressSet.class).withName(name).get();
                assertTrue(part.getSpec().entries() <= 8, name + " " + part.getSpec());
            }
            admin.network().v1().networkPolicies().inNamespace("as").withName("members").delete();
            eventually(Duration.ofSeconds(30), () -> sets1.stream().allMatch(n ->
                            admin.resources(PalisadeAddressSet.class).withName(n).get() == null),
                    () -> "unreferenced parts not collected: " + admin.resources(PalisadeAddressSet.class).list().getItems().size());
        } finally {
            op.close();
            c.close();
        }
    }
}
