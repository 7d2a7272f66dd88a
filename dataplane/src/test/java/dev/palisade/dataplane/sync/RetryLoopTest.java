package dev.palisade.dataplane.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.palisade.dataplane.kernel.Nftables.Operation;
import dev.palisade.dataplane.kernel.NftablesException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class RetryLoopTest {

    private static final Backoff BACKOFF = new Backoff(Duration.ofMillis(100), Duration.ofMillis(300), 2.0, 0.0);

    private final List<Duration> slept = new ArrayList<>();
    private final List<RetryLoop.Failure> reported = new ArrayList<>();
    private final RetryLoop loop = new RetryLoop(BACKOFF, e -> e instanceof NftablesException, slept::add,
            new SplittableRandom(1));

    @Test
    void retriesWithBackoffUntilTheAttemptSucceeds() throws InterruptedException {
        int[] calls = {0};

        String result = loop.run(() -> {
            if (++calls[0] <= 4) {
                throw new NftablesException(Operation.RUN, "x\n", "Error: busy\n");
            }
            return "applied";
        }, reported::add);

        assertEquals("applied", result);
        assertEquals(List.of(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(300), Duration.ofMillis(300)),
                slept);
        assertEquals(List.of(1, 2, 3, 4), reported.stream().map(RetryLoop.Failure::attempt).toList());
        assertEquals(slept, reported.stream().map(RetryLoop.Failure::nextDelay).toList());
    }

    @Test
    void aFailureThatIsNotRetryableEndsTheLoopAtOnce() {
        IllegalStateException bug = new IllegalStateException("wrong thread");

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> loop.run(() -> {
            throw bug;
        }, reported::add));

        assertSame(bug, e);
        assertEquals(List.of(), slept);
        assertEquals(List.of(), reported);
    }

    @Test
    void interruptionWhileWaitingEndsTheLoop() {
        RetryLoop interrupted = new RetryLoop(BACKOFF, e -> true, d -> {
            throw new InterruptedException("shutting down");
        }, new SplittableRandom(1));

        assertThrows(InterruptedException.class, () -> interrupted.run(() -> {
            throw new NftablesException(Operation.RUN, "x\n", "Error: busy\n");
        }, reported::add));
        assertEquals(1, reported.size());
    }

    @Test
    void eachAttemptSeesTheNewestInput() throws InterruptedException {
        List<String> desired = new ArrayList<>(List.of("v1"));
        List<String> attempted = new ArrayList<>();

        loop.run(() -> {
            String d = desired.get(desired.size() - 1);
            attempted.add(d);
            if (d.equals("v1")) {
                desired.add("v2"); // a newer state arrives while the first attempt fails
                throw new NftablesException(Operation.RUN, "x\n", "Error: busy\n");
            }
            return d;
        }, reported::add);

        assertEquals(List.of("v1", "v2"), attempted);
    }
}
