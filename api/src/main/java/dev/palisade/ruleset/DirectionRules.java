package dev.palisade.ruleset;

import dev.palisade.model.IpAddress;

import java.util.Collections;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One direction of a node's rule set: the local pod addresses isolated in this direction (traffic
 * is dropped unless a grant allows it), and the grants.
 */
public record DirectionRules(SortedSet<IpAddress> isolated, List<Grant> grants) {

    public static final DirectionRules NONE = new DirectionRules(new TreeSet<>(), List.of());

    public DirectionRules {
        isolated = Collections.unmodifiableSortedSet(new TreeSet<>(isolated));
        grants = grants.stream().sorted().toList();
    }
}
