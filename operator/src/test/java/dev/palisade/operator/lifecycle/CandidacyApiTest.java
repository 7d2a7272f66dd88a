package dev.palisade.operator.lifecycle;

import dev.palisade.operator.TestCluster;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static dev.palisade.operator.TestCluster.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * fabric8's real elector against a real API server, made to fail the way that leaves it silently
 * stopped: a callback throws while it acquires. The elector's own future never completes (shown first,
 * so the test keeps failing for the right reason if fabric8 changes); the candidacy replaces it and
 * this replica leads.
 */
class CandidacyApiTest {

    private static final Duration LEASE = Duration.ofSeconds(3);
    private static final Duration RENEW = Duration.ofSeconds(2);
    private static final Duration RETRY = Duration.ofMillis(300);

    @Test
    void anElectorThatStoppedWithoutCompletingIsReplacedAndTheReplicaLeads() throws Exception {
        TestCluster cluster = TestCluster.get();
        KubernetesClient admin = cluster.admin();
        String name = "candidacy-" + System.nanoTime();
        holdExpired(admin, name);
        AtomicBoolean leading = new AtomicBoolean();
        AtomicInteger electors = new AtomicInteger();
        AtomicInteger thrown = new AtomicInteger();
        try (KubernetesClient client = cluster.asOperator()) {
            // Every elector's first callback throws once, the first elector's only: it dies on its first attempt.
            Supplier<LeaderElector> factory = () -> elector(client, name, electors.incrementAndGet() == 1, thrown, leading);

            // The failure itself: a bare elector whose callback threw stops trying and never completes.
            LeaderElector bare = elector(client, name + "-bare", true, new AtomicInteger(), new AtomicBoolean());
            holdExpired(admin, name + "-bare");
            CompletableFuture<?> bareRun = bare.start();
            Thread.sleep(RETRY.multipliedBy(10).toMillis());
            assertFalse(bareRun.isDone(), "fabric8's elector completed its future after a callback threw");
            assertEquals("gone", holder(admin, name + "-bare"), "the bare elector took the lease after all");
            bareRun.cancel(true);

            Supplier<Optional<io.fabric8.kubernetes.api.model.coordination.v1.LeaseSpec>> lease = () -> Optional
                    .ofNullable(admin.leases().inNamespace(TestCluster.OPERATOR_NAMESPACE).withName(name).get())
                    .map(Lease::getSpec);
            try (Candidacy candidacy = new Candidacy(factory, lease, leading::get, LEASE, RETRY, Clock.systemUTC())) {
                candidacy.start();
                eventually(Duration.ofSeconds(60), leading::get,
                        () -> "never led; electors " + electors.get() + ", holder " + holder(admin, name));
                assertEquals(1, thrown.get(), "the first elector's callback threw");
                assertTrue(candidacy.replaced() >= 1, "the watch replaced the stopped elector");
                assertEquals("me", holder(admin, name));
                candidacy.leave();
                assertTrue(candidacy.release(), "a held lease is released on leaving");
            }
        }
    }

    private static LeaderElector elector(KubernetesClient client, String lease, boolean throwFirst, AtomicInteger thrown,
                                         AtomicBoolean leading) {
        AtomicBoolean armed = new AtomicBoolean(throwFirst);
        return client.leaderElector().withConfig(new LeaderElectionConfigBuilder()
                .withName(lease)
                .withLock(new LeaseLock(TestCluster.OPERATOR_NAMESPACE, lease, "me"))
                .withLeaseDuration(LEASE).withRenewDeadline(RENEW).withRetryPeriod(RETRY)
                .withReleaseOnCancel(true)
                .withLeaderCallbacks(new LeaderCallbacks(() -> leading.set(true), () -> leading.set(false), leader -> {
                    if (armed.getAndSet(false)) {
                        thrown.incrementAndGet();
                        throw new IllegalStateException("a callback failed");
                    }
                }))
                .build()).build();
    }

    /** A lease held by a replica that is gone: its renewal expired a minute ago. */
    private static void holdExpired(KubernetesClient admin, String name) {
        ZonedDateTime past = ZonedDateTime.now(java.time.ZoneOffset.UTC).minusMinutes(1);
        admin.leases().inNamespace(TestCluster.OPERATOR_NAMESPACE).resource(new LeaseBuilder().withNewMetadata()
                .withName(name).endMetadata().withNewSpec().withHolderIdentity("gone").withLeaseDurationSeconds(3)
                .withAcquireTime(past).withRenewTime(past).withLeaseTransitions(0).endSpec().build()).create();
    }

    private static String holder(KubernetesClient admin, String name) {
        Lease l = admin.leases().inNamespace(TestCluster.OPERATOR_NAMESPACE).withName(name).get();
        return l == null ? "(none)" : String.valueOf(l.getSpec().getHolderIdentity());
    }
}
