package dev.palisade.operator;

import dev.palisade.operator.sync.SyncLoop;
import dev.palisade.operator.telemetry.HttpEndpoints;
import dev.palisade.operator.telemetry.OperatorMetrics;
import dev.palisade.operator.watch.ClusterCache;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running operator replica, as {@link OperatorMain#start} wired it. Closing it releases the lease. */
public final class Operator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Operator.class);

    private final KubernetesClient client;
    private final ClusterCache cache;
    private final SyncLoop loop;
    private final OperatorMetrics metrics;
    private final HttpEndpoints http;
    private final Supplier<LeaderElector> electors;
    private volatile LeaderElector elector;
    private volatile CompletableFuture<?> election;
    private volatile boolean closed;
    private volatile boolean crashed;

    Operator(KubernetesClient client, ClusterCache cache, SyncLoop loop, OperatorMetrics metrics, HttpEndpoints http,
             Supplier<LeaderElector> electors) {
        this.client = client;
        this.cache = cache;
        this.loop = loop;
        this.metrics = metrics;
        this.http = http;
        this.electors = electors;
        campaign();
    }

    /**
     * Joins the election; a leader that could not renew in time (the API server was away) stops leading
     * and joins again as a candidate, its caches warm, instead of exiting.
     */
    private synchronized void campaign() {
        if (closed) {
            return;
        }
        elector = electors.get();
        election = elector.start();
        election.whenComplete((r, t) -> {
            if (!closed) {
                LOG.info("left the election ({}); joining again", t == null ? "lease lost" : t.toString());
                campaign();
            }
        });
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
        synchronized (this) {
            closed = true;
        }
        boolean wasLeader = loop.isLeader();
        election.cancel(true); // with releaseOnCancel, fabric8 may already release here
        loop.close();
        if (!crashed) {
            // Hand over at once rather than after the lease expires; the sync loop has stopped writing.
            if (elector.release() || wasLeader) {
                LOG.info("released the lease: a standby takes over at once");
            }
        }
        cache.close();
        http.close();
        loop.leading(false);
    }
}
