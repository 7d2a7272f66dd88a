package dev.palisade.operator;

import dev.palisade.operator.publish.RuleSetEncoder;
import dev.palisade.operator.resource.PalisadePolicyStatus;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static dev.palisade.operator.TestCluster.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One tenant's policy makes a node's rule set larger than an object may be (the limit is scaled down
 * here, to halfway between the node's size with and without that policy, so that the objects stay
 * small; the production limit is 1.4 MB): the node is still
 * published, without that policy's allowances (its pods stay isolated: fail closed), other tenants'
 * changes on the node go on being published, and the policy's owner sees why in a Warning Event and
 * in its PalisadePolicyStatus; the metric counts it. Removing the policy restores the full rule set.
 */
class OverLimitApiTest {

    @Test
    void anOversizedPolicyFailsClosedAloneAndSaysWhy() {
        TestCluster cluster = TestCluster.get();
        KubernetesClient admin = cluster.admin();
        Fixtures fx = new Fixtures(admin);
        fx.node("ol-node");
        fx.namespace("ol-big", Map.of());
        fx.namespace("ol-other", Map.of());
        for (int i = 1; i <= 20; i++) {
            fx.pod("ol-big", "web-" + i, "ol-node", "10.74.0." + i, Map.of("app", "web"));
        }
        fx.pod("ol-other", "svc", "ol-node", "10.74.1.1", Map.of("app", "svc"));
        fx.policy(wide());
        fx.policy("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: small, namespace: ol-big}
                spec:
                  podSelector: {matchLabels: {app: web}}
                  ingress: [{from: [{podSelector: {}}], ports: [{port: 80}]}]
                """);
        NodeRuleSet expected = fx.expected("ol-node");
        RuleSetEncoder sizer = new RuleSetEncoder(RuleSetEncoder.Limits.DEFAULT);
        int full = sizer.encode(List.of(expected)).nodes().get("ol-node").bytes();
        int without = sizer.encode(List.of(new NodeRuleSet(expected.node(), expected.localPods(),
                new dev.palisade.ruleset.DirectionRules(expected.ingress().isolated(), expected.ingress().grants().stream()
                        .filter(g -> !g.policy().equals("ol-big/wide")).toList()), expected.egress(), expected.holders())))
                .nodes().get("ol-node").bytes();
        assertTrue(full > 2 * without, "the policy is meant to weigh most on the node: " + full + " vs " + without);
        RuleSetEncoder.Limits limits = new RuleSetEncoder.Limits(16, 16_384, 256 * 1024, (full + without) / 2);
        try (KubernetesClient client = cluster.asOperator();
             Operator operator = OperatorMain.start(OperatorApiTest.testConfig("ol").withLimits(limits), client)) {
            eventually(Duration.ofSeconds(30), operator::isLeader, () -> "never led");
            eventually(Duration.ofSeconds(60), () -> fx.published("ol-node").map(p -> policies(p).equals(Set.of("ol-big/small"))
                            && p.ingress().isolated().equals(expected.ingress().isolated())).orElse(false),
                    () -> "published " + fx.published("ol-node").map(OverLimitApiTest::policies));
            eventually(Duration.ofSeconds(30), () -> overLimit(operator) == 1, operator.metrics()::text);
            eventually(Duration.ofSeconds(30), () -> admin.v1().events().inNamespace("ol-big").list().getItems().stream()
                            .anyMatch(e -> e.getInvolvedObject().getName().equals("wide") && e.getType().equals("Warning")
                                    && e.getReason().equals("RuleSetTooLarge") && e.getMessage().contains("ol-node")),
                    () -> "events: " + admin.v1().events().inNamespace("ol-big").list().getItems());
            eventually(Duration.ofSeconds(30), () -> status(admin, "wide").map(s -> s.getStatus() != null
                            && s.getStatus().problems().stream().anyMatch(p -> p.startsWith("not enforced on 1 node(s) (ol-node)")))
                    .orElse(false), () -> "status " + status(admin, "wide"));
            eventually(Duration.ofSeconds(30), () -> status(admin, "small").map(s -> s.getStatus() != null
                    && s.getStatus().problems().isEmpty()).orElse(false), () -> "status " + status(admin, "small"));

            // another tenant's change on the same node is published
            fx.policy("""
                    apiVersion: networking.k8s.io/v1
                    kind: NetworkPolicy
                    metadata: {name: deny, namespace: ol-other}
                    spec: {podSelector: {}}
                    """);
            eventually(Duration.ofSeconds(60), () -> fx.published("ol-node").map(p -> p.ingress().isolated()
                    .contains(dev.palisade.model.IpAddress.parse("10.74.1.1"))).orElse(false),
                    () -> "published " + fx.published("ol-node"));

            admin.network().v1().networkPolicies().inNamespace("ol-big").withName("wide").delete();
            fx.converged("ol-node", Duration.ofSeconds(60));
            eventually(Duration.ofSeconds(30), () -> overLimit(operator) == 0, operator.metrics()::text);
        }
    }

    /** 60 rules of 10 ports each, each from another network: small as an object, large per selected pod. */
    private static String wide() {
        StringBuilder sb = new StringBuilder("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: wide, namespace: ol-big}
                spec:
                  podSelector: {matchLabels: {app: web}}
                  ingress:
                """);
        for (int r = 0; r < 60; r++) {
            sb.append("  - from: [{ipBlock: {cidr: 192.168.").append(r).append(".0/24}}]\n    ports: [");
            for (int p = 0; p < 10; p++) {
                sb.append(p == 0 ? "" : ", ").append("{port: ").append(2000 + r * 10 + p).append('}');
            }
            sb.append("]\n");
        }
        return sb.toString();
    }

    private static Set<String> policies(NodeRuleSet rs) {
        return rs.ingress().grants().stream().map(Grant::policy).collect(Collectors.toSet());
    }

    private static double overLimit(Operator operator) {
        return operator.metrics().text().lines().filter(l -> l.startsWith("palisade_operator_policies_over_limit "))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private static Optional<PalisadePolicyStatus> status(KubernetesClient admin, String name) {
        return Optional.ofNullable(admin.resources(PalisadePolicyStatus.class).inNamespace("ol-big").withName(name).get());
    }
}
