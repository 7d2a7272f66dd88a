package dev.palisade.agent.sync;

import dev.palisade.model.IpAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code RTM_NEWROUTE} messages as the kernel writes them (rtmsg, then attributes), read into routes. */
class PodRoutesTest {

    /** One route message: family, destination and its prefix length, table, type, interface, gateway (or empty). */
    private static ByteBuffer route(String dst, int dstLen, int table, int type, int oif, String gateway) {
        IpAddress d = IpAddress.parse(dst);
        byte[] addr = bytes(d);
        ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());
        b.putInt(0).putShort((short) PodRoutes.RTM_NEWROUTE).putShort((short) 2).putInt(1).putInt(0);
        b.put((byte) (d.family() == IpAddress.Family.V4 ? 2 : 10)).put((byte) dstLen).put((byte) 0).put((byte) 0)
                .put((byte) Math.min(table, 252)).put((byte) 3).put((byte) 253).put((byte) type).putInt(0);
        attr(b, PodRoutes.RTA_TABLE, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(table).array());
        attr(b, PodRoutes.RTA_DST, addr);
        if (!gateway.isEmpty()) {
            attr(b, PodRoutes.RTA_GATEWAY, bytes(IpAddress.parse(gateway)));
        }
        attr(b, PodRoutes.RTA_OIF, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(oif).array());
        int len = b.position();
        b.putInt(0, len);
        b.limit(len);
        return b;
    }

    private static byte[] bytes(IpAddress a) {
        ByteBuffer be = ByteBuffer.allocate(a.family() == IpAddress.Family.V4 ? 4 : 16);
        if (a.family() == IpAddress.Family.V4) {
            be.putInt((int) a.lo());
        } else {
            be.putLong(a.hi()).putLong(a.lo());
        }
        return be.array();
    }

    private static void attr(ByteBuffer b, int type, byte[] value) {
        b.putShort((short) (4 + value.length)).putShort((short) type).put(value);
        while (b.position() % 4 != 0) {
            b.put((byte) 0);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            a pod's route through its veth (ptp)       | 10.244.1.5    | 32  | 254 | 1 | 7 |          | true
            an IPv6 pod's route                        | fd00:1::5     | 128 | 254 | 1 | 7 |          | true
            a subnet route                             | 10.244.1.0    | 24  | 254 | 1 | 7 |          | false
            a host route through a gateway             | 10.244.2.5    | 32  | 254 | 1 | 7 | 10.0.0.2 | false
            another table                              | 10.244.1.5    | 32  | 300 | 1 | 7 |          | false
            the local table's own addresses            | 10.244.1.1    | 32  | 255 | 2 | 7 |          | false
            """)
    void onlyUnicastHostRoutesOfTheMainTableThroughAnInterfaceCount(String name, String dst, int len, int table, int type,
                                                                    int oif, String gateway, boolean counted) {
        SortedMap<IpAddress, Integer> out = new TreeMap<>();
        PodRoutes.parse(route(dst, len, table, type, oif, gateway == null ? "" : gateway), out);
        assertEquals(counted ? Map.of(IpAddress.parse(dst), oif) : Map.of(), out, name);
    }
}
