package dev.palisade.ruleset;

import dev.palisade.model.IpAddress;

import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The contract between the compiler (operator) and the dataplane (agent): everything one node
 * needs to enforce policy for its pods, in terms of addresses, ports, directions and verdicts.
 * It carries no nftables syntax; the agent's translator owns the kernel representation.
 */
public record NodeRuleSet(String node, SortedSet<IpAddress> localPods, DirectionRules ingress, DirectionRules egress) {

    public NodeRuleSet {
        if (node == null || node.isEmpty()) {
            throw new IllegalArgumentException("node name is required");
        }
        localPods = Collections.unmodifiableSortedSet(new TreeSet<>(localPods));
    }

    public static NodeRuleSet empty(String node) {
        return new NodeRuleSet(node, new TreeSet<>(), DirectionRules.NONE, DirectionRules.NONE);
    }
}
