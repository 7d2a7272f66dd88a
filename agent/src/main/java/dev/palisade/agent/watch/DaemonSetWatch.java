package dev.palisade.agent.watch;

import dev.palisade.agent.telemetry.AgentMetrics;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.NodeAffinity;
import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Watches the one DaemonSet that runs this agent (a field selector on its name, in its namespace),
 * so that a stopping agent can tell an uninstall from a restart ({@link Departure}).
 *
 * <p>{@link #departure} asks the API server first (a GET of the DaemonSet and of the node, bounded
 * in time). The watch is what answers when that fails, and it matters most on {@code helm
 * uninstall}: Helm deletes the DaemonSet, then in the same breath the RoleBinding, the ClusterRole
 * and the ServiceAccount, while the garbage collector deletes the pods only after it has seen the
 * DaemonSet go. By the time the agent is told to stop, its own GET may be refused (403, 401), but
 * the watch, authorized when it was opened, has already delivered the deletion.
 */
public final class DaemonSetWatch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DaemonSetWatch.class);
    /** After a refused GET (401, 403: the identity or its RBAC just went), how long the watch may take to catch up. */
    private static final Duration CATCH_UP = Duration.ofSeconds(2);

    private final KubernetesClient client;
    private final DaemonSetRef ref;
    private final String node;
    private final Supplier<Optional<Departure.NodeFacts>> cachedNode;
    private final AgentMetrics metrics;
    private volatile boolean seen;
    private SharedIndexInformer<DaemonSet> informer;

    /**
     * @param cachedNode this node as the agent's Node watch last saw it, for when a GET of the node fails
     */
    public DaemonSetWatch(KubernetesClient client, DaemonSetRef ref, String node,
                          Supplier<Optional<Departure.NodeFacts>> cachedNode, AgentMetrics metrics) {
        this.client = client;
        this.ref = ref;
        this.node = node;
        this.cachedNode = cachedNode;
        this.metrics = metrics;
    }

    public void start() {
        informer = client.apps().daemonSets().inNamespace(ref.namespace()).withName(ref.name()).runnableInformer(0);
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(DaemonSet ds) {
                saw(ds);
            }

            @Override
            public void onUpdate(DaemonSet oldDs, DaemonSet newDs) {
                saw(newDs);
            }

            @Override
            public void onDelete(DaemonSet ds, boolean deletedFinalStateUnknown) {
                LOG.info("{} deleted: when this agent stops, it deletes its table", ref);
            }
        });
        informer.start().whenComplete((v, t) -> {
            if (t != null) {
                LOG.warn("cannot watch {} ({}); until it can, an uninstall leaves this node's table in the kernel",
                        ref, t.getMessage());
            } else if (!seen) {
                LOG.warn("{} not found; an uninstall will leave this node's table in the kernel (is PALISADE_DAEMONSET "
                        + "the name of the DaemonSet that runs this agent?)", ref);
            }
        });
    }

    private void saw(DaemonSet ds) {
        if (!seen) {
            seen = true;
            metrics.cleanupArmed();
            LOG.info("watching {}: the table stays when this agent restarts or is updated, and goes when it is "
                    + "uninstalled from node {}", ref, node);
        }
        if (ds.getMetadata().getDeletionTimestamp() != null) {
            LOG.info("{} is being deleted: when this agent stops, it deletes its table", ref);
        }
    }

    /** The agent has seen its DaemonSet: an uninstall will delete its table. */
    public boolean armed() {
        return seen;
    }

    /**
     * Decides what the stopping agent does with its tables: from the API server if it answers
     * within {@code budget}, else from the watch.
     */
    public Departure departure(Duration budget) {
        long deadline = System.nanoTime() + budget.toNanos();
        CompletableFuture<Departure> fresh = CompletableFuture.supplyAsync(this::fromApi);
        String failure;
        boolean refused = false;
        try {
            return fresh.get(budget.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            refused = cause instanceof KubernetesClientException k && (k.getCode() == 401 || k.getCode() == 403);
            failure = cause.toString();
        } catch (TimeoutException e) {
            fresh.cancel(true);
            failure = "no answer within " + budget.toMillis() + " ms";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = "interrupted";
        }
        Departure watched = fromWatch();
        if (refused && !watched.removeTables()) {
            long until = Math.min(deadline, System.nanoTime() + CATCH_UP.toNanos());
            while (!watched.removeTables() && System.nanoTime() < until && !Thread.currentThread().isInterrupted()) {
                sleep(50);
                watched = fromWatch();
            }
        }
        return Departure.of(watched.reason(), watched.detail() + " (as last watched: the API server did not answer: "
                + failure + ")");
    }

    private Departure fromApi() {
        DaemonSet ds = client.apps().daemonSets().inNamespace(ref.namespace()).withName(ref.name()).get();
        if (ds != null && !seen) {
            saw(ds);
        }
        Optional<Departure.NodeFacts> n;
        try {
            n = Optional.ofNullable(client.nodes().withName(node).get()).map(NodeWatch::facts);
        } catch (KubernetesClientException e) {
            n = cachedNode.get();
        }
        return Departure.decide(ref.toString(), seen, Optional.ofNullable(ds).map(DaemonSetWatch::owner), n);
    }

    private Departure fromWatch() {
        if (informer == null || !informer.hasSynced()) {
            return Departure.of(Departure.Reason.API_UNREACHABLE, ref + " was never listed");
        }
        DaemonSet ds = informer.getStore().getByKey(ref.namespace() + "/" + ref.name());
        return Departure.decide(ref.toString(), seen, Optional.ofNullable(ds).map(DaemonSetWatch::owner), cachedNode.get());
    }

    /** What {@link Departure} needs of the DaemonSet: its deletion and its pod template's node selection. */
    static Departure.Owner owner(DaemonSet ds) {
        Optional<PodSpec> pod = Optional.ofNullable(ds.getSpec()).map(DaemonSetSpec::getTemplate).map(PodTemplateSpec::getSpec);
        Map<String, String> selector = pod.map(PodSpec::getNodeSelector).orElse(Map.of());
        List<Departure.Term> required = pod.map(PodSpec::getAffinity).map(Affinity::getNodeAffinity)
                .map(NodeAffinity::getRequiredDuringSchedulingIgnoredDuringExecution)
                .map(NodeSelector::getNodeSelectorTerms).orElse(List.of()).stream()
                .map(DaemonSetWatch::term).toList();
        return new Departure.Owner(ds.getMetadata().getNamespace(), ds.getMetadata().getName(),
                ds.getMetadata().getDeletionTimestamp() != null, selector, required);
    }

    private static Departure.Term term(NodeSelectorTerm t) {
        return new Departure.Term(requirements(t.getMatchExpressions()), requirements(t.getMatchFields()));
    }

    private static List<Departure.Requirement> requirements(List<NodeSelectorRequirement> rs) {
        return rs == null ? List.of()
                : rs.stream().map(r -> new Departure.Requirement(r.getKey(), r.getOperator(), r.getValues())).toList();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (informer != null) {
            informer.close();
        }
    }
}
