package dev.palisade.dataplane.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class BackoffTest {

    private static final Backoff NO_JITTER = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(2), 2.0, 0.0);

    @ParameterizedTest(name = "after {0} failures: {1} ms")
    @CsvSource({"1, 100", "2, 200", "3, 400", "5, 1600", "6, 2000", "100, 2000", "2147483647, 2000"})
    void growsExponentiallyUpToTheCap(int failures, long millis) {
        assertEquals(Duration.ofMillis(millis), NO_JITTER.delay(failures, new SplittableRandom(1)));
    }

    @Test
    void jitterSpreadsTheDelayWithinItsBoundsAndNeverAboveTheCap() {
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), 2.0, 0.25);
        RandomGenerator random = new SplittableRandom(42);
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 10_000; i++) {
            long d = b.delay(2, random).toNanos();
            min = Math.min(min, d);
            max = Math.max(max, d);
            assertTrue(b.delay(10, random).compareTo(Duration.ofSeconds(1)) <= 0);
        }
        assertTrue(min >= Duration.ofMillis(150).toNanos() && min < Duration.ofMillis(155).toNanos(), "min " + min);
        assertTrue(max <= Duration.ofMillis(250).toNanos() && max > Duration.ofMillis(245).toNanos(), "max " + max);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "zero initial delay      | 0   | 1000 | 2.0 | 0.1",
            "cap below initial       | 100 | 50   | 2.0 | 0.1",
            "shrinking               | 100 | 1000 | 0.5 | 0.1",
            "jitter of 100 %         | 100 | 1000 | 2.0 | 1.0",
            "negative jitter         | 100 | 1000 | 2.0 | -0.1",
    })
    void refusesNonsense(String name, long initial, long max, double multiplier, double jitter) {
        assertThrows(IllegalArgumentException.class,
                () -> new Backoff(Duration.ofMillis(initial), Duration.ofMillis(max), multiplier, jitter));
    }

    @Test
    void countsFailuresFromOne() {
        assertThrows(IllegalArgumentException.class, () -> Backoff.DEFAULT.delay(0, new SplittableRandom(1)));
    }
}
