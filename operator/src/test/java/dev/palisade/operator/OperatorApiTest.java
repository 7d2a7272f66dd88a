package dev.palisade.operator;

import dev.palisade.model.IpAddress;
import dev.palisade.operator.resource.NodeRuleSetStatus;
import dev.palisade.operator.resource.PalisadeNodeRuleSet;
import dev.palisade.operator.resource.PalisadePolicyStatus;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.palisade.operator.TestCluster.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The operator, as its ServiceAccount, against a real kube-apiserver: what it publishes, and when. */
class OperatorApiTest {

    static TestCluster cluster;
    static KubernetesClient admin;
    static Fixtures fx;
    static KubernetesClient operatorClient;
    static Operator operator;

    static OperatorConfig testConfig(String identity) {
        return OperatorConfig.fromEnvironment(Map.of("POD_NAME", identity))
                .withHttp(new InetSocketAddress("127.0.0.1", 0))
                .withLease(Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(500));
    }

    @BeforeAll
    static void start() {
        cluster = TestCluster.get();
        admin = cluster.admin();
        fx = new Fixtures(admin);
        operatorClient = cluster.asOperator();
        operator = OperatorMain.start(testConfig("op-main"), operatorClient);
        eventually(Duration.ofSeconds(30), operator::isLeader, () -> "operator never led");
    }

    @AfterAll
    static void stop() {
        operator.close();
        operatorClient.close();
    }

    @Test
    void walkthroughAppliedWithKubectlIsPublishedAsTheCompilerSees() throws IOException {
        cluster.kubectl("apply", "-f", TestCluster.REPO.resolve("examples/netpol-demo/cluster.yaml").toString());
        cluster.kubectl("apply", "-f", TestCluster.REPO.resolve("examples/netpol-demo/policies.yaml").toString());
        // kubectl apply drops status; set the pods' IPs as the kubelet would, from the same manifests.
        List<HasMetadata> objects;
        try (var in = Files.newInputStream(TestCluster.REPO.resolve("examples/netpol-demo/cluster.yaml"))) {
            objects = admin.load(in).items();
        }
        for (HasMetadata o : objects) {
            if (o instanceof Pod p) {
                Pod live = admin.pods().inNamespace(p.getMetadata().getNamespace()).withName(p.getMetadata().getName()).get();
                fx.running(live, p.getStatus().getPodIP());
            }
        }
        NodeRuleSet node1 = fx.converged("node-1");
        fx.converged("node-2");
        // The walkthrough's point: the database on node-1 takes 5432 from the web pods only.
        Grant db = node1.ingress().grants().stream().filter(g -> g.policy().equals("netpol-demo/db-policy"))
                .findFirst().orElseThrow();
        assertEquals(List.of("10.244.1.10", "10.244.2.10"), db.peers().addresses().stream().map(IpAddress::toString).toList());
        assertTrue(node1.ingress().isolated().contains(IpAddress.parse("10.244.1.20")));
        String table = cluster.kubectl("get", "palisadenoderulesets", "node-1");
        assertTrue(table.contains("NODE") && table.contains("GRANTS") && table.contains("HASH") && table.contains("REVISION"), table);
    }

    @Test
    void labelChangesMovePodsInAndOutOfPeerSets() {
        fx.node("lbl-node");
        fx.namespace("lbl", Map.of());
        fx.pod("lbl", "server", "lbl-node", "10.50.0.10", Map.of("app", "server"));
        fx.pod("lbl", "visitor", "lbl-node", "10.50.0.11", Map.of());
        fx.policy("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: server-from-clients, namespace: lbl}
                spec:
                  podSelector: {matchLabels: {app: server}}
                  ingress:
                  - from: [{podSelector: {matchLabels: {role: client}}}]
                """);
        IpAddress visitor = IpAddress.parse("10.50.0.11");
        NodeRuleSet before = fx.converged("lbl-node");
        assertTrue(before.ingress().grants().isEmpty(), "no client yet: the peer set is empty, so no grant");
        long revision = fx.ruleSetObject("lbl-node").orElseThrow().getSpec().revision();

        fx.label("lbl", "visitor", Map.of("role", "client"));
        NodeRuleSet in = fx.converged("lbl-node");
        assertTrue(in.ingress().grants().get(0).peers().contains(visitor), in.toString());
        assertTrue(fx.ruleSetObject("lbl-node").orElseThrow().getSpec().revision() > revision, "revision grows");

        fx.label("lbl", "visitor", Map.of("role", "other"));
        NodeRuleSet out = fx.converged("lbl-node");
        assertTrue(out.ingress().grants().isEmpty(), out.toString());
    }

    @Test
    void policyAppliedAndDeletedWhilePodsChurnIsPublishedEveryTime() throws InterruptedException {
        fx.node("churn-node");
        fx.namespace("cyc", Map.of());
        fx.namespace("cyc-churn", Map.of());
        fx.pod("cyc", "server", "churn-node", "10.70.0.10", Map.of("app", "server"));
        fx.pod("cyc", "client", "churn-node", "10.70.0.11", Map.of("app", "client"));
        String allow = """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: allow, namespace: cyc}
                spec:
                  podSelector: {matchLabels: {app: server}}
                  ingress: [{from: [{podSelector: {matchLabels: {app: client}}}]}]
                """;
        // Pods come and go on the same node all along: the policy's passes must not lose to them.
        AtomicBoolean stop = new AtomicBoolean();
        Thread churn = new Thread(() -> {
            for (int i = 0; !stop.get(); i++) {
                fx.pod("cyc-churn", "p" + i, "churn-node", "10.70.1." + (1 + i % 250), Map.of("app", "x"));
                if (i >= 5) {
                    admin.pods().inNamespace("cyc-churn").withName("p" + (i - 5)).withGracePeriod(0).delete();
                }
            }
        }, "churn");
        churn.start();
        try {
            for (int round = 0; round < 3; round++) {
                fx.policy(allow);
                eventually(Duration.ofSeconds(30), () -> fx.published("churn-node").map(rs -> rs.ingress().grants().stream()
                        .anyMatch(g -> g.policy().equals("cyc/allow"))).orElse(false), () -> "grant never published");
                admin.network().v1().networkPolicies().inNamespace("cyc").withName("allow").delete();
                eventually(Duration.ofSeconds(30), () -> fx.published("churn-node").map(rs -> rs.ingress().grants().stream()
                        .noneMatch(g -> g.policy().equals("cyc/allow"))).orElse(false), () -> "grant never withdrawn");
            }
        } finally {
            stop.set(true);
            churn.join();
        }
        fx.converged("churn-node");
    }

    @Test
    void nodeDeletionDeletesItsRuleSet() {
        fx.node("gone-node");
        eventually(Duration.ofSeconds(30), () -> fx.ruleSetObject("gone-node").isPresent(), () -> "never published");
        admin.nodes().withName("gone-node").delete();
        eventually(Duration.ofSeconds(30), () -> fx.ruleSetObject("gone-node").isEmpty(), () -> "rule set still there");
    }

    @Test
    void unchangedStateIsNotRewritten() throws InterruptedException {
        fx.node("quiet-node");
        fx.converged("quiet-node");
        PalisadeNodeRuleSet first = fx.ruleSetObject("quiet-node").orElseThrow();
        // Unrelated churn: a namespace label that no policy looks at.
        fx.namespace("churn", Map.of("tick", "1"));
        fx.namespace("churn", Map.of("tick", "2"));
        Thread.sleep(1_500);
        PalisadeNodeRuleSet later = fx.ruleSetObject("quiet-node").orElseThrow();
        assertEquals(first.getMetadata().getResourceVersion(), later.getMetadata().getResourceVersion());
    }

    @Test
    void uncompilableFieldGetsAnEventAndStatusCountsProgrammedNodes() {
        fx.node("st-node-a");
        fx.node("st-node-b");
        fx.namespace("st", Map.of());
        fx.pod("st", "a", "st-node-a", "10.60.0.1", Map.of("app", "x"));
        fx.pod("st", "b", "st-node-b", "10.60.0.2", Map.of("app", "x"));
        // The API server accepts leading zeros in a CIDR (sloppy parsing); the compiler reads them as
        // the API server does, and warns.
        fx.policy("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: zeros, namespace: st}
                spec:
                  podSelector: {matchLabels: {app: x}}
                  ingress:
                  - from: [{ipBlock: {cidr: 010.0.0.0/8}}]
                  - from: [{podSelector: {}}]
                """);
        eventually(Duration.ofSeconds(30), () -> admin.v1().events().inNamespace("st").list().getItems().stream()
                        .anyMatch(e -> e.getInvolvedObject().getName().equals("zeros") && e.getType().equals("Warning")
                                && List.of("FieldNotCompiled", "PolicyWarning").contains(e.getReason())
                                && e.getMessage().contains("spec.ingress[0].from[0].ipBlock.cidr")),
                () -> "events: " + admin.v1().events().inNamespace("st").list().getItems());
        eventually(Duration.ofSeconds(30), () -> status("st", "zeros").map(s -> s.getStatus() != null
                        && s.getStatus().programmed().equals("0/2") && s.getStatus().problemCount() >= 1).orElse(false),
                () -> "status " + status("st", "zeros"));

        // Agents report: one node applied its current rule set.
        agentApplies("st-node-a");
        eventually(Duration.ofSeconds(30), () -> status("st", "zeros").map(s -> s.getStatus().programmed().equals("1/2"))
                .orElse(false), () -> "status " + status("st", "zeros"));
        agentApplies("st-node-b");
        eventually(Duration.ofSeconds(30), () -> status("st", "zeros").map(s -> s.getStatus().programmed().equals("2/2"))
                .orElse(false), () -> "status " + status("st", "zeros"));
        String table = cluster.kubectl("get", "palisadepolicystatuses", "-n", "st");
        assertTrue(table.contains("PROGRAMMED") && table.contains("2/2"), table);

        NodeRuleSet a = fx.converged("st-node-a");
        assertEquals(List.of(0, 1), a.ingress().grants().stream().map(Grant::rule).toList(), a.toString());
        admin.network().v1().networkPolicies().inNamespace("st").withName("zeros").delete();
        eventually(Duration.ofSeconds(30), () -> status("st", "zeros").isEmpty(), () -> "status left behind");
    }

    private void agentApplies(String node) {
        PalisadeNodeRuleSet rs = fx.ruleSetObject(node).orElseThrow();
        rs.setStatus(new NodeRuleSetStatus(rs.getSpec().revision(), rs.getSpec().hash(), null));
        admin.resource(rs).updateStatus();
    }

    private Optional<PalisadePolicyStatus> status(String ns, String name) {
        return Optional.ofNullable(admin.resources(PalisadePolicyStatus.class).inNamespace(ns).withName(name).get());
    }

    @Test
    void metricsAndHealthAreServed() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + operator.httpPort();
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, metrics.statusCode());
        for (String name : List.of("palisade_operator_compile_duration_seconds_bucket", "palisade_operator_publish_total",
                "palisade_operator_ruleset_bytes_bucket", "palisade_operator_queue_lag_seconds",
                "palisade_operator_informer_synced{resource=\"pods\"} 1.0", "palisade_operator_leader 1.0")) {
            assertTrue(metrics.body().contains(name), name + " missing from\n" + metrics.body());
        }
        for (String probe : List.of("/healthz", "/readyz")) {
            assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + probe)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode(), probe);
        }
        assertFalse(operator.published().isEmpty());
    }
}
