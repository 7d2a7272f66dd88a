package dev.palisade.operator;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * One real kube-apiserver with etcd for all API tests of a JVM (fabric8 kube-api-test), with the
 * committed CRDs and RBAC applied. Binaries come from hack/provision-kube-binaries.sh; without them
 * the tests fail, never skip. The operator under test talks to it as its ServiceAccount.
 */
public final class TestCluster {

    public static final Path REPO = Path.of(System.getProperty("palisade.repo.root", "..")).toAbsolutePath().normalize();
    public static final String VERSION = System.getProperty("palisade.kube.version", "1.33.13");
    public static final String OPERATOR_NAMESPACE = "palisade-system";
    public static final String OPERATOR_USER = "system:serviceaccount:" + OPERATOR_NAMESPACE + ":palisade-operator";

    private static TestCluster instance;

    private final KubeAPIServer server;
    private final Path bin;
    private final String kubeconfig;
    private final Path kubeconfigFile;
    private final KubernetesClient admin;

    private TestCluster() throws IOException {
        Path home = Path.of(System.getenv().getOrDefault("KUBEAPITEST_DIR",
                System.getProperty("user.home") + "/.kubeapitest"));
        bin = home.resolve("k8s").resolve(VERSION + "-linux-" + arch());
        for (String b : List.of("kube-apiserver", "etcd", "kubectl")) {
            if (!Files.isExecutable(bin.resolve(b))) {
                fail(bin.resolve(b) + " is missing: run hack/provision-kube-binaries.sh (builds kube-apiserver "
                        + VERSION + " and etcd, copies kubectl) before the API tests");
            }
        }
        // Options through the builder: kube-api-test's environment variables for offline mode are broken.
        server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withTestDir(home.toString())
                .withApiServerVersion(VERSION)
                .withOfflineMode(true)
                .withStartupTimeout(120_000)
                .build());
        server.start();
        kubeconfig = server.getKubeConfigYaml();
        kubeconfigFile = Files.createTempFile("palisade-kubeconfig", ".yaml");
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
        Runtime.getRuntime().addShutdownHook(new Thread(server::stop));
    }

    public static synchronized TestCluster get() {
        if (instance == null) {
            try {
                instance = new TestCluster();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return instance;
    }

    private static String arch() {
        String a = System.getProperty("os.arch");
        return a.equals("aarch64") ? "arm64" : "amd64";
    }

    /** A cluster-admin client (the test's hands). */
    public KubernetesClient admin() {
        return admin;
    }

    /** A client that is the operator's ServiceAccount: every request is authorised by deploy/rbac/operator.yaml. */
    public KubernetesClient asOperator() {
        Config config = Config.fromKubeconfig(kubeconfig);
        config.setImpersonateUsername(OPERATOR_USER);
        config.setImpersonateGroups("system:serviceaccounts", "system:serviceaccounts:" + OPERATOR_NAMESPACE,
                "system:authenticated");
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    public String kubeconfig() {
        return kubeconfig;
    }

    /** Runs the provisioned kubectl against this server; fails the test on a non-zero exit. */
    public String kubectl(String... args) {
        List<String> command = new ArrayList<>(List.of(bin.resolve("kubectl").toString(), "--kubeconfig",
                kubeconfigFile.toString()));
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                fail("kubectl " + String.join(" ", args) + " failed:\n" + out);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Polls until the condition holds; fails with the description of what was last seen. */
    public static void eventually(Duration timeout, BooleanSupplier condition, Supplier<String> seen) {
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
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
