package dev.palisade.agent.sync;

import jnr.ffi.LastError;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A daemon thread subscribed to netlink multicast groups in one network namespace: the one owner of
 * that thread's life (start once subscribed, close within {@link #POLL}) and of its socket (opened,
 * bound to the groups, read, closed), for every listener of the agent ({@link RulesetEvents} on
 * nftables commits, {@link PodRoutes} on links and routes). What the datagrams mean is the
 * {@link Handler}'s business.
 *
 * <p>Datagrams are read in bursts: after a blocking receive returns one, the rest of what is queued
 * is read without waiting, and {@link Handler#quiet} runs once the queue is empty, or when nothing
 * came for {@link #POLL}.
 */
final class NetlinkSubscription implements AutoCloseable {

    /** What one subscription does with what it hears; runs on the subscription's thread. */
    interface Handler {
        /** Once the socket is bound, in the namespace, before {@link #start} returns; may throw to fail it. */
        default void subscribed() {
        }

        /** One datagram, {@code length} bytes of {@code buffer}. */
        void datagram(byte[] buffer, int length);

        /** Notifications were lost: the socket's receive buffer overran ({@code ENOBUFS}). */
        void lost();

        /** The queue is empty: a burst ended, or nothing came for {@link #POLL}. */
        default void quiet() {
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(NetlinkSubscription.class);

    /** How long a blocked receive waits before it looks at the closed flag again (ms). */
    static final long POLL = 200;

    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVBUF = 8;
    private static final int SO_RCVTIMEO = 20;
    private static final int SO_RCVBUFFORCE = 33;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final int ENOBUFS = 105;

    private final String what;
    private final String threadName;
    private final Optional<String> netns;
    private final int protocol;
    private final int groups;
    private final int receiveBuffer;
    private final Handler handler;
    private final LibC libc = LibC.Binding.LIBC;
    private final Runtime runtime = Runtime.getRuntime(libc);
    private final CompletableFuture<Void> subscribed = new CompletableFuture<>();
    private volatile boolean closed;
    private Thread thread;

    /**
     * @param what          what is heard, for messages ("nftables events", "route changes")
     * @param threadName    the thread's name
     * @param netns         the network namespace ({@code /var/run/netns/<name>}), or empty for the process's own
     * @param protocol      the netlink family ({@code NETLINK_ROUTE}, {@code NETLINK_NETFILTER})
     * @param groups        the multicast groups, as numbers (bit g-1 of the bind address each)
     * @param receiveBuffer the socket's receive buffer in bytes, or 0 for the system's default
     */
    NetlinkSubscription(String what, String threadName, Optional<String> netns, int protocol, int[] groups,
                        int receiveBuffer, Handler handler) {
        this.what = what;
        this.threadName = threadName;
        this.netns = netns;
        this.protocol = protocol;
        int mask = 0;
        for (int g : groups) {
            mask |= 1 << (g - 1);
        }
        this.groups = mask;
        this.receiveBuffer = receiveBuffer;
        this.handler = handler;
    }

    /** Starts the thread and returns once it is subscribed; throws when it cannot be. */
    synchronized void start() {
        if (thread != null) {
            throw new IllegalStateException("already started");
        }
        thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
        try {
            subscribed.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot subscribe to " + what
                    + netns.map(n -> " in network namespace " + n).orElse("") + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            close();
            throw new IllegalStateException("the " + what + " thread did not subscribe in 30 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IllegalStateException("interrupted while subscribing to " + what, e);
        }
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
            fd = open();
            try {
                handler.subscribed();
            } catch (RuntimeException | Error e) {
                libc.close(fd);
                throw e;
            }
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

    private int open() {
        int fd = libc.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
        if (fd < 0) {
            throw new IllegalStateException("netlink socket failed: errno " + LastError.getLastError(runtime));
        }
        try {
            // root may go past net.core.rmem_max; without CAP_NET_ADMIN the smaller SO_RCVBUF must do
            if (receiveBuffer > 0 && setInt(fd, SO_RCVBUFFORCE, receiveBuffer) != 0) {
                setInt(fd, SO_RCVBUF, receiveBuffer);
            }
            byte[] timeout = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder())
                    .putLong(0).putLong(POLL * 1000).array(); // struct timeval: seconds, microseconds
            if (libc.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeout, timeout.length) != 0) {
                throw new IllegalStateException("SO_RCVTIMEO failed: errno " + LastError.getLastError(runtime));
            }
            // struct sockaddr_nl: family, padding, port id (0: the kernel picks), multicast groups
            byte[] address = ByteBuffer.allocate(12).order(ByteOrder.nativeOrder())
                    .putShort((short) AF_NETLINK).putShort((short) 0).putInt(0).putInt(groups).array();
            if (libc.bind(fd, address, address.length) != 0) {
                throw new IllegalStateException("bind to the " + what + " groups failed: errno "
                        + LastError.getLastError(runtime));
            }
            return fd;
        } catch (RuntimeException e) {
            libc.close(fd);
            throw e;
        }
    }

    private int setInt(int fd, int option, int value) {
        byte[] v = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array();
        return libc.setsockopt(fd, SOL_SOCKET, option, v, v.length);
    }

    private void listen(int fd) {
        byte[] buffer = new byte[1 << 16];
        int flags = 0; // blocking (up to POLL) until a datagram comes, then the rest of the burst without waiting
        while (!closed) {
            long n = libc.recv(fd, buffer, buffer.length, flags);
            if (n >= 0) {
                if (n > 0) {
                    handler.datagram(buffer, (int) n);
                }
                flags = MSG_DONTWAIT;
                continue;
            }
            int errno = LastError.getLastError(runtime);
            if (errno == ENOBUFS) {
                handler.lost();
                flags = MSG_DONTWAIT;
                continue;
            }
            if (errno != EAGAIN && errno != EINTR) {
                LOG.error("{}: netlink recv failed with errno {}; nothing more is heard", what, errno);
                return;
            }
            flags = 0;
            if (!closed) {
                handler.quiet();
            }
        }
    }
}
