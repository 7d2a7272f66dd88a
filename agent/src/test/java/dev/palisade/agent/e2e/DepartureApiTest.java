package dev.palisade.agent.e2e;

import dev.palisade.agent.sync.Inputs;
import dev.palisade.agent.telemetry.AgentMetrics;
import dev.palisade.agent.watch.DaemonSetRef;
import dev.palisade.agent.watch.DaemonSetWatch;
import dev.palisade.agent.watch.Departure;
import dev.palisade.agent.watch.Departure.Reason;
import dev.palisade.agent.watch.NodeWatch;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static dev.palisade.agent.e2e.ApiServer.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stopping agent's decision (keep its tables, or delete them because it is being uninstalled
 * from the node) against a real API server, the agent impersonating its ServiceAccount under
 * deploy/rbac/agent.yaml. There is no controller manager: the DaemonSet is only an object here, and
 * a foreground deletion leaves it with its deletionTimestamp for as long as the test wants.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DepartureApiTest {

    private static final String NODE = "kind-worker";
    private static final String NS = ApiServer.NAMESPACE;
    private static final DaemonSetRef REF = new DaemonSetRef(NS, "palisade-agent");
    // the answer is expected from the API server: a generous budget, returned as soon as it answers
    private static final Duration BUDGET = Duration.ofSeconds(30);
    private static final Duration SETTLE = Duration.ofSeconds(30);

    private ApiServer api;
    private ApiProxy proxy;
    private final List<AutoCloseable> open = new ArrayList<>();
    private AgentMetrics metrics;
    private boolean cut;

    @BeforeAll
    void up() throws Exception {
        api = new ApiServer();
        proxy = new ApiProxy(new InetSocketAddress("127.0.0.1", api.url().getPort()));
        api.admin().nodes().resource(new NodeBuilder().withNewMetadata().withName(NODE)
                .withLabels(Map.of("kubernetes.io/os", "linux", "pool", "blue")).endMetadata().build()).create();
    }

    @AfterAll
    void down() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        if (api != null) {
            api.close();
        }
    }

    @BeforeEach
    void daemonSet() {
        metrics = new AgentMetrics();
        api.admin().apps().daemonSets().resource(daemonSet(Map.of("kubernetes.io/os", "linux"))).create();
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        open.clear();
        if (cut) {
            proxy.restore();
            cut = false;
        }
        api.kubectl("apply", "-f", ApiServer.REPO.resolve("deploy/rbac/agent.yaml").toString());
        var ds = api.admin().apps().daemonSets().inNamespace(NS).withName(REF.name());
        if (ds.get() != null) {
            ds.edit(d -> {
                d.getMetadata().setFinalizers(List.of());
                return d;
            });
            ds.delete();
        }
        eventually(SETTLE, () -> ds.get() == null, () -> "the DaemonSet is still there: " + ds.get());
        api.admin().nodes().withName(NODE).edit(n -> {
            n.getMetadata().setLabels(Map.of("kubernetes.io/os", "linux", "pool", "blue"));
            return n;
        });
    }

    @Test
    void presentAndSelectingTheNodeKeepsTheTables() {
        DaemonSetWatch watch = armed(asAgent());
        Departure d = watch.departure(BUDGET);
        assertEquals(Reason.SELECTED, d.reason(), d.detail());
        assertFalse(d.removeTables());
        assertTrue(metrics.text().contains("palisade_agent_cleanup_armed 1.0"), metrics.text());
    }

    @Test
    void aDeletedDaemonSetRemovesThem() {
        DaemonSetWatch watch = armed(asAgent());
        api.admin().apps().daemonSets().inNamespace(NS).withName(REF.name()).delete();
        Departure d = watch.departure(BUDGET);
        assertEquals(Reason.DELETED, d.reason(), d.detail());
        assertTrue(d.removeTables());
    }

    @Test
    void aDaemonSetWithADeletionTimestampRemovesThem() {
        DaemonSetWatch watch = armed(asAgent());
        api.admin().apps().daemonSets().inNamespace(NS).withName(REF.name())
                .withPropagationPolicy(DeletionPropagation.FOREGROUND).delete();
        DaemonSet ds = api.admin().apps().daemonSets().inNamespace(NS).withName(REF.name()).get();
        assertTrue(ds != null && ds.getMetadata().getDeletionTimestamp() != null, "kept by its foregroundDeletion finalizer");
        Departure d = watch.departure(BUDGET);
        assertEquals(Reason.DELETING, d.reason(), d.detail());
        assertTrue(d.removeTables());
    }

    @Test
    void aNodeSelectorThatNoLongerMatchesRemovesThem() {
        DaemonSetWatch watch = armed(asAgent());
        editTemplate(d -> {
            d.getSpec().getTemplate().getSpec().setNodeSelector(Map.of("pool", "green"));
            return d;
        });
        Departure d = watch.departure(BUDGET);
        assertEquals(Reason.NOT_SELECTED, d.reason(), d.detail());
        assertTrue(d.removeTables());

        // matching again (a rolling update that keeps the node): keep
        editTemplate(ds -> {
            ds.getSpec().getTemplate().getSpec().setNodeSelector(Map.of("pool", "blue"));
            return ds;
        });
        assertEquals(Reason.SELECTED, watch.departure(BUDGET).reason());

        // the node relabelled so that the unchanged DaemonSet no longer selects it
        api.admin().nodes().withName(NODE).edit(n -> {
            n.getMetadata().setLabels(Map.of("kubernetes.io/os", "linux", "pool", "green"));
            return n;
        });
        assertEquals(Reason.NOT_SELECTED, watch.departure(BUDGET).reason());
    }

    @Test
    void aRequiredNodeAffinityThatExcludesTheNodeRemovesThem() {
        DaemonSetWatch watch = armed(asAgent());
        editTemplate(d -> {
            d.getSpec().getTemplate().getSpec().setAffinity(new AffinityBuilder().withNewNodeAffinity()
                    .withNewRequiredDuringSchedulingIgnoredDuringExecution().addNewNodeSelectorTerm()
                    .addNewMatchField().withKey("metadata.name").withOperator("NotIn").withValues(NODE).endMatchField()
                    .endNodeSelectorTerm().endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity().build());
            return d;
        });
        Departure d = watch.departure(BUDGET);
        assertEquals(Reason.NOT_SELECTED, d.reason(), d.detail());
    }

    /**
     * helm uninstall deletes the DaemonSet and, at once, the agent's RoleBinding: by the time the
     * agent is told to stop, its own GET is refused (403). The watch, authorized when it was opened,
     * has seen the deletion, and decides.
     */
    @Test
    void afterHelmDeletedTheRbacTooTheWatchStillKnowsTheDaemonSetIsGone() {
        KubernetesClient asAgent = asAgent();
        DaemonSetWatch watch = armed(asAgent);
        api.admin().apps().daemonSets().inNamespace(NS).withName(REF.name()).delete();
        api.admin().rbac().roleBindings().inNamespace(NS).withName("palisade-agent").delete();
        eventually(SETTLE, () -> forbidden(() -> asAgent.apps().daemonSets().inNamespace(NS).withName(REF.name()).get()),
                () -> "the agent can still read its DaemonSet");
        Departure d = watch.departure(BUDGET);
        assertEquals(Reason.DELETED, d.reason(), d.detail());
        assertTrue(d.detail().contains("403"), d.detail());
    }

    /** The API server unreachable: the watch says the DaemonSet still selects the node, so the tables stay. */
    @Test
    void anUnreachableApiServerKeepsTheTables() throws Exception {
        DaemonSetWatch watch = armed(throughProxy());
        cutTheApiServerOff();
        Departure d = watch.departure(Duration.ofSeconds(3));
        assertEquals(Reason.SELECTED, d.reason(), d.detail());
        assertFalse(d.removeTables());
        assertTrue(d.detail().contains("as last watched"), d.detail());
    }

    @Test
    void anUnreachableApiServerThatWasNeverListedKeepsTheTables() throws Exception {
        cutTheApiServerOff();
        DaemonSetWatch watch = watch(throughProxy());
        Departure d = watch.departure(Duration.ofSeconds(3));
        assertFalse(d.removeTables(), d.detail());
        assertFalse(watch.armed());
        assertTrue(metrics.text().contains("palisade_agent_cleanup_armed 0.0"), metrics.text());
    }

    /** A DaemonSet name that is not the agent's (a misconfiguration) must not turn a restart into an uninstall. */
    @Test
    void aDaemonSetNeverSeenIsNotAnUninstall() {
        api.admin().apps().daemonSets().inNamespace(NS).withName(REF.name()).delete();
        eventually(SETTLE, () -> api.admin().apps().daemonSets().inNamespace(NS).withName(REF.name()).get() == null,
                () -> "still there");
        DaemonSetWatch watch = watch(asAgent());
        Departure d = watch.departure(BUDGET);
        assertEquals(Reason.UNKNOWN_OWNER, d.reason(), d.detail());
        assertFalse(d.removeTables());
    }

    @Test
    void theAgentMayReadOnlyItsOwnDaemonSet() {
        KubernetesClient asAgent = asAgent();
        api.admin().apps().daemonSets().resource(new DaemonSetBuilder(daemonSet(Map.of())).editMetadata()
                .withName("other").endMetadata().build()).create();
        try {
            assertEquals(REF.name(), asAgent.apps().daemonSets().inNamespace(NS).withName(REF.name()).get()
                    .getMetadata().getName());
            assertTrue(forbidden(() -> asAgent.apps().daemonSets().inNamespace(NS).withName("other").get()));
            assertTrue(forbidden(() -> asAgent.apps().daemonSets().inNamespace(NS).list()));
            assertTrue(forbidden(() -> asAgent.apps().daemonSets().inNamespace("default").withName(REF.name()).get()));
            assertTrue(forbidden(() -> asAgent.apps().daemonSets().inNamespace(NS).withName(REF.name()).delete()));
        } finally {
            api.admin().apps().daemonSets().inNamespace(NS).withName("other").delete();
        }
    }

    // ---- plumbing -------------------------------------------------------------------------------

    private DaemonSetWatch armed(KubernetesClient client) {
        DaemonSetWatch watch = watch(client);
        eventually(SETTLE, watch::armed, () -> "the watch never saw " + REF);
        return watch;
    }

    private DaemonSetWatch watch(KubernetesClient client) {
        NodeWatch nodes = new NodeWatch(client, NODE, false, new Inputs());
        nodes.start();
        open.add(nodes);
        DaemonSetWatch watch = new DaemonSetWatch(client, REF, NODE, nodes::self, metrics);
        watch.start();
        open.add(watch);
        return watch;
    }

    private KubernetesClient asAgent() {
        KubernetesClient c = api.as("palisade-agent");
        open.add(c);
        return c;
    }

    /** The agent's client through the relay the test can cut. */
    private KubernetesClient throughProxy() throws Exception {
        Config config = Config.fromKubeconfig(Files.readString(api.kubeconfigFile()));
        config.setMasterUrl("https://127.0.0.1:" + proxy.port());
        config.setImpersonateUsername(ApiServer.user("palisade-agent"));
        config.setImpersonateGroups(ApiServer.groups().toArray(String[]::new));
        KubernetesClient c = new KubernetesClientBuilder().withConfig(config).build();
        open.add(c);
        return c;
    }

    private void cutTheApiServerOff() throws Exception {
        proxy.cut();
        cut = true;
    }

    private void editTemplate(Function<DaemonSet, DaemonSet> edit) {
        api.admin().apps().daemonSets().inNamespace(NS).withName(REF.name()).edit(edit::apply);
    }

    private static boolean forbidden(Runnable call) {
        try {
            call.run();
            return false;
        } catch (KubernetesClientException e) {
            return e.getCode() == 403;
        }
    }

    private static DaemonSet daemonSet(Map<String, String> nodeSelector) {
        return new DaemonSetBuilder().withNewMetadata().withName(REF.name()).withNamespace(NS).endMetadata()
                .withNewSpec()
                .withNewSelector().addToMatchLabels("app.kubernetes.io/component", "agent").endSelector()
                .withNewTemplate()
                .withNewMetadata().addToLabels("app.kubernetes.io/component", "agent").endMetadata()
                .withNewSpec().withNodeSelector(nodeSelector)
                .addNewContainer().withName("agent").withImage("ghcr.io/palisade/palisade:test").endContainer()
                .endSpec()
                .endTemplate()
                .endSpec().build();
    }
}
