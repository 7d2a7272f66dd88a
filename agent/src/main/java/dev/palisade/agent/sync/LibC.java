package dev.palisade.agent.sync;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;

/**
 * The few libc calls of the kernel threads: entering a network namespace, netlink sockets (the
 * nftables generation, conntrack, the nftables event group), and giving freed native memory back.
 * Public only because jnr-ffi implements it in a class loader of its own.
 */
public interface LibC {

    @SaveError
    int open(@In byte[] path, int flags);

    @SaveError
    int setns(int fd, int nstype);

    int close(int fd);

    @SaveError
    int socket(int domain, int type, int protocol);

    @SaveError
    long send(int fd, @In byte[] buf, long len, int flags);

    @SaveError
    long recv(int fd, @Out byte[] buf, long len, int flags);

    @SaveError
    int bind(int fd, @In byte[] addr, int addrlen);

    @SaveError
    int setsockopt(int fd, int level, int optname, @In byte[] optval, int optlen);

    /** glibc: returns free memory at the top of each malloc arena to the kernel; 1 if any was released. */
    int malloc_trim(long pad);

    /** Loaded once per process. */
    final class Binding {
        static final LibC LIBC = LibraryLoader.create(LibC.class).failImmediately().load("c");

        private Binding() {
        }
    }
}
