package dev.palisade.agent.sync;

import dev.palisade.model.IpAddress;
import dev.palisade.model.IpRange;
import dev.palisade.model.Cidr;
import dev.palisade.model.Protocol;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;
import dev.palisade.ruleset.PeerSet;
import dev.palisade.ruleset.PortRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which tracked flows a change revokes, as tables: the case name first. */
class RevocationTest {

    private static final String DB = "10.244.1.2";
    private static final String WEB = "10.244.1.3";
    private static final String NODE = "10.0.0.1";
    private static final Set<IpAddress> NODE_ADDRESSES = Set.of(ip(NODE), ip("10.244.1.1"));

    private static IpAddress ip(String s) {
        return IpAddress.parse(s);
    }

    private static TreeSet<IpAddress> ips(String... s) {
        TreeSet<IpAddress> out = new TreeSet<>();
        Arrays.stream(s).map(IpAddress::parse).forEach(out::add);
        return out;
    }

    private static TrackedFlow flow(int proto, String src, String dst, int dport) {
        return new TrackedFlow(proto, ip(src), ip(dst), dport, new byte[] {(byte) dport, (byte) proto}, OptionalInt.empty());
    }

    private static Grant grant(String pod, PeerSet peers, PortRange... ports) {
        return new Grant("shop/p", 0, ips(pod), peers, List.of(ports));
    }

    private static PeerSet peers(String... addresses) {
        return new PeerSet(false, ips(addresses), List.of());
    }

    private static PeerSet range(String cidr) {
        return new PeerSet(false, new TreeSet<>(), List.of(Cidr.parse(cidr).range()));
    }

    private static NodeRuleSet ingress(String isolated, Grant... grants) {
        return new NodeRuleSet("n1", ips(DB, WEB), new DirectionRules(ips(isolated), List.of(grants)), DirectionRules.NONE);
    }

    private static NodeRuleSet egress(String isolated, Grant... grants) {
        return new NodeRuleSet("n1", ips(DB, WEB), DirectionRules.NONE, new DirectionRules(ips(isolated), List.of(grants)));
    }

    private static final NodeRuleSet OPEN = new NodeRuleSet("n1", ips(DB, WEB), DirectionRules.NONE, DirectionRules.NONE);
    private static final PortRange TCP_3306 = new PortRange(Protocol.TCP, 3306, 3306);

    static Stream<Arguments> cases() {
        TrackedFlow webToDb = flow(6, WEB, DB, 3306);
        TrackedFlow outsideToDb = flow(6, "192.168.9.9", DB, 3306);
        TrackedFlow udpToDb = flow(17, WEB, DB, 3306);
        TrackedFlow icmpToDb = flow(1, WEB, DB, 0);
        TrackedFlow nodeToDb = flow(6, NODE, DB, 3306);
        TrackedFlow dbToNode = flow(6, DB, NODE, 10250);
        TrackedFlow dbToOutside = flow(6, DB, "8.8.8.8", 53);
        TrackedFlow dbToOutsideUdp = flow(17, DB, "8.8.8.8", 53);
        return Stream.of(
                Arguments.of("a grant removed: its flows go, the node's own stays",
                        Optional.of(ingress(DB, grant(DB, peers(WEB), TCP_3306))), ingress(DB),
                        List.of(webToDb, nodeToDb), List.of(webToDb)),
                Arguments.of("newly isolated, nothing allowed: everything to the pod goes",
                        Optional.of(OPEN), ingress(DB), List.of(webToDb, outsideToDb, udpToDb, icmpToDb),
                        List.of(webToDb, outsideToDb, udpToDb, icmpToDb)),
                Arguments.of("a port narrowed to TCP: UDP on the same port and ICMP go",
                        Optional.of(ingress(DB, grant(DB, peers(WEB)))), ingress(DB, grant(DB, peers(WEB), TCP_3306)),
                        List.of(webToDb, udpToDb, icmpToDb), List.of(udpToDb, icmpToDb)),
                Arguments.of("a peer range narrowed: the address outside it goes",
                        Optional.of(ingress(DB, grant(DB, range("0.0.0.0/0"), TCP_3306))),
                        ingress(DB, grant(DB, range("10.244.0.0/16"), TCP_3306)),
                        List.of(webToDb, outsideToDb), List.of(outsideToDb)),
                Arguments.of("an endPort range narrowed",
                        Optional.of(ingress(DB, grant(DB, peers(WEB), new PortRange(Protocol.TCP, 3000, 3999)))),
                        ingress(DB, grant(DB, peers(WEB), new PortRange(Protocol.TCP, 3000, 3300))),
                        List.of(webToDb, flow(6, WEB, DB, 3100)), List.of(webToDb)),
                Arguments.of("widened: nothing goes",
                        Optional.of(ingress(DB, grant(DB, peers(WEB), TCP_3306))), OPEN, List.of(webToDb, outsideToDb),
                        List.of()),
                Arguments.of("a flow the old rules denied too is not counted (it never was open)",
                        Optional.of(ingress(DB, grant(DB, peers(WEB), TCP_3306))), ingress(DB),
                        List.of(outsideToDb), List.of()),
                Arguments.of("egress: DNS over UDP only, the TCP flow goes; to the node stays",
                        Optional.of(egress(DB, grant(DB, PeerSet.ANY))),
                        egress(DB, grant(DB, PeerSet.ANY, new PortRange(Protocol.UDP, 53, 53))),
                        List.of(dbToOutside, dbToOutsideUdp, dbToNode), List.of(dbToOutside)),
                Arguments.of("unknown before (first apply): whatever the new rules deny goes",
                        Optional.empty(), ingress(DB, grant(DB, peers(WEB), TCP_3306)),
                        List.of(webToDb, outsideToDb, nodeToDb), List.of(outsideToDb)),
                Arguments.of("unknown before, nothing isolated: nothing goes, no pod narrowed",
                        Optional.empty(), OPEN, List.of(webToDb, outsideToDb), List.of()),
                Arguments.of("a pod of another node's flow passing through is not ours",
                        Optional.of(OPEN), ingress(DB), List.of(flow(6, "10.244.7.7", "10.244.8.8", 80)), List.of()),
                Arguments.of("pod to pod on the node: the client's egress narrowed",
                        Optional.of(egress(WEB, grant(WEB, peers(DB)))), egress(WEB, grant(WEB, peers(DB), TCP_3306)),
                        List.of(webToDb, flow(6, WEB, DB, 22)), List.of(flow(6, WEB, DB, 22))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void revoked(String name, Optional<NodeRuleSet> before, NodeRuleSet after, List<TrackedFlow> tracked,
                 List<TrackedFlow> expected) {
        assertEquals(expected, Revocation.revoked(before, after, NODE_ADDRESSES, tracked));
    }

    @Test
    void aChangeThatKeepsEveryPodsAllowancesNarrowsNoPod() {
        NodeRuleSet before = ingress(DB, grant(DB, peers(WEB), TCP_3306));
        // the same allowance under another policy name, and a new pod elsewhere: nothing shrank
        NodeRuleSet after = new NodeRuleSet("n1", ips(DB, WEB, "10.244.1.9"), new DirectionRules(ips(DB),
                List.of(new Grant("shop/renamed", 3, ips(DB), peers(WEB), List.of(TCP_3306)))), DirectionRules.NONE);
        assertTrue(Revocation.narrowed(Optional.of(before), after).isEmpty());
        assertEquals(ips(DB), Revocation.narrowed(Optional.of(before), ingress(DB)));
        assertEquals(ips(DB), Revocation.narrowed(Optional.empty(), before), "unknown before: every isolated pod");
    }

    @Test
    void aNewPodThePendingGuardHeldIsNotNarrowedOneItDidNotHoldIs() {
        NodeRuleSet before = ingress(DB, grant(DB, peers(WEB), TCP_3306));
        String fresh = "10.244.1.9";
        NodeRuleSet after = new NodeRuleSet("n1", ips(DB, WEB, fresh), new DirectionRules(ips(DB, fresh),
                List.of(new Grant("shop/p", 0, ips(DB), peers(WEB), List.of(TCP_3306)))), DirectionRules.NONE);
        TrackedFlow toFresh = flow(6, WEB, fresh, 80);
        assertTrue(Revocation.narrowed(Optional.of(before), after, pod -> true).isEmpty());
        assertEquals(List.of(), Revocation.revoked(Optional.of(before), after, pod -> true, NODE_ADDRESSES, List.of(toFresh)));
        assertEquals(ips(fresh), Revocation.narrowed(Optional.of(before), after, pod -> false));
        assertEquals(List.of(toFresh), Revocation.revoked(Optional.of(before), after, pod -> false, NODE_ADDRESSES,
                List.of(toFresh)));
        assertEquals(ips(DB, fresh), Revocation.narrowed(Optional.empty(), after, pod -> true),
                "unknown before: nothing is known to have been held");
    }

    @Test
    void ipv6FlowsAreJudgedLikeIpv4() {
        String db6 = "fd00:10:244:1::2";
        NodeRuleSet before = new NodeRuleSet("n1", ips(db6), new DirectionRules(ips(db6), List.of(new Grant("shop/p", 0,
                ips(db6), new PeerSet(false, new TreeSet<>(), List.of(new IpRange(ip("fd00::"), ip("fd00::ffff")))),
                List.of()))), DirectionRules.NONE);
        NodeRuleSet after = new NodeRuleSet("n1", ips(db6), new DirectionRules(ips(db6), List.of()), DirectionRules.NONE);
        TrackedFlow f = flow(6, "fd00::5", db6, 443);
        assertEquals(List.of(f), Revocation.revoked(Optional.of(before), after, Set.of(), List.of(f)));
    }
}
