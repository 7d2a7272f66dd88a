package dev.palisade.agent.sync;

import dev.palisade.model.IpAddress;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * The conntrack table of the calling thread's network namespace over ctnetlink
 * ({@code NETLINK_NETFILTER}, subsystem {@code NFNL_SUBSYS_CTNETLINK}): list every entry, delete one
 * by its original tuple. The same messages {@code conntrack -L} and {@code conntrack -D} send, without
 * a subprocess or a library the node may not have. Never flushes.
 */
final class Ctnetlink {

    private static final int NFNL_SUBSYS_CTNETLINK = 1;
    private static final int IPCTNL_MSG_CT_NEW = 0;
    private static final int IPCTNL_MSG_CT_GET = 1;
    private static final int IPCTNL_MSG_CT_DELETE = 2;
    private static final int AF_UNSPEC = 0;
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int NFGENMSG = 4;

    static final int CTA_TUPLE_ORIG = 1;
    static final int CTA_TUPLE_REPLY = 2;
    static final int CTA_ZONE = 18;
    static final int CTA_TUPLE_IP = 1;
    static final int CTA_TUPLE_PROTO = 2;
    static final int CTA_IP_V4_SRC = 1;
    static final int CTA_IP_V4_DST = 2;
    static final int CTA_IP_V6_SRC = 3;
    static final int CTA_IP_V6_DST = 4;
    static final int CTA_PROTO_NUM = 1;
    static final int CTA_PROTO_SRC_PORT = 2;
    static final int CTA_PROTO_DST_PORT = 3;
    private static final int NLA_HEADER = 4;

    private Ctnetlink() {
    }

    /** Every conntrack entry of both families. */
    static List<TrackedFlow> list(NetlinkSocket socket) {
        ByteBuffer req = socket.message((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET,
                NetlinkSocket.NLM_F_REQUEST | NetlinkSocket.NLM_F_DUMP, NFGENMSG);
        nfgenmsg(req, AF_UNSPEC);
        List<TrackedFlow> out = new ArrayList<>();
        socket.dump(req, m -> {
            TrackedFlow f = parse(m);
            if (f != null) {
                out.add(f);
            }
        });
        return out;
    }

    /** Deletes the entry with this original tuple (and zone); false when it was already gone. */
    static boolean delete(NetlinkSocket socket, TrackedFlow flow) {
        byte[] tuple = flow.origTuple();
        int zoneLength = flow.zone().isPresent() ? 8 : 0;
        ByteBuffer req = socket.message((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE,
                NetlinkSocket.NLM_F_REQUEST | NetlinkSocket.NLM_F_ACK, NFGENMSG + align(tuple.length) + zoneLength);
        nfgenmsg(req, flow.src().isV4() ? AF_INET : AF_INET6);
        req.put(tuple);
        req.position(req.position() + align(tuple.length) - tuple.length);
        if (flow.zone().isPresent()) {
            req.putShort((short) 6).putShort((short) CTA_ZONE);
            int z = flow.zone().getAsInt();
            req.put((byte) (z >>> 8)).put((byte) z).putShort((short) 0); // network order, padded
        }
        int errno = socket.acknowledged(req);
        if (errno == 2) { // ENOENT: it ended by itself in the meantime
            return false;
        }
        if (errno != 0) {
            throw new IllegalStateException("conntrack delete of " + flow + " failed: errno " + errno);
        }
        return true;
    }

    private static void nfgenmsg(ByteBuffer b, int family) {
        b.put((byte) family).put((byte) 0).putShort((short) 0); // family, NFNETLINK_V0, res_id
    }

    private static int align(int n) {
        return (n + 3) & ~3;
    }

    /** One {@code IPCTNL_MSG_CT_NEW} message of a dump as a flow; null for what is not a flow of IP. */
    static TrackedFlow parse(ByteBuffer m) {
        int type = m.getShort(4) & 0xffff;
        if (type != ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW)) {
            return null;
        }
        Tuple orig = new Tuple();
        Tuple reply = new Tuple();
        byte[][] origRaw = new byte[1][];
        int[] zone = {-1};
        NetlinkSocket.attributes(m, NetlinkSocket.HEADER + NFGENMSG, m.getInt(0), (attr, value, length) -> {
            if (attr == CTA_TUPLE_ORIG) {
                tuple(m, value, length, orig);
                origRaw[0] = new byte[length + NLA_HEADER];
                m.get(value - NLA_HEADER, origRaw[0]);
            } else if (attr == CTA_TUPLE_REPLY) {
                tuple(m, value, length, reply);
            } else if (attr == CTA_ZONE && length >= 2) {
                zone[0] = be16(m, value);
            }
        });
        if (origRaw[0] == null || orig.src == null || reply.src == null) {
            return null;
        }
        return new TrackedFlow(orig.proto, orig.src, reply.src, reply.sport, origRaw[0],
                zone[0] < 0 ? OptionalInt.empty() : OptionalInt.of(zone[0]));
    }

    private static final class Tuple {
        IpAddress src;
        IpAddress dst;
        int proto;
        int sport;
        int dport;
    }

    /** {@code CTA_TUPLE_IP} and {@code CTA_TUPLE_PROTO} of one tuple. */
    private static void tuple(ByteBuffer m, int from, int length, Tuple t) {
        NetlinkSocket.attributes(m, from, from + length, (attr, value, len) -> {
            if (attr == CTA_TUPLE_IP) {
                NetlinkSocket.attributes(m, value, value + len, (a, v, l) -> address(m, a, v, l, t));
            } else if (attr == CTA_TUPLE_PROTO) {
                NetlinkSocket.attributes(m, value, value + len, (a, v, l) -> {
                    if (a == CTA_PROTO_NUM && l >= 1) {
                        t.proto = m.get(v) & 0xff;
                    } else if (a == CTA_PROTO_SRC_PORT && l >= 2) {
                        t.sport = be16(m, v);
                    } else if (a == CTA_PROTO_DST_PORT && l >= 2) {
                        t.dport = be16(m, v);
                    }
                });
            }
        });
    }

    private static void address(ByteBuffer m, int attr, int v, int length, Tuple t) {
        IpAddress a;
        if ((attr == CTA_IP_V4_SRC || attr == CTA_IP_V4_DST) && length >= 4) {
            a = new IpAddress(IpAddress.Family.V4, 0, Integer.toUnsignedLong(be32(m, v)));
        } else if ((attr == CTA_IP_V6_SRC || attr == CTA_IP_V6_DST) && length >= 16) {
            long hi = (Integer.toUnsignedLong(be32(m, v)) << 32) | Integer.toUnsignedLong(be32(m, v + 4));
            long lo = (Integer.toUnsignedLong(be32(m, v + 8)) << 32) | Integer.toUnsignedLong(be32(m, v + 12));
            a = new IpAddress(IpAddress.Family.V6, hi, lo);
        } else {
            return;
        }
        if (attr == CTA_IP_V4_SRC || attr == CTA_IP_V6_SRC) {
            t.src = a;
        } else {
            t.dst = a;
        }
    }

    private static int be32(ByteBuffer m, int at) {
        return ((m.get(at) & 0xff) << 24) | ((m.get(at + 1) & 0xff) << 16) | ((m.get(at + 2) & 0xff) << 8)
                | (m.get(at + 3) & 0xff);
    }

    private static int be16(ByteBuffer m, int at) {
        return ((m.get(at) & 0xff) << 8) | (m.get(at + 1) & 0xff);
    }
}
