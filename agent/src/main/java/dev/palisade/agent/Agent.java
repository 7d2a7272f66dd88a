package dev.palisade.agent;

import dev.palisade.agent.sync.SyncLoop;
import dev.palisade.agent.telemetry.AgentMetrics;
import dev.palisade.agent.watch.NodeWatch;
import dev.palisade.agent.watch.RuleSetWatch;
import dev.palisade.agent.watch.StatusReporter;
import dev.palisade.operator.telemetry.HttpEndpoints;

import java.util.concurrent.CompletableFuture;

/** A running agent, as {@link AgentMain#start} wired it. Closing it stops it and leaves the kernel's tables enforcing. */
public final class Agent implements AutoCloseable {

    private final RuleSetWatch ruleSets;
    private final NodeWatch nodes;
    private final StatusReporter status;
    private final SyncLoop loop;
    private final AgentMetrics metrics;
    private final HttpEndpoints http;

    Agent(RuleSetWatch ruleSets, NodeWatch nodes, StatusReporter status, SyncLoop loop, AgentMetrics metrics,
          HttpEndpoints http) {
        this.ruleSets = ruleSets;
        this.nodes = nodes;
        this.status = status;
        this.loop = loop;
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

    @Override
    public void close() {
        ruleSets.close();
        nodes.close();
        loop.close();
        status.close();
        http.close();
    }
}
