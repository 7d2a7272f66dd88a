package dev.palisade.agent.sync;

/**
 * Gives back the native memory libnftables freed. Parsing and committing a large table allocates
 * tens of megabytes in C (expressions, netlink batches); glibc keeps freed memory in its arenas, so
 * without a trim the agent's resident size stays at its peak after every large transaction.
 */
final class NativeMemory {

    private NativeMemory() {
    }

    static void trim() {
        try {
            LibC.Binding.LIBC.malloc_trim(0);
        } catch (UnsatisfiedLinkError e) {
            // not glibc (musl has no malloc_trim): nothing to give back this way
        }
    }
}
