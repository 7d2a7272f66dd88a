package dev.palisade.charts;

import com.github.dockerjava.api.DockerClient;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The chart on a real k3s (testcontainers) started as values-k3s.yaml expects, with
 * --flannel-backend=none and --disable-network-policy: the image built from the Dockerfile and
 * imported into k3s's containerd, helm install with the k3s preset (CNI mode), the node turns Ready
 * because Palisade wires pods, and the netpol-demo walkthrough (charts-test/e2e/walkthrough.sh) is
 * enforced. The same checks as .github/workflows/e2e-k3d.yml, on one node.
 *
 * Needs a Docker engine. Where there is none the class is skipped with that reason: the only tests
 * in the build allowed to skip (.ci/run has an exception for exactly this class).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChartK3sTest {

    static final DockerImageName K3S = DockerImageName.parse(System.getProperty("palisade.k3s.image", "rancher/k3s:v1.33.1-k3s1"))
            .asCompatibleSubstituteFor("rancher/k3s");
    static final String IMAGE = "palisade:k3s-test";

    private K3sContainer k3s;
    private KubernetesClient client;
    private Path kubeconfig;

    static final String NO_DOCKER = "ChartK3sTest skipped: no Docker engine on this machine (testcontainers found none). "
            + "It builds the image and runs k3s in Docker; the e2e-k3d and e2e-kind workflows run the same checks.";

    private boolean docker;

    @BeforeAll
    void start() throws Exception {
        try {
            docker = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            docker = false;
        }
        if (!docker) {
            return; // each test reports itself skipped, with the reason (requireDocker)
        }
        String built = new ImageFromDockerfile(IMAGE, false)
                .withFileFromPath(".", Helm.REPO)
                .withDockerfile(Helm.REPO.resolve("Dockerfile"))
                .get();
        k3s = new K3sContainer(K3S);
        k3s.withCommand("server", "--disable=traefik", "--tls-san=" + k3s.getHost(),
                "--flannel-backend=none", "--disable-network-policy");
        k3s.start();
        importImage(built);
        kubeconfig = Files.createTempFile("palisade-k3s", ".yaml");
        Files.writeString(kubeconfig, k3s.getKubeConfigYaml());
        client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(k3s.getKubeConfigYaml())).build();
    }

    /** Skipped test by test (not the class at once, which reports no test at all), with the reason. */
    @BeforeEach
    void requireDocker() {
        Assumptions.assumeTrue(docker, NO_DOCKER);
    }

    @AfterAll
    void stop() throws IOException {
        if (client != null) {
            client.close();
        }
        if (k3s != null) {
            k3s.stop();
        }
        if (kubeconfig != null) {
            Files.deleteIfExists(kubeconfig);
        }
    }

    @Test
    @Order(1)
    void installWithTheK3sPresetWiresTheNode() {
        Helm.run(List.of("install", Helm.RELEASE, Helm.CHART.toString(), "--namespace", Helm.NAMESPACE, "--create-namespace",
                        "-f", Helm.preset("k3s"), "--set", "image.repository=palisade", "--set", "image.tag=k3s-test",
                        "--set", "image.pullPolicy=Never", "--set", "operator.replicas=1",
                        "--wait", "--timeout", "5m", "--kubeconfig", kubeconfig.toString()))
                .orFail("helm install with values-k3s.yaml");
        String node = client.nodes().list().getItems().get(0).getMetadata().getName();
        client.nodes().withName(node).waitUntilCondition(n -> n.getStatus().getConditions().stream()
                .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True")), 3, java.util.concurrent.TimeUnit.MINUTES);
        var ds = client.apps().daemonSets().inNamespace(Helm.NAMESPACE).withName("palisade-agent").get();
        assertEquals(ds.getStatus().getDesiredNumberScheduled(), ds.getStatus().getNumberReady(), "an agent ready on every node");
    }

    @Test
    @Order(2)
    void theNetpolDemoWalkthroughIsEnforced() throws Exception {
        Path kubectl = Path.of(System.getProperty("user.home"), ".kubeapitest", "k8s",
                System.getProperty("palisade.kube.version", "1.33.13") + "-linux-amd64", "kubectl");
        Helm.Result r = Helm.exec(List.of(Helm.REPO.resolve("charts-test/e2e/walkthrough.sh").toString()),
                Map.of("KUBECONFIG", kubeconfig.toString(), "KUBECTL", Files.isExecutable(kubectl) ? kubectl.toString() : "kubectl"),
                (int) Duration.ofMinutes(10).toSeconds());
        assertTrue(r.code() == 0, "walkthrough.sh failed:\n" + r.err() + r.out());
    }

    /** docker save of the built image, imported into k3s's containerd (what `k3d image import` does). */
    private void importImage(String image) throws IOException, InterruptedException {
        DockerClient docker = DockerClientFactory.lazyClient();
        Path tar = Files.createTempFile("palisade-image", ".tar");
        try (InputStream in = docker.saveImageCmd(image).exec()) {
            Files.copy(in, tar, StandardCopyOption.REPLACE_EXISTING);
        }
        k3s.copyFileToContainer(MountableFile.forHostPath(tar), "/tmp/palisade.tar");
        var result = k3s.execInContainer("ctr", "-n", "k8s.io", "images", "import", "/tmp/palisade.tar");
        Files.deleteIfExists(tar);
        if (result.getExitCode() != 0) {
            fail("ctr images import failed: " + result.getStderr());
        }
    }
}
