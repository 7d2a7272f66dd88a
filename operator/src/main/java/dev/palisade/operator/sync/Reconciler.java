package dev.palisade.operator.sync;

import dev.palisade.compiler.IncrementalCompiler;
import dev.palisade.manifest.Diagnostic;
import dev.palisade.operator.publish.RuleSetEncoder;
import dev.palisade.operator.resource.AddressSetSpec;
import dev.palisade.operator.publish.OversizeGuard;
import dev.palisade.operator.resource.NodeRuleSetSpec;
import dev.palisade.operator.resource.PalisadeAddressSet;
import dev.palisade.operator.resource.PalisadeNodeRuleSet;
import dev.palisade.operator.resource.PalisadePolicyStatus;
import dev.palisade.operator.resource.PolicyStatusSpec;
import dev.palisade.operator.resource.PolicyStatusStatus;
import dev.palisade.operator.status.PolicyProgress;
import dev.palisade.operator.telemetry.OperatorMetrics;
import dev.palisade.operator.watch.ClusterCache;
import dev.palisade.ruleset.NodeRuleSet;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.TreeSet;
import java.util.List;
import java.util.ArrayList;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * One sync pass, leader only: the changes since the last pass applied to the incremental compiler,
 * which recompiles only the nodes they reach; those nodes encoded and hashed (the others keep what
 * they had); then only the differences written: address-set parts first (a rule set never references
 * a part that is not there), then rule sets whose hash changed, then deletions of rule sets whose node
 * is gone and of parts nothing references. Then events, and policy status. The first pass after
 * becoming leader, or after a failure, compiles everything from a snapshot.
 *
 * <p>Rule-set and status writes run in the background: a pass sends them and returns, so the next
 * pass (a policy change, say) never waits for the API server to take the last one's writes. Writes
 * of one node go out in revision order, each after the one before it has returned; the outcomes are
 * collected by the next pass (a finished write wakes the loop). Parts are deleted only while no
 * rule set is in flight, since the rule set it replaces may still reference them.
 *
 * <p>Not thread-safe: the sync loop's single thread calls it.
 */
final class Reconciler {

    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
    static final String FIELD_MANAGER = "palisade-operator";
    private static final int EVENT_MESSAGE_LIMIT = 1024;
    /** Status is computed at most this often (it looks at every policy). */
    static final long STATUS_INTERVAL_NANOS = 1_000_000_000L;

    /** What this leader has written for a node, so a pass never depends on the informer having caught up. */
    record Published(String hash, long revision) {
    }

    /**
     * A rule-set write sent and not yet collected. {@code superseded}: a newer write of the node came
     * before this one started, so it skips itself (its result is null) and the node's writes never
     * queue up behind a busy API server: one in flight, at most one waiting.
     */
    private record Write(String hash, long revision, int bytes, boolean created, CompletableFuture<PalisadeNodeRuleSet> result,
                         AtomicBoolean superseded) {
    }

    /**
     * The figures of one pass, for the INFO line. {@code failed}: writes and deletes the API server
     * refused (each retried on its own, see {@link Refusal}); {@code retryDueInNanos}: when the first of
     * them is due again, or negative when none waits.
     */
    record Outcome(int changes, int recompiled, int nodes, int written, int deleted, int setsCreated, int setsDeleted,
                   int statuses, int events, int failed, double compileSeconds, long statusDueInNanos,
                   long retryDueInNanos) {
    }

    /**
     * An object the API server refused to take (a rule set, an address set, a delete): it alone waits,
     * with a backoff of its own, while every other node is published as usual. A node's rule set is
     * retried at once when its content changes (the refusal may have been about the old content).
     */
    private record Refusal(String hash, int failures, long retryAtNanos) {
        static final long FIRST_NANOS = 200_000_000L;
        static final long MAX_NANOS = 30_000_000_000L;

        Refusal next(String newHash, long now) {
            int f = failures + 1;
            return new Refusal(newHash, f, now + Math.min(MAX_NANOS, FIRST_NANOS << Math.min(f - 1, 20)));
        }

        boolean waits(String currentHash, long now) {
            return now < retryAtNanos && Objects.equals(hash, currentHash);
        }
    }

    private static final Refusal NONE = new Refusal(null, 0, 0);

    private final KubernetesClient client;
    private final ClusterCache cache;
    private final RuleSetEncoder encoder;
    private final OperatorMetrics metrics;
    private final String identity;

    /** Rule-set writes in flight at once: enough to hide round trips, few enough not to flood the API server. */
    static final int WRITERS = 8;
    private final ExecutorService writers = Executors.newFixedThreadPool(WRITERS, r -> {
        Thread t = new Thread(r, "palisade-writer");
        t.setDaemon(true);
        return t;
    });
    /** Status writes: few threads of their own, so that they never queue ahead of a rule set. */
    static final int STATUS_WRITERS = 2;
    private final ExecutorService statusWriters = Executors.newFixedThreadPool(STATUS_WRITERS, r -> {
        Thread t = new Thread(r, "palisade-status-writer");
        t.setDaemon(true);
        return t;
    });
    private final Set<String> statusesInFlight = ConcurrentHashMap.newKeySet();
    private final Map<String, Published> published = new HashMap<>();
    /** The newest write sent per node, until a pass collects its outcome. */
    private final Map<String, Write> inFlight = new HashMap<>();
    private final Runnable onWritten;
    /** Survives {@link #adoptCache()}: a retry after a failure never reuses a revision the cache has not shown yet. */
    private final Map<String, Long> highestRevision = new HashMap<>();
    private final Set<String> knownSets = new HashSet<>();
    private final Set<String> reportedEvents = new HashSet<>();
    /** The compiled state; null until the first pass after adopting, which compiles everything. */
    private IncrementalCompiler compiler;
    /** Every node's rule set as last encoded: a pass encodes only the nodes it recompiled. */
    private final SortedMap<String, RuleSetEncoder.EncodedNode> encoded = new TreeMap<>();
    private Map<String, ClusterCache.PolicyMeta> policyMeta = Map.of();
    /** Policy to node to the first revision published there with the policy as it is now (see PolicyProgress). */
    private final Map<String, Map<String, Long>> programmedFrom = new HashMap<>();
    private long lastStatusNanos;
    /** Objects refused by the API server, by kind and name ("ruleset/NODE", "set/NAME", "delete/..."). */
    private final Map<String, Refusal> refused = new HashMap<>();
    /** Per node, the policies whose grants its published rule set leaves out to fit the object limit. */
    private final SortedMap<String, SortedSet<String>> overLimit = new TreeMap<>();
    private boolean overLimitChanged;
    /** Address sets to create that the API server refused so far; nodes that use them wait for them. */
    private final SortedMap<String, AddressSetSpec> pendingSets = new TreeMap<>();

    /** @param onWritten called (on a writer thread) when a rule-set write returns, so that a pass collects it */
    Reconciler(KubernetesClient client, ClusterCache cache, RuleSetEncoder encoder, OperatorMetrics metrics,
               String identity, Runnable onWritten) {
        this.onWritten = onWritten;
        this.client = client;
        this.cache = cache;
        this.encoder = encoder;
        this.metrics = metrics;
        this.identity = identity;
    }

    /** On becoming leader, or after a failure: what is published is what the (synced) cache holds; compile anew. */
    void adoptCache() {
        published.clear();
        knownSets.clear();
        for (PalisadeNodeRuleSet rs : cache.ruleSets()) {
            if (rs.getSpec() != null) {
                published.put(rs.getMetadata().getName(), new Published(rs.getSpec().hash(), rs.getSpec().revision()));
            }
        }
        cache.addressSets().forEach(s -> knownSets.add(s.getMetadata().getName()));
        compiler = null;
        encoded.clear();
        programmedFrom.clear();
    }

    /**
     * A PalisadeNodeRuleSet changed in the cache. If its spec is not what this leader last wrote (someone
     * edited or deleted it), forget what was written so that the next pass rewrites it; returns whether
     * anything needs rewriting. Our own writes coming back, and agents' status writes, need nothing.
     */
    boolean ruleSetChanged(String node) {
        Published mine = published.get(node);
        var cached = cache.ruleSet(node);
        if (mine == null) {
            return cached.isPresent();
        }
        if (cached.isEmpty()) {
            published.remove(node);
            return true;
        }
        NodeRuleSetSpec spec = cached.get().getSpec();
        if (spec == null || spec.revision() < mine.revision()) {
            return spec == null;
        }
        if (!Objects.equals(spec.hash(), mine.hash())) {
            published.put(node, new Published(spec.hash(), spec.revision()));
            return true;
        }
        return false;
    }

    /**
     * @param pods   take pod changes too (false: policy, namespace and node changes only, which go first)
     * @param status compute policy status if the last was at least {@link #STATUS_INTERVAL_NANOS} ago
     * @return its figures; {@code statusDueInNanos} says when status should be computed (it was put off,
     *     or there may be something new to report), or is negative when nothing waits for it
     */
    Outcome pass(boolean pods, boolean status) {
        int written = 0;
        int deleted = 0;
        int setsCreated = 0;
        int setsDeleted = 0;
        int events = 0;
        int failed = 0;
        failed += collectWrites();
        long t0 = System.nanoTime();
        SortedMap<String, NodeRuleSet> recompiled;
        Set<String> policiesChanged;
        int changes;
        boolean full = compiler == null;
        if (full) {
            ClusterCache.Snapshot snapshot = cache.snapshot();
            compiler = new IncrementalCompiler(snapshot.cluster());
            policyMeta = snapshot.policies();
            recompiled = compiler.ruleSets();
            encoded.clear();
            overLimit.clear();
            policiesChanged = policyMeta.keySet();
            changes = snapshot.cluster().pods().size() + snapshot.cluster().policies().size();
        } else {
            IncrementalCompiler.Delta delta = cache.takeChanges(pods);
            IncrementalCompiler.Update update = compiler.apply(delta);
            if (!delta.policies().isEmpty()) {
                policyMeta = cache.policyMeta();
            }
            update.removed().forEach(encoded::remove);
            update.removed().forEach(overLimit::remove);
            recompiled = update.recompiled();
            policiesChanged = update.policiesChanged();
            changes = delta.size();
        }
        RuleSetEncoder.Desired desired = fit(encoder.encode(recompiled.values()), recompiled);
        encoded.putAll(desired.nodes());
        double compileSeconds = (System.nanoTime() - t0) / 1e9;
        if (changes > 0) {
            metrics.compiled(compileSeconds);
        }

        desired.addressSets().forEach((name, spec) -> {
            if (!knownSets.contains(name)) {
                pendingSets.put(name, spec);
            }
        });
        long now = System.nanoTime();
        for (var it = pendingSets.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            String key = "set/" + e.getKey();
            if (refused.getOrDefault(key, NONE).waits(null, now)) {
                continue;
            }
            try {
                apply(PalisadeAddressSet.of(e.getKey(), e.getValue()));
            } catch (KubernetesClientException ex) {
                refuse(key, null, "create address set " + e.getKey(), ex);
                metrics.published("PalisadeAddressSet", OperatorMetrics.Result.error);
                failed++;
                continue;
            }
            refused.remove(key);
            it.remove();
            knownSets.add(e.getKey());
            metrics.published("PalisadeAddressSet", OperatorMetrics.Result.created);
            setsCreated++;
        }
        // Every node, not only those recompiled: a rule set someone else edited is rewritten too.
        for (RuleSetEncoder.EncodedNode n : encoded.values()) {
            Write sent = inFlight.get(n.node());
            Published mine = published.get(n.node());
            String hash = sent != null ? sent.hash() : mine != null ? mine.hash() : null;
            if (n.hash().equals(hash)) {
                continue;
            }
            if (refused.getOrDefault("ruleset/" + n.node(), NONE).waits(n.hash(), now)
                    || !knownSets.containsAll(n.addressSets())) {
                continue; // its own retry is due later, or a set it names is not there yet
            }
            if (n.bytes() > encoder.limits().maxObjectBytes()) {
                // Outside the design (docs/design/ruleset-contract.md, "Sizes"): keep the last good one.
                if (recompiled.containsKey(n.node())) {
                    metrics.published("PalisadeNodeRuleSet", OperatorMetrics.Result.too_large);
                    LOG.warn("rule set of node {} is {} bytes, over {}: not published", n.node(), n.bytes(), encoder.limits().maxObjectBytes());
                }
                continue;
            }
            send(n, sent, mine);
            written++;
        }
        Set<String> stale = new HashSet<>(published.keySet());
        cache.ruleSets().forEach(r -> stale.add(r.getMetadata().getName()));
        stale.removeAll(encoded.keySet());
        // A node gone while its write is in flight: deleted by a pass after the write returns.
        stale.removeAll(inFlight.keySet());
        for (String node : stale) {
            if (!delete("ruleset/" + node, PalisadeNodeRuleSet.class, node, now)) {
                failed++;
                continue;
            }
            published.remove(node);
            highestRevision.remove(node);
            metrics.published("PalisadeNodeRuleSet", OperatorMetrics.Result.deleted);
            deleted++;
        }
        Set<String> unreferenced = new HashSet<>();
        if (inFlight.isEmpty()) {
            unreferenced.addAll(knownSets);
            cache.addressSets().forEach(s -> unreferenced.add(s.getMetadata().getName()));
            encoded.values().forEach(n -> unreferenced.removeAll(n.addressSets()));
        }
        unreferenced.removeAll(pendingSets.keySet());
        for (String name : unreferenced) {
            if (!delete("set/" + name, PalisadeAddressSet.class, name, now)) {
                failed++;
                continue;
            }
            knownSets.remove(name);
            metrics.published("PalisadeAddressSet", OperatorMetrics.Result.deleted);
            setsDeleted++;
        }
        if (!policiesChanged.isEmpty() || overLimitChanged) {
            events = postEvents(policyMeta);
            // Programmed again from the revisions published from now on (filled in when status is next computed).
            policiesChanged.forEach(programmedFrom::remove);
        }
        int statuses = 0;
        long statusDue = -1;
        if (changes > 0 || written > 0 || status) {
            long since = System.nanoTime() - lastStatusNanos;
            if (status && since >= STATUS_INTERVAL_NANOS) {
                statuses = reportStatus();
                lastStatusNanos = System.nanoTime();
            } else {
                statusDue = Math.max(0, STATUS_INTERVAL_NANOS - since);
            }
        }
        long retryDue = refused.values().stream().mapToLong(Refusal::retryAtNanos).min()
                .orElse(Long.MIN_VALUE);
        return new Outcome(changes, recompiled.size(), encoded.size(), written, deleted, setsCreated, setsDeleted,
                statuses, events, failed, compileSeconds, statusDue,
                retryDue == Long.MIN_VALUE ? -1 : Math.max(0, retryDue - System.nanoTime()));
    }

    /**
     * The encoding with every node that would exceed the object limit fitted by {@link OversizeGuard}:
     * the heaviest policies' grants left out there (fail closed), remembered for Events, status and
     * the metric.
     */
    private RuleSetEncoder.Desired fit(RuleSetEncoder.Desired desired, SortedMap<String, NodeRuleSet> recompiled) {
        SortedMap<String, RuleSetEncoder.EncodedNode> nodes = new TreeMap<>(desired.nodes());
        SortedMap<String, AddressSetSpec> sets = new TreeMap<>(desired.addressSets());
        boolean any = false;
        for (RuleSetEncoder.EncodedNode n : desired.nodes().values()) {
            SortedSet<String> before = overLimit.remove(n.node());
            if (n.bytes() <= encoder.limits().maxObjectBytes()) {
                overLimitChanged |= before != null;
                continue;
            }
            OversizeGuard.Fitted f = OversizeGuard.fit(recompiled.get(n.node()), encoder, encoder.limits().maxObjectBytes());
            nodes.put(n.node(), f.node());
            sets.putAll(f.encoded().addressSets());
            any = true;
            if (!f.dropped().isEmpty()) {
                overLimit.put(n.node(), f.dropped());
                LOG.warn("rule set of node {} would be {} bytes, over {}: published without the allowances of {} "
                        + "({} bytes; their pods stay isolated)", n.node(), n.bytes(), encoder.limits().maxObjectBytes(), f.dropped(),
                        f.node().bytes());
            }
            overLimitChanged |= !Objects.equals(before, overLimit.get(n.node()));
        }
        metrics.policiesOverLimit(overLimit.values().stream().flatMap(SortedSet::stream).distinct().count());
        if (!any) {
            return desired;
        }
        // only the sets the published encodings name (a left-out grant's peers need none)
        SortedMap<String, AddressSetSpec> used = new TreeMap<>();
        nodes.values().forEach(n -> n.addressSets().forEach(name -> used.put(name, sets.get(name))));
        return new RuleSetEncoder.Desired(nodes, used);
    }

    /** Policy ("namespace/name") to the nodes where its allowances are left out to fit the object limit. */
    private SortedMap<String, SortedSet<String>> overLimitByPolicy() {
        SortedMap<String, SortedSet<String>> out = new TreeMap<>();
        overLimit.forEach((node, policies) -> policies.forEach(p -> out.computeIfAbsent(p, k -> new TreeSet<>()).add(node)));
        return out;
    }

    private String overLimitProblem(SortedSet<String> nodes) {
        return "not enforced on " + nodes.size() + " node(s) (" + String.join(", ", nodes.stream().limit(5).toList())
                + (nodes.size() > 5 ? ", ..." : "") + "): with its rules the node's rule set would exceed the "
                + encoder.limits().maxObjectBytes() + "-byte object limit, so its allowances are left out there and the pods it "
                + "selects stay isolated (fail closed); split it or narrow its rules";
    }

    /** Notes a refusal and when to try again; logs it once per object and backoff step. */
    private void refuse(String key, String hash, String what, Exception ex) {
        Refusal r = refused.getOrDefault(key, NONE).next(hash, System.nanoTime());
        refused.put(key, r);
        LOG.warn("the API server refused to {} (attempt {}; retried on its own in {} ms, everything else goes on): {}",
                what, r.failures(), (r.retryAtNanos() - System.nanoTime()) / 1_000_000, reason(ex));
    }

    /** The API server's own words (its Status message and code) rather than fabric8's whole request. */
    private static String reason(Throwable ex) {
        Throwable t = ex;
        while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof KubernetesClientException k && k.getStatus() != null && k.getStatus().getMessage() != null) {
            return k.getStatus().getMessage() + " (" + k.getCode() + ")";
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    /** Deletes one object unless its retry is not due yet; false when it is still there. */
    private boolean delete(String key, Class<? extends io.fabric8.kubernetes.api.model.HasMetadata> type, String name,
                           long now) {
        if (refused.getOrDefault(key, NONE).waits(null, now)) {
            return false;
        }
        try {
            client.resources(type).withName(name).delete();
        } catch (KubernetesClientException ex) {
            refuse(key, null, "delete " + type.getSimpleName() + " " + name, ex);
            return false;
        }
        refused.remove(key);
        return true;
    }

    /** Sends a node's rule set with the next revision, after the node's write in flight if there is one. */
    private void send(RuleSetEncoder.EncodedNode n, Write before, Published mine) {
        long revision = Math.max(Math.max(mine == null ? 0 : mine.revision(), highestRevision.getOrDefault(n.node(), 0L)),
                cache.ruleSet(n.node()).map(r -> r.getSpec() == null ? 0 : r.getSpec().revision()).orElse(0L)) + 1;
        highestRevision.merge(n.node(), revision, Math::max);
        CompletableFuture<?> previous = CompletableFuture.completedFuture(null);
        if (before != null) {
            before.superseded().set(true);
            previous = before.result();
        }
        AtomicBoolean superseded = new AtomicBoolean();
        CompletableFuture<PalisadeNodeRuleSet> result = previous
                .handle((r, t) -> null) // its outcome is collected on its own; only its order matters here
                .thenApplyAsync(x -> superseded.get() ? null : apply(PalisadeNodeRuleSet.of(n.spec(revision))), writers);
        result.whenComplete((r, t) -> onWritten.run());
        inFlight.put(n.node(), new Write(n.hash(), revision, n.bytes(), mine == null && before == null, result, superseded));
    }

    /** The outcomes of the writes that returned since the last pass; returns how many failed. */
    private int collectWrites() {
        int failed = 0;
        for (var it = inFlight.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            Write w = e.getValue();
            if (!w.result().isDone()) {
                continue;
            }
            it.remove();
            try {
                w.result().join();
                refused.remove("ruleset/" + e.getKey());
                published.put(e.getKey(), new Published(w.hash(), w.revision()));
                metrics.published("PalisadeNodeRuleSet", w.created() ? OperatorMetrics.Result.created : OperatorMetrics.Result.updated);
                metrics.rulesetWritten(w.bytes());
                LOG.debug("published {} revision {} hash {} ({} bytes)", e.getKey(), w.revision(), w.hash(), w.bytes());
            } catch (CompletionException | CancellationException ex) {
                // One node's failure holds back no other: this node is retried on its own, with backoff.
                metrics.published("PalisadeNodeRuleSet", OperatorMetrics.Result.error);
                refuse("ruleset/" + e.getKey(), w.hash(), "publish the rule set of node " + e.getKey(), ex);
                failed++;
            }
        }
        return failed;
    }

    private <T extends io.fabric8.kubernetes.api.model.HasMetadata> T apply(T resource) {
        return client.resource(resource).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
    }

    /**
     * Writes, in the background, the PalisadePolicyStatus of every policy whose figures changed (one
     * write per policy at a time); deletes those of deleted policies. Returns the writes started.
     */
    private int reportStatus() {
        SortedMap<String, SortedSet<String>> needed = PolicyProgress.neededNodes(compiler.index());
        programmedFrom.keySet().retainAll(needed.keySet());
        needed.forEach((policy, nodes) -> {
            Map<String, Long> from = programmedFrom.computeIfAbsent(policy, k -> new HashMap<>());
            from.keySet().retainAll(nodes);
            for (String node : nodes) {
                Published p = published.get(node);
                if (p != null) {
                    from.putIfAbsent(node, p.revision());
                }
            }
        });
        Map<String, Long> applied = new HashMap<>();
        for (PalisadeNodeRuleSet rs : cache.ruleSets()) {
            if (rs.getStatus() != null && rs.getStatus().appliedRevision() != null) {
                applied.put(rs.getMetadata().getName(), rs.getStatus().appliedRevision());
            }
        }
        Map<String, PolicyProgress.Facts> facts = new HashMap<>();
        SortedMap<String, SortedSet<String>> over = overLimitByPolicy();
        policyMeta.forEach((key, meta) -> {
            List<String> problems = new ArrayList<>(meta.diagnostics().stream().map(Reconciler::problem).toList());
            if (over.containsKey(key)) {
                problems.add(overLimitProblem(over.get(key)));
            }
            facts.put(key, new PolicyProgress.Facts(meta.generation(), problems));
        });
        SortedMap<String, PolicyStatusStatus> wanted = PolicyProgress.of(needed, facts, programmedFrom, applied);
        int writes = 0;
        for (var e : wanted.entrySet()) {
            String[] nsName = e.getKey().split("/", 2);
            var current = cache.policyStatus(nsName[0], nsName[1]);
            if (current.isPresent() && e.getValue().equals(current.get().getStatus())
                    || !statusesInFlight.add(e.getKey())) {
                continue;
            }
            ClusterCache.PolicyMeta meta = policyMeta.get(e.getKey());
            statusWriters.submit(() -> {
                try {
                    writeStatus(nsName[0], nsName[1], e.getValue(), meta, current.isEmpty());
                    metrics.statusWritten(true);
                } catch (RuntimeException ex) {
                    // The namespace may be going away; the next status pass tries again.
                    metrics.statusWritten(false);
                    LOG.warn("cannot write PalisadePolicyStatus {}: {}", e.getKey(), ex.getMessage());
                } finally {
                    statusesInFlight.remove(e.getKey());
                }
            });
            writes++;
        }
        for (PalisadePolicyStatus s : cache.policyStatuses()) {
            String key = s.getMetadata().getNamespace() + "/" + s.getMetadata().getName();
            if (!wanted.containsKey(key) && statusesInFlight.add(key)) {
                statusWriters.submit(() -> {
                    try {
                        client.resource(s).delete();
                    } catch (RuntimeException ex) {
                        LOG.warn("cannot delete PalisadePolicyStatus {}: {}", key, ex.getMessage());
                    } finally {
                        statusesInFlight.remove(key);
                    }
                });
                writes++;
            }
        }
        return writes;
    }

    private void writeStatus(String namespace, String name, PolicyStatusStatus status, ClusterCache.PolicyMeta meta,
                             boolean create) {
        PalisadePolicyStatus s = new PalisadePolicyStatus();
        ObjectMetaBuilder m = new ObjectMetaBuilder().withNamespace(namespace).withName(name);
        if (meta != null && meta.uid() != null) {
            // Garbage-collected with its policy where a garbage collector runs; the operator deletes it too.
            m.withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("networking.k8s.io/v1")
                    .withKind("NetworkPolicy").withName(name).withUid(meta.uid()).build());
        }
        s.setMetadata(m.build());
        s.setSpec(new PolicyStatusSpec(name));
        if (create) {
            apply(s);
        }
        s.setStatus(status);
        client.resource(s).subresource("status").patch(new PatchContext.Builder()
                .withPatchType(PatchType.SERVER_SIDE_APPLY).withFieldManager(FIELD_MANAGER).withForce(true).build());
    }

    /** A core/v1 Warning Event per diagnostic, once per policy generation (and per leader). */
    private int postEvents(Map<String, ClusterCache.PolicyMeta> policies) {
        overLimitChanged = false;
        SortedMap<String, SortedSet<String>> over = overLimitByPolicy();
        Set<String> current = new HashSet<>();
        int posted = 0;
        for (var e : policies.entrySet()) {
            ClusterCache.PolicyMeta meta = e.getValue();
            Map<String, String[]> reports = new java.util.LinkedHashMap<>(); // dedup key -> reason, message
            for (Diagnostic d : meta.diagnostics()) {
                reports.put(meta.uid() + "/" + meta.generation() + "/" + d,
                        new String[] {d.isError() ? "FieldNotCompiled" : "PolicyWarning", problem(d)});
            }
            if (over.containsKey(e.getKey())) {
                reports.put(meta.uid() + "/" + meta.generation() + "/over-limit/" + over.get(e.getKey()),
                        new String[] {"RuleSetTooLarge", overLimitProblem(over.get(e.getKey()))});
            }
            current.addAll(reports.keySet());
            for (var r : reports.entrySet()) {
                String key = r.getKey();
                if (reportedEvents.contains(key)) {
                    continue;
                }
                String[] nsName = e.getKey().split("/", 2);
                String now = DateTimeFormatter.ISO_INSTANT.format(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
                String message = r.getValue()[1];
                var event = new EventBuilder()
                        .withNewMetadata().withGenerateName(nsName[1] + ".").withNamespace(nsName[0]).endMetadata()
                        .withNewInvolvedObject().withApiVersion("networking.k8s.io/v1").withKind("NetworkPolicy")
                        .withNamespace(nsName[0]).withName(nsName[1]).withUid(meta.uid())
                        .withResourceVersion(meta.resourceVersion()).endInvolvedObject()
                        .withType("Warning")
                        .withReason(r.getValue()[0])
                        .withMessage(message.length() > EVENT_MESSAGE_LIMIT ? message.substring(0, EVENT_MESSAGE_LIMIT) : message)
                        .withNewSource().withComponent(FIELD_MANAGER).endSource()
                        .withReportingComponent("palisade.dev/operator").withReportingInstance(identity)
                        .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                        .build();
                try {
                    client.v1().events().inNamespace(nsName[0]).resource(event).create();
                    metrics.eventPosted();
                    posted++;
                    reportedEvents.add(key);
                } catch (KubernetesClientException ex) {
                    LOG.warn("cannot post event for NetworkPolicy {}: {}", e.getKey(), ex.getMessage());
                }
            }
        }
        // Remembered only while still true: memory follows the policies and problems there are now.
        reportedEvents.retainAll(current);
        return posted;
    }

    /** A diagnostic without the object (the status and the event are on the object already). */
    static String problem(Diagnostic d) {
        StringBuilder sb = new StringBuilder();
        if (!d.isError()) {
            sb.append(d.severity().lower()).append(": ");
        }
        if (d.field() != null) {
            sb.append(d.field()).append(": ");
        }
        return sb.append(d.message()).toString();
    }

    void close() {
        writers.shutdownNow();
        statusWriters.shutdownNow();
    }

    /** Nodes with a published rule set and their hashes (for tests and the INFO line). */
    Map<String, String> publishedHashes() {
        Map<String, String> out = new TreeMap<>();
        published.forEach((k, v) -> out.put(k, v.hash()));
        return out;
    }

}
