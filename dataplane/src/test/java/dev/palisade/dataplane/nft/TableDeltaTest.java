package dev.palisade.dataplane.nft;

import dev.palisade.dataplane.render.NftRenderer;
import dev.palisade.dataplane.translate.RuleSetTranslator;
import dev.palisade.model.IpAddress;
import dev.palisade.model.IpRange;
import dev.palisade.model.Protocol;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;
import dev.palisade.ruleset.PeerSet;
import dev.palisade.ruleset.PortRange;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TableDeltaTest {

    private static final IpAddress POD = IpAddress.parse("10.0.1.2");

    private static NodeRuleSet allowFrom(String... peers) {
        TreeSet<IpAddress> addresses = new TreeSet<>();
        for (String p : peers) {
            addresses.add(IpAddress.parse(p));
        }
        Grant g = new Grant("prod/db", 0, new TreeSet<>(Set.of(POD)), new PeerSet(false, addresses, List.of()),
                List.of(new PortRange(Protocol.TCP, 5432, 5432)));
        return new NodeRuleSet("n1", new TreeSet<>(Set.of(POD)),
                new DirectionRules(new TreeSet<>(Set.of(POD)), List.of(g)), DirectionRules.NONE);
    }

    @Test
    void membership_change_is_an_element_delta() {
        Table before = RuleSetTranslator.translate(allowFrom("10.0.2.2", "10.0.2.3"));
        Table after = RuleSetTranslator.translate(allowFrom("10.0.2.3", "10.0.2.4"));
        TableDelta delta = TableDelta.between(before, after).orElseThrow();
        assertEquals(2, delta.size());
        assertEquals("delete element inet palisade in_port4 { 10.0.1.2 . 10.0.2.2 . tcp . 5432 }\n"
                        + "add element inet palisade in_port4 { 10.0.1.2 . 10.0.2.4 . tcp . 5432 }\n",
                NftRenderer.deltaScript(after, delta));
    }

    @Test
    void equal_tables_give_an_empty_delta() {
        Table t = RuleSetTranslator.translate(allowFrom("10.0.2.2"));
        assertTrue(TableDelta.between(t, RuleSetTranslator.translate(allowFrom("10.0.2.2"))).orElseThrow().isEmpty());
    }

    @Test
    void a_different_shape_has_no_delta() {
        Table t = RuleSetTranslator.translate(allowFrom("10.0.2.2"));
        Table other = new Table(t.family(), t.name(), "another node", t.sets(), t.chains());
        assertTrue(TableDelta.between(t, other).isEmpty());
    }

    @Test
    void interval_boxes_are_removed_before_the_recut_boxes_are_added() {
        NamedSet s = new NamedSet("in_range4", List.of(KeyType.IPV4_ADDR, KeyType.IPV4_ADDR), true,
                new TreeSet<>(Set.of(Element.of(new Value.Address(IpRange.of(POD)),
                        new Value.Address(new IpRange(IpAddress.parse("172.17.0.0"), IpAddress.parse("172.17.255.255")))))),
                null);
        Table before = new Table("inet", "palisade", null, List.of(s), List.of());
        Table after = new Table("inet", "palisade", null, List.of(s.withElements(new TreeSet<>(Set.of(
                Element.of(new Value.Address(IpRange.of(POD)),
                        new Value.Address(new IpRange(IpAddress.parse("172.17.0.0"), IpAddress.parse("172.17.0.255")))))))),
                List.of());
        String script = NftRenderer.deltaScript(after, TableDelta.between(before, after).orElseThrow());
        assertTrue(script.indexOf("delete element") < script.indexOf("add element"), script);
        assertTrue(script.contains("10.0.1.2 . 172.17.0.0/16"), script);
        assertTrue(script.contains("10.0.1.2 . 172.17.0.0/24"), script);
    }

    @Test
    void the_delta_of_random_memberships_is_exactly_the_set_difference() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(11);
        for (int round = 0; round < 200; round++) {
            String[] before = randomPeers(random);
            String[] after = randomPeers(random);
            Table from = RuleSetTranslator.translate(allowFrom(before));
            Table to = RuleSetTranslator.translate(allowFrom(after));

            TableDelta delta = TableDelta.between(from, to).orElseThrow();

            for (int i = 0; i < to.sets().size(); i++) {
                java.util.SortedSet<Element> removed = new TreeSet<>(from.sets().get(i).elements());
                removed.removeAll(to.sets().get(i).elements());
                java.util.SortedSet<Element> added = new TreeSet<>(to.sets().get(i).elements());
                added.removeAll(from.sets().get(i).elements());
                String name = to.sets().get(i).name();
                TableDelta.SetChange change = delta.changes().stream().filter(c -> c.set().equals(name)).findFirst()
                        .orElse(new TableDelta.SetChange(name, new TreeSet<>(), new TreeSet<>()));
                assertEquals(removed, change.removed(), "round " + round + ", set " + name);
                assertEquals(added, change.added(), "round " + round + ", set " + name);
            }
        }
    }

    private static String[] randomPeers(java.util.SplittableRandom random) {
        return random.ints(random.nextInt(12), 0, 16).mapToObj(i -> "10.0.2." + i).toArray(String[]::new);
    }
}
