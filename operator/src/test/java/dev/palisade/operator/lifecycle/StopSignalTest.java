package dev.palisade.operator.lifecycle;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hook wakes the main thread and returns (letting the JVM halt) only once the main thread is done. */
class StopSignalTest {

    @Test
    void theHookWaitsForTheMainThreadToFinishStopping() throws Exception {
        StopSignal stop = new StopSignal(Duration.ofMinutes(5));
        Thread hook = new Thread(stop::hook, "hook");
        hook.start();
        stop.await(); // woken by the hook
        assertTrue(stop.requested());
        hook.join(300);
        assertTrue(hook.isAlive(), "the hook must not return while the main thread is still stopping");
        stop.close();
        hook.join(TimeUnit.MINUTES.toMillis(1));
        assertFalse(hook.isAlive(), "the hook returns once the main thread is done");
    }

    @Test
    void theHookGivesUpAfterItsBudget() throws Exception {
        StopSignal stop = new StopSignal(Duration.ofMillis(100));
        Thread hook = new Thread(stop::hook, "hook");
        hook.start();
        hook.join(TimeUnit.MINUTES.toMillis(1));
        assertFalse(hook.isAlive(), "a main thread that hangs cannot keep the JVM alive past the budget");
    }

    @Test
    void aBudgetMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new StopSignal(Duration.ZERO));
    }
}
