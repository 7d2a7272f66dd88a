package dev.palisade.operator.publish;

import dev.palisade.model.IpAddress;
import dev.palisade.model.IpRange;
import dev.palisade.model.Protocol;
import dev.palisade.operator.resource.AddressSetSpec;
import dev.palisade.operator.resource.PeersWire;
import dev.palisade.ruleset.ClusterVerdict;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;
import dev.palisade.ruleset.PeerSet;
import dev.palisade.ruleset.PortRange;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RuleSetEncoderTest {

    private static IpAddress v4(long n) {
        return new IpAddress(IpAddress.Family.V4, 0, 0x0a000000L + n);
    }

    private static SortedSet<IpAddress> addresses(int from, int count) {
        SortedSet<IpAddress> out = new TreeSet<>();
        for (int i = 0; i < count; i++) {
            out.add(v4(from + i));
        }
        return out;
    }

    /** A node with two local pods, an ingress grant from {@code peers} peers and an egress grant to anywhere. */
    private static NodeRuleSet node(String name, int peers) {
        SortedSet<IpAddress> local = addresses(1, 2);
        PeerSet big = new PeerSet(false, addresses(1000, peers),
                List.of(new IpRange(IpAddress.parse("192.168.0.0"), IpAddress.parse("192.168.0.255"))));
        Grant in = new Grant("prod/web", 0, local, big, List.of(new PortRange(Protocol.TCP, 80, 80),
                new PortRange(Protocol.UDP, 5000, 5100)));
        Grant out = new Grant("prod/web", 0, local, PeerSet.ANY, List.of());
        Grant v6 = new Grant("prod/v6", 1, local, new PeerSet(false, new TreeSet<>(List.of(IpAddress.parse("fd00::1"))),
                List.of()), List.of(PortRange.all(Protocol.SCTP)));
        return new NodeRuleSet(name, local, new DirectionRules(local, List.of(in, v6)), new DirectionRules(local, List.of(out)));
    }

    private static NodeRuleSet roundTrip(RuleSetEncoder.Desired d, String node) {
        return RuleSetDecoder.decode(node, d.nodes().get(node).ruleSet(), n -> Optional.ofNullable(d.addressSets().get(n)));
    }

    /** {@code node} with an ingress Deny from {@code peers} peers on TCP 80 and ICMP, and an egress Accept to anywhere. */
    private static NodeRuleSet withVerdicts(NodeRuleSet plain, int peers) {
        PeerSet far = new PeerSet(false, addresses(5000, peers),
                List.of(new IpRange(IpAddress.parse("172.16.0.0"), IpAddress.parse("172.16.255.255"))));
        ClusterVerdict deny = new ClusterVerdict(ClusterVerdict.Decision.DENY, "lockdown#ingress[0]", plain.localPods(), far,
                List.of(new PortRange(Protocol.TCP, 80, 80)), true);
        ClusterVerdict accept = new ClusterVerdict(ClusterVerdict.Decision.ACCEPT, "dns#egress[2]",
                new TreeSet<>(List.of(v4(1))), PeerSet.ANY, List.of(new PortRange(Protocol.UDP, 53, 53)), false);
        return new NodeRuleSet(plain.node(), plain.localPods(), plain.ingress().withVerdicts(List.of(deny)),
                plain.egress().withVerdicts(List.of(accept)), plain.holders());
    }

    @Test
    void clusterNetworkPolicyVerdictsTravelInlineAndRoundTrip() {
        NodeRuleSet rs = withVerdicts(node("node-1", 3), 3);
        RuleSetEncoder.Desired d = new RuleSetEncoder(RuleSetEncoder.Limits.DEFAULT).encode(List.of(rs));
        assertTrue(d.addressSets().isEmpty());
        assertEquals(rs, roundTrip(d, "node-1"));
        var in = d.nodes().get("node-1").ruleSet().ingress().verdicts();
        assertEquals(1, in.size());
        assertEquals("DENY", in.get(0).decision());
        assertEquals(List.of("TCP/80"), in.get(0).ports());
        assertEquals(Boolean.TRUE, in.get(0).otherProtocols());
        assertEquals(List.of("10.0.19.136", "10.0.19.137", "10.0.19.138"), in.get(0).peers().addresses());
        String json = CanonicalJson.text(d.nodes().get("node-1").ruleSet());
        assertTrue(json.contains("\"verdicts\":[{\"decision\":\"DENY\",\"otherProtocols\":true,"), json);
        assertTrue(json.contains("{\"decision\":\"ACCEPT\",\"peers\":{\"any\":true},\"pods\":[\"10.0.0.1\"],"
                + "\"ports\":[\"UDP/53\"],\"rule\":\"dns#egress[2]\"}"), json);
        assertNotEquals(new RuleSetEncoder(RuleSetEncoder.Limits.DEFAULT).encode(List.of(node("node-1", 3)))
                .nodes().get("node-1").hash(), d.nodes().get("node-1").hash(), "the verdicts are part of the hash");
    }

    @Test
    void largeVerdictPeerSetsShareThePartsOfGrantPeerSets() {
        RuleSetEncoder encoder = new RuleSetEncoder(new RuleSetEncoder.Limits(16, 64, 1 << 20));
        NodeRuleSet rs = withVerdicts(node("node-1", 500), 500);
        RuleSetEncoder.Desired d = encoder.encode(List.of(rs));
        assertEquals(rs, roundTrip(d, "node-1"));
        var deny = d.nodes().get("node-1").ruleSet().ingress().verdicts().get(0);
        assertTrue(deny.peers().addresses().isEmpty() && deny.peers().ranges().isEmpty());
        assertTrue(d.nodes().get("node-1").addressSets().containsAll(deny.peers().addressSets()));
        assertTrue(d.addressSets().keySet().containsAll(deny.peers().addressSets()));
        assertEquals(32, d.addressSets().size(), "two peer sets of 501 entries, 16 parts each");
        assertThrows(IllegalArgumentException.class, () -> RuleSetDecoder.decode("node-1", d.nodes().get("node-1").ruleSet(),
                n -> deny.peers().addressSets().contains(n) ? Optional.empty() : Optional.ofNullable(d.addressSets().get(n))),
                "a verdict with a missing part is not decoded without it");
    }

    /** Rule sets without verdicts render exactly as before the field existed (golden files and hashes unchanged). */
    @Test
    void withoutVerdictsTheFieldIsLeftOut() {
        RuleSetEncoder.Desired d = new RuleSetEncoder(RuleSetEncoder.Limits.DEFAULT).encode(List.of(node("node-1", 3)));
        String json = CanonicalJson.text(d.nodes().get("node-1").ruleSet());
        assertFalse(json.contains("verdicts"), json);
        assertTrue(json.contains("\"ingress\":{\"grants\":["), json);
    }

    @Test
    void aVerdictWithAnUnknownDecisionIsNotDecoded() {
        RuleSetEncoder.Desired d = new RuleSetEncoder(RuleSetEncoder.Limits.DEFAULT).encode(List.of(withVerdicts(node("node-1", 3), 3)));
        var wire = d.nodes().get("node-1").ruleSet();
        var v = wire.ingress().verdicts().get(0);
        var bad = new dev.palisade.operator.resource.RuleSetWire(wire.localPods(),
                new dev.palisade.operator.resource.DirectionWire(wire.ingress().isolated(), wire.ingress().grants(),
                        List.of(new dev.palisade.operator.resource.VerdictWire("PASS", v.rule(), v.pods(), v.peers(),
                                v.ports(), v.otherProtocols()))),
                wire.egress(), wire.holders());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RuleSetDecoder.decode("node-1", bad, n -> Optional.empty()));
        assertTrue(e.getMessage().contains("\"PASS\""), e.getMessage());
    }

    @Test
    void smallPeerSetsStayInlineAndRoundTrip() {
        NodeRuleSet rs = node("node-1", 10);
        RuleSetEncoder.Desired d = new RuleSetEncoder(RuleSetEncoder.Limits.DEFAULT).encode(List.of(rs));
        assertTrue(d.addressSets().isEmpty());
        assertEquals(rs, roundTrip(d, "node-1"));
        assertEquals(3, d.nodes().get("node-1").summary().grants());
        assertEquals(12, d.nodes().get("node-1").summary().addresses());
    }

    @Test
    void holdersTravelAsAddressAndUidSortedAndRoundTrip() {
        NodeRuleSet plain = node("node-1", 3);
        SortedMap<IpAddress, SortedSet<String>> holders = new TreeMap<>();
        holders.put(v4(2), new TreeSet<>(List.of("uid-new", "uid-old")));
        holders.put(v4(1), new TreeSet<>(List.of("uid-1")));
        NodeRuleSet rs = new NodeRuleSet("node-1", plain.localPods(), plain.ingress(), plain.egress(), holders);
        RuleSetEncoder.Desired d = new RuleSetEncoder(RuleSetEncoder.Limits.DEFAULT).encode(List.of(rs));
        assertEquals(List.of("10.0.0.1 uid-1", "10.0.0.2 uid-new", "10.0.0.2 uid-old"), d.nodes().get("node-1").ruleSet().holders());
        assertEquals(rs, roundTrip(d, "node-1"));
        RuleSetEncoder.Desired without = new RuleSetEncoder(RuleSetEncoder.Limits.DEFAULT).encode(List.of(plain));
        assertNotEquals(without.nodes().get("node-1").hash(), d.nodes().get("node-1").hash(), "the holders are part of the hash");
        assertEquals(List.of(), without.nodes().get("node-1").ruleSet().holders());
    }

    @Test
    void largePeerSetsMoveIntoSharedPartsThatRoundTrip() {
        RuleSetEncoder encoder = new RuleSetEncoder(new RuleSetEncoder.Limits(16, 64, 1 << 20));
        RuleSetEncoder.Desired d = encoder.encode(List.of(node("node-1", 500), node("node-2", 500)));
        assertEquals(node("node-1", 500), roundTrip(d, "node-1"));
        assertEquals(node("node-2", 500), roundTrip(d, "node-2"));
        // 501 entries, parts of at most 64 entries on average 16-32: 2^k = 16 parts, shared by both nodes.
        assertEquals(d.nodes().get("node-1").addressSets(), d.nodes().get("node-2").addressSets());
        assertEquals(16, d.addressSets().size());
        int total = 0;
        for (var e : d.addressSets().entrySet()) {
            assertTrue(e.getKey().matches("as-[0-9a-f]{16}"), e.getKey());
            assertTrue(e.getValue().entries() <= 64, e.getKey() + " has " + e.getValue().entries());
            assertEquals(e.getKey(), "as-" + CanonicalJson.sha256(e.getValue()).substring(0, 16));
            total += e.getValue().entries();
        }
        assertEquals(501, total);
    }

    @Test
    void addingOnePeerRewritesOnePartOnly() {
        RuleSetEncoder encoder = new RuleSetEncoder(new RuleSetEncoder.Limits(16, 64, 1 << 20));
        var before = encoder.encode(List.of(node("node-1", 500))).addressSets().keySet();
        var after = encoder.encode(List.of(node("node-1", 501))).addressSets().keySet();
        List<String> gone = new ArrayList<>(before);
        gone.removeAll(after);
        List<String> added = new ArrayList<>(after);
        added.removeAll(before);
        assertEquals(1, gone.size(), "parts replaced");
        assertEquals(1, added.size(), "parts added");
    }

    @Test
    void sameInputSameBytesAndHashDifferentInputDifferentHash() {
        RuleSetEncoder encoder = new RuleSetEncoder(RuleSetEncoder.Limits.DEFAULT);
        var a = encoder.encode(List.of(node("node-1", 300))).nodes().get("node-1");
        var b = encoder.encode(List.of(node("node-1", 300))).nodes().get("node-1");
        var c = encoder.encode(List.of(node("node-1", 301))).nodes().get("node-1");
        assertEquals(CanonicalJson.text(a.ruleSet()), CanonicalJson.text(b.ruleSet()));
        assertEquals(a.hash(), b.hash());
        assertNotEquals(a.hash(), c.hash());
        assertEquals(a.hash(), CanonicalJson.sha256(a.ruleSet()));
        assertTrue(a.hash().matches("[0-9a-f]{64}"));
    }

    @Test
    void overBudgetNodeMovesEveryPeerSetOut() {
        RuleSetEncoder encoder = new RuleSetEncoder(new RuleSetEncoder.Limits(1000, 16_384, 2_000));
        var n = encoder.encode(List.of(node("node-1", 400))).nodes().get("node-1");
        assertTrue(n.bytes() < 2_000, n.bytes() + " bytes");
        PeersWire v6 = n.ruleSet().ingress().grants().get(0).peers();
        assertTrue(v6.addresses().isEmpty() && !v6.addressSets().isEmpty(), "even the one-address set is a reference");
    }

    @Test
    void canonicalJsonSortsPropertiesAndLeavesOutEmpties() {
        String json = CanonicalJson.text(new AddressSetSpec(List.of("10.0.0.1"), List.of()));
        assertEquals("{\"addresses\":[\"10.0.0.1\"],\"entries\":1}", json);
        assertEquals("{\"any\":true}", CanonicalJson.text(PeersWire.ANY));
    }

    @Test
    void partsArePowersOfTwoWithMeanAtMostHalfAPart() {
        assertEquals(1, RuleSetEncoder.partsFor(100, 100));
        assertEquals(4, RuleSetEncoder.partsFor(101, 100));
        assertEquals(32, RuleSetEncoder.partsFor(150_000, 16_384) * 1);
    }

    @Test
    void portsAndRangesParseBack() {
        for (String p : List.of("TCP/80", "UDP/5000-5100", "SCTP/0-65535")) {
            assertEquals(p, WireText.port(WireText.parsePort(p)));
        }
        for (String r : List.of("10.0.0.1", "10.0.0.0-10.0.0.255", "fd00::-fd00::ffff")) {
            assertEquals(r, WireText.range(WireText.parseRange(r)));
        }
    }
}
