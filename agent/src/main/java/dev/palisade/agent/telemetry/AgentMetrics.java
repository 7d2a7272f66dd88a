package dev.palisade.agent.telemetry;

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

/**
 * The agent's Prometheus metrics, in a registry of its own (several agents in one JVM do not
 * collide). Labels come from small fixed sets only. Names are API: AgentMetricsTest pins them.
 */
public final class AgentMetrics {

    /** The {@code mode} label: how the kernel was changed (ApplyResult.Mode, lower case). */
    public static final String[] MODES = {"full", "incremental", "noop"};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Histogram applyDuration = Histogram.builder()
            .name("palisade_agent_apply_duration_seconds")
            .help("Time of one apply of the owned table (diff, render and kernel transaction), by mode")
            .labelNames("mode")
            .classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
            .register(registry);
    private final Counter applies = Counter.builder()
            .name("palisade_agent_apply_total")
            .help("Applies of the owned table, by mode and result (ok, error)")
            .labelNames("mode", "result")
            .register(registry);
    private final Gauge setElements = Gauge.builder()
            .name("palisade_agent_set_elements")
            .help("Set elements in the owned table as last applied")
            .register(registry);
    private final Gauge rules = Gauge.builder()
            .name("palisade_agent_rules")
            .help("Grants (policy rules as they apply on this node) in the rule set last applied")
            .register(registry);
    private final Gauge localPods = Gauge.builder()
            .name("palisade_agent_local_pods")
            .help("Local pod addresses in the rule set last applied")
            .register(registry);
    private final Gauge lastSuccess = Gauge.builder()
            .name("palisade_agent_last_apply_success_timestamp_seconds")
            .help("Unix time of the last successful apply (including no-ops and repairs)")
            .register(registry);
    private final Counter driftRepairs = Counter.builder()
            .name("palisade_agent_drift_repairs_total")
            .help("Times a verification found the kernel's table different from the last applied one and replaced it")
            .register(registry);
    private final Counter verifies = Counter.builder()
            .name("palisade_agent_verify_total")
            .help("Read-backs of the owned table, by result (in_sync, drift, error)")
            .labelNames("result")
            .register(registry);
    private final Gauge generationLag = Gauge.builder()
            .name("palisade_agent_generation_lag")
            .help("Newest published revision of this node's rule set minus the revision in the kernel")
            .register(registry);
    private final Gauge appliedRevision = Gauge.builder()
            .name("palisade_agent_applied_revision")
            .help("Revision of this node's rule set in the kernel")
            .register(registry);
    private final Counter statusWrites = Counter.builder()
            .name("palisade_agent_status_writes_total")
            .help("Writes of the rule set's status subresource, by result (ok, error)")
            .labelNames("result")
            .register(registry);
    private final Counter decodeErrors = Counter.builder()
            .name("palisade_agent_ruleset_errors_total")
            .help("Published rule sets that could not be read (missing address set, bad wire data), by reason")
            .labelNames("reason")
            .register(registry);
    private final Gauge ready = Gauge.builder()
            .name("palisade_agent_ready")
            .help("1 while /readyz answers 200: the first full apply has succeeded and, in CNI mode, the CNI "
                    + "configuration is written")
            .register(registry);
    private final Gauge routes = Gauge.builder()
            .name("palisade_agent_routes")
            .help("CNI mode: routes to other nodes' pod CIDRs owned by the agent")
            .register(registry);
    private final Counter cniErrors = Counter.builder()
            .name("palisade_agent_cni_errors_total")
            .help("CNI mode: failures to write the CNI configuration, routes or the NAT table, by what (conflist, routes, nat)")
            .labelNames("what")
            .register(registry);
    private final Gauge heldAddresses = Gauge.builder()
            .name("palisade_agent_held_addresses")
            .help("Local pod addresses held as unknown (both ways dropped) because a new pod got a listed address "
                    + "before a rule set named it")
            .register(registry);
    private final Gauge cleanupArmed = Gauge.builder()
            .name("palisade_agent_cleanup_armed")
            .help("1 once the agent has seen its DaemonSet: it deletes its table when uninstalled from the node")
            .register(registry);

    private final Counter revoked = Counter.builder()
            .name("palisade_agent_conntrack_revoked_total")
            .help("Conntrack entries of open connections deleted because a rule-set change denied their flow")
            .register(registry);
    private final Counter revokeFailures = Counter.builder()
            .name("palisade_agent_conntrack_revoke_failures_total")
            .help("Revocations of open connections that failed (retried at the next pass)")
            .register(registry);

    public AgentMetrics() {
        for (String m : MODES) {
            applies.labelValues(m, "ok");
            applies.labelValues(m, "error");
        }
        driftRepairs.initLabelValues();
        revoked.initLabelValues();
        revokeFailures.initLabelValues();
        ready.set(0);
        cleanupArmed.set(0);
    }

    public void applied(String mode, double seconds, int elements) {
        applyDuration.labelValues(mode).observe(seconds);
        applies.labelValues(mode, "ok").inc();
        setElements.set(elements);
        lastSuccess.set(System.currentTimeMillis() / 1000.0);
    }

    public void applyFailed(String mode) {
        applies.labelValues(mode, "error").inc();
    }

    public void ruleSet(long revision, long newestRevision, int grants, int pods) {
        appliedRevision.set(revision);
        generationLag.set(Math.max(0, newestRevision - revision));
        rules.set(grants);
        localPods.set(pods);
    }

    public void newestRevision(long newest) {
        generationLag.set(Math.max(0, newest - (long) appliedRevision.get()));
    }

    public void verified(String result) {
        verifies.labelValues(result).inc();
    }

    public void driftRepaired() {
        driftRepairs.inc();
    }

    public void statusWritten(boolean ok) {
        statusWrites.labelValues(ok ? "ok" : "error").inc();
    }

    public void ruleSetError(String reason) {
        decodeErrors.labelValues(reason).inc();
    }

    public void ready() {
        readiness(true);
    }

    /** What /readyz answers now, so the metric and the probe never disagree. */
    public void readiness(boolean isReady) {
        ready.set(isReady ? 1 : 0);
    }

    public void heldAddresses(int count) {
        heldAddresses.set(count);
    }

    public void cleanupArmed() {
        cleanupArmed.set(1);
    }

    public void routes(int count) {
        routes.set(count);
    }

    public void cniError(String what) {
        cniErrors.labelValues(what).inc();
    }

    public void revoked(int entries) {
        revoked.inc(entries);
    }

    public void revokeFailed() {
        revokeFailures.inc();
    }

    public double revokedCount() {
        return revoked.get();
    }

    public double applyCount(String mode, String result) {
        return applies.labelValues(mode, result).get();
    }

    public double driftRepairCount() {
        return driftRepairs.get();
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
