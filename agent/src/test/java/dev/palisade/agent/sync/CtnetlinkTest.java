package dev.palisade.agent.sync;

import dev.palisade.model.IpAddress;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ctnetlink and rtnetlink messages as the kernel writes them (netlink headers in host order, values in network order). */
class CtnetlinkTest {

    private static byte[] attr(int type, byte[] value) {
        int len = 4 + value.length;
        ByteBuffer b = ByteBuffer.allocate((len + 3) & ~3).order(ByteOrder.nativeOrder());
        b.putShort((short) len).putShort((short) type).put(value);
        return b.array();
    }

    private static byte[] nested(int type, byte[]... children) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] c : children) {
            all.writeBytes(c);
        }
        return attr(type | 0x8000, all.toByteArray());
    }

    private static byte[] be16(int v) {
        return new byte[] {(byte) (v >>> 8), (byte) v};
    }

    private static byte[] tuple(int type, byte[] src, byte[] dst, boolean v4, int proto, int sport, int dport) {
        return nested(type,
                nested(Ctnetlink.CTA_TUPLE_IP, attr(v4 ? 1 : 3, src), attr(v4 ? 2 : 4, dst)),
                nested(Ctnetlink.CTA_TUPLE_PROTO, attr(1, new byte[] {(byte) proto}), attr(2, be16(sport)),
                        attr(3, be16(dport))));
    }

    private static ByteBuffer message(int type, int family, byte[]... attrs) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (byte[] a : attrs) {
            body.writeBytes(a);
        }
        int len = 20 + body.size();
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.nativeOrder());
        b.putInt(len).putShort((short) type).putShort((short) 2).putInt(7).putInt(0);
        b.put((byte) family).put((byte) 0).putShort((short) 0).put(body.toByteArray());
        return b;
    }

    @Test
    void aDnatedTcpEntryIsJudgedFromItsOriginalSourceToTheBackendAndDeletedByItsOriginalTuple() {
        // 10.244.1.3:40000 -> Service 10.96.0.10:3306, DNAT to 10.244.2.7:3306; zone 5
        byte[] orig = tuple(Ctnetlink.CTA_TUPLE_ORIG, new byte[] {10, (byte) 244, 1, 3}, new byte[] {10, 96, 0, 10},
                true, 6, 40000, 3306);
        byte[] reply = tuple(Ctnetlink.CTA_TUPLE_REPLY, new byte[] {10, (byte) 244, 2, 7}, new byte[] {10, (byte) 244, 1, 3},
                true, 6, 3306, 40000);
        ByteBuffer m = message(0x100, 2, orig, reply, attr(3, new byte[] {0, 0, 0, 8}), attr(Ctnetlink.CTA_ZONE, be16(5)));
        TrackedFlow f = Ctnetlink.parse(m);
        assertEquals(6, f.l4proto());
        assertEquals(IpAddress.parse("10.244.1.3"), f.src());
        assertEquals(IpAddress.parse("10.244.2.7"), f.dst(), "the policy sees the backend, after DNAT");
        assertEquals(3306, f.dport());
        assertEquals(5, f.zone().getAsInt());
        assertArrayEquals(orig, f.origTuple(), "the original tuple is kept verbatim for the delete");
        assertEquals("tcp 10.244.1.3 -> 10.244.2.7:3306", f.toString());
    }

    @Test
    void ipv6AndPortlessProtocolsParse() {
        byte[] a = new byte[16];
        byte[] b = new byte[16];
        a[0] = (byte) 0xfd;
        a[15] = 1;
        b[0] = (byte) 0xfd;
        b[15] = 2;
        byte[] orig = nested(Ctnetlink.CTA_TUPLE_ORIG, nested(1, attr(3, a), attr(4, b)), nested(2, attr(1, new byte[] {58})));
        byte[] reply = nested(Ctnetlink.CTA_TUPLE_REPLY, nested(1, attr(3, b), attr(4, a)), nested(2, attr(1, new byte[] {58})));
        TrackedFlow f = Ctnetlink.parse(message(0x100, 10, orig, reply));
        assertEquals(IpAddress.parse("fd00::1"), f.src());
        assertEquals(IpAddress.parse("fd00::2"), f.dst());
        assertEquals(58, f.l4proto());
        assertEquals(0, f.dport());
        assertTrue(f.zone().isEmpty());
    }

    @Test
    void otherMessagesAreNotFlows() {
        assertNull(Ctnetlink.parse(message(0x101, 2)), "a GET echo is not an entry");
        assertNull(Ctnetlink.parse(message(0x100, 2, attr(3, new byte[4]))), "an entry without tuples");
    }

    @Test
    void datagramsSplitIntoAlignedMessages() {
        ByteBuffer one = message(0x100, 2, attr(3, new byte[] {1, 2, 3}));
        ByteBuffer two = message(3, 0);
        byte[] both = new byte[((one.capacity() + 3) & ~3) + two.capacity()];
        System.arraycopy(one.array(), 0, both, 0, one.capacity());
        System.arraycopy(two.array(), 0, both, (one.capacity() + 3) & ~3, two.capacity());
        List<ByteBuffer> split = NetlinkSocket.split(both, both.length);
        assertEquals(2, split.size());
        assertEquals(3, split.get(1).getShort(4));
    }

    @Test
    void anInterfaceAddressPrefersItsLocalAddress() {
        ByteBuffer m = ByteBuffer.allocate(16 + 8 + 8 + 8).order(ByteOrder.nativeOrder());
        m.putInt(40).putShort((short) 20).putShort((short) 2).putInt(1).putInt(0);
        m.put(new byte[] {2, 24, 0, 0, 3, 0, 0, 0}); // ifaddrmsg: AF_INET /24, index 3
        m.put(attr(1, new byte[] {10, 0, 0, 9}));    // IFA_ADDRESS (the peer on a point-to-point link)
        m.put(attr(2, new byte[] {10, 0, 0, 1}));    // IFA_LOCAL
        assertEquals(IpAddress.parse("10.0.0.1"), NodeAddresses.parse(m));
    }
}
