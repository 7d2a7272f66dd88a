package dev.palisade.ruleset;

import dev.palisade.model.IpAddress;

import java.util.Collections;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One direction of a node's rule set: the ClusterNetworkPolicy verdicts, which decide first (empty
 * without ClusterNetworkPolicies), then the local pod addresses isolated in this direction (traffic is
 * dropped unless a grant allows it), and the grants.
 */
public record DirectionRules(SortedSet<IpAddress> isolated, List<Grant> grants, List<ClusterVerdict> verdicts) {

    public static final DirectionRules NONE = new DirectionRules(new TreeSet<>(), List.of());

    public DirectionRules {
        isolated = Collections.unmodifiableSortedSet(new TreeSet<>(isolated));
        grants = grants.stream().sorted().toList();
        verdicts = verdicts == null ? List.of() : verdicts.stream().sorted().toList();
    }

    /** NetworkPolicy only. */
    public DirectionRules(SortedSet<IpAddress> isolated, List<Grant> grants) {
        this(isolated, grants, List.of());
    }

    public DirectionRules withVerdicts(List<ClusterVerdict> replacement) {
        return new DirectionRules(isolated, grants, replacement);
    }
}
