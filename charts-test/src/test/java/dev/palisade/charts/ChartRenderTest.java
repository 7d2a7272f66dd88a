package dev.palisade.charts;

import com.fasterxml.jackson.databind.JsonNode;
import dev.palisade.agent.AgentConfig;
import dev.palisade.agent.cni.CniSettings;
import dev.palisade.agent.watch.DaemonSetRef;
import dev.palisade.operator.OperatorConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * helm lint and helm template of charts/palisade for the default values and the kind and k3s
 * presets, asserted on the rendered objects, and on how the operator and the agent read the
 * configuration the chart gives them (their own OperatorConfig and AgentConfig parsers).
 */
class ChartRenderTest {

    static final String OPERATOR = "palisade-operator";
    static final String AGENT = "palisade-agent";

    @ParameterizedTest(name = "helm lint --strict, values: {0}")
    @ValueSource(strings = {"default", "kind", "k3s", "monitoring"})
    void lintsCleanly(String values) {
        List<String> args = new ArrayList<>(List.of("lint", "--strict", Helm.CHART.toString(), "--namespace", Helm.NAMESPACE));
        args.addAll(valuesArgs(values));
        Helm.Result r = Helm.run(args).orFail("helm lint " + values);
        assertTrue(r.out().contains("1 chart(s) linted, 0 chart(s) failed"), r.out());
    }

    @ParameterizedTest(name = "the operator reads its Deployment's settings, values: {0}")
    @ValueSource(strings = {"default", "kind", "k3s"})
    void operatorDeployment(String values) {
        Rendered r = Helm.template(valuesArgs(values).toArray(String[]::new));
        JsonNode deployment = r.get("Deployment", OPERATOR);
        JsonNode pod = Rendered.podSpec(deployment);
        JsonNode c = Rendered.container(deployment, "operator");
        assertEquals(2, deployment.path("spec").path("replicas").asInt(), "two replicas: one leads, one stands by");
        assertEquals("[\"operator\"]", c.path("args").toString());
        assertEquals(OPERATOR, pod.path("serviceAccountName").asText());

        OperatorConfig config = OperatorConfig.fromEnvironment(env(c, "palisade-operator-7d9f-abcde", "node-1"));
        assertEquals("palisade-operator-7d9f-abcde", config.identity(), "POD_NAME from the downward API is the Lease identity");
        assertEquals(Helm.NAMESPACE, config.namespace(), "the Lease lives in the release namespace");
        int port = containerPort(c, "http-metrics");
        assertEquals(OperatorConfig.DEFAULT_HTTP_PORT, port);
        assertEquals(port, config.http().getPort(), "the operator listens where the probes and Service look");
        assertEquals("/healthz", c.path("livenessProbe").path("httpGet").path("path").asText());
        assertEquals("/readyz", c.path("readinessProbe").path("httpGet").path("path").asText());
        assertEquals("http-metrics", c.path("readinessProbe").path("httpGet").path("port").asText());
        assertFalse(c.path("resources").path("requests").path("cpu").isMissingNode());
        assertFalse(c.path("resources").path("requests").path("memory").isMissingNode());

        assertTrue(pod.path("securityContext").path("runAsNonRoot").asBoolean());
        assertEquals(65532, pod.path("securityContext").path("runAsUser").asInt());
        assertEquals("[\"ALL\"]", c.path("securityContext").path("capabilities").path("drop").toString());
        assertTrue(c.path("securityContext").path("capabilities").path("add").isMissingNode(), "no capability added");
        assertTrue(c.path("securityContext").path("readOnlyRootFilesystem").asBoolean());

        boolean cni = !values.equals("default");
        assertEquals(cni, pod.path("hostNetwork").asBoolean(),
                "CNI mode: the operator must run before any pod network exists");
        assertEquals(cni, tolerates(pod, "node.kubernetes.io/not-ready"),
                "CNI mode: every node is NotReady until the agents wire pods");
        assertTrue(tolerates(pod, "node-role.kubernetes.io/control-plane"));
        r.get("PodDisruptionBudget", OPERATOR);
    }

    @ParameterizedTest(name = "the agent reads its DaemonSet's settings, values: {0}")
    @CsvSource({
            "default, , ",
            "kind,    /opt/cni/bin,                  /etc/cni/net.d",
            "k3s,     /var/lib/rancher/k3s/data/cni, /var/lib/rancher/k3s/agent/etc/cni/net.d",
    })
    void agentDaemonSet(String values, String binDir, String confDir) {
        Rendered r = Helm.template(valuesArgs(values).toArray(String[]::new));
        JsonNode ds = r.get("DaemonSet", AGENT);
        JsonNode pod = Rendered.podSpec(ds);
        JsonNode c = Rendered.container(ds, "agent");
        assertEquals("agent", c.path("args").get(0).asText());
        assertEquals(AGENT, pod.path("serviceAccountName").asText());
        assertTrue(pod.path("hostNetwork").asBoolean(), "the agent programs the node's own namespace");
        assertEquals("ClusterFirstWithHostNet", pod.path("dnsPolicy").asText());
        assertTrue(StreamSupport.stream(pod.path("tolerations").spliterator(), false)
                        .anyMatch(t -> t.path("operator").asText().equals("Exists") && t.path("key").isMissingNode()),
                "every node, whatever its taints: " + pod.path("tolerations"));
        JsonNode sc = c.path("securityContext");
        assertEquals("[\"NET_ADMIN\"]", sc.path("capabilities").path("add").toString(), "NET_ADMIN only: no NET_RAW, no SYS_ADMIN");
        assertEquals("[\"ALL\"]", sc.path("capabilities").path("drop").toString());
        assertFalse(sc.path("privileged").asBoolean());
        assertFalse(sc.path("allowPrivilegeEscalation").asBoolean(true));

        AgentConfig config = agentConfig(c, env(c, "palisade-agent-x7k2p", "kind-worker2"));
        assertEquals("kind-worker2", config.node(), "NODE_NAME from spec.nodeName");
        assertEquals(Optional.of(new DaemonSetRef(ds.path("metadata").path("namespace").asText(),
                        ds.path("metadata").path("name").asText())), config.daemonSet(),
                "the agent watches the DaemonSet that runs it: that one's deletion is an uninstall");
        int port = containerPort(c, "http-metrics");
        assertEquals(AgentConfig.DEFAULT_HTTP_PORT, port);
        assertEquals(port, config.http().getPort());
        assertEquals("/readyz", c.path("readinessProbe").path("httpGet").path("path").asText());
        assertEquals(AgentConfig.DEFAULT_VERIFY_INTERVAL, config.verifyInterval());

        Map<String, String> hostPaths = new HashMap<>();
        pod.path("volumes").forEach(v -> {
            if (v.has("hostPath")) {
                hostPaths.put(v.path("name").asText(), v.path("hostPath").path("path").asText());
            }
        });
        if (binDir == null) {
            assertEquals(Optional.empty(), config.cni(), "no CNI mode by default");
            assertEquals(Map.of(), hostPaths, "no host paths without CNI mode");
            assertTrue(pod.path("initContainers").isMissingNode());
            return;
        }
        CniSettings cni = config.cni().orElseThrow(() -> new AssertionError("CNI mode expected"));
        assertEquals(Path.of(binDir), cni.binDir());
        assertEquals(Path.of(confDir), cni.confDir());
        assertEquals(Path.of("/run/palisade/cni"), cni.runDir(), "the configuration list on the host's tmpfs /run");
        assertEquals(Map.of("cni-bin", binDir, "cni-conf", confDir, "cni-run", "/run/palisade/cni"), hostPaths);
        // mounted where the agent looks, which is where the container runtime looks on the host
        Map<String, String> mounts = new HashMap<>();
        c.path("volumeMounts").forEach(m -> mounts.put(m.path("name").asText(), m.path("mountPath").asText()));
        assertEquals(binDir, mounts.get("cni-bin"));
        assertEquals(confDir, mounts.get("cni-conf"));
        // the link's target is resolved by the runtime on the host: the agent must see the same path
        assertEquals(cni.runDir().toString(), mounts.get("cni-run"));
        JsonNode init = pod.path("initContainers").get(0);
        assertEquals("install-cni-plugins", init.path("name").asText());
        for (String plugin : List.of("ptp", "host-local", "portmap", "loopback")) {
            assertTrue(init.path("command").toString().contains(plugin), plugin + " is installed where missing");
        }
    }

    @Test
    void metricsServicesAndMonitorsSelectTheComponentsPods() {
        Rendered r = Helm.template("--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.prometheusRule.enabled=true");
        for (String component : List.of("operator", "agent")) {
            JsonNode svc = r.get("Service", "palisade-" + component + "-metrics");
            JsonNode workload = component.equals("operator") ? r.get("Deployment", OPERATOR) : r.get("DaemonSet", AGENT);
            JsonNode podLabels = workload.path("spec").path("template").path("metadata").path("labels");
            svc.path("spec").path("selector").fields().forEachRemaining(e ->
                    assertEquals(e.getValue(), podLabels.path(e.getKey()), component + " Service selects its pods"));
            assertEquals("None", svc.path("spec").path("clusterIP").asText());
            JsonNode sm = r.get("ServiceMonitor", "palisade-" + component);
            assertEquals(svc.path("metadata").path("labels").path("app.kubernetes.io/component"),
                    sm.path("spec").path("selector").path("matchLabels").path("app.kubernetes.io/component"));
            assertEquals("http-metrics", sm.path("spec").path("endpoints").get(0).path("port").asText());
            assertTrue(sm.path("spec").path("endpoints").get(0).path("relabelings").toString()
                    .contains("\"replacement\":\"palisade-" + component + "\""), "job label the alerts select on");
        }
        JsonNode rule = r.get("PrometheusRule", "palisade");
        assertTrue(rule.path("spec").path("groups").toString().contains("job=\\\"palisade-agent\\\""));

        Rendered pods = Helm.template("--set", "metrics.podMonitor.enabled=true");
        assertEquals(2, pods.ofKind("PodMonitor").size());
        assertEquals(0, pods.ofKind("ServiceMonitor").size());
        assertEquals(0, Helm.template().ofKind("PrometheusRule").size(), "monitoring objects are opt-in");
    }

    /**
     * The scrape job for Prometheus without prometheus-operator (docs/operations.md, "Without
     * prometheus-operator"; run for real by hack/kind/prometheus.sh) keeps endpoints by the Services'
     * part-of and component labels and the port name, and derives job from the Service's name.
     */
    @Test
    void metricsServicesCarryWhatThePlainScrapeJobKeeps() {
        Rendered r = Helm.template();
        for (String component : List.of("operator", "agent")) {
            JsonNode svc = r.get("Service", "palisade-" + component + "-metrics");
            JsonNode labels = svc.path("metadata").path("labels");
            assertEquals("palisade", labels.path("app.kubernetes.io/part-of").asText());
            assertEquals(component, labels.path("app.kubernetes.io/component").asText());
            assertEquals("http-metrics", svc.path("spec").path("ports").get(0).path("name").asText());
            assertEquals("palisade-" + component,
                    svc.path("metadata").path("name").asText().replaceFirst("-metrics$", ""),
                    "job (the Service's name without -metrics) is the one the ServiceMonitor sets and the alerts select on");
        }
    }

    @ParameterizedTest(name = "refused: {0}")
    @CsvSource(delimiter = '|', value = {
            "an unknown key                       | --set=operater.replicas=2",
            "no operator                          | --set=operator.replicas=0",
            "an unknown CNI preset                | --set=cni.preset=calico",
            "a relative CNI directory             | --set=cni.binDir=opt/cni/bin",
            "an agent flag without dashes         | --set=agent.extraArgs={cni}",
            "a digest that is not one             | --set=image.digest=latest",
            "scraping every target twice          | --set=metrics.serviceMonitor.enabled=true,metrics.podMonitor.enabled=true",
    })
    void badValuesAreRefused(String what, String set) {
        Helm.Result r = Helm.run(List.of("template", Helm.RELEASE, Helm.CHART.toString(), set));
        assertNotEquals(0, r.code(), what + " must be refused, rendered:\n" + r.out());
    }

    @Test
    void everyObjectIsNamespacedToTheReleaseOrClusterScoped() {
        Rendered r = Helm.template("-f", Helm.preset("kind"), "--set", "metrics.serviceMonitor.enabled=true",
                "--set", "metrics.prometheusRule.enabled=true");
        List<String> clusterScoped = List.of("CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding");
        for (JsonNode o : r.objects()) {
            String kind = o.path("kind").asText();
            String ns = o.path("metadata").path("namespace").asText(null);
            if (clusterScoped.contains(kind)) {
                assertEquals(null, ns, kind + " is cluster-scoped");
            } else {
                assertEquals(Helm.NAMESPACE, ns, kind + "/" + o.path("metadata").path("name").asText());
            }
            if (!kind.equals("CustomResourceDefinition")) {
                assertEquals("palisade", o.path("metadata").path("labels").path("app.kubernetes.io/part-of").asText(),
                        kind + " carries the chart's labels");
            }
        }
    }

    @ParameterizedTest(name = "agent flags from values keep CNI mode, values: {0}")
    @ValueSource(strings = {"kind", "k3s"})
    void agentFlagsFromValuesKeepTheRestOfTheConfiguration(String values) {
        Rendered r = Helm.template("-f", Helm.preset(values), "--set", "cni.mtu=1400",
                "--set", "agent.extraArgs={--pending-cidr=10.244.0.0/16}");
        JsonNode c = Rendered.container(r.get("DaemonSet", AGENT), "agent");
        AgentConfig config = agentConfig(c, env(c, "palisade-agent-x7k2p", "node-1"));
        CniSettings cni = config.cni().orElseThrow(() -> new AssertionError("CNI mode lost when flags are added: " + c.path("args")));
        assertEquals(1400, cni.mtu());
        assertEquals(List.of(dev.palisade.model.Cidr.parse("10.244.0.0/16")), config.pendingCidrs());
        assertEquals(AgentConfig.DEFAULT_HTTP_PORT, config.http().getPort());
    }

    /** What `palisade agent` makes of the container (cli AgentCommand): flags if any, else the environment. */
    static AgentConfig agentConfig(JsonNode container, Map<String, String> env) {
        List<String> flags = new ArrayList<>();
        container.path("args").forEach(a -> flags.add(a.asText()));
        assertEquals("agent", flags.remove(0));
        return flags.isEmpty() ? AgentConfig.fromEnvironment(env) : AgentConfig.parse(flags, env);
    }

    static List<String> valuesArgs(String values) {
        return switch (values) {
            case "default" -> List.of();
            case "kind", "k3s" -> List.of("-f", Helm.preset(values));
            case "monitoring" -> List.of("--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.prometheusRule.enabled=true");
            default -> throw new IllegalArgumentException(values);
        };
    }

    /** The container's environment as the kubelet would give it (downward API resolved). */
    static Map<String, String> env(JsonNode container, String podName, String nodeName) {
        Map<String, String> env = new HashMap<>();
        container.path("env").forEach(e -> {
            String field = e.path("valueFrom").path("fieldRef").path("fieldPath").asText("");
            String value = switch (field) {
                case "" -> e.path("value").asText();
                case "metadata.name" -> podName;
                case "metadata.namespace" -> Helm.NAMESPACE;
                case "spec.nodeName" -> nodeName;
                default -> throw new AssertionError("unexpected fieldRef " + field);
            };
            env.put(e.path("name").asText(), value);
        });
        return env;
    }

    static int containerPort(JsonNode container, String name) {
        for (JsonNode p : container.path("ports")) {
            if (name.equals(p.path("name").asText())) {
                return p.path("containerPort").asInt();
            }
        }
        throw new AssertionError("no port " + name + " in " + container.path("ports"));
    }

    static boolean tolerates(JsonNode pod, String key) {
        return StreamSupport.stream(pod.path("tolerations").spliterator(), false).anyMatch(t -> key.equals(t.path("key").asText()));
    }
}
