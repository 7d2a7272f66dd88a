package dev.palisade.agent.watch;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.palisade.agent.sync.RuleSetRevision;
import dev.palisade.agent.sync.StatusSink;
import dev.palisade.agent.telemetry.AgentMetrics;
import dev.palisade.dataplane.sync.Backoff;
import dev.palisade.operator.resource.NodeRuleSetStatus;
import dev.palisade.operator.resource.PalisadeNodeRuleSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * Writes what the kernel holds to the status subresource of this node's PalisadeNodeRuleSet:
 * {@code appliedRevision} and {@code appliedHash} of the revision in the kernel (the operator counts
 * a node as programmed for a policy once {@code appliedRevision} is at least the first revision that
 * carried the policy as it is now; see docs/design/operator.md) and {@code error} when
 * the newest revision is not in the kernel. Only the newest wanted status is written, on a thread of
 * its own, retried with backoff while the API server is unreachable; when the object comes back
 * with another status (recreated, edited), it is written again.
 */
public final class StatusReporter implements StatusSink, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StatusReporter.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesClient client;
    private final String node;
    private final AgentMetrics metrics;
    private final Backoff backoff;
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "palisade-status");
        t.setDaemon(true);
        return t;
    });
    private final RandomGenerator random = RandomGenerator.getDefault();
    private volatile NodeRuleSetStatus wanted;
    private volatile NodeRuleSetStatus written;
    private int failures; // writer thread only
    private boolean retryScheduled; // writer thread only

    public StatusReporter(KubernetesClient client, String node, AgentMetrics metrics, Backoff backoff) {
        this.client = client;
        this.node = node;
        this.metrics = metrics;
        this.backoff = backoff;
    }

    @Override
    public void report(RuleSetRevision applied, String error) {
        wanted = new NodeRuleSetStatus(applied == null ? null : applied.revision(), applied == null ? null : applied.hash(),
                error);
        writer.execute(this::write);
    }

    /** The newest revision cannot be read: keep what is applied, say why. */
    void error(String error) {
        NodeRuleSetStatus w = wanted;
        wanted = new NodeRuleSetStatus(w == null ? null : w.appliedRevision(), w == null ? null : w.appliedHash(), error);
        writer.execute(this::write);
    }

    /** The object as the watch sees it: if its status is not what was written, write it again. */
    void observed(PalisadeNodeRuleSet rs) {
        NodeRuleSetStatus w = wanted;
        if (w != null && !Objects.equals(w, rs.getStatus())) {
            written = null;
            writer.execute(this::write);
        }
    }

    private void write() {
        retryScheduled = false;
        NodeRuleSetStatus w = wanted;
        if (w == null || w.equals(written)) {
            return;
        }
        ObjectNode patch = JSON.createObjectNode();
        ObjectNode status = patch.putObject("status");
        putOrNull(status, "appliedRevision", w.appliedRevision());
        if (w.appliedHash() == null) {
            status.putNull("appliedHash");
        } else {
            status.put("appliedHash", w.appliedHash());
        }
        if (w.error() == null) {
            status.putNull("error");
        } else {
            status.put("error", w.error());
        }
        try {
            client.resources(PalisadeNodeRuleSet.class).withName(node).subresource("status")
                    .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
            written = w;
            failures = 0;
            metrics.statusWritten(true);
            LOG.debug("status of {}: {}", node, w);
        } catch (KubernetesClientException e) {
            metrics.statusWritten(false);
            if (e.getCode() == 404) {
                LOG.info("PalisadeNodeRuleSet {} is gone: its status is written when it is back", node);
                return;
            }
            failures++;
            long delay = backoff.delay(failures, random).toMillis();
            if (failures == 1 || failures % 10 == 0) {
                LOG.warn("cannot write the status of PalisadeNodeRuleSet {} (attempt {}, retry in {} ms): {}", node,
                        failures, delay, e.getMessage());
            }
            if (!retryScheduled) {
                retryScheduled = true;
                writer.schedule(this::write, delay, TimeUnit.MILLISECONDS);
            }
        }
    }

    private static void putOrNull(ObjectNode o, String field, Long value) {
        if (value == null) {
            o.putNull(field);
        } else {
            o.put(field, value);
        }
    }

    @Override
    public void close() {
        writer.shutdownNow();
    }
}
