package dev.palisade.agent.e2e;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real kube-apiserver with etcd (fabric8 kube-api-test, binaries from hack/provision-kube-binaries.sh;
 * without them the tests fail, never skip) with the committed CRDs and the operator's and agent's RBAC.
 * The same approach as the operator's TestCluster.
 */
final class ApiServer implements AutoCloseable {

    static final Path REPO = Path.of(System.getProperty("palisade.repo.root", "..")).toAbsolutePath().normalize();
    static final String VERSION = System.getProperty("palisade.kube.version", "1.33.13");
    static final String NAMESPACE = "palisade-system";

    private final KubeAPIServer server;
    private final String kubeconfig;
    private final Path kubeconfigFile;
    private final KubernetesClient admin;
    private final Path bin;

    ApiServer() throws IOException {
        Path home = Path.of(System.getenv().getOrDefault("KUBEAPITEST_DIR", System.getProperty("user.home") + "/.kubeapitest"));
        bin = home.resolve("k8s").resolve(VERSION + "-linux-" + (System.getProperty("os.arch").equals("aarch64") ? "arm64" : "amd64"));
        for (String b : List.of("kube-apiserver", "etcd", "kubectl")) {
            if (!Files.isExecutable(bin.resolve(b))) {
                fail(bin.resolve(b) + " is missing: run hack/provision-kube-binaries.sh before the agent's API and E2E tests");
            }
        }
        // options through the builder: kube-api-test's environment variables for offline mode are broken
        server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withTestDir(home.toString())
                .withApiServerVersion(VERSION)
                .withOfflineMode(true)
                .withStartupTimeout(120_000)
                .build());
        server.start();
        kubeconfig = server.getKubeConfigYaml();
        kubeconfigFile = Files.createTempFile("palisade-agent-kubeconfig", ".yaml");
        Files.writeString(kubeconfigFile, kubeconfig);
        kubeconfigFile.toFile().deleteOnExit();
        admin = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfig)).build();
        List<Path> crds;
        try (Stream<Path> files = Files.list(REPO.resolve("deploy/crds"))) {
            crds = files.sorted().toList();
        }
        for (Path crd : crds) {
            kubectl("apply", "--server-side", "-f", crd.toString());
        }
        for (Path crd : crds) {
            String name = admin.getKubernetesSerialization()
                    .unmarshal(Files.readString(crd), CustomResourceDefinition.class).getMetadata().getName();
            admin.apiextensions().v1().customResourceDefinitions().withName(name)
                    .waitUntilCondition(c -> c != null && c.getStatus() != null && c.getStatus().getConditions().stream()
                            .anyMatch(k -> k.getType().equals("Established") && k.getStatus().equals("True")),
                            60, TimeUnit.SECONDS);
        }
        kubectl("apply", "-f", REPO.resolve("deploy/rbac/operator.yaml").toString());
        kubectl("apply", "-f", REPO.resolve("deploy/rbac/agent.yaml").toString());
    }

    KubernetesClient admin() {
        return admin;
    }

    Path kubeconfigFile() {
        return kubeconfigFile;
    }

    URI url() {
        return URI.create(admin.getConfiguration().getMasterUrl());
    }

    /** A client that is {@code serviceAccount} in palisade-system: RBAC decides what it may do. */
    KubernetesClient as(String serviceAccount) {
        Config config = Config.fromKubeconfig(kubeconfig);
        config.setImpersonateUsername(user(serviceAccount));
        config.setImpersonateGroups(groups().toArray(String[]::new));
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    static String user(String serviceAccount) {
        return "system:serviceaccount:" + NAMESPACE + ":" + serviceAccount;
    }

    static List<String> groups() {
        return List.of("system:serviceaccounts", "system:serviceaccounts:" + NAMESPACE, "system:authenticated");
    }

    String kubectl(String... args) {
        List<String> command = new ArrayList<>(List.of(bin.resolve("kubectl").toString(), "--kubeconfig",
                kubeconfigFile.toString()));
        command.addAll(List.of(args));
        Sh.Result r = Sh.run(command, null, Map.of(), 60);
        if (!r.ok()) {
            fail("kubectl " + String.join(" ", args) + " failed:\n" + r.out() + r.err());
        }
        return r.out();
    }

    /** kubectl apply of a manifest given as text. */
    String apply(String yaml) {
        List<String> command = List.of(bin.resolve("kubectl").toString(), "--kubeconfig", kubeconfigFile.toString(),
                "apply", "-f", "-");
        Sh.Result r = Sh.run(command, yaml, Map.of(), 60);
        if (!r.ok()) {
            fail("kubectl apply failed:\n" + r.out() + r.err() + "\n" + yaml);
        }
        return r.out();
    }

    static void eventually(Duration timeout, BooleanSupplier condition, Supplier<String> seen) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                fail("not within " + timeout + ": " + seen.get());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    @Override
    public void close() {
        admin.close();
        server.stop();
    }
}
