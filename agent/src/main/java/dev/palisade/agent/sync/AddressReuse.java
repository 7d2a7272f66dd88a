package dev.palisade.agent.sync;

import dev.palisade.model.IpAddress;
import dev.palisade.ruleset.NodeRuleSet;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which local pod addresses the node must treat as unknown although the rule set lists them: their
 * pod is gone (its host route went away, or now leads through another interface), so whoever holds
 * the address next is a pod the rule set does not know yet. Without this, a new pod that reuses a
 * deleted pod's address would inherit that pod's allowances until the operator publishes the
 * deletion (measured up to 1.5 s on kind); with it, the address leaves {@code pods4}/{@code pods6}
 * and the pending guard holds it like any unknown address.
 *
 * <p>Pure: routes and rule sets in, the held addresses out. An address is held from the moment its
 * route goes until a rule set lists it for another pod (its {@code holders} name no pod of those
 * the address was listed for when the route went) or no longer lists it. When either side carries
 * no pod uid (an operator that does not publish them), nothing tells the pods apart, and the first
 * newer revision releases it: the window then narrows to the next revision, as without this.
 */
public final class AddressReuse {

    /**
     * A held address.
     *
     * @param holders  the uids of the pods the rules in force listed it for when its route went (empty: unknown)
     * @param revision the revision in force then
     */
    public record Held(SortedSet<String> holders, long revision) {
        public Held {
            holders = Collections.unmodifiableSortedSet(new TreeSet<>(holders));
        }
    }

    private AddressReuse() {
    }

    /**
     * The held addresses after the node's host routes changed from {@code before} to {@code now}
     * (address to the index of the interface its route leads through): every address whose route
     * went or moved to another interface and that the rules in force list is held, with the pods
     * they list it for. An address the rules do not list is not ours to hold: the pending guard
     * already treats it as unknown.
     *
     * @param before the routes seen last; empty on the first look (nothing is known to have gone)
     * @param known  the rules the kernel enforces (the applied revision)
     */
    public static SortedMap<IpAddress, Held> retire(SortedMap<IpAddress, Held> held, Map<IpAddress, Integer> before,
                                                    Map<IpAddress, Integer> now, NodeRuleSet known, long revision) {
        SortedMap<IpAddress, Held> out = new TreeMap<>(held);
        for (Map.Entry<IpAddress, Integer> e : before.entrySet()) {
            IpAddress a = e.getKey();
            if (e.getValue().equals(now.get(a)) || !known.localPods().contains(a)) {
                continue;
            }
            SortedSet<String> holders = new TreeSet<>(known.holdersOf(a));
            Held was = out.get(a);
            if (was != null) {
                holders.addAll(was.holders());
            }
            out.put(a, new Held(holders, was != null ? was.revision() : revision));
        }
        return Collections.unmodifiableSortedMap(out);
    }

    /**
     * The held addresses that {@code rules} (revision {@code revision}, the one about to be
     * translated) does not release: an address stays held while the rules list it for a pod it was
     * held for, or, identities unknown, while no newer revision came.
     */
    public static SortedMap<IpAddress, Held> release(SortedMap<IpAddress, Held> held, NodeRuleSet rules, long revision) {
        SortedMap<IpAddress, Held> out = new TreeMap<>();
        held.forEach((a, h) -> {
            if (stillHeld(a, h, rules, revision)) {
                out.put(a, h);
            }
        });
        return Collections.unmodifiableSortedMap(out);
    }

    private static boolean stillHeld(IpAddress a, Held h, NodeRuleSet rules, long revision) {
        if (!rules.localPods().contains(a)) {
            return false; // not listed: the pending guard holds it as it holds any unknown address
        }
        SortedSet<String> listed = rules.holdersOf(a);
        if (h.holders().isEmpty() || listed.isEmpty()) {
            return revision <= h.revision();
        }
        return listed.stream().anyMatch(h.holders()::contains);
    }
}
