package dev.palisade.dataplane.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("kernel")
class NetnsThreadKernelTest {

    private static TestNetns netns;

    @BeforeAll
    static void createNamespace() {
        assumeTrue(TestNetns.runningAsRoot(), "kernel tests need root");
        netns = TestNetns.create();
    }

    @AfterAll
    static void deleteNamespace() {
        if (netns != null) {
            netns.close();
        }
    }

    @Test
    void onlyTheDedicatedThreadIsInTheNamespace() throws Exception {
        String here = netnsOfThisThread();
        try (NetnsThread inNetns = NetnsThread.enter(netns.name())) {
            String there = inNetns.call(NetnsThreadKernelTest::netnsOfThisThread);

            assertEquals("net:[" + Files.getAttribute(netns.path(), "unix:ino") + "]", there);
            assertNotEquals(here, there);
            assertEquals(here, netnsOfThisThread());
            assertSame(inNetns.thread(), inNetns.call(Thread::currentThread));
        }
    }

    @Test
    void rethrowsATasksExceptionAndKeepsRunning() {
        try (NetnsThread inNetns = NetnsThread.enter(netns.name())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> inNetns.run(() -> {
                        throw new IllegalArgumentException("boom");
                    }));

            assertEquals("boom", e.getMessage());
            assertEquals("net:[" + inode() + "]", inNetns.call(NetnsThreadKernelTest::netnsOfThisThread));
        }
    }

    @Test
    void failsToEnterAMissingNamespace() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> NetnsThread.enter("palisade-t-missing"));

        assertTrue(e.getCause().getMessage().contains("/var/run/netns/palisade-t-missing failed with errno 2"),
                e.getCause().getMessage());
    }

    private static long inode() {
        try {
            return ((Number) Files.getAttribute(netns.path(), "unix:ino")).longValue();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String netnsOfThisThread() throws Exception {
        return Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
    }
}
