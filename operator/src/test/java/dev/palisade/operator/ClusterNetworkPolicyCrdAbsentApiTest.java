package dev.palisade.operator;

import dev.palisade.ruleset.ClusterVerdict;
import dev.palisade.ruleset.NodeRuleSet;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.palisade.operator.TestCluster.eventually;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A cluster without the ClusterNetworkPolicy CRD works as before it existed: the operator syncs and publishes
 * NetworkPolicy rule sets (it does not wait for an informer that cannot list). Installing the CRD later brings
 * its policies in without a restart.
 */
class ClusterNetworkPolicyCrdAbsentApiTest {

    static final String CRD_NAME = "clusternetworkpolicies.policy.networking.k8s.io";
    static final String CRD_FILE = "deploy/crds/" + CRD_NAME + ".yaml";

    static TestCluster cluster;
    static KubernetesClient admin;
    static Fixtures fx;
    static KubernetesClient operatorClient;
    static Operator operator;

    @BeforeAll
    static void start() {
        cluster = TestCluster.get();
        admin = cluster.admin();
        fx = new Fixtures(admin);
        cluster.kubectl("delete", "crd", CRD_NAME, "--ignore-not-found", "--wait=true");
        eventually(Duration.ofSeconds(60), () -> admin.getApiGroup("policy.networking.k8s.io") == null,
                () -> "policy.networking.k8s.io still served");
        operatorClient = cluster.asOperator();
        operator = OperatorMain.start(OperatorApiTest.testConfig("op-cnp-absent"), operatorClient);
        eventually(Duration.ofSeconds(30), operator::isLeader, () -> "operator never led");
    }

    @AfterAll
    static void stop() {
        try {
            installCrd(); // the API server is shared with the other API tests
            fx.deleteClusterPolicy("cnp-absent-deny-all");
        } finally {
            operator.close();
            operatorClient.close();
        }
    }

    static void installCrd() {
        cluster.kubectl("apply", "--server-side", "-f", TestCluster.REPO.resolve(CRD_FILE).toString());
        admin.apiextensions().v1().customResourceDefinitions().withName(CRD_NAME).waitUntilCondition(
                (CustomResourceDefinition c) -> c != null && c.getStatus() != null && c.getStatus().getConditions() != null
                        && c.getStatus().getConditions().stream()
                        .anyMatch(k -> k.getType().equals("Established") && k.getStatus().equals("True")),
                60, TimeUnit.SECONDS);
        // Established comes a moment before the resource is served: wait until a list works.
        eventually(Duration.ofSeconds(60), () -> {
            try {
                admin.genericKubernetesResources("policy.networking.k8s.io/v1beta1", "ClusterNetworkPolicy").list();
                return true;
            } catch (RuntimeException e) {
                return false;
            }
        }, () -> "ClusterNetworkPolicies never served");
    }

    @Test
    void withoutTheCrdTheOperatorPublishesAndTakesThePoliciesOnceItIsInstalled() {
        fx.node("cnp-absent-1");
        fx.namespace("cnp-absent", Map.of());
        fx.pod("cnp-absent", "db", "cnp-absent-1", "10.77.9.10", Map.of("app", "db"));
        fx.policy("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: db-open, namespace: cnp-absent}
                spec:
                  podSelector: {matchLabels: {app: db}}
                  ingress:
                  - ports: [{port: 5432}]
                """);
        NodeRuleSet before = fx.converged("cnp-absent-1");
        assertTrue(operator.ready(), "synced without the CRD");
        assertTrue(before.ingress().verdicts().isEmpty());
        assertGrant(before);

        installCrd();
        fx.clusterPolicy("""
                apiVersion: policy.networking.k8s.io/v1beta1
                kind: ClusterNetworkPolicy
                metadata: {name: cnp-absent-deny-all}
                spec:
                  tier: Admin
                  priority: 1
                  subject:
                    namespaces:
                      matchLabels: {kubernetes.io/metadata.name: cnp-absent}
                  ingress:
                  - name: nobody
                    action: Deny
                    from:
                    - namespaces: {}
                """);
        // The informer retries with a backoff after its 404s: generous.
        eventually(Duration.ofSeconds(180), () -> fx.published("cnp-absent-1").filter(rs -> rs.ingress().verdicts().stream()
                        .anyMatch(v -> v.decision() == ClusterVerdict.Decision.DENY)).isPresent(),
                () -> "the Deny never arrived: " + fx.published("cnp-absent-1"));
        fx.converged("cnp-absent-1");
    }

    private static void assertGrant(NodeRuleSet rs) {
        assertTrue(rs.ingress().grants().stream().anyMatch(g -> g.policy().equals("cnp-absent/db-open")),
                () -> "the NetworkPolicy's grant is published: " + rs.ingress());
    }
}
