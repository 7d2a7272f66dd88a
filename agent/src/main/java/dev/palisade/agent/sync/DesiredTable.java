package dev.palisade.agent.sync;

import dev.palisade.dataplane.nft.Element;
import dev.palisade.dataplane.nft.NamedSet;
import dev.palisade.dataplane.nft.Table;
import dev.palisade.dataplane.nft.Value;
import dev.palisade.dataplane.translate.Layout;
import dev.palisade.dataplane.translate.RuleSetTranslator;
import dev.palisade.model.Cidr;
import dev.palisade.model.IpAddress;
import dev.palisade.model.IpAddress.Family;
import dev.palisade.model.IpRange;
import dev.palisade.ruleset.NodeRuleSet;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/** What the owned table should hold: the translated rule set, plus the pending guard when it is on. Pure. */
public final class DesiredTable {

    private DesiredTable() {
    }

    public static Table of(NodeRuleSet rules, boolean guard, List<Cidr> pending) {
        return of(rules, guard, pending, Set.of());
    }

    /**
     * @param held local pod addresses whose pod is gone ({@link AddressReuse}): with the guard on they
     *             leave {@code pods4}/{@code pods6}, so the guard treats whoever holds them now as
     *             unknown; their grants stay (a rule set that lists the new pod replaces them)
     */
    public static Table of(NodeRuleSet rules, boolean guard, List<Cidr> pending, Set<IpAddress> held) {
        Table t = RuleSetTranslator.translate(rules);
        if (!guard) {
            return t;
        }
        return PendingGuard.extend(held.isEmpty() ? t : withoutKnown(t, held), pending);
    }

    private static Table withoutKnown(Table t, Set<IpAddress> held) {
        Set<String> pods = Set.of(Layout.podsSet(Family.V4), Layout.podsSet(Family.V6));
        List<NamedSet> sets = new ArrayList<>();
        for (NamedSet s : t.sets()) {
            if (pods.contains(s.name())) {
                SortedSet<Element> kept = new TreeSet<>(s.elements());
                held.forEach(a -> kept.remove(Element.of(new Value.Address(IpRange.of(a)))));
                sets.add(s.withElements(kept));
            } else {
                sets.add(s);
            }
        }
        return new Table(t.family(), t.name(), t.comment(), sets, t.chains());
    }
}
