package dev.palisade.ruleset;

import dev.palisade.model.IpAddress;

import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One allow rule as it applies on a node: traffic between any of the local {@code pods} and any
 * address of {@code peers} on any of {@code ports} (empty: every protocol and port) is allowed in
 * the grant's direction. {@code policy} ("namespace/name") and {@code rule} (the index in the
 * policy's ingress or egress list) trace it back to its source.
 */
public record Grant(String policy, int rule, SortedSet<IpAddress> pods, PeerSet peers, List<PortRange> ports)
        implements Comparable<Grant> {

    private static final Comparator<Grant> ORDER = Comparator.comparing(Grant::policy)
            .thenComparingInt(Grant::rule)
            .thenComparing(g -> g.pods().isEmpty() ? "" : g.pods().first().toString())
            .thenComparing(g -> g.ports().toString())
            .thenComparing(g -> g.peers().toString());

    public Grant {
        pods = Collections.unmodifiableSortedSet(new TreeSet<>(pods));
        ports = ports.stream().distinct().sorted().toList();
    }

    public String origin() {
        return policy + "#" + rule;
    }

    @Override
    public int compareTo(Grant o) {
        return ORDER.compare(this, o);
    }
}
