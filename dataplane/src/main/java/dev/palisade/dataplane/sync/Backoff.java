package dev.palisade.dataplane.sync;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with jitter, capped: the delay before retry {@code n} is
 * {@code initial × multiplier^(n-1)}, spread uniformly by ±{@code jitter} of itself, and never more
 * than {@code max}. Jitter keeps the agents of many nodes that failed together (a kernel upgrade,
 * an API outage) from retrying together.
 */
public record Backoff(Duration initial, Duration max, double multiplier, double jitter) {

    /** 200 ms, doubling, ±20 %, at most 30 s: the agent's retry of a refused transaction. */
    public static final Backoff DEFAULT = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(30), 2.0, 0.2);

    public Backoff {
        if (initial == null || max == null || initial.isNegative() || initial.isZero()) {
            throw new IllegalArgumentException("initial delay must be positive, got " + initial);
        }
        if (max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("max delay " + max + " is below the initial delay " + initial);
        }
        if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
            throw new IllegalArgumentException("multiplier must be at least 1, got " + multiplier);
        }
        if (!(jitter >= 0.0 && jitter < 1.0)) {
            throw new IllegalArgumentException("jitter must be in [0, 1), got " + jitter);
        }
    }

    /**
     * The delay before the next attempt after {@code failures} consecutive failures (1 after the
     * first).
     */
    public Duration delay(int failures, RandomGenerator random) {
        if (failures < 1) {
            throw new IllegalArgumentException("failures must be at least 1, got " + failures);
        }
        double nanos = initial.toNanos() * Math.pow(multiplier, Math.min(failures - 1, 1_000));
        double capped = Math.min(nanos, max.toNanos());
        double spread = capped * (1.0 + jitter * (2.0 * random.nextDouble() - 1.0));
        return Duration.ofNanos((long) Math.min(spread, max.toNanos()));
    }
}
