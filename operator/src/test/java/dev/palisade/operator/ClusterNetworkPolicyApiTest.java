package dev.palisade.operator;

import dev.palisade.model.IpAddress;
import dev.palisade.model.Protocol;
import dev.palisade.ruleset.ClusterVerdict;
import dev.palisade.ruleset.NodeRuleSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static dev.palisade.operator.TestCluster.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ClusterNetworkPolicies through the running operator: applied to a real API server, read by the informer,
 * compiled into verdicts, published on the wire; every published rule set decodes to exactly what the compiler
 * makes of the API server's state ({@link Fixtures#expected} reads the ClusterNetworkPolicies too). Changes that
 * reach a verdict from another node (a new peer pod, a namespace's labels) are followed.
 */
class ClusterNetworkPolicyApiTest {

    static TestCluster cluster;
    static KubernetesClient admin;
    static Fixtures fx;
    static KubernetesClient operatorClient;
    static Operator operator;

    static final String DENY = """
            apiVersion: policy.networking.k8s.io/v1beta1
            kind: ClusterNetworkPolicy
            metadata:
              name: cnp-api-lockdown
            spec:
              tier: Admin
              priority: 5
              subject:
                namespaces:
                  matchLabels: {kubernetes.io/metadata.name: cnp-web}
              ingress:
              - name: no-clients-on-8080
                action: %s
                from:
                - namespaces:
                    matchLabels: {cnp-role: client}
                protocols:
                - tcp:
                    destinationPort: {number: 8080}
            """;

    @BeforeAll
    static void start() {
        cluster = TestCluster.get();
        admin = cluster.admin();
        fx = new Fixtures(admin);
        operatorClient = cluster.asOperator();
        operator = OperatorMain.start(OperatorApiTest.testConfig("op-cnp"), operatorClient);
        eventually(Duration.ofSeconds(30), operator::isLeader, () -> "operator never led");
    }

    @AfterAll
    static void stop() {
        // The API server is shared with the other API tests: leave no policy or pod of ours behind (web-open admits
        // pods of every namespace, so it would hold the other tests' pods in a peer set).
        fx.deleteClusterPolicy("cnp-api-lockdown");
        admin.network().v1().networkPolicies().inNamespace("cnp-web").withName("web-open").delete();
        for (String ns : java.util.List.of("cnp-web", "cnp-client", "cnp-other")) {
            admin.pods().inNamespace(ns).withGracePeriod(0).delete();
        }
        operator.close();
        operatorClient.close();
    }

    private static IpAddress ip(String text) {
        return IpAddress.parse(text);
    }

    private static boolean denies(NodeRuleSet rs, String local, String peer) {
        return rs.ingress().verdicts().stream().anyMatch(v -> v.decision() == ClusterVerdict.Decision.DENY
                && v.covers(ip(local), ip(peer), Protocol.TCP, 8080));
    }

    @Test
    void anAdminDenyIsPublishedAndFollowsPodsNamespacesAndThePolicy() {
        fx.node("cnp-node-1");
        fx.node("cnp-node-2");
        fx.namespace("cnp-web", Map.of());
        fx.namespace("cnp-client", Map.of("cnp-role", "client"));
        fx.namespace("cnp-other", Map.of());
        fx.pod("cnp-web", "web", "cnp-node-1", "10.77.1.10", Map.of("app", "web"));
        fx.pod("cnp-client", "client-a", "cnp-node-2", "10.77.2.10", Map.of("app", "client"));
        fx.pod("cnp-other", "stranger", "cnp-node-2", "10.77.2.30", Map.of("app", "client"));
        // A NetworkPolicy admits everyone to web:8080; the Admin Deny overrides it for clients.
        fx.policy("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: web-open, namespace: cnp-web}
                spec:
                  podSelector: {matchLabels: {app: web}}
                  ingress:
                  - from: [{namespaceSelector: {}}]
                    ports: [{port: 8080}]
                """);
        fx.clusterPolicy(DENY.formatted("Deny"));

        NodeRuleSet node1 = fx.converged("cnp-node-1");
        assertTrue(denies(node1, "10.77.1.10", "10.77.2.10"), () -> "no Deny verdict from client-a: " + node1.ingress());
        assertFalse(denies(node1, "10.77.1.10", "10.77.2.30"), "cnp-other is not a client namespace (yet)");
        assertFalse(node1.ingress().grants().isEmpty(), "the NetworkPolicy's grant is still there, under the verdict");
        assertTrue(fx.converged("cnp-node-2").ingress().verdicts().isEmpty(), "no subject on cnp-node-2");

        // A new peer pod on another node reaches cnp-node-1's verdict.
        fx.pod("cnp-client", "client-b", "cnp-node-2", "10.77.2.11", Map.of("app", "client"));
        eventually(Duration.ofSeconds(30), () -> fx.published("cnp-node-1").filter(rs -> denies(rs, "10.77.1.10", "10.77.2.11"))
                .isPresent(), () -> "client-b never denied: " + fx.published("cnp-node-1"));
        fx.converged("cnp-node-1");

        // So do a namespace's labels.
        fx.namespace("cnp-other", Map.of("cnp-role", "client"));
        eventually(Duration.ofSeconds(30), () -> fx.published("cnp-node-1").filter(rs -> denies(rs, "10.77.1.10", "10.77.2.30"))
                .isPresent(), () -> "stranger never denied: " + fx.published("cnp-node-1"));
        fx.converged("cnp-node-1");

        // A change to the policy itself: Deny becomes Accept.
        fx.clusterPolicy(DENY.formatted("Accept"));
        eventually(Duration.ofSeconds(30), () -> fx.published("cnp-node-1").filter(rs -> !rs.ingress().verdicts().isEmpty()
                        && rs.ingress().verdicts().stream().allMatch(v -> v.decision() == ClusterVerdict.Decision.ACCEPT)).isPresent(),
                () -> "never accepted: " + fx.published("cnp-node-1"));
        fx.converged("cnp-node-1");

        // And its deletion: no verdicts, and none on the wire either (the field is left out, as before it existed).
        fx.deleteClusterPolicy("cnp-api-lockdown");
        NodeRuleSet without = fx.converged("cnp-node-1");
        eventually(Duration.ofSeconds(30), () -> fx.ruleSetObject("cnp-node-1").orElseThrow().getSpec().ruleSet()
                .ingress().verdicts().isEmpty(), () -> "verdicts still published");
        assertTrue(without.ingress().verdicts().isEmpty());
        assertEquals(fx.expected("cnp-node-1"), fx.published("cnp-node-1").orElseThrow());
    }
}
