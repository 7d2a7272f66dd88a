package dev.palisade.operator.telemetry;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The operator's Prometheus metrics, in a registry of its own (two operators in one JVM, as in the
 * leader-election test, do not collide). Names are API: OperatorMetricsTest pins them.
 */
public final class OperatorMetrics {

    /** Values of the {@code result} label of {@code palisade_operator_publish_total}. */
    public enum Result {
        created, updated, unchanged, deleted, error, too_large
    }

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Histogram compileDuration = Histogram.builder()
            .name("palisade_operator_compile_duration_seconds")
            .help("Time to compile and encode the whole desired state from the caches")
            .classicUpperBounds(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
            .register(registry);
    private final Counter publish = Counter.builder()
            .name("palisade_operator_publish_total")
            .help("Writes of PalisadeNodeRuleSets and PalisadeAddressSets, by result")
            .labelNames("kind", "result")
            .register(registry);
    private final Histogram rulesetBytes = Histogram.builder()
            .name("palisade_operator_ruleset_bytes")
            .help("Size of the canonical JSON of each rule set written")
            .classicExponentialUpperBounds(1024, 2, 12)
            .register(registry);
    private final Gauge queueLag = Gauge.builder()
            .name("palisade_operator_queue_lag_seconds")
            .help("Time from the first unhandled change to the start of the sync that handles it, last sync")
            .register(registry);
    private final Gauge informerSynced = Gauge.builder()
            .name("palisade_operator_informer_synced")
            .help("1 when the informer on this resource has listed once")
            .labelNames("resource")
            .register(registry);
    private final Gauge leader = Gauge.builder()
            .name("palisade_operator_leader")
            .help("1 while this replica holds the leader lease")
            .register(registry);
    private final Counter syncs = Counter.builder()
            .name("palisade_operator_syncs_total")
            .help("Sync passes, by result")
            .labelNames("result")
            .register(registry);
    private final Counter events = Counter.builder()
            .name("palisade_operator_policy_events_total")
            .help("Kubernetes Events posted for policy fields that cannot be compiled")
            .register(registry);
    private final Gauge policiesOverLimit = Gauge.builder()
            .name("palisade_operator_policies_over_limit")
            .help("Policies whose allowances are left out of some node's rule set because with them it would "
                    + "exceed the object size limit (their pods stay isolated)")
            .register(registry);
    private final Counter statusWrites = Counter.builder()
            .name("palisade_operator_status_writes_total")
            .help("Writes of PalisadePolicyStatus objects, by result")
            .labelNames("result")
            .register(registry);

    public void compiled(double seconds) {
        compileDuration.observe(seconds);
    }

    public void published(String kind, Result result) {
        publish.labelValues(kind, result.name()).inc();
    }

    public void rulesetWritten(int bytes) {
        rulesetBytes.observe(bytes);
    }

    public void queueLag(double seconds) {
        queueLag.set(seconds);
    }

    public void informers(Map<String, Boolean> synced) {
        synced.forEach((resource, ok) -> informerSynced.labelValues(resource).set(ok ? 1 : 0));
    }

    public void leader(boolean isLeader) {
        leader.set(isLeader ? 1 : 0);
    }

    public void sync(boolean ok) {
        syncs.labelValues(ok ? "ok" : "error").inc();
    }

    public void policiesOverLimit(long count) {
        policiesOverLimit.set(count);
    }

    public void eventPosted() {
        events.inc();
    }

    public void statusWritten(boolean ok) {
        statusWrites.labelValues(ok ? "ok" : "error").inc();
    }

    /** Writes counted so far with this kind and result (tests and diagnostics). */
    public double publishCount(String kind, Result result) {
        return publish.labelValues(kind, result.name()).get();
    }

        public void writeText(OutputStream out) throws IOException {
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
    }

    public String text() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writeText(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
