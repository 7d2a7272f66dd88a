package dev.palisade.agent.sync;

import dev.palisade.model.IpAddress;

import java.nio.ByteBuffer;
import java.util.Set;
import java.util.TreeSet;

/**
 * The addresses of the calling thread's network namespace (every interface, both families), over
 * {@code RTM_GETADDR}: traffic from or to them is the node's own and never passes {@code forward}.
 */
final class NodeAddresses {

    private static final int RTM_NEWADDR = 20;
    private static final int RTM_GETADDR = 22;
    private static final int IFADDRMSG = 8;
    private static final int IFA_ADDRESS = 1;
    private static final int IFA_LOCAL = 2;

    private NodeAddresses() {
    }

    static Set<IpAddress> list() {
        try (NetlinkSocket socket = new NetlinkSocket(NetlinkSocket.NETLINK_ROUTE)) {
            ByteBuffer req = socket.message(RTM_GETADDR, NetlinkSocket.NLM_F_REQUEST | NetlinkSocket.NLM_F_DUMP, IFADDRMSG);
            req.put(new byte[IFADDRMSG]); // ifaddrmsg: AF_UNSPEC, every interface
            Set<IpAddress> out = new TreeSet<>();
            socket.dump(req, m -> {
                IpAddress a = parse(m);
                if (a != null) {
                    out.add(a);
                }
            });
            return out;
        }
    }

    /** The address of one {@code RTM_NEWADDR} message: {@code IFA_LOCAL}, else {@code IFA_ADDRESS}. */
    static IpAddress parse(ByteBuffer m) {
        if ((m.getShort(4) & 0xffff) != RTM_NEWADDR) {
            return null;
        }
        IpAddress[] found = new IpAddress[2]; // IFA_ADDRESS, IFA_LOCAL
        NetlinkSocket.attributes(m, NetlinkSocket.HEADER + IFADDRMSG, m.getInt(0), (attr, value, length) -> {
            if (attr == IFA_ADDRESS || attr == IFA_LOCAL) {
                found[attr - IFA_ADDRESS] = NetlinkSocket.address(m, value, length);
            }
        });
        return found[1] != null ? found[1] : found[0];
    }
}
