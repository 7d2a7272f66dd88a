package dev.palisade.dataplane;

import dev.palisade.model.IpAddress;
import dev.palisade.model.IpRange;
import dev.palisade.model.Protocol;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;
import dev.palisade.ruleset.PeerSet;
import dev.palisade.ruleset.PortRange;

import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * Rule sets for dataplane tests, written as contract values (no compiler), covering every set kind:
 * exact ports, port ranges, ipBlocks (prefix and non-prefix ranges), every-port peers, "any peer",
 * IPv4 and IPv6. src/test/resources/.../readback/applied.json is nft 1.0.6's JSON listing of
 * {@link #everySetKind()} as loaded into a kernel.
 */
public final class SampleRuleSets {

    private SampleRuleSets() {
    }

    public static NodeRuleSet everySetKind() {
        TreeSet<IpAddress> pods = ips("10.0.1.10", "10.0.1.11", "fd00::10");
        Grant exactPort = new Grant("ns/p", 0, ips("10.0.1.10"), peers(ips("10.0.2.20")),
                List.of(new PortRange(Protocol.TCP, 80, 80)));
        Grant ranges = new Grant("ns/p", 1, ips("10.0.1.10"),
                new PeerSet(false, ips("10.0.2.21"), List.of(range("10.1.0.0", "10.1.255.255"), range("10.3.0.1", "10.3.0.5"))),
                List.of(new PortRange(Protocol.UDP, 1000, 2000), new PortRange(Protocol.TCP, 0, 65535)));
        Grant everyPort = new Grant("ns/q", 0, ips("10.0.1.11"),
                new PeerSet(false, ips("10.0.2.22"), List.of(range("192.168.0.0", "192.168.0.255"))), List.of());
        Grant anyPeer = new Grant("ns/r", 0, ips("fd00::10"), PeerSet.ANY, List.of(new PortRange(Protocol.SCTP, 5, 5)));
        DirectionRules ingress = new DirectionRules(pods, List.of(exactPort, ranges, everyPort, anyPeer));
        DirectionRules egress = new DirectionRules(ips("10.0.1.11"), List.of(everyPort));
        return new NodeRuleSet("n1", pods, ingress, egress);
    }

    /** One isolated pod allowing TCP {@code port} from {@code peers}: the simplest membership change. */
    public static NodeRuleSet allowFrom(String pod, int port, String... peers) {
        Grant g = new Grant("prod/db", 0, ips(pod), peers(ips(peers)), List.of(new PortRange(Protocol.TCP, port, port)));
        return new NodeRuleSet("n1", ips(pod), new DirectionRules(ips(pod), peers.length == 0 ? List.of() : List.of(g)),
                DirectionRules.NONE);
    }

    public static TreeSet<IpAddress> ips(String... addresses) {
        return new TreeSet<>(Arrays.stream(addresses).map(IpAddress::parse).toList());
    }

    public static PeerSet peers(TreeSet<IpAddress> addresses) {
        return new PeerSet(false, addresses, List.of());
    }

    public static IpRange range(String first, String last) {
        return new IpRange(IpAddress.parse(first), IpAddress.parse(last));
    }
}
