package dev.palisade.agent;

import dev.palisade.agent.cni.CniPlane;
import dev.palisade.agent.sync.SyncLoop;
import dev.palisade.agent.telemetry.AgentMetrics;
import dev.palisade.agent.watch.DaemonSetWatch;
import dev.palisade.agent.watch.Departure;
import dev.palisade.agent.watch.NodeWatch;
import dev.palisade.agent.watch.RuleSetWatch;
import dev.palisade.agent.watch.StatusReporter;
import dev.palisade.operator.telemetry.HttpEndpoints;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A running agent, as {@link AgentMain#start} wired it. Closing it stops it and leaves the kernel's
 * tables enforcing; {@link #leave} first decides whether the agent is being uninstalled from its node.
 */
public final class Agent implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);

    private final String node;
    private final RuleSetWatch ruleSets;
    private final NodeWatch nodes;
    private final Optional<DaemonSetWatch> daemonSet;
    private final StatusReporter status;
    private final SyncLoop loop;
    private final Optional<CniPlane> cni;
    private final AgentMetrics metrics;
    private final HttpEndpoints http;
    private final AtomicBoolean closed = new AtomicBoolean();

    Agent(String node, RuleSetWatch ruleSets, NodeWatch nodes, Optional<DaemonSetWatch> daemonSet, StatusReporter status,
          SyncLoop loop, Optional<CniPlane> cni, AgentMetrics metrics, HttpEndpoints http) {
        this.node = node;
        this.ruleSets = ruleSets;
        this.nodes = nodes;
        this.daemonSet = daemonSet;
        this.status = status;
        this.loop = loop;
        this.cni = cni;
        this.metrics = metrics;
        this.http = http;
    }

    /** After the first successful full apply. */
    public boolean ready() {
        return loop.ready();
    }

    public boolean healthy() {
        return loop.healthy();
    }

    /** Completes with the first full apply; fails when the kernel cannot be opened at all. */
    public CompletableFuture<Void> firstFullApply() {
        return loop.firstFullApply();
    }

    public AgentMetrics metrics() {
        return metrics;
    }

    public int httpPort() {
        return http.port();
    }

    /**
     * Stops the agent the way SIGTERM does: decides from its DaemonSet whether it is being
     * uninstalled from this node ({@link Departure}), and if so deletes its table as the sync loop's
     * last act; otherwise (a restart, a rolling update, or no way to tell) the tables stay enforcing.
     *
     * @param decideWithin how long the API server may take to answer before the watch decides
     * @param deleteWithin how long the sync loop may take to finish its pass and delete the table
     */
    public Departure leave(Duration decideWithin, Duration deleteWithin) {
        Departure d = daemonSet.map(w -> w.departure(decideWithin)).orElseGet(() -> Departure.of(
                Departure.Reason.UNKNOWN_OWNER, "no DaemonSet given (POD_NAMESPACE and PALISADE_DAEMONSET, or --daemonset)"));
        if (closed.getAndSet(true)) {
            return d;
        }
        stopWatches();
        if (d.removeTables()) {
            LOG.info("agent for node {} leaving: uninstalled ({}: {}); deleting its table", node, d.reason().label(), d.detail());
            loop.closeAndDeleteTable(deleteWithin);
            // in CNI mode the pods keep their network, new ones and after a reboot too: the link into
            // the tmpfs becomes a regular file (docs/design/failure-model.md, "Uninstall")
            cni.ifPresent(CniPlane::leave);
        } else if (daemonSet.isEmpty()) {
            LOG.info("agent for node {} stopping; no DaemonSet given, so the tables stay in the kernel and keep enforcing",
                    node);
            loop.close();
        } else if (d.reason() == Departure.Reason.SELECTED) {
            LOG.info("agent for node {} stopping: a restart or an update ({}); the tables stay in the kernel and keep "
                    + "enforcing", node, d.detail());
            loop.close();
        } else {
            LOG.warn("agent for node {} stopping without knowing whether it is being uninstalled ({}: {}); the tables "
                    + "stay in the kernel and keep enforcing, pending guard included. If Palisade is being removed from "
                    + "this node, delete them by hand: nft delete table inet palisade", node, d.reason().label(), d.detail());
            loop.close();
        }
        stopTheRest();
        return d;
    }

    @Override
    public void close() {
        if (closed.getAndSet(true)) {
            return;
        }
        stopWatches();
        loop.close();
        stopTheRest();
    }

    private void stopWatches() {
        ruleSets.close();
        nodes.close();
        daemonSet.ifPresent(DaemonSetWatch::close);
    }

    private void stopTheRest() {
        status.close();
        http.close();
    }
}
