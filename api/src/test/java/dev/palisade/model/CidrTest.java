package dev.palisade.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CidrTest {

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', textBlock = """
            v4 already normal         | 10.0.0.0/8           | 10.0.0.0/8           | 10.0.0.0        | 10.255.255.255
            v4 host bits cleared      | 10.1.2.3/16          | 10.1.0.0/16          | 10.1.0.0        | 10.1.255.255
            v4 odd prefix             | 10.0.0.77/27         | 10.0.0.64/27         | 10.0.0.64       | 10.0.0.95
            v4 whole space            | 1.2.3.4/0            | 0.0.0.0/0            | 0.0.0.0         | 255.255.255.255
            v4 host                   | 1.2.3.4/32           | 1.2.3.4/32           | 1.2.3.4         | 1.2.3.4
            v4 bare address is a host | 1.2.3.4              | 1.2.3.4/32           | 1.2.3.4         | 1.2.3.4
            v4 /31                    | 1.2.3.5/31           | 1.2.3.4/31           | 1.2.3.4         | 1.2.3.5
            v6 host bits cleared      | 2001:db8::1/64       | 2001:db8::/64        | 2001:db8::      | 2001:db8::ffff:ffff:ffff:ffff
            v6 prefix inside hi half  | fd00:1:2:3::/40      | fd00:1::/40          | fd00:1::        | fd00:1:ff:ffff:ffff:ffff:ffff:ffff
            v6 prefix inside lo half  | fd00::1:2:3:4/100    | fd00::1:2:0:0/100    | fd00::1:2:0:0   | fd00::1:2:fff:ffff
            v6 prefix 65              | fd00::8000:0:0:1/65  | fd00::8000:0:0:0/65  | fd00::8000:0:0:0 | fd00::ffff:ffff:ffff:ffff
            v6 prefix 63              | 0:0:0:1::1/63        | ::/63                | ::              | ::1:ffff:ffff:ffff:ffff
            v6 whole space            | ::1/0                | ::/0                 | ::              | ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff
            v6 host                   | 2001:db8::1/128      | 2001:db8::1/128      | 2001:db8::1     | 2001:db8::1
            v6 bare address is a host | 2001:db8::1          | 2001:db8::1/128      | 2001:db8::1     | 2001:db8::1
            """)
    void normalisesAndBounds(String name, String text, String normal, String first, String last) {
        Cidr c = Cidr.parse(text);
        assertEquals(normal, c.toString());
        assertEquals(IpAddress.parse(first), c.first());
        assertEquals(IpAddress.parse(last), c.last());
        assertEquals(new IpRange(c.first(), c.last()), c.range());
        assertEquals(c, Cidr.parse(normal));
    }

    @ParameterizedTest(name = "{0}: {1} contains {2} = {3}")
    @CsvSource(delimiter = '|', textBlock = """
            v4 first address         | 10.0.1.0/24   | 10.0.1.0         | true
            v4 last address          | 10.0.1.0/24   | 10.0.1.255       | true
            v4 one below             | 10.0.1.0/24   | 10.0.0.255       | false
            v4 one above             | 10.0.1.0/24   | 10.0.2.0         | false
            v4 whole space           | 0.0.0.0/0     | 255.255.255.255  | true
            v4 never contains v6     | 0.0.0.0/0     | ::               | false
            v6 never contains v4     | ::/0          | 10.0.0.1         | false
            v6 mapped v4 is still v6 | ::ffff:0:0/96 | 10.0.0.1         | false
            v6 mapped v4 address     | ::ffff:0:0/96 | ::ffff:10.0.0.1  | true
            v6 last of /64           | fd00::/64     | fd00::ffff:ffff:ffff:ffff | true
            v6 past /64              | fd00::/64     | fd00:0:0:1::     | false
            """)
    void contains(String name, String cidr, String address, boolean expected) {
        assertEquals(expected, Cidr.parse(cidr).contains(IpAddress.parse(address)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', textBlock = """
            v4 prefix too long      | 10.0.0.0/33
            v6 prefix too long      | ::/129
            negative prefix         | 10.0.0.0/-1
            empty prefix            | 10.0.0.0/
            prefix with plus sign   | 10.0.0.0/+8
            prefix not a number     | 10.0.0.0/x
            bad address             | 10.0.0/8
            two slashes             | 10.0.0.0/8/8
            """)
    void rejectsInvalidText(String name, String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cidr.parse(text));
        assertTrue(e.getMessage().contains(text), e.getMessage());
    }

    @Test
    void rejectsEmptyText() {
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse(""));
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse(" "));
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse(null));
    }

    @Test
    void equalAfterNormalisation() {
        assertEquals(Cidr.parse("10.0.0.1/24"), Cidr.parse("10.0.0.200/24"));
        assertFalse(Cidr.parse("10.0.0.0/24").equals(Cidr.parse("10.0.0.0/25")));
    }
}
