package dev.palisade.agent.sync;

import dev.palisade.model.IpAddress;

import java.util.List;
import java.util.Set;

/**
 * The port to the node's connection tracking, used on the sync loop's thread (so in the node's
 * network namespace): the open connections, the node's own addresses, and deleting entries.
 * Implemented over netlink by {@link #KERNEL} and by test fakes.
 */
public interface Conntrack {

    /** Every tracked connection, both families. */
    List<TrackedFlow> flows();

    /** The addresses of the node's interfaces. */
    Set<IpAddress> nodeAddresses();

    /** Deletes these entries by their original tuple; returns how many were still there. */
    int delete(List<TrackedFlow> flows);

    /** ctnetlink and rtnetlink in the calling thread's network namespace; a socket per call. */
    Conntrack KERNEL = new Conntrack() {
        @Override
        public List<TrackedFlow> flows() {
            try (NetlinkSocket s = new NetlinkSocket(NetlinkSocket.NETLINK_NETFILTER)) {
                return Ctnetlink.list(s);
            }
        }

        @Override
        public Set<IpAddress> nodeAddresses() {
            return NodeAddresses.list();
        }

        @Override
        public int delete(List<TrackedFlow> flows) {
            int deleted = 0;
            try (NetlinkSocket s = new NetlinkSocket(NetlinkSocket.NETLINK_NETFILTER)) {
                for (TrackedFlow f : flows) {
                    if (Ctnetlink.delete(s, f)) {
                        deleted++;
                    }
                }
            }
            return deleted;
        }
    };
}
