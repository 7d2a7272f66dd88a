package dev.palisade.operator;

import dev.palisade.operator.lifecycle.Candidacy;
import dev.palisade.operator.sync.SyncLoop;
import dev.palisade.operator.telemetry.HttpEndpoints;
import dev.palisade.operator.telemetry.OperatorMetrics;
import dev.palisade.operator.watch.ClusterCache;
import io.fabric8.kubernetes.client.KubernetesClient;

import java.util.Map;

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
    private final Candidacy candidacy;
    private volatile boolean crashed;

    Operator(KubernetesClient client, ClusterCache cache, SyncLoop loop, OperatorMetrics metrics, HttpEndpoints http,
             Candidacy candidacy) {
        this.client = client;
        this.cache = cache;
        this.loop = loop;
        this.metrics = metrics;
        this.http = http;
        this.candidacy = candidacy;
        candidacy.start();
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
        boolean wasLeader = loop.isLeader();
        // The sync loop stops writing before the lease is handed over, so a successor never races it.
        candidacy.leave();
        loop.close();
        if (!crashed) {
            // Hand over at once rather than after the lease expires.
            if (candidacy.release() || wasLeader) {
                LOG.info("released the lease: a standby takes over at once");
            }
        }
        cache.close();
        http.close();
        loop.leading(false);
    }
}
