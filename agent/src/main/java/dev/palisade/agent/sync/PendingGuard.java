package dev.palisade.agent.sync;

import dev.palisade.dataplane.nft.Chain;
import dev.palisade.dataplane.nft.Element;
import dev.palisade.dataplane.nft.Field;
import dev.palisade.dataplane.nft.KeyType;
import dev.palisade.dataplane.nft.Match;
import dev.palisade.dataplane.nft.NamedSet;
import dev.palisade.dataplane.nft.Rule;
import dev.palisade.dataplane.nft.Table;
import dev.palisade.dataplane.nft.Value;
import dev.palisade.dataplane.nft.Verdict;
import dev.palisade.dataplane.translate.Layout;
import dev.palisade.model.Cidr;
import dev.palisade.model.IpAddress.Family;
import dev.palisade.model.IpRange;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The node-level default for pod addresses the agent does not know yet: traffic from or to an
 * address of the node's pod CIDRs that is not in {@code pods4}/{@code pods6} (the rule set's local
 * pods) is dropped, so a pod that a policy selects sends and receives nothing before the rule set
 * that lists it (and isolates it) is in the kernel. Pure: a table in, the same table with two sets
 * ({@code pend4}, {@code pend6}: the guarded ranges) and the guard rules right after
 * {@code ct state established,related accept} in {@code forward} out. Only {@code forward}: traffic
 * between a pod and its own node is always allowed by Kubernetes, so no policy can forbid it and the
 * guard leaves it alone (kubelet probes reach a pod from its first second). The sets and rules are
 * there even when no range is guarded, so a pod CIDR arriving later is a membership change, not a
 * new table shape.
 *
 * <p>Proposed to move into the translator (docs/design/agent.md, "Pending pods"); until then the
 * agent extends the translator's table, and verification and deltas work on the whole.
 */
public final class PendingGuard {

    public static final String COMMENT = "pod not yet known to palisade";

    private PendingGuard() {
    }

    public static String set(Family f) {
        return "pend" + Layout.suffix(f);
    }

    public static Table extend(Table table, List<Cidr> pending) {
        List<NamedSet> sets = new ArrayList<>(table.sets());
        for (Family f : Family.values()) {
            SortedSet<Element> elements = new TreeSet<>();
            List<IpRange> ranges = IpRange.normalise(pending.stream().filter(c -> c.family() == f).map(Cidr::range).toList());
            ranges.forEach(r -> elements.add(Element.of(new Value.Address(r))));
            sets.add(new NamedSet(set(f), List.of(f == Family.V4 ? KeyType.IPV4_ADDR : KeyType.IPV6_ADDR), true,
                    elements, "pod CIDRs whose unknown addresses are dropped"));
        }
        List<Chain> chains = new ArrayList<>();
        for (Chain c : table.chains()) {
            if (c.name().equals(Layout.FORWARD)) {
                chains.add(withGuard(c));
            } else {
                chains.add(c);
            }
        }
        return new Table(table.family(), table.name(), table.comment(), sets, chains);
    }

    private static Chain withGuard(Chain c) {
        List<Rule> rules = new ArrayList<>(c.rules());
        int at = rules.isEmpty() || rules.get(0).matches().stream().noneMatch(m -> m instanceof Match.CtState) ? 0 : 1;
        List<Rule> guard = new ArrayList<>();
        for (Family f : Family.values()) {
            boolean v4 = f == Family.V4;
            guard.add(rule(v4 ? Field.IP_SADDR : Field.IP6_SADDR, f));
            guard.add(rule(v4 ? Field.IP_DADDR : Field.IP6_DADDR, f));
        }
        rules.addAll(at, guard);
        return new Chain(c.name(), c.hook(), rules);
    }

    private static Rule rule(Field field, Family f) {
        return new Rule(List.of(new Match.Lookup(List.of(field), set(f), false),
                new Match.Lookup(List.of(field), Layout.podsSet(f), true)), true, Verdict.DROP, COMMENT);
    }
}
