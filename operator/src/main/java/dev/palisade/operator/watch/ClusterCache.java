package dev.palisade.operator.watch;

import dev.palisade.compiler.IncrementalCompiler;
import dev.palisade.manifest.ClusterPolicyProjection;
import dev.palisade.manifest.Diagnostic;
import dev.palisade.manifest.Projected;
import dev.palisade.manifest.Projection;
import dev.palisade.model.Cluster;
import dev.palisade.model.ClusterNetworkPolicy;
import dev.palisade.model.Namespace;
import dev.palisade.model.NetworkPolicy;
import dev.palisade.model.Node;
import dev.palisade.model.Pod;
import dev.palisade.operator.resource.PalisadeAddressSet;
import dev.palisade.operator.resource.PalisadeNodeRuleSet;
import dev.palisade.operator.resource.PalisadePolicyStatus;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ReducedStateItemStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The operator's view of the cluster: one informer per kind it reads, each event projected at once
 * into the compiler's records (so the compiler never sees fabric8 types and the cache holds small
 * values), plus informers on the operator's own resources. Handlers only update maps, note the key
 * as changed and call the listeners, which mark the sync loop dirty; the loop takes the changes
 * since its last pass with {@link #takeChanges} (or everything with {@link #snapshot()}).
 *
 * <p>Informers run on every replica, leader or not, so a replica that takes over has warm caches.
 */
public final class ClusterCache implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterCache.class);
    /** Page size of the initial lists: keeps each response small at 150,000 pods. */
    private static final long LIST_LIMIT = 500;

    /** What the status and events need of a policy besides its record. */
    public record PolicyMeta(String uid, long generation, String resourceVersion, List<Diagnostic> diagnostics) {
        public PolicyMeta {
            diagnostics = List.copyOf(diagnostics);
        }
    }

    /** An immutable view of the inputs at one moment. */
    public record Snapshot(Cluster cluster, Map<String, PolicyMeta> policies) {
    }

    /** The kinds the compiler reads; a change to pods is the common, least urgent one. */
    public enum Input { namespaces, nodes, pods, networkpolicies, clusternetworkpolicies }

    /**
     * policy.networking.k8s.io/v1beta1 ClusterNetworkPolicy, named in full: fabric8 has no typed class, and its
     * {@code genericKubernetesResources(apiVersion, kind)} asks API discovery for the plural, which fails at once
     * when the CRD is not installed; with the plural given, a missing CRD is a 404 on list, handled below.
     */
    static final ResourceDefinitionContext CLUSTER_NETWORK_POLICY = new ResourceDefinitionContext.Builder()
            .withGroup("policy.networking.k8s.io").withVersion("v1beta1").withKind(ClusterPolicyProjection.KIND)
            .withPlural("clusternetworkpolicies").withNamespaced(false).build();

    private final KubernetesClient client;
    private final Consumer<Input> onInput;
    private final Consumer<String> onOwn;

    private final Map<String, Namespace> namespaces = new ConcurrentHashMap<>();
    private final Map<String, Node> nodes = new ConcurrentHashMap<>();
    private final Map<String, Pod> pods = new ConcurrentHashMap<>();
    private final Map<String, NetworkPolicy> policies = new ConcurrentHashMap<>();
    private final Map<String, PolicyMeta> policyMeta = new ConcurrentHashMap<>();
    private final Map<String, ClusterNetworkPolicy> clusterPolicies = new ConcurrentHashMap<>();
    /**
     * Set when listing ClusterNetworkPolicies answered 404: the CRD is not installed. The cache then counts them as
     * listed, and none (a cluster without the CRD works as before it existed). That informer stops (fabric8 would
     * log a warning with a stack trace at every retry, forever); a probe lists them every
     * {@link #CRD_PROBE_PERIOD_SECONDS} and starts a new informer once the CRD is installed, whose objects then
     * come in like any other change.
     */
    private volatile boolean clusterPoliciesAbsent;
    /** Not in {@link #informers}: it is replaced when the CRD comes back. */
    private volatile SharedIndexInformer<GenericKubernetesResource> clusterPolicyInformer;
    private final ScheduledExecutorService crdProbe = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "palisade-cnp-crd-probe");
        t.setDaemon(true);
        return t;
    });
    static final long CRD_PROBE_PERIOD_SECONDS = 30;
    /** Keys changed since the loop last took them, per kind; noted after the map is updated. */
    private final Map<Input, Set<String>> changed = new EnumMap<>(Input.class);

    private final Map<String, SharedIndexInformer<?>> informers = new LinkedHashMap<>();
    private SharedIndexInformer<PalisadeNodeRuleSet> ruleSets;
    private SharedIndexInformer<PalisadeAddressSet> addressSets;
    private SharedIndexInformer<PalisadePolicyStatus> policyStatuses;

    /**
     * @param onInput called after any change to namespaces, nodes, pods or policies, with the kind
     * @param onOwn   called after a change to the operator's own resources, with the name of the
     *                PalisadeNodeRuleSet that changed (an agent's status, or a write that was not ours)
     *                or null for the other kinds
     */
    public ClusterCache(KubernetesClient client, Consumer<Input> onInput, Consumer<String> onOwn) {
        this.client = client;
        this.onInput = onInput;
        this.onOwn = onOwn;
        for (Input kind : Input.values()) {
            changed.put(kind, ConcurrentHashMap.newKeySet());
        }
    }

    public void start() {
        var podInformer = client.pods().inAnyNamespace().withLimit(LIST_LIMIT).runnableInformer(0);
        // The projected records are the cache; the informer keeps only each pod's key and resourceVersion.
        podInformer.itemStore(new ReducedStateItemStore<>(ReducedStateItemStore.NAME_KEY_STATE,
                io.fabric8.kubernetes.api.model.Pod.class, client.getKubernetesSerialization()));
        input(Input.pods, podInformer, Projection::pod, pods, null);
        input(Input.namespaces, client.namespaces().withLimit(LIST_LIMIT).runnableInformer(0), Projection::namespace,
                namespaces, null);
        input(Input.nodes, client.nodes().withLimit(LIST_LIMIT).runnableInformer(0), Projection::node, nodes, null);
        input(Input.networkpolicies, client.network().v1().networkPolicies().inAnyNamespace().withLimit(LIST_LIMIT)
                .runnableInformer(0), Projection::networkPolicy, policies, policyMeta);

        ruleSets = client.resources(PalisadeNodeRuleSet.class).withLimit(LIST_LIMIT).runnableInformer(0);
        // The leader needs each rule set's hash, revision and the agent's status, not the rules (at 5,000
        // nodes the full objects would be the largest thing in the heap).
        ruleSets.itemStore(new ReducedStateItemStore<>(ReducedStateItemStore.NAME_KEY_STATE, PalisadeNodeRuleSet.class,
                client.getKubernetesSerialization(), "spec.node", "spec.hash", "spec.revision", "status"));
        ruleSets.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(PalisadeNodeRuleSet obj) {
                onOwn.accept(obj.getMetadata().getName());
            }

            @Override
            public void onUpdate(PalisadeNodeRuleSet oldObj, PalisadeNodeRuleSet newObj) {
                onOwn.accept(newObj.getMetadata().getName());
            }

            @Override
            public void onDelete(PalisadeNodeRuleSet obj, boolean deletedFinalStateUnknown) {
                onOwn.accept(obj.getMetadata().getName());
            }
        });
        own("palisadenoderulesets", ruleSets);
        addressSets = client.resources(PalisadeAddressSet.class).withLimit(LIST_LIMIT).runnableInformer(0);
        addressSets.itemStore(new ReducedStateItemStore<>(ReducedStateItemStore.NAME_KEY_STATE, PalisadeAddressSet.class,
                client.getKubernetesSerialization()));
        own("palisadeaddresssets", addressSets);
        policyStatuses = client.resources(PalisadePolicyStatus.class).inAnyNamespace().withLimit(LIST_LIMIT)
                .runnableInformer(0);
        own("palisadepolicystatuses", policyStatuses);

        informers.forEach((name, informer) -> {
            informer.exceptionHandler((started, t) -> {
                LOG.warn("informer on {} failed, retrying: {}", name, t.toString());
                return true;
            });
            informer.start();
        });
        startClusterPolicies();
    }

    private synchronized void startClusterPolicies() {
        SharedIndexInformer<GenericKubernetesResource> informer = client.genericKubernetesResources(CLUSTER_NETWORK_POLICY)
                .withLimit(LIST_LIMIT).runnableInformer(0);
        handle(Input.clusternetworkpolicies, informer, ClusterPolicyProjection::clusterNetworkPolicy, clusterPolicies, null);
        informer.exceptionHandler((started, t) -> {
            if (notFound(t)) {
                // A serving API server has synced its CRDs (readyz: poststarthook/crd-informer-synced), so a 404
                // means the CRD is not installed (or was deleted, with its objects), not that it is late.
                clusterPoliciesGone();
                return false;
            }
            LOG.warn("informer on {} failed, retrying: {}", Input.clusternetworkpolicies, t.toString());
            return true;
        });
        clusterPolicyInformer = informer;
        informer.start();
    }

    private synchronized void clusterPoliciesGone() {
        if (clusterPoliciesAbsent) {
            return;
        }
        LOG.info("ClusterNetworkPolicy (policy.networking.k8s.io/v1beta1) is not served, its CRD is not installed: "
                + "compiling without ClusterNetworkPolicies; checking for the CRD every {} s", CRD_PROBE_PERIOD_SECONDS);
        for (String key : List.copyOf(clusterPolicies.keySet())) {
            clusterPolicies.remove(key);
            changed.get(Input.clusternetworkpolicies).add(key);
        }
        clusterPoliciesAbsent = true;
        onInput.accept(Input.clusternetworkpolicies);
        crdProbe.schedule(this::probeCrd, CRD_PROBE_PERIOD_SECONDS, TimeUnit.SECONDS);
    }

    /** Lists one ClusterNetworkPolicy; once that works the CRD is installed and a new informer takes over. */
    private void probeCrd() {
        try {
            client.genericKubernetesResources(CLUSTER_NETWORK_POLICY).list(new ListOptionsBuilder().withLimit(1L).build());
        } catch (RuntimeException e) {
            if (!notFound(e)) {
                LOG.debug("probing for the ClusterNetworkPolicy CRD failed: {}", e.toString());
            }
            crdProbe.schedule(this::probeCrd, CRD_PROBE_PERIOD_SECONDS, TimeUnit.SECONDS);
            return;
        }
        synchronized (this) {
            // Until the new informer has listed, synced() is false and passes wait for it (a moment): its objects
            // then arrive as changes like any others.
            LOG.info("ClusterNetworkPolicy (policy.networking.k8s.io/v1beta1) is served now: watching it");
            clusterPolicyInformer.stop();
            clusterPoliciesAbsent = false;
            startClusterPolicies();
        }
    }

    private void own(String name, SharedIndexInformer<?> informer) {
        if (informer != ruleSets) {
            informer.addEventHandler(new ResourceEventHandler<Object>() {
                @Override
                public void onAdd(Object obj) {
                    onOwn.accept(null);
                }

                @Override
                public void onUpdate(Object oldObj, Object newObj) {
                    onOwn.accept(null);
                }

                @Override
                public void onDelete(Object obj, boolean deletedFinalStateUnknown) {
                    onOwn.accept(null);
                }
            });
        }
        informers.put(name, informer);
    }

    private <T extends HasMetadata, R> void input(Input kind, SharedIndexInformer<T> informer,
                                                  Function<T, Projected<R>> project, Map<String, R> into,
                                                  Map<String, PolicyMeta> meta) {
        handle(kind, informer, project, into, meta);
        informers.put(kind.name(), informer);
    }

    private <T extends HasMetadata, R> void handle(Input kind, SharedIndexInformer<T> informer,
                                                   Function<T, Projected<R>> project, Map<String, R> into,
                                                   Map<String, PolicyMeta> meta) {
        informer.addEventHandler(new ResourceEventHandler<T>() {
            @Override
            public void onAdd(T obj) {
                put(obj);
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                put(newObj);
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                String key = Cache.metaNamespaceKeyFunc(obj);
                into.remove(key);
                if (meta != null) {
                    meta.remove(key);
                }
                changed.get(kind).add(key);
                onInput.accept(kind);
            }

            private void put(T obj) {
                String key = Cache.metaNamespaceKeyFunc(obj);
                Projected<R> p = project.apply(obj);
                if (p.value().isPresent()) {
                    into.put(key, p.value().get());
                    if (!p.diagnostics().isEmpty() && meta == null) {
                        // No status object for these kinds yet: the log is where a fail-closed reading shows.
                        LOG.warn("{} {}: read with problems (fails closed): {}", kind, key, p.diagnostics());
                    }
                } else {
                    // The API server validated it, so this is a field the projection is stricter about.
                    LOG.warn("{} {} cannot be used: {}", kind, key, p.diagnostics());
                    into.remove(key);
                }
                if (meta != null) {
                    Long generation = obj.getMetadata().getGeneration();
                    meta.put(key, new PolicyMeta(obj.getMetadata().getUid(), generation == null ? 0 : generation,
                            obj.getMetadata().getResourceVersion(), p.diagnostics()));
                }
                changed.get(kind).add(key);
                onInput.accept(kind);
            }
        });
    }

    /**
     * Whether every informer has listed once; the loop computes nothing before (a partial view would delete).
     * ClusterNetworkPolicies count as listed when their CRD is not installed (none of them exist then).
     */
    public boolean synced() {
        return informers.values().stream().allMatch(SharedIndexInformer::hasSynced) && clusterPoliciesSynced();
    }

    private boolean clusterPoliciesSynced() {
        SharedIndexInformer<GenericKubernetesResource> informer = clusterPolicyInformer;
        return clusterPoliciesAbsent || (informer != null && informer.hasSynced());
    }

    /** resource name to synced as {@link #synced()} counts it, in a fixed order (for the informer_synced metric). */
    public Map<String, Boolean> syncState() {
        Map<String, Boolean> out = new LinkedHashMap<>();
        informers.forEach((name, informer) -> out.put(name, informer.hasSynced()));
        out.put(Input.clusternetworkpolicies.name(), clusterPoliciesSynced());
        return out;
    }

    private static boolean notFound(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof KubernetesClientException k && k.getCode() == 404) {
                return true;
            }
        }
        return false;
    }

    /**
     * Everything, and forgets the changes noted so far (the snapshot includes them). A change that
     * races with it is noted again and taken by the next {@link #takeChanges}, which is harmless:
     * applying an object's current state twice changes nothing.
     */
    public Snapshot snapshot() {
        changed.values().forEach(Set::clear);
        Cluster cluster = new Cluster(new ArrayList<>(namespaces.values()), new ArrayList<>(nodes.values()),
                new ArrayList<>(pods.values()), new ArrayList<>(policies.values()),
                new ArrayList<>(clusterPolicies.values()));
        return new Snapshot(cluster, Map.copyOf(policyMeta));
    }

    /**
     * The objects changed since the last call (or {@link #snapshot()}), each in its current state or
     * absent when deleted; pods only when {@code pods} (they can wait while policy changes go first).
     * A key is forgotten before its state is read, so a change racing with this call is taken now or
     * next time, never lost.
     */
    public IncrementalCompiler.Delta takeChanges(boolean pods) {
        return new IncrementalCompiler.Delta(take(Input.namespaces, namespaces), take(Input.nodes, nodes),
                take(Input.networkpolicies, policies), pods ? take(Input.pods, this.pods) : new TreeMap<>(),
                take(Input.clusternetworkpolicies, clusterPolicies));
    }

    private <T> SortedMap<String, Optional<T>> take(Input kind, Map<String, T> from) {
        SortedMap<String, Optional<T>> out = new TreeMap<>();
        Set<String> keys = changed.get(kind);
        for (String key : List.copyOf(keys)) {
            keys.remove(key);
            out.put(key, Optional.ofNullable(from.get(key)));
        }
        return out;
    }

    /** What the status and events need of every policy, now. */
    public Map<String, PolicyMeta> policyMeta() {
        return Map.copyOf(policyMeta);
    }

    /** A rule set as the cache keeps it: spec.node, spec.hash, spec.revision and status only. */
    public Optional<PalisadeNodeRuleSet> ruleSet(String node) {
        return Optional.ofNullable(ruleSets.getStore().getByKey(node));
    }

    public List<PalisadeNodeRuleSet> ruleSets() {
        return ruleSets.getStore().list();
    }

    /** Address sets as the cache keeps them: names only. */
    public List<PalisadeAddressSet> addressSets() {
        return addressSets.getStore().list();
    }

    public Optional<PalisadePolicyStatus> policyStatus(String namespace, String name) {
        return Optional.ofNullable(policyStatuses.getStore().getByKey(Cache.namespaceKeyFunc(namespace, name)));
    }

    public List<PalisadePolicyStatus> policyStatuses() {
        return policyStatuses.getStore().list();
    }

    @Override
    public void close() {
        crdProbe.shutdownNow();
        informers.values().forEach(SharedIndexInformer::stop);
        synchronized (this) {
            if (clusterPolicyInformer != null) {
                clusterPolicyInformer.stop();
            }
        }
    }
}
