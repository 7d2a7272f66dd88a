package dev.palisade.operator.lifecycle;

import io.fabric8.kubernetes.api.model.coordination.v1.LeaseSpec;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * This replica's place in the leader election: a fabric8 {@link LeaderElector}, replaced whenever it
 * stops trying.
 *
 * <p>An elector stops in two ways. When it loses the lease (the API server was away longer than the
 * renew deadline) its future completes, and a new elector joins at once, the caches still warm. But
 * when acquiring fails with anything other than a {@code KubernetesClientException} (fabric8 7.6.1:
 * an exception from a callback, a parse error), the elector logs it, marks itself stopped and leaves
 * its future incomplete: the replica stays a candidate that never tries again, and if it is the only
 * one, nothing publishes rule sets and a new node never gets its network. So a watch also reads the
 * Lease while this replica does not lead: a lease free or expired for longer than a live candidate
 * needs to take it means the elector is dead, and it is replaced.
 */
public final class Candidacy implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Candidacy.class);

    /** fabric8 waits the retry period plus up to 1.2 times it between attempts; three periods cover that. */
    private static final int RETRIES_OF_GRACE = 3;

    private final Supplier<LeaderElector> electors;
    private final Supplier<Optional<LeaseSpec>> lease;
    private final BooleanSupplier leading;
    private final Duration leaseDuration;
    private final Duration retryPeriod;
    private final Clock clock;
    private final ScheduledExecutorService watch;
    private final AtomicLong replaced = new AtomicLong();
    private LeaderElector elector;
    private CompletableFuture<?> election;
    private boolean closed;

    /**
     * @param electors      a new elector for this replica each time one is needed
     * @param lease         the Lease as the API server has it now (empty when there is none)
     * @param leading       whether this replica leads now
     * @param leaseDuration how long a lease holds without renewal (the elector's configuration)
     * @param retryPeriod   how often a candidate tries (the elector's configuration)
     */
    public Candidacy(Supplier<LeaderElector> electors, Supplier<Optional<LeaseSpec>> lease, BooleanSupplier leading,
                     Duration leaseDuration, Duration retryPeriod, Clock clock) {
        this.electors = electors;
        this.lease = lease;
        this.leading = leading;
        this.leaseDuration = leaseDuration;
        this.retryPeriod = retryPeriod;
        this.clock = clock;
        this.watch = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "palisade-candidacy");
            t.setDaemon(true);
            return t;
        });
    }

    /** Joins the election and starts watching the elector; returns at once. */
    public void start() {
        join();
        long every = Math.max(1, retryPeriod.toMillis());
        watch.scheduleWithFixedDelay(this::check, every, every, TimeUnit.MILLISECONDS);
    }

    private synchronized void join() {
        if (closed) {
            return;
        }
        elector = electors.get();
        CompletableFuture<?> joined = elector.start();
        election = joined;
        joined.whenComplete((r, t) -> {
            if (joined.isCancelled()) {
                return; // replaced by check(), or closed: whoever cancelled it decides what comes next
            }
            synchronized (this) {
                if (!closed && election == joined) {
                    LOG.info("left the election ({}); joining again", t == null ? "lease lost" : t.toString());
                    join();
                }
            }
        });
    }

    private void check() {
        try {
            if (leading.getAsBoolean()) {
                return;
            }
            Optional<LeaseSpec> spec = lease.get();
            if (spec.isEmpty() || !abandoned(spec.get(), clock.instant(), leaseDuration, retryPeriod)) {
                return;
            }
            synchronized (this) {
                if (closed) {
                    return;
                }
                replaced.incrementAndGet();
                LOG.warn("the lease has been free since {} and this candidate has not taken it: its elector stopped "
                        + "trying; replacing it", spec.get().getRenewTime());
                CompletableFuture<?> dead = election;
                election = null;
                dead.cancel(true);
                join();
            }
        } catch (RuntimeException e) {
            LOG.debug("cannot check the lease: {}", e.toString()); // the elector reports the API server's trouble
        }
    }

    /**
     * Whether a live candidate would have taken this lease by now: nobody holds it, or its holder's
     * renewal expired, and {@link #RETRIES_OF_GRACE} retry periods have passed since. The longer of the
     * lease's own duration and this replica's counts, whichever an elector goes by.
     */
    static boolean abandoned(LeaseSpec spec, Instant now, Duration leaseDuration, Duration retryPeriod) {
        ZonedDateTime renewed = spec.getRenewTime();
        if (renewed == null) {
            return false; // being created: the holder fills it
        }
        Duration recorded = spec.getLeaseDurationSeconds() == null ? Duration.ZERO
                : Duration.ofSeconds(spec.getLeaseDurationSeconds());
        Duration free = spec.getHolderIdentity() == null || spec.getHolderIdentity().isEmpty() ? Duration.ZERO
                : (recorded.compareTo(leaseDuration) > 0 ? recorded : leaseDuration);
        Instant due = renewed.toInstant().plus(free).plus(retryPeriod.multipliedBy(RETRIES_OF_GRACE));
        return now.isAfter(due);
    }

    /** How many times the watch replaced a stopped elector. */
    public long replaced() {
        return replaced.get();
    }

    /** Leaves the election: no elector tries any more (with releaseOnCancel, fabric8 may release here). */
    public void leave() {
        synchronized (this) {
            closed = true;
            if (election != null) {
                election.cancel(true);
            }
        }
        watch.shutdownNow();
    }

    /**
     * Hands over a lease this replica still holds at once (fabric8 shortens it to one second) rather
     * than letting it expire; call after {@link #leave}, once nothing writes on the lease's behalf.
     *
     * @return whether this call released a lease this replica held
     */
    public boolean release() {
        LeaderElector last;
        synchronized (this) {
            last = elector;
        }
        return last != null && last.release();
    }

    @Override
    public void close() {
        leave();
    }
}
