package dev.palisade.cli;

import dev.palisade.operator.TestCluster;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodIPBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code palisade explain} against a real API server through a kubeconfig: the same answers as from
 * the same objects in manifest files, and Services (by name and by ClusterIP) explained for each
 * running pod behind them, on the port their targetPort names.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExplainLiveApiTest {

    private Path kubeconfig;
    private String clusterIp;

    @BeforeAll
    void objects() throws IOException {
        TestCluster cluster = TestCluster.get();
        KubernetesClient admin = cluster.admin();
        kubeconfig = Files.createTempFile("palisade-explain", ".yaml");
        Files.writeString(kubeconfig, cluster.kubeconfig());
        kubeconfig.toFile().deleteOnExit();
        namespace(admin, "xl-shop", Map.of());
        namespace(admin, "xl-front", Map.of("purpose", "frontend"));
        admin.nodes().resource(new io.fabric8.kubernetes.api.model.NodeBuilder().withNewMetadata().withName("xl-node")
                .endMetadata().build()).serverSideApply();
        pod(admin, "xl-shop", "web-1", "10.72.0.1", Map.of("app", "web"), 8080);
        pod(admin, "xl-shop", "web-2", "10.72.0.2", Map.of("app", "web"), 9090); // same name, another number
        pod(admin, "xl-shop", "db", "10.72.0.3", Map.of("app", "db"), 5432);
        pod(admin, "xl-front", "client", "10.72.1.1", Map.of("run", "client"), 80);
        pod(admin, "xl-shop", "other", "10.72.0.9", Map.of("run", "other"), 80);
        var svc = admin.services().inNamespace("xl-shop").resource(new ServiceBuilder().withNewMetadata().withName("web")
                .endMetadata().withNewSpec().withSelector(Map.of("app", "web")).addNewPort().withPort(80)
                .withTargetPort(new IntOrString("http")).withProtocol("TCP").endPort().endSpec().build()).create();
        clusterIp = svc.getSpec().getClusterIP();
        policy(admin, """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: web-from-frontend, namespace: xl-shop}
                spec:
                  podSelector: {matchLabels: {app: web}}
                  ingress:
                  - from: [{namespaceSelector: {matchLabels: {purpose: frontend}}}]
                    ports: [{port: http}]
                """);
    }

    @Test
    void aPodToAPodIsTheSameAnswerAsFromManifests() throws IOException {
        Cli live = Cli.run("explain", "--kubeconfig", kubeconfig.toString(), "--from", "xl-front/client",
                "--to", "xl-shop/web-1", "--port", "8080");
        assertEquals(0, live.exit(), live.toString());
        assertTrue(live.out().contains("allowed by xl-shop/web-from-frontend ingress[0]"), live.toString());

        // the same objects as kubectl get -o yaml would give them, through -f
        Path dump = Files.createTempFile("palisade-explain-dump", ".yaml");
        Files.writeString(dump, TestCluster.get().kubectl("get", "namespaces,nodes,pods,networkpolicies", "-A",
                "-o", "yaml"));
        Cli files = Cli.run("explain", "-f", dump.toString(), "--from", "xl-front/client", "--to", "xl-shop/web-1",
                "--port", "8080");
        assertEquals(live.exit(), files.exit(), files.toString());
        assertEquals(live.out(), files.out());

        Cli denied = Cli.run("explain", "--kubeconfig", kubeconfig.toString(), "--from", "xl-shop/other",
                "--to", "xl-shop/web-1", "--port", "8080");
        assertEquals(1, denied.exit(), denied.toString());
        assertEquals("denied", denied.outLines().get(0), denied.toString());
    }

    @Test
    void aServiceIsExplainedForEveryPodBehindItOnItsTargetPort() {
        Cli byName = Cli.run("explain", "--kubeconfig", kubeconfig.toString(), "--from", "xl-front/client",
                "--to", "svc/xl-shop/web", "--port", "80");
        assertEquals(0, byName.exit(), byName.toString());
        List<String> lines = byName.outLines();
        assertEquals("allowed", lines.get(0), byName.toString());
        assertEquals("service xl-shop/web port 80/tcp: 2 running pods behind it", lines.get(1), byName.toString());
        assertTrue(lines.contains("- xl-shop/web-1 port 8080:") && lines.contains("- xl-shop/web-2 port 9090:"),
                byName.toString());

        Cli byAddress = Cli.run("explain", "--kubeconfig", kubeconfig.toString(), "--from", "xl-front/client",
                "--to", clusterIp, "--port", "80");
        assertEquals(byName.out(), byAddress.out(), "the ClusterIP is the Service");

        Cli notFrontend = Cli.run("explain", "--kubeconfig", kubeconfig.toString(), "--from", "xl-shop/other",
                "--to", "svc/xl-shop/web", "--port", "80");
        assertEquals(1, notFrontend.exit(), notFrontend.toString());
        assertEquals("denied", notFrontend.outLines().get(0), notFrontend.toString());
    }

    @Test
    void mistakesSayWhatAndWhere() {
        Cli noService = Cli.run("explain", "--kubeconfig", kubeconfig.toString(), "--from", "xl-front/client",
                "--to", "svc/xl-shop/nope", "--port", "80");
        assertEquals(2, noService.exit());
        assertEquals(List.of("unknown Service xl-shop/nope (--to): no Service nope in namespace xl-shop in the cluster"),
                noService.errLines());
        Cli noPort = Cli.run("explain", "--kubeconfig", kubeconfig.toString(), "--from", "xl-front/client",
                "--to", "svc/xl-shop/web", "--port", "81");
        assertEquals(2, noPort.exit());
        assertEquals(List.of("Service xl-shop/web has no port 81/TCP (it has [80/TCP])"), noPort.errLines());
        Cli fromService = Cli.run("explain", "--kubeconfig", kubeconfig.toString(), "--from", "svc/xl-shop/web",
                "--to", "xl-shop/db", "--port", "5432");
        assertEquals(2, fromService.exit());
        assertTrue(fromService.err().startsWith("invalid --from \"svc/xl-shop/web\": a Service receives connections"),
                fromService.toString());
        Cli unreachable = Cli.run("explain", "--kubeconfig", "/nonexistent/kubeconfig", "--from", "xl-front/client",
                "--to", "xl-shop/db", "--port", "5432");
        assertEquals(2, unreachable.exit());
        assertTrue(unreachable.err().startsWith("cannot read the cluster of /nonexistent/kubeconfig: "), unreachable.toString());
        Cli serviceInFiles = Cli.run("explain", "-f", "/dev/null", "--from", "xl-front/client", "--to", "svc/xl-shop/web",
                "--port", "80");
        assertEquals(2, serviceInFiles.exit());
        assertTrue(serviceInFiles.err().contains("Services are resolved on the live cluster only"), serviceInFiles.toString());
    }

    private static void namespace(KubernetesClient admin, String name, Map<String, String> labels) {
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).withLabels(labels)
                .endMetadata().build()).serverSideApply();
    }

    private static void pod(KubernetesClient admin, String namespace, String name, String ip, Map<String, String> labels,
                            int httpPort) {
        Pod p = admin.pods().inNamespace(namespace).resource(new PodBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).withLabels(labels).endMetadata()
                .withNewSpec().withNodeName("xl-node").addNewContainer().withName("c").withImage("busybox")
                .addNewPort().withContainerPort(httpPort).withName("http").endPort().endContainer().endSpec()
                .build()).create();
        p.setStatus(new PodStatusBuilder().withPhase("Running").withPodIP(ip)
                .withPodIPs(new PodIPBuilder().withIp(ip).build()).build());
        admin.pods().resource(p).updateStatus();
    }

    private static void policy(KubernetesClient admin, String yaml) {
        admin.resource(admin.getKubernetesSerialization().unmarshal(yaml, NetworkPolicy.class)).serverSideApply();
    }
}
