package dev.palisade.ruleset;

import dev.palisade.model.IpAddress;

import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A resolved ClusterNetworkPolicy verdict: "traffic between these local pods and these peers on these ports
 * is decided here, before NetworkPolicy". The compiler has already walked the tiers: the Admin tier by
 * priority and rule order, Pass handed on to NetworkPolicy, and the Baseline tier for pods no NetworkPolicy
 * isolates in this direction. So a verdict is final: {@link Decision#ACCEPT} allows the direction,
 * {@link Decision#DENY} drops it, and traffic no verdict covers goes on to the grants and isolation of
 * NetworkPolicy (then the default allow) exactly as without ClusterNetworkPolicies.
 *
 * <p>The verdicts of one direction of one node never overlap with different decisions: no
 * (local pod, peer, protocol, port) point is covered by an ACCEPT and a DENY, so a dataplane can put them
 * in one verdict map (a single lookup) whatever their order.
 *
 * @param rule           the rule that decided, {@code <cluster network policy>#<ingress|egress>[<index>]}
 * @param ports          TCP, UDP and SCTP port ranges covered (0-65535 is every port of that protocol)
 * @param otherProtocols whether every other IP protocol (ICMP, ...) is covered too, whatever its payload
 */
public record ClusterVerdict(Decision decision, String rule, SortedSet<IpAddress> pods, PeerSet peers,
                             List<PortRange> ports, boolean otherProtocols) implements Comparable<ClusterVerdict> {

    public enum Decision { ACCEPT, DENY }

    private static final Comparator<ClusterVerdict> ORDER = Comparator.comparing(ClusterVerdict::rule)
            .thenComparing(ClusterVerdict::decision)
            .thenComparing(v -> v.pods().toString())
            .thenComparing(v -> v.peers().toString())
            .thenComparing(v -> v.ports().toString())
            .thenComparing(ClusterVerdict::otherProtocols);

    public ClusterVerdict {
        if (decision == null || rule == null || rule.isEmpty()) {
            throw new IllegalArgumentException("decision and rule are required");
        }
        pods = Collections.unmodifiableSortedSet(new TreeSet<>(pods));
        ports = ports.stream().distinct().sorted().toList();
        if (ports.isEmpty() && !otherProtocols) {
            throw new IllegalArgumentException("a verdict covers some protocol");
        }
    }

    public boolean covers(IpAddress local, IpAddress peer, dev.palisade.model.Protocol protocol, int port) {
        return pods.contains(local) && peers.contains(peer) && ports.stream().anyMatch(r -> r.contains(protocol, port));
    }

    /** Whether it covers a packet of a protocol other than TCP, UDP and SCTP (ICMP, ...). */
    public boolean coversOther(IpAddress local, IpAddress peer) {
        return otherProtocols && pods.contains(local) && peers.contains(peer);
    }

    @Override
    public int compareTo(ClusterVerdict o) {
        return ORDER.compare(this, o);
    }
}
