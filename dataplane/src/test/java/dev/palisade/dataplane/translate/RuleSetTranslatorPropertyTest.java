package dev.palisade.dataplane.translate;

import dev.palisade.compiler.RuleSetVerdicts;
import dev.palisade.dataplane.nft.Element;
import dev.palisade.dataplane.nft.NamedSet;
import dev.palisade.dataplane.nft.Table;
import dev.palisade.dataplane.render.NftRenderer;
import dev.palisade.dataplane.translate.NftInterpreter.Hook;
import dev.palisade.dataplane.translate.NftInterpreter.Packet;
import dev.palisade.model.IpAddress;
import dev.palisade.model.IpRange;
import dev.palisade.model.Protocol;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;
import dev.palisade.ruleset.PeerSet;
import dev.palisade.ruleset.PortRange;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The translator alone, on dense rule sets drawn directly (not through the compiler): grants whose
 * peer ranges and port ranges pile up on a tiny address and port space, which is where cutting
 * interval elements into disjoint boxes can go wrong. Two properties: no interval set holds
 * overlapping elements, and every point gets the verdict the contract gives it.
 */
class RuleSetTranslatorPropertyTest {

    static final List<IpAddress> LOCALS = List.of(ip("10.0.0.1"), ip("10.0.0.2"), ip("fd00::1"), ip("fd00::2"));
    /** Peer addresses: 10.1.0.0-10.1.0.31 and fd00:1::-fd00:1::1f, plus the ends of each family's space. */
    static final int PEER_SPACE = 32;
    static final int[] PORTS = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 65533, 65534, 65535};

    static IpAddress ip(String s) {
        return IpAddress.parse(s);
    }

    static IpAddress peer(IpAddress.Family f, int i) {
        return f == IpAddress.Family.V4 ? ip("10.1.0." + i) : ip("fd00:1::" + Integer.toHexString(i));
    }

    @Property(tries = 400)
    void intervalSetsNeverOverlap(@ForAll("ruleSets") NodeRuleSet rs) {
        Table t = RuleSetTranslator.translate(rs);
        for (NamedSet set : t.sets()) {
            if (!set.interval()) {
                continue;
            }
            Statistics.label("interval elements").collect(set.elements().size() < 10 ? "<10"
                    : set.elements().size() < 50 ? "<50" : ">=50");
            List<Element> es = List.copyOf(set.elements());
            for (int i = 0; i < es.size(); i++) {
                for (int j = i + 1; j < es.size(); j++) {
                    Element a = es.get(i);
                    Element b = es.get(j);
                    assertFalse(CompiledPolicyPropertyTest.overlap(a, b), () -> "set " + set.name()
                            + " holds overlapping elements " + NftRenderer.element(a) + " and " + NftRenderer.element(b));
                }
            }
        }
    }

    @Property(tries = 400)
    void everyPointGetsTheContractsVerdict(@ForAll("ruleSets") NodeRuleSet rs, @ForAll Random random) {
        Table t = RuleSetTranslator.translate(rs);
        for (int n = 0; n < 300; n++) {
            IpAddress local = LOCALS.get(random.nextInt(LOCALS.size()));
            IpAddress peer = randomPeer(local.family(), random);
            Protocol proto = Protocol.values()[random.nextInt(Protocol.values().length)];
            int port = PORTS[random.nextInt(PORTS.length)];
            boolean ingress = random.nextBoolean();
            DirectionRules rules = ingress ? rs.ingress() : rs.egress();
            boolean expected = RuleSetVerdicts.allows(rules, local, peer, proto, port);
            Packet p = ingress ? Packet.first(peer, local, proto.number(), port)
                    : Packet.first(local, peer, proto.number(), port);
            var trace = NftInterpreter.run(t, Hook.FORWARD, p);
            Statistics.label("verdict").collect(expected ? "allowed" : "denied");
            assertEquals(expected, trace.accepted(), () -> (ingress ? "ingress " : "egress ") + local + " <> " + peer
                    + " " + proto.lower() + "/" + port + ": " + trace + "\n" + NftRenderer.table(t));
        }
    }

    static IpAddress randomPeer(IpAddress.Family f, Random r) {
        int k = r.nextInt(PEER_SPACE + 2);
        if (k == PEER_SPACE) {
            return f == IpAddress.Family.V4 ? ip("0.0.0.0") : ip("::");
        }
        if (k == PEER_SPACE + 1) {
            return f == IpAddress.Family.V4 ? ip("255.255.255.255") : ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
        }
        return peer(f, k);
    }

    @Provide
    Arbitrary<NodeRuleSet> ruleSets() {
        Arbitrary<List<IpAddress>> localSubset = Arbitraries.subsetOf(LOCALS).ofMinSize(1).map(s -> List.copyOf(new TreeSet<>(s)));
        Arbitrary<DirectionRules> direction = Combinators.combine(localSubset, grants().list().ofMaxSize(8))
                .as((iso, gs) -> new DirectionRules(new TreeSet<>(iso), gs));
        return Combinators.combine(direction, direction)
                .as((in, eg) -> new NodeRuleSet("n", new TreeSet<>(LOCALS), in, eg));
    }

    static Arbitrary<Grant> grants() {
        Arbitrary<IpAddress.Family> family = Arbitraries.of(IpAddress.Family.class);
        Arbitrary<Integer> index = Arbitraries.integers().between(0, PEER_SPACE - 1);
        Arbitrary<List<Integer>> addresses = index.list().ofMaxSize(4);
        Arbitrary<List<int[]>> ranges = Combinators.combine(index, Arbitraries.integers().between(0, 12))
                .as((a, len) -> new int[] {a, Math.min(PEER_SPACE - 1, a + len)}).list().ofMaxSize(3);
        Arbitrary<PeerSet> peers = Combinators.combine(family, addresses, ranges).as((f, as, rs) -> {
            TreeSet<IpAddress> exact = new TreeSet<>();
            as.forEach(i -> exact.add(peer(f, i)));
            List<IpRange> rr = new ArrayList<>();
            rs.forEach(r -> rr.add(new IpRange(peer(f, r[0]), peer(f, r[1]))));
            return new PeerSet(false, exact, rr);
        });
        Arbitrary<PeerSet> wide = Arbitraries.of(
                new PeerSet(false, new TreeSet<>(), List.of(new IpRange(ip("0.0.0.0"), ip("10.1.0.7")))),
                new PeerSet(false, new TreeSet<>(), List.of(new IpRange(ip("fd00:1::8"),
                        ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")))));
        Arbitrary<PeerSet> peerSet = Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(PeerSet.ANY)),
                Tuple.of(1, wide), Tuple.of(6, peers));
        Arbitrary<Protocol> proto = Arbitraries.of(Protocol.TCP, Protocol.TCP, Protocol.UDP, Protocol.SCTP);
        Arbitrary<PortRange> portRange = Combinators.combine(proto, Arbitraries.integers().between(0, 12),
                Arbitraries.integers().between(0, 6)).as((p, first, len) -> new PortRange(p, first, Math.min(12, first + len)));
        Arbitrary<PortRange> edgeRange = proto.flatMap(p -> Arbitraries.of(PortRange.all(p), new PortRange(p, 10, 65535),
                new PortRange(p, 65535, 65535), new PortRange(p, 0, 0)));
        Arbitrary<List<PortRange>> ports = Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(List.of())),
                Tuple.of(4, Arbitraries.frequencyOf(Tuple.of(4, portRange), Tuple.of(1, edgeRange)).list().ofMinSize(1)
                        .ofMaxSize(3)));
        Arbitrary<List<IpAddress>> pods = Arbitraries.subsetOf(LOCALS).ofMinSize(1).map(s -> List.copyOf(new TreeSet<>(s)));
        Arbitrary<Integer> rule = Arbitraries.integers().between(0, 3);
        return Combinators.combine(rule, pods, peerSet, ports)
                .as((r, ps, peer, pr) -> new Grant("ns/p", r, new TreeSet<>(ps), peer, pr));
    }
}
