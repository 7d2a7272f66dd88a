package dev.palisade.operator;

import dev.palisade.operator.sync.SyncLoop;
import dev.palisade.operator.telemetry.HttpEndpoints;
import dev.palisade.operator.telemetry.OperatorMetrics;
import dev.palisade.operator.watch.ClusterCache;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** A running operator replica, as {@link OperatorMain#start} wired it. Closing it releases the lease. */
public final class Operator implements AutoCloseable {

    private final KubernetesClient client;
    private final ClusterCache cache;
    private final SyncLoop loop;
    private final OperatorMetrics metrics;
    private final HttpEndpoints http;
    private final LeaderElector elector;
    private final CompletableFuture<?> election;
    private volatile boolean crashed;

    Operator(KubernetesClient client, ClusterCache cache, SyncLoop loop, OperatorMetrics metrics, HttpEndpoints http,
             LeaderElector elector, CompletableFuture<?> election) {
        this.client = client;
        this.cache = cache;
        this.loop = loop;
        this.metrics = metrics;
        this.http = http;
        this.elector = elector;
        this.election = election;
    }

    public boolean isLeader() {
        return loop.isLeader();
    }

    /** Every informer has listed once. */
    public boolean ready() {
        return cache.synced();
    }

    public OperatorMetrics metrics() {
        return metrics;
    }

    public int httpPort() {
        return http.port();
    }

    /** Nodes published by this replica while it leads, with their rule-set hashes. */
    public Map<String, String> published() {
        return loop.published();
    }

    /** Completes when the replica stops taking part in the election (closed, or lost the lease). */
    public CompletableFuture<?> election() {
        return election;
    }

    /**
     * Dies without a goodbye, as a killed pod does: the client goes first, so the lease is not released
     * and a standby takes over only once it expires.
     */
    public void crash() {
        crashed = true;
        client.close();
        close();
    }

    @Override
    public void close() {
        election.cancel(true);
        loop.close();
        if (!crashed) {
            // Hand over at once rather than after the lease expires; the sync loop has stopped writing.
            elector.release();
        }
        cache.close();
        http.close();
        loop.leading(false);
    }
}
