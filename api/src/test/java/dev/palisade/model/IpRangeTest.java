package dev.palisade.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class IpRangeTest {

    /** "a-b" or a single address or a CIDR; several separated by spaces. */
    static List<IpRange> ranges(String text) {
        if (text == null || text.isBlank()) {
            return List.of();
        }
        return Arrays.stream(text.trim().split("\\s+")).map(IpRangeTest::range).toList();
    }

    static IpRange range(String s) {
        if (s.contains("/")) {
            return Cidr.parse(s).range();
        }
        int dash = s.indexOf('-');
        if (dash < 0) {
            return IpRange.of(IpAddress.parse(s));
        }
        return new IpRange(IpAddress.parse(s.substring(0, dash)), IpAddress.parse(s.substring(dash + 1)));
    }

    static String show(List<IpRange> rs) {
        return String.join(" ", rs.stream().map(IpRange::toString).toList());
    }

    @ParameterizedTest(name = "{0}: {1} minus [{2}] = [{3}]")
    @CsvSource(delimiter = '|', textBlock = """
            no holes                         | 10.0.0.0/24   |                                   | 10.0.0.0-10.0.0.255
            hole in the middle               | 10.0.0.0/24   | 10.0.0.128/26                     | 10.0.0.0-10.0.0.127 10.0.0.192-10.0.0.255
            hole at the start                | 10.0.0.0/24   | 10.0.0.0/25                       | 10.0.0.128-10.0.0.255
            hole at the end                  | 10.0.0.0/24   | 10.0.0.128/25                     | 10.0.0.0-10.0.0.127
            hole is everything               | 10.0.0.0/24   | 10.0.0.0/24                       |
            hole bigger than range           | 10.0.0.0/24   | 10.0.0.0/8                        |
            single address hole              | 10.0.0.0/30   | 10.0.0.1                          | 10.0.0.0 10.0.0.2-10.0.0.3
            two adjacent holes merge         | 10.0.0.0/24   | 10.0.0.0/26 10.0.0.64/26          | 10.0.0.128-10.0.0.255
            overlapping holes                | 10.0.0.0/24   | 10.0.0.10-10.0.0.20 10.0.0.15-10.0.0.30 | 10.0.0.0-10.0.0.9 10.0.0.31-10.0.0.255
            unsorted holes                   | 10.0.0.0/24   | 10.0.0.200 10.0.0.100             | 10.0.0.0-10.0.0.99 10.0.0.101-10.0.0.199 10.0.0.201-10.0.0.255
            hole outside                     | 10.0.0.0/24   | 10.0.1.0/24                       | 10.0.0.0-10.0.0.255
            hole straddling the start        | 10.0.0.0/24   | 9.255.255.250-10.0.0.5            | 10.0.0.6-10.0.0.255
            hole straddling the end          | 10.0.0.0/24   | 10.0.0.250-10.0.1.5               | 10.0.0.0-10.0.0.249
            hole of the other family ignored | 10.0.0.0/24   | ::/0                              | 10.0.0.0-10.0.0.255
            v4 hole at the family's start    | 0.0.0.0/0     | 0.0.0.0/8                         | 1.0.0.0-255.255.255.255
            v4 hole at the family's end      | 0.0.0.0/0     | 255.255.255.255                   | 0.0.0.0-255.255.255.254
            v4 holes at both ends            | 0.0.0.0/0     | 0.0.0.0 255.255.255.255           | 0.0.0.1-255.255.255.254
            v4 whole space minus itself      | 0.0.0.0/0     | 0.0.0.0/0                         |
            v6 hole at the family's end      | ::/0          | ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff | ::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe
            v6 hole at the family's start    | ::/0          | ::                                | ::1-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff
            v6 hole across hi/lo boundary    | fd00::/48     | fd00:0:0:0:ffff:ffff:ffff:ffff-fd00:0:0:1::  | fd00::-fd00::ffff:ffff:ffff:fffe fd00:0:0:1::1-fd00::ffff:ffff:ffff:ffff:ffff
            v6 /64 except /65 upper half     | fd00::/64     | fd00::8000:0:0:0/65               | fd00::-fd00::7fff:ffff:ffff:ffff
            """)
    void minus(String name, String range, String holes, String expected) {
        assertEquals(expected == null ? "" : expected, show(range(range).minus(ranges(holes))));
    }

    @ParameterizedTest(name = "{0}: [{1}] -> [{2}]")
    @CsvSource(delimiter = '|', textBlock = """
            empty                       |                                   |
            one                         | 10.0.0.1                          | 10.0.0.1
            sorted                      | 10.0.0.9 10.0.0.1                 | 10.0.0.1 10.0.0.9
            adjacent merge              | 10.0.0.1 10.0.0.2                 | 10.0.0.1-10.0.0.2
            overlapping merge           | 10.0.0.0/25 10.0.0.64/26          | 10.0.0.0-10.0.0.127
            contained                   | 10.0.0.0/24 10.0.0.7              | 10.0.0.0-10.0.0.255
            gap of one kept apart       | 10.0.0.1 10.0.0.3                 | 10.0.0.1 10.0.0.3
            duplicates                  | 10.0.0.1 10.0.0.1                 | 10.0.0.1
            families never merge        | 255.255.255.255 ::                | 255.255.255.255 ::
            v4 end of space             | 255.255.255.254 255.255.255.255   | 255.255.255.254-255.255.255.255
            v6 end of space             | ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe | ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff
            v6 adjacent across halves   | ::ffff:ffff:ffff:ffff 0:0:0:1::   | ::ffff:ffff:ffff:ffff-0:0:0:1::
            chain of three              | 10.0.0.5-10.0.0.9 10.0.0.1-10.0.0.4 10.0.0.10 | 10.0.0.1-10.0.0.10
            """)
    void normalise(String name, String in, String expected) {
        assertEquals(expected == null ? "" : expected, show(IpRange.normalise(ranges(in))));
    }

    @Test
    void rejectsEmptyAndMixedRanges() {
        assertThrows(IllegalArgumentException.class,
                () -> new IpRange(IpAddress.parse("10.0.0.2"), IpAddress.parse("10.0.0.1")));
        assertThrows(IllegalArgumentException.class,
                () -> new IpRange(IpAddress.parse("10.0.0.1"), IpAddress.parse("::1")));
        assertThrows(IllegalArgumentException.class, () -> new IpRange(null, IpAddress.parse("::1")));
    }

    @Test
    void ipBlockExceptIsTheRangeMinusTheExceptions() {
        Peer.IpBlock block = new Peer.IpBlock(Cidr.parse("10.0.0.0/16"),
                List.of(Cidr.parse("10.0.1.0/24"), Cidr.parse("10.0.0.0/24"), Cidr.parse("10.0.255.255/32")));
        assertEquals("10.0.2.0-10.0.255.254", show(block.ranges()));
        assertThrows(IllegalArgumentException.class,
                () -> new Peer.IpBlock(Cidr.parse("10.0.0.0/16"), List.of(Cidr.parse("10.1.0.0/24"))));
        assertThrows(IllegalArgumentException.class,
                () -> new Peer.IpBlock(Cidr.parse("10.0.0.0/16"), List.of(Cidr.parse("::/0"))));
    }
}
