package dev.palisade.dataplane.sync;

import dev.palisade.dataplane.kernel.NftablesException;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * Runs an attempt until it succeeds, sleeping by {@link Backoff} between failures: the agent's loop
 * around {@link TableSync}. Failures the predicate does not call retryable (a bug, such as using the
 * port from the wrong thread) end the loop at once. Each failure is reported once to the caller,
 * which logs it with context and counts it; this class neither logs nor counts.
 *
 * <p>The attempt is a supplier so that each retry applies the newest desired state, not the one
 * that failed.
 */
public final class RetryLoop {

    /** Sleeps; {@code Thread::sleep} in production, a recorder in tests. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    /** One failed attempt: its number (1-based), the error, and how long the loop now waits. */
    public record Failure(int attempt, RuntimeException error, Duration nextDelay) {
    }

    private final Backoff backoff;
    private final Predicate<RuntimeException> retryable;
    private final Sleeper sleeper;
    private final RandomGenerator random;

    public RetryLoop(Backoff backoff, Predicate<RuntimeException> retryable, Sleeper sleeper, RandomGenerator random) {
        if (backoff == null || retryable == null || sleeper == null || random == null) {
            throw new IllegalArgumentException("backoff, retryable, sleeper and random are required");
        }
        this.backoff = backoff;
        this.retryable = retryable;
        this.sleeper = sleeper;
        this.random = random;
    }

    /** Retries what the kernel refused ({@link ApplyException}, {@link NftablesException}), sleeping for real. */
    public static RetryLoop forKernel(Backoff backoff) {
        return new RetryLoop(backoff, e -> e instanceof ApplyException || e instanceof NftablesException,
                d -> Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000), RandomGenerator.getDefault());
    }

    /**
     * Calls {@code attempt} until it returns, reporting each retryable failure to {@code onFailure}
     * before sleeping.
     *
     * @throws InterruptedException when interrupted while sleeping: the caller is shutting down
     * @throws RuntimeException     the first failure that is not retryable, as it was thrown
     */
    public <T> T run(Supplier<T> attempt, Consumer<Failure> onFailure) throws InterruptedException {
        for (int failures = 1; ; failures++) {
            try {
                return attempt.get();
            } catch (RuntimeException e) {
                if (!retryable.test(e)) {
                    throw e;
                }
                Duration delay = backoff.delay(failures, random);
                onFailure.accept(new Failure(failures, e, delay));
                sleeper.sleep(delay);
            }
        }
    }
}
