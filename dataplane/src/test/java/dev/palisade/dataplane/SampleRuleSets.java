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

/** Rule sets for dataplane tests, written as contract values (no compiler). */
public final class SampleRuleSets {

    private SampleRuleSets() {
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
