package dev.palisade.agent.sync;

import jnr.ffi.LastError;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Hears every committed nftables transaction of one network namespace as it happens: a daemon
 * thread subscribed to the {@code NFNLGRP_NFTABLES} netlink group (the one {@code nft monitor}
 * listens to) calls {@link Listener#onCommit} for each {@code NFT_MSG_NEWGEN}, which the kernel
 * sends after every commit, with the new generation and the committing thread's id and name. So
 * the agent can verify its table at once after a commit that is not its own (a hand flush, another
 * program), rather than at the next verification tick.
 *
 * <p>When notifications are lost (the socket's receive buffer overran: {@code ENOBUFS}, which a
 * large transaction's per-element messages can cause) or a datagram cannot be read, the listener
 * hears one commit with pid {@link RulesetCommit#UNKNOWN} and the generation read at that moment:
 * unknown, to be treated as foreign.
 *
 * <p>{@link #start} returns once the subscription is in place: every commit after it is heard.
 * {@link #close} stops the thread within {@link #POLL} and closes the socket.
 */
public final class RulesetEvents implements AutoCloseable {

    /** What to do with a commit; runs on the events thread, so it should hand work off, not do it. */
    @FunctionalInterface
    public interface Listener {
        /**
         * @param generation the ruleset generation after the commit, or -1 when unknown
         * @param pid        the committing thread's id in the initial pid namespace, or -1: unknown, assume foreign
         * @param process    the committing thread's name ({@code comm}), or "" when unknown
         * @param tables     the tables the commit touched ("inet palisade"), or empty when unknown
         *                   (notifications lost): assume any
         */
        void onCommit(long generation, long pid, String process, Optional<Set<String>> tables);
    }

    private static final Logger LOG = LoggerFactory.getLogger(RulesetEvents.class);

    /** How long a blocked receive waits before it looks at the closed flag again. */
    static final long POLL = 200;

    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int NETLINK_NETFILTER = 12;
    private static final int NFNLGRP_NFTABLES = 7;
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVBUF = 8;
    private static final int SO_RCVTIMEO = 20;
    private static final int SO_RCVBUFFORCE = 33;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final int ENOBUFS = 105;
    /** Room for a burst of notifications: a delta of some thousand elements is a message per element. */
    private static final int RECEIVE_BUFFER = 8 << 20;

    private final Optional<String> netns;
    private final Listener listener;
    private final int receiveBuffer;
    private final LibC libc = LibC.Binding.LIBC;
    private final Runtime runtime = Runtime.getRuntime(libc);
    private final CompletableFuture<Void> subscribed = new CompletableFuture<>();
    private volatile boolean closed;
    private Thread thread;

    /**
     * @param netns    the network namespace to listen in ({@code /var/run/netns/<name>}), or empty for
     *                 the process's own
     * @param listener called on the events thread for every commit, in order
     */
    public RulesetEvents(Optional<String> netns, Listener listener) {
        this(netns, listener, RECEIVE_BUFFER);
    }

    /** With another receive buffer size: small ones let tests overrun it. */
    RulesetEvents(Optional<String> netns, Listener listener, int receiveBuffer) {
        this.netns = netns;
        this.listener = listener;
        this.receiveBuffer = receiveBuffer;
    }

    /**
     * The calling thread's id as the kernel reports it in {@code NFTA_GEN_PROC_PID}
     * ({@code /proc/thread-self}): the id of the thread that commits, not of the process. It equals
     * the kernel's when the agent shares the host's pid namespace; in a pid namespace of its own the
     * kernel reports the host's id, which the agent cannot see, and its own commits look foreign.
     */
    public static long kernelThreadId() {
        try {
            return Long.parseLong(Path.of("/proc/thread-self").toRealPath().getFileName().toString());
        } catch (IOException | NumberFormatException e) {
            return RulesetCommit.UNKNOWN;
        }
    }

    /** Starts the thread and returns once it is subscribed; throws when it cannot be. */
    public synchronized RulesetEvents start() {
        if (thread != null) {
            throw new IllegalStateException("already started");
        }
        thread = new Thread(this::run, "palisade-nft-events");
        thread.setDaemon(true);
        thread.start();
        try {
            subscribed.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot subscribe to nftables events"
                    + netns.map(n -> " in network namespace " + n).orElse("") + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            close();
            throw new IllegalStateException("the nftables events thread did not subscribe in 30 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IllegalStateException("interrupted while subscribing to nftables events", e);
        }
        return this;
    }

    @Override
    public void close() {
        closed = true;
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(10 * POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        int fd;
        try {
            netns.ifPresent(NetnsEntry::enter);
            fd = subscribe();
        } catch (RuntimeException | Error e) {
            subscribed.completeExceptionally(e);
            return;
        }
        subscribed.complete(null);
        try {
            listen(fd);
        } finally {
            libc.close(fd);
        }
    }

    private int subscribe() {
        int fd = libc.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
        if (fd < 0) {
            throw new IllegalStateException("netlink socket failed: errno " + LastError.getLastError(runtime));
        }
        try {
            // root may go past net.core.rmem_max; without CAP_NET_ADMIN the smaller SO_RCVBUF must do
            if (setInt(fd, SOL_SOCKET, SO_RCVBUFFORCE, receiveBuffer) != 0) {
                setInt(fd, SOL_SOCKET, SO_RCVBUF, receiveBuffer);
            }
            byte[] timeout = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder())
                    .putLong(0).putLong(POLL * 1000).array(); // struct timeval: seconds, microseconds
            if (libc.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeout, timeout.length) != 0) {
                throw new IllegalStateException("SO_RCVTIMEO failed: errno " + LastError.getLastError(runtime));
            }
            // struct sockaddr_nl: family, padding, port id (0: the kernel picks), multicast groups (bit g-1)
            byte[] address = ByteBuffer.allocate(12).order(ByteOrder.nativeOrder())
                    .putShort((short) AF_NETLINK).putShort((short) 0).putInt(0).putInt(1 << (NFNLGRP_NFTABLES - 1)).array();
            if (libc.bind(fd, address, address.length) != 0) {
                throw new IllegalStateException("bind to NFNLGRP_NFTABLES failed: errno " + LastError.getLastError(runtime));
            }
            return fd;
        } catch (RuntimeException e) {
            libc.close(fd);
            throw e;
        }
    }

    private int setInt(int fd, int level, int option, int value) {
        byte[] v = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array();
        return libc.setsockopt(fd, level, option, v, v.length);
    }

    private void listen(int fd) {
        byte[] buffer = new byte[1 << 16];
        Set<String> touched = new HashSet<>(); // tables named by the current transaction's messages so far
        while (!closed) {
            long n = libc.recv(fd, buffer, buffer.length, 0);
            if (n < 0) {
                int errno = LastError.getLastError(runtime);
                if (errno == EAGAIN || errno == EINTR) {
                    continue; // the poll timeout: look at the closed flag again
                }
                if (errno == ENOBUFS) {
                    LOG.warn("nftables notifications were lost (receive buffer overrun): treating it as a foreign commit");
                    touched.clear();
                    deliver(RulesetCommit.lost(currentGeneration()));
                    continue;
                }
                LOG.error("nftables events: netlink recv failed with errno {}; no more events", errno);
                return;
            }
            List<RulesetCommit> commits;
            try {
                commits = RulesetCommit.parse(buffer, (int) n, touched);
            } catch (IllegalArgumentException e) {
                LOG.warn("nftables events: unreadable datagram ({}): treating it as a foreign commit", e.getMessage());
                touched.clear();
                commits = List.of(RulesetCommit.lost(currentGeneration()));
            }
            commits.forEach(this::deliver);
        }
    }

    private void deliver(RulesetCommit c) {
        try {
            listener.onCommit(c.generation(), c.pid(), c.process(), c.tables());
        } catch (RuntimeException e) {
            LOG.error("nftables events: the listener failed on {}", c, e);
        }
    }

    /** The generation now (this thread is in the namespace), or -1 when even that cannot be read. */
    private static long currentGeneration() {
        try {
            return KernelGeneration.read();
        } catch (RuntimeException e) {
            return RulesetCommit.UNKNOWN;
        }
    }
}
