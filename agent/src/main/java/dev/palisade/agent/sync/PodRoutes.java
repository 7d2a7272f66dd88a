package dev.palisade.agent.sync;

import dev.palisade.model.IpAddress;
import jnr.ffi.LastError;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The node's host routes to single addresses through an interface (a routed CNI's per-pod routes:
 * ptp's {@code 10.244.1.5 dev veth1234 scope link}, Calico's {@code cali*}), as address to interface
 * index, kept current: a daemon thread subscribed to the rtnetlink groups of links and of IPv4 and
 * IPv6 routes dumps the main table's routes after every burst of notifications and hands the whole
 * map to the listener. So the agent learns within milliseconds that a pod's sandbox was torn down
 * (CNI DEL deletes the veth, and its route with it) or that its address now leads to another pod.
 *
 * <p>Why dump rather than read the notifications: when an interface is deleted, IPv4 removes its
 * routes without an {@code RTM_DELROUTE} (only the link's {@code RTM_DELLINK} is sent), and a lost
 * notification ({@code ENOBUFS}) is then just another reason to dump. The dump is a few hundred
 * routes on a node; it runs only when links or routes change, never per packet.
 */
public final class PodRoutes implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PodRoutes.class);

    static final long POLL = 200;

    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVTIMEO = 20;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final int ENOBUFS = 105;
    private static final int RTNLGRP_LINK = 1;
    private static final int RTNLGRP_IPV4_ROUTE = 7;
    private static final int RTNLGRP_IPV6_ROUTE = 11;

    static final int RTM_NEWROUTE = 24;
    private static final int RTM_GETROUTE = 26;
    static final int RTMSG = 12;
    static final int RT_TABLE_MAIN = 254;
    static final int RTN_UNICAST = 1;
    static final int RTA_DST = 1;
    static final int RTA_OIF = 4;
    static final int RTA_GATEWAY = 5;
    static final int RTA_TABLE = 15;

    private final Optional<String> netns;
    private final Consumer<SortedMap<IpAddress, Integer>> listener;
    private final LibC libc = LibC.Binding.LIBC;
    private final Runtime runtime = Runtime.getRuntime(libc);
    private final CompletableFuture<Void> subscribed = new CompletableFuture<>();
    private volatile boolean closed;
    private Thread thread;

    /**
     * @param netns    the network namespace ({@code /var/run/netns/<name>}), or empty for the process's own
     * @param listener called on the routes thread with the whole map: once when subscribed, then after
     *                 every burst of changes
     */
    public PodRoutes(Optional<String> netns, Consumer<SortedMap<IpAddress, Integer>> listener) {
        this.netns = netns;
        this.listener = listener;
    }

    /** The calling thread's namespace's host routes to single addresses through an interface, main table. */
    public static SortedMap<IpAddress, Integer> list() {
        try (NetlinkSocket socket = new NetlinkSocket(NetlinkSocket.NETLINK_ROUTE)) {
            ByteBuffer req = socket.message(RTM_GETROUTE, NetlinkSocket.NLM_F_REQUEST | NetlinkSocket.NLM_F_DUMP, RTMSG);
            req.put(new byte[RTMSG]); // rtmsg: AF_UNSPEC, every family
            SortedMap<IpAddress, Integer> out = new TreeMap<>();
            socket.dump(req, m -> parse(m, out));
            return Collections.unmodifiableSortedMap(out);
        }
    }

    /**
     * Adds the route of one {@code RTM_NEWROUTE} message to {@code out} when it is a unicast route of
     * the main table to one address (/32, /128), through one interface, without a gateway.
     */
    static void parse(ByteBuffer m, SortedMap<IpAddress, Integer> out) {
        if ((m.getShort(4) & 0xffff) != RTM_NEWROUTE) {
            return;
        }
        int at = NetlinkSocket.HEADER;
        int dstLen = m.get(at + 1) & 0xff;
        int[] table = {m.get(at + 4) & 0xff};
        int type = m.get(at + 7) & 0xff;
        if (type != RTN_UNICAST) {
            return;
        }
        IpAddress[] dst = new IpAddress[1];
        int[] oif = {0};
        boolean[] gateway = {false};
        NetlinkSocket.attributes(m, at + RTMSG, m.getInt(0), (attr, value, length) -> {
            switch (attr) {
                case RTA_DST -> dst[0] = address(m, value, length);
                case RTA_OIF -> oif[0] = length == 4 ? m.getInt(value) : 0;
                case RTA_GATEWAY -> gateway[0] = true;
                case RTA_TABLE -> table[0] = length == 4 ? m.getInt(value) : table[0];
                default -> { }
            }
        });
        if (dst[0] == null || oif[0] <= 0 || gateway[0] || table[0] != RT_TABLE_MAIN
                || dstLen != (dst[0].family() == IpAddress.Family.V4 ? 32 : 128)) {
            return;
        }
        out.put(dst[0], oif[0]);
    }

    private static IpAddress address(ByteBuffer m, int at, int length) {
        ByteBuffer be = m.duplicate().order(ByteOrder.BIG_ENDIAN);
        if (length == 4) {
            return new IpAddress(IpAddress.Family.V4, 0, Integer.toUnsignedLong(be.getInt(at)));
        }
        if (length == 16) {
            return new IpAddress(IpAddress.Family.V6, be.getLong(at), be.getLong(at + 8));
        }
        return null;
    }

    /** Starts the thread and returns once it is subscribed and has handed over the first map. */
    public synchronized PodRoutes start() {
        if (thread != null) {
            throw new IllegalStateException("already started");
        }
        thread = new Thread(this::run, "palisade-routes");
        thread.setDaemon(true);
        thread.start();
        try {
            subscribed.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot watch the node's routes"
                    + netns.map(n -> " in network namespace " + n).orElse("") + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            close();
            throw new IllegalStateException("the routes thread did not subscribe in 30 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IllegalStateException("interrupted while subscribing to route changes", e);
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
            listener.accept(list()); // subscribed first: a change during this dump is heard and dumped again
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
        int fd = libc.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NetlinkSocket.NETLINK_ROUTE);
        if (fd < 0) {
            throw new IllegalStateException("netlink socket failed: errno " + LastError.getLastError(runtime));
        }
        try {
            byte[] timeout = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder())
                    .putLong(0).putLong(POLL * 1000).array(); // struct timeval: seconds, microseconds
            if (libc.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeout, timeout.length) != 0) {
                throw new IllegalStateException("SO_RCVTIMEO failed: errno " + LastError.getLastError(runtime));
            }
            int groups = 1 << (RTNLGRP_LINK - 1) | 1 << (RTNLGRP_IPV4_ROUTE - 1) | 1 << (RTNLGRP_IPV6_ROUTE - 1);
            // struct sockaddr_nl: family, padding, port id (0: the kernel picks), multicast groups (bit g-1)
            byte[] address = ByteBuffer.allocate(12).order(ByteOrder.nativeOrder())
                    .putShort((short) AF_NETLINK).putShort((short) 0).putInt(0).putInt(groups).array();
            if (libc.bind(fd, address, address.length) != 0) {
                throw new IllegalStateException("bind to the link and route groups failed: errno "
                        + LastError.getLastError(runtime));
            }
            return fd;
        } catch (RuntimeException e) {
            libc.close(fd);
            throw e;
        }
    }

    private void listen(int fd) {
        byte[] buffer = new byte[1 << 16];
        boolean dirty = false; // a change heard, or a dump that failed: dump at the next chance
        while (!closed) {
            long n = libc.recv(fd, buffer, buffer.length, 0);
            if (n < 0) {
                int errno = LastError.getLastError(runtime);
                if (errno == ENOBUFS) {
                    dirty = true; // notifications lost: the dump below is the whole truth anyway
                } else if (errno != EAGAIN && errno != EINTR) {
                    LOG.error("route changes: netlink recv failed with errno {}; no more route changes are heard", errno);
                    return;
                }
            } else {
                dirty = true;
                // the rest of the burst (a pod's veth, addresses and routes come as several messages)
                while (libc.recv(fd, buffer, buffer.length, MSG_DONTWAIT) > 0) {
                    // nothing to read in them: the dump says what is there now
                }
            }
            if (dirty && !closed) {
                try {
                    listener.accept(list());
                    dirty = false;
                } catch (RuntimeException e) {
                    LOG.warn("cannot list the node's routes ({}); trying again", e.getMessage());
                }
            }
        }
    }
}
