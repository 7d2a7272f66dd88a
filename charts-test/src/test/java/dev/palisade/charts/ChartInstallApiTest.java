package dev.palisade.charts;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * helm install of charts/palisade into a real kube-apiserver with etcd (fabric8 kube-api-test,
 * binaries from hack/provision-kube-binaries.sh; without them this fails, never skips): every object
 * is accepted by the server's validation (strict field validation too), the CRDs are Established,
 * the ServiceMonitors, PodMonitors and PrometheusRule pass prometheus-operator's own CRD schemas
 * (hack/provision-prometheus-operator-crds.sh; without them this fails too), upgrades to the kind
 * and k3s presets are accepted, and the installed bindings give the chart's ServiceAccounts what
 * the programs need. There are no controllers: nothing runs, only the API.
 * The operator's and agent's own API tests are run with the chart's RBAC by .ci/run
 * (charts-test/run-suites-with-chart-rbac.sh).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChartInstallApiTest {

    static final String VERSION = System.getProperty("palisade.kube.version", "1.33.13");
    static final List<String> MONITORING = List.of("--set", "metrics.serviceMonitor.enabled=true",
            "--set", "metrics.prometheusRule.enabled=true");

    private KubeAPIServer server;
    private KubernetesClient admin;
    private Path kubeconfig;
    private Path bin;

    @BeforeAll
    void startApiServer() throws IOException {
        Path home = Path.of(System.getenv().getOrDefault("KUBEAPITEST_DIR", System.getProperty("user.home") + "/.kubeapitest"));
        bin = home.resolve("k8s").resolve(VERSION + "-linux-" + (System.getProperty("os.arch").equals("aarch64") ? "arm64" : "amd64"));
        for (String b : List.of("kube-apiserver", "etcd", "kubectl")) {
            if (!Files.isExecutable(bin.resolve(b))) {
                fail(bin.resolve(b) + " is missing: run hack/provision-kube-binaries.sh before the chart's API tests");
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
        kubeconfig = Files.createTempFile("palisade-chart-kubeconfig", ".yaml");
        Files.writeString(kubeconfig, server.getKubeConfigYaml());
        admin = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(server.getKubeConfigYaml())).build();
        // prometheus-operator's own CRDs, so the server checks the chart's monitoring objects against
        // their schemas
        for (Path crd : PrometheusOperatorCrds.files()) {
            kubectl("apply", "--server-side", "-f", crd.toString());
        }
        kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/servicemonitors.monitoring.coreos.com",
                "crd/podmonitors.monitoring.coreos.com", "crd/prometheusrules.monitoring.coreos.com");
    }

    @AfterAll
    void stop() throws IOException {
        if (admin != null) {
            admin.close();
        }
        if (server != null) {
            server.stop();
        }
        if (kubeconfig != null) {
            Files.deleteIfExists(kubeconfig);
        }
    }

    @Test
    @Order(1)
    void installIsAcceptedAndTheCrdsAreEstablished() {
        List<String> args = new ArrayList<>(List.of("install", Helm.RELEASE, Helm.CHART.toString(),
                "--namespace", Helm.NAMESPACE, "--create-namespace", "--timeout", "2m"));
        args.addAll(MONITORING);
        helm(args);
        for (String crd : List.of("palisadenoderulesets.palisade.dev", "palisadeaddresssets.palisade.dev",
                "palisadepolicystatuses.palisade.dev", "clusternetworkpolicies.policy.networking.k8s.io")) {
            var status = admin.apiextensions().v1().customResourceDefinitions().withName(crd).get().getStatus();
            assertTrue(status.getConditions().stream().anyMatch(c -> c.getType().equals("Established") && c.getStatus().equals("True")),
                    crd + " is Established: " + status.getConditions());
        }
        // every object of the release is there, as the server stored it
        List<JsonNode> manifest = Helm.documents(helm(List.of("get", "manifest", Helm.RELEASE, "--namespace", Helm.NAMESPACE)));
        assertTrue(manifest.size() >= 15, "objects in the release: " + manifest.size());
        for (JsonNode o : manifest) {
            String kind = o.path("kind").asText();
            String name = o.path("metadata").path("name").asText();
            String group = group(o);
            List<String> get = new ArrayList<>(List.of("get", group.isEmpty() ? kind : kind + "." + group, name, "-o", "name"));
            if (o.path("metadata").has("namespace")) {
                get.addAll(List.of("--namespace", o.path("metadata").path("namespace").asText()));
            }
            kubectl(get.toArray(String[]::new));
        }
        JsonNode ds = Helm.documents(kubectl("get", "daemonset", "palisade-agent", "-n", Helm.NAMESPACE, "-o", "yaml")).get(0);
        assertEquals("[\"NET_ADMIN\"]", Rendered.container(ds, "agent").path("securityContext").path("capabilities").path("add").toString());
    }

    @ParameterizedTest(name = "helm template, values {0}: server-side dry run with strict field validation")
    @Order(2)
    @ValueSource(strings = {"default", "kind", "k3s"})
    void everyRenderedObjectPassesStrictServerValidation(String values) {
        List<String> args = new ArrayList<>(ChartRenderTest.valuesArgs(values));
        args.addAll(MONITORING);
        Rendered r = Helm.template(args.toArray(String[]::new));
        String out = kubectlStdin(r.text(), "apply", "--dry-run=server", "--validate=strict", "--server-side",
                "--force-conflicts", "-n", Helm.NAMESPACE, "-f", "-");
        assertTrue(out.contains("daemonset.apps/palisade-agent serverside-applied (server dry run)"), out);
    }

    @Test
    @Order(2)
    void theMonitoringKindsArePrometheusOperatorsWithTheirSchemas() {
        for (String plural : PrometheusOperatorCrds.PLURALS) {
            var crd = admin.apiextensions().v1().customResourceDefinitions().withName(plural + ".monitoring.coreos.com").get();
            assertTrue(crd.getMetadata().getAnnotations().containsKey("operator.prometheus.io/version"),
                    plural + " is prometheus-operator's CRD: " + crd.getMetadata().getAnnotations());
            var schema = crd.getSpec().getVersions().stream().filter(v -> v.getName().equals("v1")).findFirst()
                    .orElseGet(() -> fail(plural + " has no v1")).getSchema().getOpenAPIV3Schema();
            assertTrue(schema.getXKubernetesPreserveUnknownFields() == null || !schema.getXKubernetesPreserveUnknownFields(),
                    plural + ": a schema, not a schemaless stand-in");
            assertFalse(schema.getProperties().get("spec").getProperties().isEmpty(), plural + ": the spec's fields are declared");
        }
    }

    @Test
    @Order(2)
    void thePodMonitorsPassStrictServerValidation() {
        String out = kubectlStdin(monitoringTemplate("podmonitor.yaml", List.of("--set", "metrics.podMonitor.enabled=true")),
                "apply", "--dry-run=server", "--validate=strict", "--server-side", "--force-conflicts", "-n", Helm.NAMESPACE, "-f", "-");
        for (String component : List.of("operator", "agent")) {
            assertTrue(out.contains("podmonitor.monitoring.coreos.com/palisade-" + component + " serverside-applied (server dry run)"), out);
        }
    }

    /**
     * A rendered monitoring object with one field spoilt: what schemaless CRDs would store, and
     * prometheus-operator's refuse (a duration Prometheus could not parse, an unknown field).
     */
    @ParameterizedTest(name = "the server refuses {0} with {1} -> {2}: {3}")
    @Order(2)
    @CsvSource(delimiter = '|', value = {
            "servicemonitor.yaml | interval: 30s      | interval: 30sec   | spec.endpoints[0].interval",
            "podmonitor.yaml     | scrapeTimeout: 10s | scrapeTimeout: 10 | spec.podMetricsEndpoints[0].scrapeTimeout",
            "prometheusrule.yaml | for: 5m            | for: 5 minutes    | spec.groups[0].rules[0].for",
            "servicemonitor.yaml | path: /metrics     | paths: /metrics   | spec.endpoints[0].paths",
    })
    void spoiltMonitoringObjectsAreRefusedByTheirSchemas(String template, String from, String to, String field) {
        String enable = switch (template) {
            case "servicemonitor.yaml" -> "metrics.serviceMonitor.enabled=true";
            case "podmonitor.yaml" -> "metrics.podMonitor.enabled=true";
            default -> "metrics.prometheusRule.enabled=true";
        };
        String yaml = monitoringTemplate(template, List.of("--set", enable));
        String spoilt = yaml.replaceFirst(Pattern.quote(from), Matcher.quoteReplacement(to));
        assertNotEquals(yaml, spoilt, template + " renders '" + from + "'");
        Helm.Result r = kubectlResult(spoilt, "apply", "--dry-run=server", "--validate=strict", "--server-side",
                "--force-conflicts", "-n", Helm.NAMESPACE, "-f", "-");
        assertNotEquals(0, r.code(), "accepted: " + r.out());
        assertTrue(r.out().contains(field), "refused for " + field + ": " + r.out());
    }

    @ParameterizedTest(name = "helm upgrade to the {0} preset is accepted")
    @Order(3)
    @ValueSource(strings = {"kind", "k3s"})
    void upgradeToPreset(String preset) {
        List<String> args = new ArrayList<>(List.of("upgrade", Helm.RELEASE, Helm.CHART.toString(),
                "--namespace", Helm.NAMESPACE, "-f", Helm.preset(preset), "--timeout", "2m"));
        args.addAll(MONITORING);
        helm(args);
        JsonNode ds = Helm.documents(kubectl("get", "daemonset", "palisade-agent", "-n", Helm.NAMESPACE, "-o", "yaml")).get(0);
        String volumes = Rendered.podSpec(ds).path("volumes").toString();
        String conf = preset.equals("kind") ? "/etc/cni/net.d" : "/var/lib/rancher/k3s/agent/etc/cni/net.d";
        assertTrue(volumes.contains("\"path\":\"" + conf + "\""), "the stored DaemonSet mounts " + conf + ": " + volumes);
        JsonNode deploy = Helm.documents(kubectl("get", "deployment", "palisade-operator", "-n", Helm.NAMESPACE, "-o", "yaml")).get(0);
        assertTrue(Rendered.podSpec(deploy).path("hostNetwork").asBoolean());
    }

    @ParameterizedTest(name = "installed RBAC: {0} may {1} {2}/{3}{4} in ''{5}'': {6}")
    @Order(4)
    @CsvSource({
            "palisade-operator, list,   '',                  pods,                   '',      '',              true",
            "palisade-operator, watch,  networking.k8s.io,   networkpolicies,        '',      '',              true",
            "palisade-operator, watch,  policy.networking.k8s.io, clusternetworkpolicies, '', '',       true",
            "palisade-operator, patch,  palisade.dev,        palisadenoderulesets,   '',      '',              true",
            "palisade-operator, update, coordination.k8s.io, leases,                 '',      palisade-system, true",
            "palisade-operator, update, coordination.k8s.io, leases,                 '',      kube-system,     false",
            "palisade-operator, get,    '',                  secrets,                '',      palisade-system, false",
            "palisade-operator, patch,  palisade.dev,        palisadenoderulesets,   /status, '',              false",
            "palisade-agent,    watch,  palisade.dev,        palisadenoderulesets,   '',      '',              true",
            "palisade-agent,    patch,  palisade.dev,        palisadenoderulesets,   /status, '',              true",
            "palisade-agent,    get,    palisade.dev,        palisadeaddresssets,    '',      '',              true",
            "palisade-agent,    list,   palisade.dev,        palisadeaddresssets,    '',      '',              true",
            "palisade-agent,    watch,  palisade.dev,        palisadeaddresssets,    '',      '',              false",
            "palisade-agent,    list,   '',                  pods,                   '',      '',              false",
            "palisade-agent,    patch,  palisade.dev,        palisadenoderulesets,   '',      '',              false",
    })
    void installedBindingsReachTheChartsServiceAccounts(String sa, String verb, String group, String resource,
                                                       String subresource, String namespace, boolean allowed) {
        SubjectAccessReview review = admin.authorization().v1().subjectAccessReview().create(new SubjectAccessReviewBuilder()
                .withNewSpec().withUser("system:serviceaccount:" + Helm.NAMESPACE + ":" + sa)
                .withGroups(List.of("system:serviceaccounts", "system:serviceaccounts:" + Helm.NAMESPACE, "system:authenticated"))
                .withNewResourceAttributes().withVerb(verb).withGroup(group).withResource(resource)
                .withSubresource(subresource.replace("/", "")).withNamespace(namespace).endResourceAttributes()
                .endSpec().build());
        assertEquals(allowed, review.getStatus().getAllowed(), review.getStatus().toString());
    }

    @Test
    @Order(5)
    void uninstallKeepsTheCrdsAndTheirObjects() {
        helm(List.of("uninstall", Helm.RELEASE, "--namespace", Helm.NAMESPACE, "--timeout", "2m"));
        assertEquals(List.of(), admin.apps().daemonSets().inNamespace(Helm.NAMESPACE).list().getItems());
        for (String crd : List.of("palisadenoderulesets", "palisadeaddresssets", "palisadepolicystatuses")) {
            assertTrue(admin.apiextensions().v1().customResourceDefinitions().withName(crd + ".palisade.dev").get() != null,
                    crd + ": Helm never deletes CRDs from crds/, so rule sets survive an uninstall");
        }
    }

    /** One template of charts/palisade/templates/monitoring, rendered with these extra arguments. */
    private static String monitoringTemplate(String file, List<String> extra) {
        List<String> args = new ArrayList<>(List.of("template", Helm.RELEASE, Helm.CHART.toString(), "--namespace", Helm.NAMESPACE,
                "--show-only", "templates/monitoring/" + file));
        args.addAll(extra);
        return Helm.run(args).orFail("helm " + String.join(" ", args)).out();
    }

    private static String group(JsonNode o) {
        String apiVersion = o.path("apiVersion").asText();
        return apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
    }

    private String helm(List<String> args) {
        List<String> all = new ArrayList<>(args);
        all.addAll(List.of("--kubeconfig", kubeconfig.toString()));
        return Helm.run(all, Map.of("HELM_CACHE_HOME", tmp("cache"), "HELM_CONFIG_HOME", tmp("config"),
                "HELM_DATA_HOME", tmp("data"))).orFail("helm " + String.join(" ", args)).out();
    }

    private String kubectl(String... args) {
        return kubectlStdin(null, args);
    }

    private String kubectlStdin(String stdin, String... args) {
        Helm.Result r = kubectlResult(stdin, args);
        if (r.code() != 0) {
            fail("kubectl " + String.join(" ", args) + " failed:\n" + r.out());
        }
        return r.out();
    }

    /** kubectl with this standard input; the output has stderr merged into it. */
    private Helm.Result kubectlResult(String stdin, String... args) {
        List<String> command = new ArrayList<>(List.of(bin.resolve("kubectl").toString(), "--kubeconfig", kubeconfig.toString()));
        command.addAll(List.of(args));
        try {
            Path in = Files.createTempFile("palisade-kubectl", ".in");
            try {
                Files.writeString(in, stdin == null ? "" : stdin);
                ProcessBuilder pb = new ProcessBuilder(command).redirectInput(in.toFile()).redirectErrorStream(true);
                Process p = pb.start();
                String out = new String(p.getInputStream().readAllBytes());
                return new Helm.Result(p.waitFor(), out, "");
            } finally {
                Files.deleteIfExists(in);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String tmp(String what) {
        return Path.of(System.getProperty("java.io.tmpdir"), "palisade-helm-" + what).toString();
    }
}
