package dev.palisade.agent.sync;

import dev.palisade.dataplane.kernel.LibNftables;
import dev.palisade.dataplane.kernel.NetnsThread;
import dev.palisade.dataplane.kernel.TestNetns;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every commit in the namespace is heard at once, with who made it: the nft command (another
 * process) and this JVM's own libnftables (one of this process's threads). Commits in another
 * namespace are not heard.
 */
@Tag("kernel")
class RulesetEventsKernelTest {

    @Test
    void hearsForeignAndOwnCommitsWithTheirCommitter() throws Exception {
        assumeTrue(TestNetns.runningAsRoot(), "kernel tests need root");
        BlockingQueue<RulesetCommit> heard = new LinkedBlockingQueue<>();
        try (TestNetns netns = TestNetns.create(); TestNetns other = TestNetns.create();
             NetnsThread inNetns = NetnsThread.enter(netns.name());
             RulesetEvents events = new RulesetEvents(Optional.of(netns.name()),
                     (g, pid, process, tables) -> heard.add(new RulesetCommit(g, pid, process, tables))).start()) {
            long g0 = inNetns.call(KernelGeneration::read);

            netns.execInside("nft", "add table inet x");
            RulesetCommit foreign = heard.poll(10, TimeUnit.SECONDS);

            assertNotNull(foreign, "no commit heard after nft add table");
            assertEquals(g0 + 1, foreign.generation(), foreign.toString());
            assertEquals("nft", foreign.process());
            assertEquals(Optional.of(java.util.Set.of("inet x")), foreign.tables(), "the table the commit touched");
            assertTrue(foreign.pid() > 0 && !ownTask(foreign.pid()), foreign + " is not another process");

            long tid = inNetns.call(() -> {
                try (LibNftables nft = LibNftables.open()) {
                    nft.run("add table inet y\nadd chain inet y c\n"); // one transaction, one commit
                }
                return RulesetEvents.kernelThreadId();
            });
            RulesetCommit own = heard.poll(10, TimeUnit.SECONDS);

            assertNotNull(own, "no commit heard after libnftables' commit");
            assertEquals(g0 + 2, own.generation(), own.toString());
            assertEquals(tid, own.pid(), "the kernel names the committing thread: " + own);
            assertEquals(Optional.of(java.util.Set.of("inet y")), own.tables(), own.toString());
            assertTrue(ownTask(own.pid()), own + " is one of this process's threads");
            assertEquals(ProcessHandle.current().pid(), ownProcess(own.pid()), own.toString());

            netns.execInside("nft", "add table ip6 w; add chain ip6 w c; delete table inet x");
            RulesetCommit two = heard.poll(10, TimeUnit.SECONDS);
            assertNotNull(two);
            assertEquals(Optional.of(java.util.Set.of("inet x", "ip6 w")), two.tables(), two.toString());
            assertTrue(two.mayTouch("inet x") && !two.mayTouch("inet palisade"), two.toString());

            other.execInside("nft", "add table inet z");
            assertNull(heard.poll(1, TimeUnit.SECONDS), "a commit in another namespace is not ours to hear");
        }
        assertFalse(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("palisade-nft-events")),
                "close() stops the thread");
    }

    /**
     * A listener that does not keep up, and a large transaction (a message per element) overrun the
     * socket's buffer: the listener then hears one commit by an unknown committer, to be treated as
     * foreign, and hears commits again after it.
     */
    @Test
    void anOverrunIsHeardAsACommitByAnUnknownCommitter() throws Exception {
        assumeTrue(TestNetns.runningAsRoot(), "kernel tests need root");
        BlockingQueue<RulesetCommit> heard = new LinkedBlockingQueue<>();
        CountDownLatch release = new CountDownLatch(1);
        StringBuilder elements = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            elements.append(i == 0 ? "" : ", ").append("10.1.").append(i / 250).append('.').append(i % 250 + 1);
        }
        try (TestNetns netns = TestNetns.create();
             RulesetEvents events = new RulesetEvents(Optional.of(netns.name()), (g, pid, process, tables) -> {
                 heard.add(new RulesetCommit(g, pid, process, tables));
                 await(release); // stuck in the first call while the notifications pile up
             }, 4096).start()) {
            netns.execInside("nft", "add table inet x");
            assertNotNull(heard.poll(10, TimeUnit.SECONDS), "the first commit");
            netns.execInside("nft", "add set inet x s { type ipv4_addr; elements = { " + elements + " } }");
            release.countDown();

            RulesetCommit lost = heard.poll(10, TimeUnit.SECONDS);
            while (lost != null && lost.pid() != RulesetCommit.UNKNOWN) {
                lost = heard.poll(10, TimeUnit.SECONDS); // what the buffer still held, if it came first
            }
            assertNotNull(lost, "no overrun heard");
            assertEquals(RulesetCommit.UNKNOWN, lost.pid(), lost.toString());
            assertEquals("", lost.process());
            assertTrue(lost.generation() >= 2, lost + ": the generation at the time, or later");

            heard.clear();
            netns.execInside("nft", "add table inet y");
            RulesetCommit after = heard.poll(10, TimeUnit.SECONDS);
            while (after != null && after.pid() == RulesetCommit.UNKNOWN) {
                after = heard.poll(10, TimeUnit.SECONDS); // the rest of the overrun, if it came in parts
            }
            assertNotNull(after, "no commit heard after the overrun");
            assertEquals("nft", after.process());
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether {@code tid} is a thread of this process (the kernel names threads, not processes). */
    static boolean ownTask(long tid) {
        return Files.isDirectory(Path.of("/proc/self/task/" + tid));
    }

    /** The process (thread group) a thread id belongs to, from /proc/<tid>/status. */
    static long ownProcess(long tid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + tid + "/status"))) {
            if (line.startsWith("Tgid:")) {
                return Long.parseLong(line.substring(5).strip());
            }
        }
        throw new IllegalStateException("no Tgid for " + tid);
    }
}
