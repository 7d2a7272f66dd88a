package dev.palisade.agent.e2e;

import dev.palisade.operator.Operator;
import dev.palisade.operator.OperatorConfig;
import dev.palisade.operator.OperatorMain;
import dev.palisade.operator.publish.RuleSetEncoder;
import dev.palisade.operator.resource.PalisadeNodeRuleSet;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.internal.KubeConfigUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.palisade.agent.e2e.ApiServer.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole system on one host: a real kube-apiserver with etcd, the operator (its entry point, as
 * its ServiceAccount), one agent JVM per simulated node in CNI mode (as the agent's ServiceAccount,
 * through a relay the test can cut), node network namespaces on a shared L2 fabric, and pods wired by
 * Debian's CNI plugins from the configuration the agents write. Traffic is real TCP between pod
 * namespaces. The steps run in order on one cluster, each leaving it as the next expects; the last
 * but one applies seed 002's walkthrough policies (netpol-demo) verbatim with kubectl.
 */
@Tag("e2e")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterE2eTest {

    private static final String NS = "demo";
    private static final Duration SETTLE = Duration.ofSeconds(60);

    private Path work;
    private SimNetwork net;
    private ApiServer api;
    private ApiProxy proxy;
    private Path agentKubeconfig;
    private Operator operator;
    private int operatorGeneration;
    private final Map<String, AgentProcess> agents = new LinkedHashMap<>();

    @BeforeAll
    void up() throws Exception {
        work = Files.createTempDirectory("palisade-agent-e2e");
        net = new SimNetwork(work.resolve("net"));
        api = new ApiServer();
        proxy = new ApiProxy(new InetSocketAddress("127.0.0.1", api.url().getPort()));
        agentKubeconfig = work.resolve("agent-kubeconfig.yaml");
        var kc = KubeConfigUtils.parseConfigFromString(Files.readString(api.kubeconfigFile()));
        kc.getClusters().forEach(c -> c.getCluster().setServer("https://127.0.0.1:" + proxy.port()));
        KubeConfigUtils.persistKubeConfigIntoFile(kc, agentKubeconfig.toFile());
        Namespace demo = new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build();
        api.admin().namespaces().resource(demo).serverSideApply();
        startOperator();
        for (int i = 1; i <= 3; i++) {
            addNode("n" + i, i);
        }
        for (int i = 1; i <= 3; i++) {
            awaitReady("n" + i);
        }
    }

    @AfterAll
    void down() throws Exception {
        for (AgentProcess a : agents.values()) {
            a.kill9();
        }
        if (operator != null) {
            operator.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (api != null) {
            api.close();
        }
        if (net != null) {
            net.close();
        }
    }

    // ---- steps ---------------------------------------------------------------------------------

    @Test
    @Order(1)
    void podsGetAddressesFromTheAgentsCniConfigurationAndReachEachOtherAcrossNodes() {
        for (int i = 1; i <= 3; i++) {
            var list = net.confList(net.node("n" + i));
            assertEquals("10.244." + i + ".0/24", list.at("/plugins/0/ipam/ranges/0/0/subnet").asText(), list.toString());
            assertEquals("ptp", list.at("/plugins/0/type").asText());
            assertEquals("portmap", list.at("/plugins/1/type").asText());
        }
        addPod("web1", "n1", "web");
        addPod("client1", "n1", "client");
        addPod("db1", "n2", "db");
        addPod("client3", "n3", "client");
        assertTrue(net.pod("web1").ip().startsWith("10.244.1."), net.pod("web1").ip());
        assertTrue(net.pod("db1").ip().startsWith("10.244.2."), net.pod("db1").ip());

        eventually(SETTLE, () -> reaches("client1", "web1", 80) && reaches("client3", "web1", 80)
                && reaches("web1", "db1", 80) && reaches("db1", "client3", 8080), this::diagnostics);
        String routes = net.routes(net.node("n1"));
        assertTrue(routes.contains("10.244.2.0/24 via 10.0.0.2") && routes.contains("10.244.3.0/24 via 10.0.0.3"), routes);
    }

    @Test
    @Order(2)
    void podTrafficLeavingTheClusterIsMasqueraded() {
        // the external host has no route to 10.244.0.0/16: only the node's address can get an answer
        String reply = net.reply(net.pod("web1").netns(), SimNetwork.EXTERNAL_IP, 80, "external");
        assertEquals("external 10.0.0.1", reply, this::diagnostics);
        // inside the cluster, pods see each other's own addresses
        String inside = net.reply(net.pod("client3").netns(), net.pod("web1").ip(), 8080, "web1");
        assertEquals("web1 " + net.pod("client3").ip(), inside);
    }

    @Test
    @Order(3)
    void policiesAreEnforcedOnTheSameNodeAndAcrossNodes() {
        api.apply(policy("web-allow-client", "web", "app: client", 80) + "---\n" + denyAll("db-deny-all", "db"));
        eventually(SETTLE, () -> !reaches("client1", "db1", 80) && !reaches("db1", "web1", 80), this::diagnostics);
        Map<String, Boolean> want = new LinkedHashMap<>();
        want.put("client1 -> web1:80 (same node, allowed)", true);
        want.put("client3 -> web1:80 (across nodes, allowed)", true);
        want.put("db1 -> web1:80 (not a client)", false);
        want.put("client1 -> web1:8080 (port not allowed)", false);
        want.put("client1 -> db1:80 (deny all)", false);
        want.put("web1 -> client3:8080 (no policy on client3)", true);
        eventually(SETTLE, () -> matrix().equals(want), () -> matrix() + "\n" + diagnostics());
    }

    private Map<String, Boolean> matrix() {
        Map<String, Boolean> got = new LinkedHashMap<>();
        got.put("client1 -> web1:80 (same node, allowed)", reaches("client1", "web1", 80));
        got.put("client3 -> web1:80 (across nodes, allowed)", reaches("client3", "web1", 80));
        got.put("db1 -> web1:80 (not a client)", reaches("db1", "web1", 80));
        got.put("client1 -> web1:8080 (port not allowed)", reaches("client1", "web1", 8080));
        got.put("client1 -> db1:80 (deny all)", reaches("client1", "db1", 80));
        got.put("web1 -> client3:8080 (no policy on client3)", reaches("web1", "client3", 8080));
        return got;
    }

    @Test
    @Order(4)
    void aNewPodSendsAndReceivesNothingBeforeItsRulesArrive() throws Exception {
        operator.close(); // nothing publishes the new pod's rules until the operator is back
        operator = null;
        net.addPod("web2", net.node("n1"));
        try (Prober forbidden = new Prober(List.of(
                () -> reaches("db1", "web2", 80),      // the policy forbids it: never, from the first packet on
                () -> reaches("client1", "web2", 8080) // port not allowed
        ))) {
            register("web2", "n1", "web");
            for (int i = 0; i < 5; i++) {
                assertFalse(reaches("client1", "web2", 80), "unknown pods are held: fail closed\n" + diagnostics());
                assertFalse(reaches("web2", "client3", 8080), "unknown pods send nothing either");
            }
            startOperator();
            eventually(SETTLE, () -> reaches("client1", "web2", 80) && reaches("web2", "client3", 8080), this::diagnostics);
            forbidden.assertNeverAllowed();
        }
    }

    @Test
    @Order(5)
    void aNodeAddedAndRemoved() throws Exception {
        addNode("n4", 4);
        awaitReady("n4");
        eventually(SETTLE, () -> net.routes(net.node("n1")).contains("10.244.4.0/24 via 10.0.0.4"), this::diagnostics);
        addPod("client4", "n4", "client");
        addPod("other4", "n4", "other");
        eventually(SETTLE, () -> reaches("client4", "web1", 80) && !reaches("other4", "web1", 80)
                && reaches("client1", "other4", 8080), this::diagnostics);

        agents.remove("n4").stop();
        api.admin().pods().inNamespace(NS).withName("client4").delete();
        api.admin().pods().inNamespace(NS).withName("other4").delete();
        api.admin().nodes().withName("n4").delete();
        net.removeNode("n4");
        eventually(SETTLE, () -> !net.routes(net.node("n1")).contains("10.244.4.0"), () -> net.routes(net.node("n1")));
        eventually(SETTLE, () -> api.admin().resources(PalisadeNodeRuleSet.class).withName("n4").get() == null,
                () -> "rule set of n4 still there");
    }

    @Test
    @Order(6)
    void anAgentKilledDuringUpdatesAllowsNothingWrongAndRecovers() throws Exception {
        try (Prober forbidden = new Prober(List.of(
                () -> reaches("db1", "web1", 80),       // forbidden before, during and after
                () -> reaches("client1", "db1", 80)))) {
            AgentProcess a = agents.get("n1");
            a.kill9();
            assertFalse(a.alive());
            // while it is dead: the kernel keeps the last committed rules, nothing is flushed
            for (int i = 0; i < 3; i++) {
                assertTrue(reaches("client1", "web1", 80), "last rules stay in force");
                assertFalse(reaches("client1", "web1", 8080));
            }
            // an update lands while the agent is dead: client pods lose access to web
            api.apply(policy("web-allow-client", "web", "role: frontend", 80));
            // restarted and killed again mid-way (before or during its first apply), then restarted for good
            startAgent("n1");
            Thread.sleep(700);
            agents.get("n1").kill9();
            startAgent("n1");
            awaitReady("n1");
            eventually(SETTLE, () -> !reaches("client1", "web1", 80) && !reaches("client3", "web1", 80),
                    this::diagnostics);
            awaitApplied("n1");
            forbidden.assertNeverAllowed();
        }
        assertTrue(reaches("web1", "client3", 8080), "unrelated traffic flows");
    }

    @Test
    @Order(7)
    void withTheApiServerAndTheOperatorDownTrafficAndTheLastRulesStayAndDriftIsStillRepaired() throws Exception {
        proxy.cut();
        operator.close();
        operator = null;
        try {
            try (Prober forbidden = new Prober(List.of(
                    () -> reaches("client1", "db1", 80),
                    () -> reaches("db1", "web1", 80)))) {
                for (int i = 0; i < 3; i++) {
                    assertTrue(reaches("web1", "client3", 8080), "allowed traffic flows during the outage");
                    assertFalse(reaches("client1", "web2", 8080));
                }
                for (String n : List.of("n1", "n2", "n3")) {
                    assertEquals(200, agents.get(n).get("/healthz"), n + " healthy during the outage");
                    assertEquals(200, agents.get(n).get("/readyz"), n + " ready during the outage");
                }
                forbidden.assertNeverAllowed();
            }
            // someone flushes a chain of the policy table (a hole, until the next verification):
            // the agent repairs it without the API
            net.nft(net.node("n1"), "flush", "chain", "inet", "palisade", "ingress4");
            eventually(Duration.ofSeconds(30), () -> metric(agents.get("n1"), "palisade_agent_drift_repairs_total") >= 1,
                    () -> agents.get("n1").metrics());
            assertFalse(reaches("db1", "web1", 80), "closed again after the repair");
        } finally {
            proxy.restore();
            if (operator == null) {
                startOperator();
            }
        }
        api.admin().network().v1().networkPolicies().inNamespace(NS).withName("db-deny-all").delete();
        eventually(SETTLE, () -> reaches("client1", "db1", 80), this::diagnostics);
        for (String n : List.of("n1", "n2", "n3")) {
            awaitApplied(n);
        }
    }

    @Test
    @Order(8)
    void theNetpolDemoWalkthroughsPoliciesAreEnforcedAcrossTheThreeNodes() throws Exception {
        // seed 002's namespaces and pods (conformance's NetpolDemoWalkthroughKernelTest has the same cluster)
        namespace("netpol-demo", Map.of());
        namespace("storefront", Map.of("purpose", "frontend"));
        addPod("web-app-1", "n1", "netpol-demo", Map.of("app", "web"));
        addPod("web-app-2", "n2", "netpol-demo", Map.of("app", "web"));
        addPod("database", "n3", "netpol-demo", Map.of("app", "db"));
        addPod("client", "n2", "default", Map.of("run", "client"));
        addPod("shop", "n3", "storefront", Map.of("app", "shop"));
        eventually(SETTLE, () -> reaches("client", "web-app-1", 80) && reaches("client", "database", 5432),
                this::diagnostics);
        Path seeds = ApiServer.REPO.resolve("conformance/src/test/resources/dev/palisade/conformance/policies/seeds");
        for (String seed : List.of("002-default-deny-ingress.yaml", "002-web-allow-frontend.yaml", "002-db-policy.yaml")) {
            api.kubectl("apply", "-f", seeds.resolve(seed).toString()); // verbatim, as the walkthrough applies them
        }
        Map<String, Boolean> want = new LinkedHashMap<>();
        want.put("shop -> web-app-1:80 (frontend namespace, across nodes)", true);
        want.put("shop -> web-app-2:80 (frontend namespace, across nodes)", true);
        want.put("client -> web-app-1:80 (default is not frontend)", false);
        want.put("client -> web-app-2:80 (same node, not frontend)", false);
        want.put("web-app-1 -> database:5432 (app=web)", true);
        want.put("web-app-2 -> database:5432 (app=web)", true);
        want.put("client -> database:5432", false);
        want.put("shop -> database:5432", false);
        want.put("web-app-1 -> web-app-2:80 (netpol-demo is not frontend)", false);
        want.put("shop -> web-app-1:8080 (port not allowed)", false);
        want.put("client -> shop:8080 (no policy in storefront)", true);
        eventually(SETTLE, () -> walkthrough().equals(want), () -> walkthrough() + "\n" + diagnostics());
    }

    private Map<String, Boolean> walkthrough() {
        Map<String, Boolean> got = new LinkedHashMap<>();
        got.put("shop -> web-app-1:80 (frontend namespace, across nodes)", reaches("shop", "web-app-1", 80));
        got.put("shop -> web-app-2:80 (frontend namespace, across nodes)", reaches("shop", "web-app-2", 80));
        got.put("client -> web-app-1:80 (default is not frontend)", reaches("client", "web-app-1", 80));
        got.put("client -> web-app-2:80 (same node, not frontend)", reaches("client", "web-app-2", 80));
        got.put("web-app-1 -> database:5432 (app=web)", reaches("web-app-1", "database", 5432));
        got.put("web-app-2 -> database:5432 (app=web)", reaches("web-app-2", "database", 5432));
        got.put("client -> database:5432", reaches("client", "database", 5432));
        got.put("shop -> database:5432", reaches("shop", "database", 5432));
        got.put("web-app-1 -> web-app-2:80 (netpol-demo is not frontend)", reaches("web-app-1", "web-app-2", 80));
        got.put("shop -> web-app-1:8080 (port not allowed)", reaches("shop", "web-app-1", 8080));
        got.put("client -> shop:8080 (no policy in storefront)", reaches("client", "shop", 8080));
        return got;
    }

    private void namespace(String name, Map<String, String> labels) {
        api.admin().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).withLabels(labels)
                .endMetadata().build()).serverSideApply();
    }

    @Test
    @Order(9)
    void theAgentsServiceAccountMayOnlyDoWhatTheAgentNeeds() {
        try (KubernetesClient asAgent = api.as("palisade-agent")) {
            assertNotNull(asAgent.resources(PalisadeNodeRuleSet.class).withName("n1").get());
            assertNotNull(asAgent.nodes().withName("n1").get());
            var e = assertThrows(KubernetesClientException.class, () -> asAgent.pods().inNamespace(NS).list());
            assertEquals(403, e.getCode());
            e = assertThrows(KubernetesClientException.class,
                    () -> asAgent.resources(PalisadeNodeRuleSet.class).withName("n1").delete());
            assertEquals(403, e.getCode());
        }
    }

    /**
     * An Admin-tier ClusterNetworkPolicy Deny overrides a NetworkPolicy allow, through the whole system: applied
     * with kubectl, read by the operator, published as a verdict, rendered by the agent, probed with real packets.
     */
    @Test
    @Order(10)
    void anAdminDenyOverridesANetworkPolicyAllowAndIsWithdrawnWithItsPolicy() {
        namespace("cnp-e2e", Map.of());
        addPod("cnpweb", "n1", "cnp-e2e", Map.of("app", "cnpweb"));
        addPod("cnpclient", "n2", "cnp-e2e", Map.of("app", "cnpclient"));
        addPod("cnpfriend", "n3", "cnp-e2e", Map.of("app", "cnpfriend"));
        api.apply("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: cnpweb-open, namespace: cnp-e2e}
                spec:
                  podSelector: {matchLabels: {app: cnpweb}}
                  policyTypes: [Ingress]
                  ingress:
                  - from: [{podSelector: {}}]
                    ports: [{protocol: TCP, port: 80}]
                """);
        eventually(SETTLE, () -> reaches("cnpclient", "cnpweb", 80) && reaches("cnpfriend", "cnpweb", 80)
                && !reaches("cnpclient", "cnpweb", 8080), this::diagnostics);

        api.apply("""
                apiVersion: policy.networking.k8s.io/v1beta1
                kind: ClusterNetworkPolicy
                metadata: {name: cnp-e2e-deny}
                spec:
                  tier: Admin
                  priority: 1
                  subject:
                    pods:
                      namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: cnp-e2e}}
                      podSelector: {matchLabels: {app: cnpweb}}
                  ingress:
                  - name: no-cnpclient
                    action: Deny
                    from:
                    - pods:
                        namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: cnp-e2e}}
                        podSelector: {matchLabels: {app: cnpclient}}
                    protocols:
                    - tcp:
                        destinationPort: {number: 80}
                """);
        eventually(SETTLE, () -> !reaches("cnpclient", "cnpweb", 80), this::diagnostics);
        assertTrue(reaches("cnpfriend", "cnpweb", 80), "the Deny is for cnpclient only\n" + diagnostics());
        assertFalse(api.admin().resources(PalisadeNodeRuleSet.class).withName("n1").get().getSpec().ruleSet()
                .ingress().verdicts().isEmpty(), "n1's rule set carries the verdict");

        api.admin().genericKubernetesResources("policy.networking.k8s.io/v1beta1", "ClusterNetworkPolicy")
                .withName("cnp-e2e-deny").delete();
        eventually(SETTLE, () -> reaches("cnpclient", "cnpweb", 80), this::diagnostics);
        assertTrue(api.admin().resources(PalisadeNodeRuleSet.class).withName("n1").get().getSpec().ruleSet()
                .ingress().verdicts().isEmpty(), "withdrawn with its policy");
    }

    // ---- cluster plumbing ----------------------------------------------------------------------

    private void startOperator() {
        OperatorConfig config = new OperatorConfig("op-" + (++operatorGeneration), ApiServer.NAMESPACE,
                "palisade-operator", new InetSocketAddress("127.0.0.1", 0), Duration.ofMillis(50), Duration.ofMillis(500),
                Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2), RuleSetEncoder.Limits.DEFAULT);
        operator = OperatorMain.start(config, api.as("palisade-operator"));
    }

    private void addNode(String name, int i) {
        net.addNode(name, "10.0.0." + i);
        Node node = new NodeBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withPodCIDR("10.244." + i + ".0/24").withPodCIDRs("10.244." + i + ".0/24").endSpec().build();
        Node created = api.admin().nodes().resource(node).create();
        created.setStatus(new NodeStatusBuilder().addNewAddress().withType("InternalIP").withAddress("10.0.0." + i)
                .endAddress().build());
        api.admin().nodes().resource(created).updateStatus();
        startAgent(name);
    }

    private void startAgent(String node) {
        SimNetwork.Node n = net.node(node);
        agents.put(node, AgentProcess.start(node, n.netns(), agentKubeconfig, work.resolve("agents").resolve(node + ".log"),
                List.of("--cni", "--cni-bin-dir", SimNetwork.CNI_PATH.toString(), "--cni-conf-dir", n.confDir().toString(),
                        "--cni-run-dir", n.runDir().toString(),
                        "--cni-ipam-data-dir", n.ipamDir().toString(), "--verify-interval", "2")));
    }

    private void awaitReady(String node) {
        AgentProcess a = agents.get(node);
        eventually(SETTLE, () -> a.get("/readyz") == 200, () -> node + " not ready:\n" + tail(a.log()));
        assertTrue(Files.exists(net.node(node).confDir().resolve("10-palisade.conflist")));
    }

    /** The node's agent reports the hash of the rule set now published for it. */
    private void awaitApplied(String node) {
        eventually(SETTLE, () -> {
            PalisadeNodeRuleSet rs = api.admin().resources(PalisadeNodeRuleSet.class).withName(node).get();
            return rs != null && rs.getStatus() != null && Objects.equals(rs.getSpec().hash(), rs.getStatus().appliedHash())
                    && rs.getStatus().error() == null;
        }, () -> node + ": " + api.admin().resources(PalisadeNodeRuleSet.class).withName(node).get());
    }

    private void addPod(String name, String node, String app) {
        addPod(name, node, NS, Map.of("app", app));
    }

    private void addPod(String name, String node, String namespace, Map<String, String> labels) {
        net.addPod(name, net.node(node));
        register(name, node, namespace, labels);
    }

    private void register(String name, String node, String app) {
        register(name, node, NS, Map.of("app", app));
    }

    /** The Pod object as the kubelet would report it: scheduled to the node, running, with the CNI's address. */
    private void register(String name, String node, String namespace, Map<String, String> labels) {
        String ip = net.pod(name).ip();
        Pod pod = new PodBuilder().withNewMetadata().withName(name).withNamespace(namespace).withLabels(labels).endMetadata()
                .withNewSpec().withNodeName(node).addNewContainer().withName("c").withImage("registry.invalid/x").endContainer()
                .endSpec().build();
        Pod created = api.admin().pods().inNamespace(namespace).resource(pod).create();
        created.setStatus(new PodStatusBuilder().withPhase("Running").withPodIP(ip).withPodIPs(new PodIP(ip)).build());
        api.admin().pods().inNamespace(namespace).resource(created).updateStatus();
    }

    private boolean reaches(String from, String to, int port) {
        return net.reaches(net.pod(from), net.pod(to), port);
    }

    private static double metric(AgentProcess a, String name) {
        for (String line : a.metrics().split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        return -1;
    }

    private static String policy(String name, String app, String fromLabel, int port) {
        return """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: %s, namespace: demo}
                spec:
                  podSelector: {matchLabels: {app: %s}}
                  policyTypes: [Ingress]
                  ingress:
                  - from:
                    - podSelector: {matchLabels: {%s}}
                    ports:
                    - {protocol: TCP, port: %d}
                """.formatted(name, app, fromLabel, port);
    }

    private static String denyAll(String name, String app) {
        return """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: %s, namespace: demo}
                spec:
                  podSelector: {matchLabels: {app: %s}}
                  policyTypes: [Ingress]
                """.formatted(name, app);
    }

    private String diagnostics() {
        StringBuilder sb = new StringBuilder();
        agents.forEach((n, a) -> sb.append("--- agent ").append(n).append(a.alive() ? "" : " (dead)").append('\n')
                .append(tail(a.log())));
        sb.append("--- operator\n");
        if (operator == null) {
            sb.append("(not running)\n");
        } else {
            sb.append("leader=").append(operator.isLeader()).append(" informers synced=").append(operator.ready())
                    .append(" published=").append(operator.published()).append('\n');
            operator.metrics().text().lines()
                    .filter(l -> l.startsWith("palisade_operator_leader") || l.startsWith("palisade_operator_sync")
                            || l.startsWith("palisade_operator_informer"))
                    .forEach(l -> sb.append(l).append('\n'));
        }
        try {
            sb.append("--- lease\n").append(api.kubectl("get", "lease", "-n", ApiServer.NAMESPACE, "-o", "yaml"));
            sb.append("--- rule sets\n").append(api.kubectl("get", "palisadenoderulesets"));
        } catch (AssertionError | RuntimeException e) {
            sb.append("(cannot list rule sets: ").append(e.getMessage()).append(")\n");
        }
        return sb.toString();
    }

    private static String tail(String log) {
        String[] lines = log.split("\n");
        return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - 15), lines.length)) + "\n";
    }

    /** Probes flows that must never connect, continuously on a thread of its own, and counts successes. */
    private final class Prober implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicInteger probes = new AtomicInteger();
        private final List<String> allowed = Collections.synchronizedList(new ArrayList<>());
        private final Thread thread;

        Prober(List<java.util.function.BooleanSupplier> flows) {
            thread = new Thread(() -> {
                while (running.get()) {
                    for (int i = 0; i < flows.size(); i++) {
                        if (flows.get(i).getAsBoolean()) {
                            allowed.add("flow " + i + " at probe " + probes.get());
                        }
                        probes.incrementAndGet();
                    }
                }
            }, "forbidden-prober");
            thread.setDaemon(true);
            thread.start();
        }

        void assertNeverAllowed() {
            assertTrue(probes.get() > 0);
            assertEquals(List.of(), List.copyOf(allowed), "forbidden flows connected (" + probes.get() + " probes)");
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
        }
    }

}
