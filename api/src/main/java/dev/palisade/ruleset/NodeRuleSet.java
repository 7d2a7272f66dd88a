package dev.palisade.ruleset;

import dev.palisade.model.IpAddress;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The contract between the compiler (operator) and the dataplane (agent): everything one node
 * needs to enforce policy for its pods, in terms of addresses, ports, directions and verdicts.
 * It carries no nftables syntax; the agent's translator owns the kernel representation.
 *
 * <p>{@code holders}: for each local pod address, the uids of the pods the rule set lists it for
 * (one, except for a moment when a terminating pod and its successor report the same address);
 * an address whose pods have no known uid (a rule set compiled from manifests) is left out. It
 * lets the agent tell the pod a rule set means from a new pod that got the same address since
 * (docs/design/agent.md, "Address reuse"); it changes no verdict.
 */
public record NodeRuleSet(String node, SortedSet<IpAddress> localPods, DirectionRules ingress, DirectionRules egress,
                          SortedMap<IpAddress, SortedSet<String>> holders) {

    public NodeRuleSet {
        if (node == null || node.isEmpty()) {
            throw new IllegalArgumentException("node name is required");
        }
        localPods = Collections.unmodifiableSortedSet(new TreeSet<>(localPods));
        SortedMap<IpAddress, SortedSet<String>> h = new TreeMap<>();
        for (Map.Entry<IpAddress, SortedSet<String>> e : (holders == null ? Map.<IpAddress, SortedSet<String>>of() : holders).entrySet()) {
            if (!localPods.contains(e.getKey())) {
                throw new IllegalArgumentException("holder of " + e.getKey() + ", which is not a local pod address");
            }
            SortedSet<String> uids = new TreeSet<>(e.getValue());
            uids.remove("");
            if (!uids.isEmpty()) {
                h.put(e.getKey(), Collections.unmodifiableSortedSet(uids));
            }
        }
        holders = Collections.unmodifiableSortedMap(h);
    }

    /** A rule set without pod identities. */
    public NodeRuleSet(String node, SortedSet<IpAddress> localPods, DirectionRules ingress, DirectionRules egress) {
        this(node, localPods, ingress, egress, new TreeMap<>());
    }

    public static NodeRuleSet empty(String node) {
        return new NodeRuleSet(node, new TreeSet<>(), DirectionRules.NONE, DirectionRules.NONE);
    }

    /** The uids of the pods listed at {@code address}; empty when it is not listed or its holders are unknown. */
    public SortedSet<String> holdersOf(IpAddress address) {
        return holders.getOrDefault(address, Collections.emptySortedSet());
    }
}
