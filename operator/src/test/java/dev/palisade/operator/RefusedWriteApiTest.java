package dev.palisade.operator;

import dev.palisade.operator.resource.PalisadeNodeRuleSet;
import dev.palisade.operator.telemetry.OperatorMetrics;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static dev.palisade.operator.TestCluster.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The API server refuses one node's rule set (a ValidatingAdmissionPolicy denies it, as a real
 * admission policy or a size limit would): only that node waits, retried on its own with backoff;
 * every other node is published as usual, no sync pass fails, and once the refusal is lifted the node
 * gets its rule set without anything else happening.
 */
class RefusedWriteApiTest {

    private static final String POLICY = """
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicy
            metadata: {name: refuse-rf-refused}
            spec:
              failurePolicy: Fail
              matchConstraints:
                resourceRules:
                - apiGroups: [palisade.dev]
                  apiVersions: ["*"]
                  operations: [CREATE, UPDATE]
                  resources: [palisadenoderulesets]
              validations:
              - expression: "object.metadata.name != 'rf-refused'"
                message: refused by RefusedWriteApiTest
            """;
    private static final String BINDING = """
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicyBinding
            metadata: {name: refuse-rf-refused}
            spec:
              policyName: refuse-rf-refused
              validationActions: [Deny]
            """;

    @Test
    void aRefusedNodeWaitsAloneAndEveryOtherNodeIsPublished() throws Exception {
        TestCluster cluster = TestCluster.get();
        KubernetesClient admin = cluster.admin();
        Fixtures fx = new Fixtures(admin);
        admin.resource(admin.getKubernetesSerialization().<HasMetadata>unmarshal(POLICY)).serverSideApply();
        admin.resource(admin.getKubernetesSerialization().<HasMetadata>unmarshal(BINDING)).serverSideApply();
        try {
            fx.node("rf-ok");
            fx.namespace("rf", Map.of());
            fx.pod("rf", "a", "rf-ok", "10.73.0.1", Map.of("app", "a"));
            try (KubernetesClient client = cluster.asOperator();
                 Operator operator = OperatorMain.start(OperatorApiTest.testConfig("rf"), client)) {
                eventually(Duration.ofSeconds(30), operator::isLeader, () -> "never led");
                fx.converged("rf-ok", Duration.ofSeconds(60));
                // the admission policy is in force once the API server has loaded it: probe with a valid object
                PalisadeNodeRuleSet valid = fx.ruleSetObject("rf-ok").orElseThrow();
                eventually(Duration.ofSeconds(60), () -> refuses(admin, valid), () -> "the admission policy never refused");

                fx.node("rf-refused");
                fx.pod("rf", "b", "rf-refused", "10.73.1.1", Map.of("app", "b"));
                eventually(Duration.ofSeconds(30),
                        () -> operator.metrics().publishCount("PalisadeNodeRuleSet", OperatorMetrics.Result.error) >= 1,
                        () -> "the refused node's write never failed: " + operator.metrics().text());
                fx.policy("""
                        apiVersion: networking.k8s.io/v1
                        kind: NetworkPolicy
                        metadata: {name: deny, namespace: rf}
                        spec: {podSelector: {}}
                        """);
                // a change made while the refusals go on still reaches the node that is not refused
                var rs = fx.converged("rf-ok", Duration.ofSeconds(60));
                assertFalse(rs.ingress().isolated().isEmpty(), "rf-ok got the new policy");
                eventually(Duration.ofSeconds(30),
                        () -> operator.metrics().publishCount("PalisadeNodeRuleSet", OperatorMetrics.Result.error) >= 2,
                        () -> "the refused node was not retried: " + operator.metrics().text());
                assertTrue(fx.ruleSetObject("rf-refused").isEmpty(), "nothing published for the refused node");
                assertEquals(0, syncErrors(operator), "no sync pass failed:\n" + operator.metrics().text());

                admin.resource(admin.getKubernetesSerialization().<HasMetadata>unmarshal(BINDING)).delete();
                fx.converged("rf-refused", Duration.ofSeconds(90));
                assertEquals(0, syncErrors(operator), "no sync pass failed:\n" + operator.metrics().text());
            }
        } finally {
            admin.resource(admin.getKubernetesSerialization().<HasMetadata>unmarshal(BINDING)).delete();
            admin.resource(admin.getKubernetesSerialization().<HasMetadata>unmarshal(POLICY)).delete();
        }
    }

    /** Whether the API server refuses a rule set named rf-refused (a dry run of a valid object). */
    private static boolean refuses(KubernetesClient admin, PalisadeNodeRuleSet valid) {
        PalisadeNodeRuleSet probe = new PalisadeNodeRuleSet();
        probe.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("rf-refused").build());
        probe.setSpec(valid.getSpec());
        try {
            admin.resource(probe).dryRun().create();
            return false;
        } catch (KubernetesClientException e) {
            return e.getMessage().contains("refused by RefusedWriteApiTest");
        }
    }

    private static double syncErrors(Operator operator) {
        return operator.metrics().text().lines().filter(l -> l.startsWith("palisade_operator_syncs_total{result=\"error\"}"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
