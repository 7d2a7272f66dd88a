package dev.palisade.agent.sync;

import jnr.ffi.LastError;
import jnr.ffi.Runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Moves the calling thread into a named network namespace ({@code setns(2)} moves only the calling
 * thread). The sync loop's thread does this once, before it opens its libnftables context, whose
 * netlink socket then belongs to that namespace for its whole life. For simulated nodes on one host
 * ({@code --netns}); an agent on a real node stays in the namespace it was started in.
 */
final class NetnsEntry {

    private static final int CLONE_NEWNET = 0x40000000;
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;

    private NetnsEntry() {
    }

    static void enter(String netns) {
        Path file = Path.of("/var/run/netns", netns);
        LibC libc = LibC.Binding.LIBC;
        Runtime runtime = Runtime.getRuntime(libc);
        int fd = libc.open(cString(file.toString()), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            throw new IllegalStateException("cannot open network namespace " + file + ": errno "
                    + LastError.getLastError(runtime));
        }
        try {
            if (libc.setns(fd, CLONE_NEWNET) != 0) {
                throw new IllegalStateException("setns(" + file + ") failed: errno " + LastError.getLastError(runtime));
            }
        } finally {
            libc.close(fd);
        }
        // a silent failure would point the agent's nftables at the host: check
        try {
            long want = ((Number) Files.getAttribute(file, "unix:ino")).longValue();
            String have = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
            if (!have.equals("net:[" + want + "]")) {
                throw new IllegalStateException("after setns the thread is in " + have + ", not in " + file);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot check the network namespace of the sync thread", e);
        }
    }

    private static byte[] cString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] z = new byte[b.length + 1];
        System.arraycopy(b, 0, z, 0, b.length);
        return z;
    }
}
