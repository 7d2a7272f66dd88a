package dev.palisade.operator.lifecycle;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * SIGTERM for a program whose main thread does the stopping, shared by the operator and the agent.
 *
 * <p>The JVM halts as soon as its shutdown hooks return, whatever other threads are doing. A hook
 * that only wakes the main thread therefore lets the JVM halt before the main thread's
 * try-with-resources has closed anything: the operator never released its Lease (a standby waited
 * for it to expire), the agent never decided whether it was being uninstalled. The hook installed
 * here wakes the main thread and then waits, up to a budget that fits the pod's
 * terminationGracePeriodSeconds, until the main thread says it is done ({@link #close}).
 *
 * <p>Use it as the first resource of the main thread's try-with-resources, so it is closed last,
 * after everything that must finish before the JVM halts:
 * <pre>{@code
 * try (StopSignal stop = StopSignal.install(budget); Client c = ...; Program p = ...) {
 *     stop.await();
 *     p.leave();
 * }
 * }</pre>
 */
public final class StopSignal implements AutoCloseable {

    private final CountDownLatch requested = new CountDownLatch(1);
    private final CountDownLatch done = new CountDownLatch(1);
    private final Duration budget;

    StopSignal(Duration budget) {
        if (budget.isNegative() || budget.isZero()) {
            throw new IllegalArgumentException("stop budget must be positive, got " + budget);
        }
        this.budget = budget;
    }

    /**
     * Registers the JVM shutdown hook.
     *
     * @param budget how long the hook waits for the main thread before it lets the JVM halt anyway
     */
    public static StopSignal install(Duration budget) {
        StopSignal s = new StopSignal(budget);
        Runtime.getRuntime().addShutdownHook(new Thread(s::hook, "palisade-shutdown"));
        return s;
    }

    /** Blocks until the JVM is asked to stop. */
    public void await() throws InterruptedException {
        requested.await();
    }

    /** The JVM has been asked to stop. */
    public boolean requested() {
        return requested.getCount() == 0;
    }

    /** The shutdown hook's body: wake the main thread, wait for it to be done. */
    void hook() {
        requested.countDown();
        try {
            done.await(budget.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The main thread is done stopping: the hook returns and the JVM may halt. Idempotent. */
    @Override
    public void close() {
        done.countDown();
    }
}
