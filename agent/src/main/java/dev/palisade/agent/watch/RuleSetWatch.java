package dev.palisade.agent.watch;

import dev.palisade.agent.sync.Inputs;
import dev.palisade.agent.sync.RuleSetRevision;
import dev.palisade.agent.telemetry.AgentMetrics;
import dev.palisade.dataplane.sync.Backoff;
import dev.palisade.operator.publish.RuleSetDecoder;
import dev.palisade.operator.resource.AddressSetSpec;
import dev.palisade.operator.resource.GrantWire;
import dev.palisade.operator.resource.NodeRuleSetSpec;
import dev.palisade.operator.resource.PalisadeAddressSet;
import dev.palisade.operator.resource.PalisadeNodeRuleSet;
import dev.palisade.operator.resource.VerdictWire;
import dev.palisade.ruleset.NodeRuleSet;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * Watches exactly one object, this node's PalisadeNodeRuleSet (a field selector on metadata.name),
 * and resolves the PalisadeAddressSets it references with one GET each (a paged LIST when many are
 * missing, as at start). Address sets are immutable and named by their content hash, so a fetched
 * one is kept for as long as a rule set references it and never needs a watch. The decoded rule set goes to the sync loop through {@link Inputs}.
 *
 * <p>A rule set whose address sets cannot all be fetched yet is not applied in part: the agent keeps
 * the last good one and retries with backoff, or moves on when a newer revision arrives. Resolution
 * runs on a thread of its own, so API latency never holds up the kernel thread or the informer.
 */
public final class RuleSetWatch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RuleSetWatch.class);
    /** More missing address sets than this are listed (paged) rather than fetched one by one. */
    static final int BULK_THRESHOLD = 32;
    static final int PAGE = 500;

    private final KubernetesClient client;
    private final String node;
    private final Inputs inputs;
    private final AgentMetrics metrics;
    private final Backoff backoff;
    private final StatusReporter reporter;
    private final ScheduledExecutorService resolver = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "palisade-resolve");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, AddressSetSpec> addressSets = new HashMap<>(); // resolver thread only
    private final RandomGenerator random = RandomGenerator.getDefault();
    private volatile PalisadeNodeRuleSet newest;
    private long resolvedRevision = -1; // resolver thread only
    private String resolvedHash;
    private int failures;
    private SharedIndexInformer<PalisadeNodeRuleSet> informer;

    public RuleSetWatch(KubernetesClient client, String node, Inputs inputs, AgentMetrics metrics, Backoff backoff,
                        StatusReporter reporter) {
        this.client = client;
        this.node = node;
        this.inputs = inputs;
        this.metrics = metrics;
        this.backoff = backoff;
        this.reporter = reporter;
    }

    public void start() {
        // runnableInformer + start: does not block (or fail) when the API server is down at start;
        // the kernel keeps the last rules meanwhile and the informer keeps retrying
        informer = client.resources(PalisadeNodeRuleSet.class).withField("metadata.name", node).runnableInformer(0);
        informer.addEventHandler(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(PalisadeNodeRuleSet obj) {
                        changed(obj);
                    }

                    @Override
                    public void onUpdate(PalisadeNodeRuleSet oldObj, PalisadeNodeRuleSet newObj) {
                        changed(newObj);
                    }

                    @Override
                    public void onDelete(PalisadeNodeRuleSet obj, boolean deletedFinalStateUnknown) {
                        LOG.warn("PalisadeNodeRuleSet {} was deleted; the kernel keeps enforcing the last rules "
                                + "until the operator publishes it again", node);
                    }
                });
        informer.start();
    }

    public boolean synced() {
        return informer != null && informer.hasSynced();
    }

    private void changed(PalisadeNodeRuleSet rs) {
        NodeRuleSetSpec spec = rs.getSpec();
        if (spec == null || spec.ruleSet() == null || spec.hash() == null) {
            return;
        }
        inputs.newestRevision(spec.revision());
        reporter.observed(rs);
        newest = rs;
        resolver.execute(this::resolve);
    }

    /** Decodes the newest rule set if it is not decoded yet; on a missing address set, retries later. */
    private void resolve() {
        PalisadeNodeRuleSet rs = newest;
        if (rs == null) {
            return;
        }
        NodeRuleSetSpec spec = rs.getSpec();
        if (spec.revision() == resolvedRevision && spec.hash().equals(resolvedHash)) {
            return;
        }
        SortedSet<String> referenced = referencedSets(spec);
        try {
            long missing = referenced.stream().filter(n -> !addressSets.containsKey(n)).count();
            if (missing > BULK_THRESHOLD) {
                listReferenced(referenced);
            }
            for (String name : referenced) {
                if (!addressSets.containsKey(name)) {
                    PalisadeAddressSet set = client.resources(PalisadeAddressSet.class).withName(name).get();
                    if (set == null || set.getSpec() == null) {
                        throw new MissingAddressSet(name);
                    }
                    addressSets.put(name, set.getSpec());
                }
            }
            NodeRuleSet decoded = RuleSetDecoder.decode(node, spec.ruleSet(), n -> Optional.ofNullable(addressSets.get(n)));
            addressSets.keySet().retainAll(referenced);
            resolvedRevision = spec.revision();
            resolvedHash = spec.hash();
            failures = 0;
            inputs.ruleSet(new RuleSetRevision(spec.revision(), spec.hash(), decoded));
            LOG.debug("revision {} decoded: {} local pods, {} address sets", spec.revision(), decoded.localPods().size(),
                    referenced.size());
        } catch (MissingAddressSet | KubernetesClientException e) {
            metrics.ruleSetError(e instanceof MissingAddressSet ? "address_set_missing" : "api");
            retry(rs, e.getMessage());
        } catch (IllegalArgumentException e) {
            // malformed wire data: a newer revision is the only fix; keep the last good rules meanwhile
            metrics.ruleSetError("malformed");
            LOG.error("revision {} of PalisadeNodeRuleSet {} cannot be read, keeping the last good rules: {}",
                    spec.revision(), node, e.getMessage());
            reporter.error("revision " + spec.revision() + " cannot be read: " + e.getMessage());
        }
    }

    /**
     * Many sets missing (a start, or a large change): one paged LIST instead of a GET each, keeping
     * only the referenced ones. A node with 10,000 referenced sets starts in one round trip per
     * {@link #PAGE} sets instead of 10,000.
     */
    private void listReferenced(SortedSet<String> referenced) {
        String next = null;
        int kept = 0;
        do {
            var page = client.resources(PalisadeAddressSet.class).list(new ListOptionsBuilder().withLimit((long) PAGE)
                    .withContinue(next).build());
            for (PalisadeAddressSet set : page.getItems()) {
                String name = set.getMetadata().getName();
                if (referenced.contains(name) && set.getSpec() != null && addressSets.putIfAbsent(name, set.getSpec()) == null) {
                    kept++;
                }
            }
            next = page.getMetadata() == null ? null : page.getMetadata().getContinue();
        } while (next != null && !next.isEmpty());
        LOG.debug("listed address sets: kept {} of the {} referenced", kept, referenced.size());
    }

    private void retry(PalisadeNodeRuleSet rs, String why) {
        failures++;
        long delay = backoff.delay(failures, random).toMillis();
        LOG.warn("revision {} of PalisadeNodeRuleSet {} not resolved yet (attempt {}, retry in {} ms): {}",
                rs.getSpec().revision(), node, failures, delay, why);
        resolver.schedule(this::resolve, delay, TimeUnit.MILLISECONDS);
    }

    static SortedSet<String> referencedSets(NodeRuleSetSpec spec) {
        SortedSet<String> out = new TreeSet<>();
        for (var d : java.util.List.of(spec.ruleSet().ingress(), spec.ruleSet().egress())) {
            for (GrantWire g : d.grants()) {
                out.addAll(g.peers().addressSets());
            }
            for (VerdictWire v : d.verdicts()) {
                out.addAll(v.peers().addressSets());
            }
        }
        return out;
    }

    private static final class MissingAddressSet extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MissingAddressSet(String name) {
            super("address set " + name + " is not there (yet)");
        }
    }

    @Override
    public void close() {
        if (informer != null) {
            informer.close();
        }
        resolver.shutdownNow();
    }
}
