package dev.palisade.agent.sync;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The nftables ruleset generation of the calling thread's network namespace: a counter the kernel
 * increments with every committed nftables transaction, of any table, by anyone
 * ({@code NFT_MSG_GETGEN} over a netfilter netlink socket, the query {@code nft monitor} and
 * libnftables' cache use). If it has not moved since the agent's own last commit, nothing in the
 * namespace's ruleset changed, and the costly read-back of a large table can be skipped exactly.
 */
final class KernelGeneration {

    private static final int NFNL_SUBSYS_NFTABLES = 10;
    private static final int NFT_MSG_NEWGEN = 15;
    private static final int NFT_MSG_GETGEN = 16;
    private static final int NLMSG_ERROR = 2;
    private static final int NFTA_GEN_ID = 1;

    private KernelGeneration() {
    }

    /** The current generation; must run on the thread that is in the namespace of interest. */
    static long read() {
        try (NetlinkSocket socket = new NetlinkSocket(NetlinkSocket.NETLINK_NETFILTER)) {
            ByteBuffer req = socket.message((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN, NetlinkSocket.NLM_F_REQUEST, 4);
            req.put((byte) 0).put((byte) 0).putShort((short) 0);        // nfgenmsg: AF_UNSPEC, NFNETLINK_V0, res_id
            return parse(socket.answer(req));
        }
    }

    /** The NFTA_GEN_ID attribute of a NEWGEN answer. */
    static long parse(ByteBuffer msg) {
        int len = msg.getInt(0);
        int type = msg.getShort(4) & 0xffff;
        if (type == NLMSG_ERROR) {
            throw new IllegalStateException("netlink error " + (-msg.getInt(16)) + " for NFT_MSG_GETGEN");
        }
        if (type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN)) {
            throw new IllegalStateException("unexpected netlink message type " + type);
        }
        long[] generation = {-1};
        ByteBuffer be = msg.duplicate().order(ByteOrder.BIG_ENDIAN); // nftables attribute values are big-endian
        NetlinkSocket.attributes(msg, NetlinkSocket.HEADER + 4, len, (attr, value, length) -> { // after nfgenmsg
            if (attr == NFTA_GEN_ID && length >= 4 && generation[0] < 0) {
                generation[0] = Integer.toUnsignedLong(be.getInt(value));
            }
        });
        if (generation[0] >= 0) {
            return generation[0];
        }
        throw new IllegalStateException("no NFTA_GEN_ID in the answer to NFT_MSG_GETGEN");
    }
}
