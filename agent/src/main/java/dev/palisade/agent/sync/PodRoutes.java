package dev.palisade.agent.sync;

import dev.palisade.model.IpAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
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

    private final Consumer<SortedMap<IpAddress, Integer>> listener;
    private final NetlinkSubscription subscription;
    private boolean dirty; // a change heard, or a dump that failed: dump when the burst is over (subscription thread)

    /**
     * @param netns    the network namespace ({@code /var/run/netns/<name>}), or empty for the process's own
     * @param listener called on the routes thread with the whole map: once when subscribed, then after
     *                 every burst of changes
     */
    public PodRoutes(Optional<String> netns, Consumer<SortedMap<IpAddress, Integer>> listener) {
        this.listener = listener;
        this.subscription = new NetlinkSubscription("route changes", "palisade-routes", netns,
                NetlinkSocket.NETLINK_ROUTE, new int[] {RTNLGRP_LINK, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE}, 0,
                new NetlinkSubscription.Handler() {
                    @Override
                    public void subscribed() {
                        listener.accept(list()); // subscribed first: a change during this dump is heard and dumped again
                    }

                    @Override
                    public void datagram(byte[] buffer, int length) {
                        dirty = true; // nothing to read in it (a pod's veth, addresses and routes come as several): the dump says what is there now
                    }

                    @Override
                    public void lost() {
                        dirty = true; // notifications lost: the dump is the whole truth anyway
                    }

                    @Override
                    public void quiet() {
                        if (dirty) {
                            dump();
                        }
                    }
                });
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
                case RTA_DST -> dst[0] = NetlinkSocket.address(m, value, length);
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

    /** Starts the thread and returns once it is subscribed and has handed over the first map. */
    public PodRoutes start() {
        subscription.start();
        return this;
    }

    @Override
    public void close() {
        subscription.close();
    }

    private void dump() {
        try {
            listener.accept(list());
            dirty = false;
        } catch (RuntimeException e) {
            LOG.warn("cannot list the node's routes ({}); trying again", e.getMessage());
        }
    }
}
