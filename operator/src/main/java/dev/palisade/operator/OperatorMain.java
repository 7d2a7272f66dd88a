package dev.palisade.operator;

import dev.palisade.operator.lifecycle.Candidacy;
import dev.palisade.operator.lifecycle.StopSignal;
import dev.palisade.operator.publish.RuleSetEncoder;
import dev.palisade.operator.sync.SyncLoop;
import dev.palisade.operator.telemetry.HttpEndpoints;
import dev.palisade.operator.telemetry.OperatorMetrics;
import dev.palisade.operator.watch.ClusterCache;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The operator's wiring, by hand: informers into a cache, a sync loop that compiles and publishes
 * while this replica holds the Lease, metrics and health over HTTP. {@code palisade operator} (the
 * CLI's composition root) calls {@link #run(OperatorConfig)}; tests call {@link #start}.
 */
public final class OperatorMain {

    private static final Logger LOG = LoggerFactory.getLogger(OperatorMain.class);

    private OperatorMain() {
    }

    /**
     * How long the shutdown hook lets the main thread stop (sync loop, Lease release, informers)
     * before the JVM halts anyway; within the pod's terminationGracePeriodSeconds (30).
     */
    static final Duration STOP_WITHIN = Duration.ofSeconds(25);

    /**
     * Runs until the JVM is asked to stop (SIGTERM), then releases the lease so a standby takes over at
     * once. The Kubernetes client is configured the usual way: in-cluster service account, else kubeconfig.
     */
    public static void run(OperatorConfig config) throws InterruptedException {
        // The stop signal is the first resource, so it is closed last: the shutdown hook keeps the JVM
        // up until the operator has been closed (its Lease released) and the client after it.
        try (StopSignal stop = StopSignal.install(STOP_WITHIN);
             KubernetesClient client = new KubernetesClientBuilder().build();
             Operator operator = start(config, client)) {
            LOG.info("operator {} running; metrics and health on port {}", config.identity(), operator.httpPort());
            stop.await();
            LOG.info("operator {} stopping{}", config.identity(), operator.isLeader() ? "; releasing the lease" : "");
        }
    }

    public static void main(String[] args) throws InterruptedException {
        run(OperatorConfig.fromEnvironment(System.getenv()));
    }

    /** Wires and starts a replica on the given client; returns at once. */
    public static Operator start(OperatorConfig config, KubernetesClient client) {
        OperatorMetrics metrics = new OperatorMetrics();
        RuleSetEncoder encoder = new RuleSetEncoder(config.limits());
        ClusterCache[] cacheRef = new ClusterCache[1];
        SyncLoop[] loopRef = new SyncLoop[1];
        ClusterCache cache = new ClusterCache(client, kind -> loopRef[0].inputChanged(kind), name -> loopRef[0].ownChanged(name));
        cacheRef[0] = cache;
        SyncLoop loop = new SyncLoop(client, cache, encoder, metrics, config.identity(), config.quiet(), config.maxDelay());
        loopRef[0] = loop;
        HttpEndpoints http;
        try {
            http = new HttpEndpoints(config.http(), metrics::writeText, loop::healthy, cache::synced);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + config.http(), e);
        }
        metrics.leader(false);
        loop.start();
        cache.start();
        Supplier<LeaderElector> electors = () -> client.leaderElector().withConfig(new LeaderElectionConfigBuilder()
                        .withName(config.leaseName())
                        .withLock(new LeaseLock(config.namespace(), config.leaseName(), config.identity()))
                        .withLeaseDuration(config.leaseDuration())
                        .withRenewDeadline(config.renewDeadline())
                        .withRetryPeriod(config.retryPeriod())
                        .withReleaseOnCancel(true)
                        .withLeaderCallbacks(new LeaderCallbacks(
                                () -> {
                                    LOG.info("{} leads", config.identity());
                                    loop.leading(true);
                                },
                                () -> {
                                    LOG.info("{} stopped leading", config.identity());
                                    loop.leading(false);
                                },
                                leader -> LOG.info("leader is {}", leader)))
                        .build())
                .build();
        Supplier<Optional<LeaseSpec>> lease = () -> Optional.ofNullable(client.leases().inNamespace(config.namespace())
                .withName(config.leaseName()).get()).map(Lease::getSpec);
        Candidacy candidacy = new Candidacy(electors, lease, loop::isLeader, config.leaseDuration(),
                config.retryPeriod(), Clock.systemUTC());
        return new Operator(client, cache, loop, metrics, http, candidacy);
    }
}
