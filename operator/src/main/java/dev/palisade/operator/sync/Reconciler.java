package dev.palisade.operator.sync;

import dev.palisade.compiler.ClusterIndex;
import dev.palisade.compiler.PolicyCompiler;
import dev.palisade.manifest.Diagnostic;
import dev.palisade.model.Node;
import dev.palisade.operator.publish.RuleSetEncoder;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One sync pass, leader only: the whole desired state from the caches (compile every node, encode,
 * hash), then only the differences written: address-set parts first (a rule set never references a
 * part that is not there), then rule sets whose hash changed, then deletions of rule sets whose node
 * is gone and of parts nothing references. Then policy status and events.
 *
 * <p>Not thread-safe: the sync loop's single thread calls it.
 */
final class Reconciler {

    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
    static final String FIELD_MANAGER = "palisade-operator";
    private static final int EVENT_MESSAGE_LIMIT = 1024;
    /** Leave room under the API server's 1.5 MiB for metadata and managed fields. */
    static final int MAX_RULESET_BYTES = 1_400_000;

    /** What this leader has written for a node, so a pass never depends on the informer having caught up. */
    record Published(String hash, long revision) {
    }

    /** The figures of one pass, for the INFO line. */
    record Outcome(int nodes, int written, int deleted, int setsCreated, int setsDeleted, int statuses, int events,
                   int failed, double compileSeconds) {
    }

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
    private final Map<String, Published> published = new HashMap<>();
    /** Survives {@link #adoptCache()}: a retry after a failure never reuses a revision the cache has not shown yet. */
    private final Map<String, Long> highestRevision = new HashMap<>();
    private final Set<String> knownSets = new HashSet<>();
    private final Set<String> reportedEvents = new HashSet<>();
    /** From the last compile, for status passes in between: small, unlike the snapshot and its index. */
    private Map<String, ClusterCache.PolicyMeta> lastPolicies;
    private SortedMap<String, SortedSet<String>> lastNeeded;

    Reconciler(KubernetesClient client, ClusterCache cache, RuleSetEncoder encoder, OperatorMetrics metrics,
               String identity) {
        this.client = client;
        this.cache = cache;
        this.encoder = encoder;
        this.metrics = metrics;
        this.identity = identity;
    }

    /** On becoming leader: what is published is what the (synced) cache holds. */
    void adoptCache() {
        published.clear();
        knownSets.clear();
        for (PalisadeNodeRuleSet rs : cache.ruleSets()) {
            if (rs.getSpec() != null) {
                published.put(rs.getMetadata().getName(), new Published(rs.getSpec().hash(), rs.getSpec().revision()));
            }
        }
        cache.addressSets().forEach(s -> knownSets.add(s.getMetadata().getName()));
        lastNeeded = null;
    }

    /**
     * A PalisadeNodeRuleSet changed in the cache. If its spec is not what this leader last wrote (someone
     * edited or deleted it), forget what was written so that the next pass rewrites it; returns whether
     * a compile pass is needed. Our own writes coming back, and agents' status writes, need none.
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

    Outcome pass(boolean compile) {
        int nodes = published.size();
        int written = 0;
        int deleted = 0;
        int setsCreated = 0;
        int setsDeleted = 0;
        int events = 0;
        int failed = 0;
        double compileSeconds = 0;
        if (compile || lastNeeded == null) {
            long t0 = System.nanoTime();
            ClusterCache.Snapshot snapshot = cache.snapshot();
            ClusterIndex index = new ClusterIndex(snapshot.cluster());
            PolicyCompiler compiler = new PolicyCompiler(index);
            List<NodeRuleSet> ruleSets = snapshot.cluster().nodes().parallelStream().map(Node::name)
                    .map(compiler::compileNode).toList();
            RuleSetEncoder.Desired desired = encoder.encode(ruleSets);
            compileSeconds = (System.nanoTime() - t0) / 1e9;
            metrics.compiled(compileSeconds);
            nodes = desired.nodes().size();

            for (var e : desired.addressSets().entrySet()) {
                if (!knownSets.contains(e.getKey())) {
                    apply(PalisadeAddressSet.of(e.getKey(), e.getValue()));
                    knownSets.add(e.getKey());
                    metrics.published("PalisadeAddressSet", OperatorMetrics.Result.created);
                    setsCreated++;
                }
            }
            List<RuleSetEncoder.EncodedNode> changed = new ArrayList<>();
            for (RuleSetEncoder.EncodedNode n : desired.nodes().values()) {
                Published mine = published.get(n.node());
                if (mine != null && mine.hash().equals(n.hash())) {
                    continue;
                }
                if (n.bytes() > MAX_RULESET_BYTES) {
                    // Outside the design (docs/design/ruleset-contract.md, "Sizes"): keep the last good one.
                    metrics.published("PalisadeNodeRuleSet", OperatorMetrics.Result.too_large);
                    LOG.warn("rule set of node {} is {} bytes, over {}: not published", n.node(), n.bytes(), MAX_RULESET_BYTES);
                    continue;
                }
                changed.add(n);
            }
            // Writes of different nodes are independent: several in flight at once, results applied here.
            List<Future<PalisadeNodeRuleSet>> writes = new ArrayList<>();
            for (RuleSetEncoder.EncodedNode n : changed) {
                Published mine = published.get(n.node());
                long revision = Math.max(Math.max(mine == null ? 0 : mine.revision(), highestRevision.getOrDefault(n.node(), 0L)),
                        cache.ruleSet(n.node()).map(r -> r.getSpec() == null ? 0 : r.getSpec().revision()).orElse(0L)) + 1;
                highestRevision.merge(n.node(), revision, Math::max);
                writes.add(writers.submit(() -> apply(PalisadeNodeRuleSet.of(n.spec(revision)))));
            }
            for (int i = 0; i < changed.size(); i++) {
                RuleSetEncoder.EncodedNode n = changed.get(i);
                boolean created = !published.containsKey(n.node());
                PalisadeNodeRuleSet applied;
                try {
                    applied = writes.get(i).get();
                } catch (ExecutionException ex) {
                    // One node's failure does not hold back the others; the loop retries the pass.
                    metrics.published("PalisadeNodeRuleSet", OperatorMetrics.Result.error);
                    LOG.warn("cannot publish the rule set of node {}: {}", n.node(), ex.getCause().getMessage());
                    failed++;
                    continue;
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while publishing", ex);
                }
                published.put(n.node(), new Published(n.hash(), applied.getSpec().revision()));
                metrics.published("PalisadeNodeRuleSet",
                        created ? OperatorMetrics.Result.created : OperatorMetrics.Result.updated);
                metrics.rulesetWritten(n.bytes());
                LOG.debug("published {} revision {} hash {} ({} bytes)", n.node(), applied.getSpec().revision(),
                        n.summary().hash(), n.bytes());
                written++;
            }
            Set<String> stale = new HashSet<>(published.keySet());
            cache.ruleSets().forEach(r -> stale.add(r.getMetadata().getName()));
            stale.removeAll(desired.nodes().keySet());
            for (String node : stale) {
                client.resources(PalisadeNodeRuleSet.class).withName(node).delete();
                published.remove(node);
                highestRevision.remove(node);
                metrics.published("PalisadeNodeRuleSet", OperatorMetrics.Result.deleted);
                deleted++;
            }
            Set<String> unreferenced = new HashSet<>(knownSets);
            cache.addressSets().forEach(s -> unreferenced.add(s.getMetadata().getName()));
            unreferenced.removeAll(desired.addressSets().keySet());
            for (String name : unreferenced) {
                client.resources(PalisadeAddressSet.class).withName(name).delete();
                knownSets.remove(name);
                metrics.published("PalisadeAddressSet", OperatorMetrics.Result.deleted);
                setsDeleted++;
            }
            events = postEvents(snapshot);
            lastPolicies = snapshot.policies();
            lastNeeded = PolicyProgress.neededNodes(index);
        }
        int statuses = reportStatus();
        return new Outcome(nodes, written, deleted, setsCreated, setsDeleted, statuses, events, failed, compileSeconds);
    }

    private <T extends io.fabric8.kubernetes.api.model.HasMetadata> T apply(T resource) {
        return client.resource(resource).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
    }

    /** Writes the PalisadePolicyStatus of every policy whose figures changed; deletes those of deleted policies. */
    private int reportStatus() {
        Map<String, String> hashes = new HashMap<>();
        published.forEach((node, p) -> hashes.put(node, p.hash()));
        Map<String, String> applied = new HashMap<>();
        for (PalisadeNodeRuleSet rs : cache.ruleSets()) {
            if (rs.getStatus() != null && rs.getStatus().appliedHash() != null) {
                applied.put(rs.getMetadata().getName(), rs.getStatus().appliedHash());
            }
        }
        Map<String, PolicyProgress.Facts> facts = new HashMap<>();
        lastPolicies.forEach((key, meta) -> facts.put(key, new PolicyProgress.Facts(meta.generation(),
                meta.diagnostics().stream().map(Reconciler::problem).toList())));
        SortedMap<String, PolicyStatusStatus> wanted = PolicyProgress.of(lastNeeded, facts, hashes, applied);
        int writes = 0;
        List<String> keys = new ArrayList<>();
        List<Future<?>> pending = new ArrayList<>();
        for (var e : wanted.entrySet()) {
            String[] nsName = e.getKey().split("/", 2);
            var current = cache.policyStatus(nsName[0], nsName[1]);
            if (current.isPresent() && e.getValue().equals(current.get().getStatus())) {
                continue;
            }
            ClusterCache.PolicyMeta meta = lastPolicies.get(e.getKey());
            keys.add(e.getKey());
            pending.add(writers.submit(() -> writeStatus(nsName[0], nsName[1], e.getValue(), meta, current.isEmpty())));
        }
        for (int i = 0; i < pending.size(); i++) {
            try {
                pending.get(i).get();
                metrics.statusWritten(true);
                writes++;
            } catch (ExecutionException ex) {
                // The namespace may be going away; the next pass tries again.
                metrics.statusWritten(false);
                LOG.warn("cannot write PalisadePolicyStatus {}: {}", keys.get(i), ex.getCause().getMessage());
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while writing status", ex);
            }
        }
        for (PalisadePolicyStatus s : cache.policyStatuses()) {
            String key = s.getMetadata().getNamespace() + "/" + s.getMetadata().getName();
            if (!wanted.containsKey(key)) {
                client.resource(s).delete();
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
    private int postEvents(ClusterCache.Snapshot snapshot) {
        int posted = 0;
        for (var e : snapshot.policies().entrySet()) {
            ClusterCache.PolicyMeta meta = e.getValue();
            for (Diagnostic d : meta.diagnostics()) {
                String key = meta.uid() + "/" + meta.generation() + "/" + d;
                if (reportedEvents.contains(key)) {
                    continue;
                }
                String[] nsName = e.getKey().split("/", 2);
                String now = DateTimeFormatter.ISO_INSTANT.format(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
                String message = problem(d);
                var event = new EventBuilder()
                        .withNewMetadata().withGenerateName(nsName[1] + ".").withNamespace(nsName[0]).endMetadata()
                        .withNewInvolvedObject().withApiVersion("networking.k8s.io/v1").withKind("NetworkPolicy")
                        .withNamespace(nsName[0]).withName(nsName[1]).withUid(meta.uid())
                        .withResourceVersion(meta.resourceVersion()).endInvolvedObject()
                        .withType("Warning")
                        .withReason(d.isError() ? "FieldNotCompiled" : "PolicyWarning")
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
    }

    /** Nodes with a published rule set and their hashes (for tests and the INFO line). */
    Map<String, String> publishedHashes() {
        Map<String, String> out = new TreeMap<>();
        published.forEach((k, v) -> out.put(k, v.hash()));
        return out;
    }

}
