package dev.palisade.agent.sync;

import dev.palisade.dataplane.nft.NamedSet;
import dev.palisade.dataplane.nft.Table;
import dev.palisade.dataplane.nft.TableDelta;
import dev.palisade.dataplane.translate.NftInterpreter;
import dev.palisade.dataplane.translate.NftInterpreter.Hook;
import dev.palisade.dataplane.translate.NftInterpreter.Packet;
import dev.palisade.model.Cidr;
import dev.palisade.model.IpAddress;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;
import dev.palisade.ruleset.PeerSet;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DesiredTableTest {

    private static final IpAddress CLIENT = IpAddress.parse("10.244.1.2");
    private static final IpAddress SERVER = IpAddress.parse("10.244.1.3");
    private static final List<Cidr> PENDING = List.of(Cidr.parse("10.244.1.0/24"));

    /** The server is isolated for ingress and admits the client on every port. */
    private static NodeRuleSet rules() {
        return new NodeRuleSet("n1", new TreeSet<>(Set.of(CLIENT, SERVER)),
                new DirectionRules(new TreeSet<>(Set.of(SERVER)), List.of(new Grant("default/allow-client", 0,
                        new TreeSet<>(Set.of(SERVER)), new PeerSet(false, new TreeSet<>(Set.of(CLIENT)), List.of()), List.of()))),
                DirectionRules.NONE);
    }

    private static boolean accepted(Table t, IpAddress from, IpAddress to) {
        return NftInterpreter.accepts(t, Hook.FORWARD, Packet.first(from, to, 6, 80));
    }

    @Test
    void aHeldAddressLeavesOnlyTheKnownPodSetsAndTheGuardThenDropsItBothWays() {
        Table known = DesiredTable.of(rules(), true, PENDING);
        Table held = DesiredTable.of(rules(), true, PENDING, Set.of(SERVER));
        assertTrue(accepted(known, CLIENT, SERVER), "the grant, while the server is known");
        assertEquals(false, accepted(held, CLIENT, SERVER), "to the held address");
        assertEquals(false, accepted(held, SERVER, CLIENT), "from the held address");
        assertTrue(accepted(held, CLIENT, IpAddress.parse("192.0.2.1")), "the client itself is still known");

        // one element of pods4 and nothing else: an incremental change, no new table shape
        TableDelta delta = TableDelta.between(known, held).orElseThrow();
        assertEquals(1, delta.changes().size(), delta.toString());
        assertEquals("pods4", delta.changes().get(0).set());
        assertEquals(Set.of(), delta.changes().get(0).added());
        assertEquals(1, delta.changes().get(0).removed().size());
        NamedSet pods4 = held.sets().stream().filter(s -> s.name().equals("pods4")).findFirst().orElseThrow();
        assertEquals(1, pods4.elements().size());
    }

    @Test
    void withoutTheGuardHeldAddressesChangeNothing() {
        assertEquals(DesiredTable.of(rules(), false, List.of()), DesiredTable.of(rules(), false, List.of(), Set.of(SERVER)));
    }
}
