package dev.palisade.dataplane.translate;

import dev.palisade.dataplane.nft.Table;
import dev.palisade.dataplane.translate.NftInterpreter.Hook;
import dev.palisade.dataplane.translate.NftInterpreter.Packet;
import dev.palisade.model.IpAddress;
import dev.palisade.model.Protocol;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;
import dev.palisade.ruleset.PeerSet;
import dev.palisade.ruleset.PortRange;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Packets that conntrack does not know: TCP without SYN is taken up as a new connection in the
 * packet's direction. Dropped when that direction is not policed and the opposite one is, so a
 * revoked connection whose conntrack entry the agent deleted cannot come back through a packet of
 * its server; judged by the policy as usual when its own direction is policed.
 */
class MidStreamLayoutTest {

    /**
     * 10.0.1.10 and fd00:1::10 isolated for ingress (from .20 on TCP 80); 10.0.1.11 isolated for
     * egress (to .30 on TCP 443); 10.0.1.12 both.
     */
    private static final Table TABLE = RuleSetTranslator.translate(ruleSet());

    private static NodeRuleSet ruleSet() {
        TreeSet<IpAddress> in = ips("10.0.1.10", "fd00:1::10", "10.0.1.12");
        TreeSet<IpAddress> out = ips("10.0.1.11", "10.0.1.12");
        TreeSet<IpAddress> all = ips("10.0.1.10", "fd00:1::10", "10.0.1.11", "10.0.1.12");
        Grant from = new Grant("prod/in", 0, in, new PeerSet(false, ips("10.0.2.20", "fd00:2::20"), List.of()),
                List.of(new PortRange(Protocol.TCP, 80, 80)));
        Grant to = new Grant("prod/out", 0, out, new PeerSet(false, ips("10.0.2.30"), List.of()),
                List.of(new PortRange(Protocol.TCP, 443, 443)));
        return new NodeRuleSet("n1", all, new DirectionRules(in, List.of(from)), new DirectionRules(out, List.of(to)));
    }

    private static TreeSet<IpAddress> ips(String... s) {
        TreeSet<IpAddress> out = new TreeSet<>();
        Arrays.stream(s).map(IpAddress::parse).forEach(out::add);
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            the server speaks first to a revoked client            | 6  | 10.0.1.10  | 10.0.2.99  | 5000 | ack,psh | false
            the server speaks first to an allowed client (cost)    | 6  | 10.0.1.10  | 10.0.2.20  | 5000 | ack     | false
            the allowed client speaks first: the policy allows it   | 6  | 10.0.2.20  | 10.0.1.10  | 80   | ack,psh | true
            the revoked client speaks first: the policy drops it    | 6  | 10.0.2.99  | 10.0.1.10  | 80   | ack     | false
            IPv6: the server speaks first to a revoked client       | 6  | fd00:1::10 | fd00:2::99 | 5000 | ack     | false
            IPv6: the allowed client speaks first                   | 6  | fd00:2::20 | fd00:1::10 | 80   | ack     | true
            an answer to an egress-isolated pod                     | 6  | 10.0.2.30  | 10.0.1.11  | 5000 | ack     | false
            a SYN-ACK to an egress-isolated pod                     | 6  | 10.0.2.30  | 10.0.1.11  | 5000 | syn,ack | false
            the egress-isolated pod sends first, allowed            | 6  | 10.0.1.11  | 10.0.2.30  | 443  | ack     | true
            the egress-isolated pod sends first, revoked            | 6  | 10.0.1.11  | 10.0.2.99  | 443  | ack     | false
            isolated both ways, the allowed client speaks first     | 6  | 10.0.2.20  | 10.0.1.12  | 80   | ack     | true
            traffic of no pod                                       | 6  | 10.0.2.50  | 10.0.2.60  | 80   | ack     | true
            a SYN to the isolated pod, allowed                      | 6  | 10.0.2.20  | 10.0.1.10  | 80   | syn     | true
            a SYN from the ingress-isolated pod (egress open)       | 6  | 10.0.1.10  | 10.0.2.99  | 22   | syn     | true
            UDP carries no such marker: a server's datagram passes  | 17 | 10.0.1.10  | 10.0.2.99  | 5000 |         | true
            """)
    void firstPacketUnknownToConntrack(String name, int proto, String src, String dst, int dport, String flags,
                                       boolean accepted) {
        Set<String> f = flags == null ? Set.of() : Set.of(flags.split(","));
        Packet p = new Packet(IpAddress.parse(src), IpAddress.parse(dst), proto, dport, "new", f);
        assertEquals(accepted, NftInterpreter.accepts(TABLE, Hook.FORWARD, p),
                () -> NftInterpreter.run(TABLE, Hook.FORWARD, p).toString());
    }
}
