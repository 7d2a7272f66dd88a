package dev.palisade.agent.sync;

import dev.palisade.dataplane.kernel.LibNftables;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The nftables generation read over netlink moves by exactly one per committed transaction, and not otherwise. */
class KernelGenerationKernelTest {

    @Test
    void movesByOnePerCommitAndNotOnReads() throws Exception {
        String ns = "pagen" + ProcessHandle.current().pid();
        run("ip", "netns", "add", ns);
        try {
            CompletableFuture<long[]> result = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    NetnsEntry.enter(ns);
                    try (LibNftables nft = LibNftables.open()) {
                        long g0 = KernelGeneration.read();
                        nft.run("add table inet palisade-gen-test\n");
                        long g1 = KernelGeneration.read();
                        nft.list("list table inet palisade-gen-test");
                        long g2 = KernelGeneration.read();
                        nft.run("add table inet palisade-gen-test\nadd chain inet palisade-gen-test c\n"); // one transaction
                        long g3 = KernelGeneration.read();
                        result.complete(new long[] {g0, g1, g2, g3});
                    }
                } catch (Throwable e) {
                    result.completeExceptionally(e);
                }
            });
            t.start();
            long[] g = result.get(30, TimeUnit.SECONDS);
            assertTrue(g[0] >= 0);
            assertEquals(g[0] + 1, g[1], "one commit");
            assertEquals(g[1], g[2], "a listing commits nothing");
            assertEquals(g[2] + 1, g[3], "a two-command script is one transaction");
        } finally {
            run("ip", "netns", "delete", ns);
        }
    }

    private static void run(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(argv)).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + " failed (the kernel tests need root)");
        }
    }
}
