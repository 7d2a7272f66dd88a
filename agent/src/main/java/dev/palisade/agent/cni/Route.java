package dev.palisade.agent.cni;

import dev.palisade.model.Cidr;
import dev.palisade.model.IpAddress;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A route to another node's pod CIDR through that node's InternalIP. The agent marks its routes with
 * its own routing protocol number ({@link #PROTO}), so it can list and remove exactly its own.
 */
public record Route(Cidr destination, IpAddress via) implements Comparable<Route> {

    /** {@code proto 157} in {@code ip route}: "palisade". Unassigned in iproute2's rt_protos. */
    public static final int PROTO = 157;

    public Route {
        if (destination.family() != via.family()) {
            throw new IllegalArgumentException("route to " + destination + " via " + via + " mixes address families");
        }
    }

    /**
     * The routes a node needs: for every other node, each of its pod CIDRs through its InternalIP of
     * the same family (a CIDR without one is unroutable and skipped). Pure and sorted.
     */
    public static SortedSet<Route> desired(String self, Map<String, NodeNetwork> nodes) {
        SortedSet<Route> out = new TreeSet<>();
        for (NodeNetwork n : nodes.values()) {
            if (n.name().equals(self)) {
                continue;
            }
            for (Cidr c : n.podCidrs()) {
                n.internalIp(c.family()).ifPresent(ip -> out.add(new Route(c, ip)));
            }
        }
        return out;
    }

    /** What to change to go from {@code current} to {@code desired}: replace these, delete those. */
    public record Plan(List<Route> replace, List<Route> delete) {
        public boolean isEmpty() {
            return replace.isEmpty() && delete.isEmpty();
        }
    }

    public static Plan plan(Collection<Route> current, Collection<Route> desired) {
        SortedSet<Route> have = new TreeSet<>(current);
        List<Route> replace = new ArrayList<>();
        for (Route r : new TreeSet<>(desired)) {
            if (!have.contains(r)) {
                replace.add(r);
            }
        }
        SortedSet<Cidr> wanted = new TreeSet<>();
        desired.forEach(r -> wanted.add(r.destination()));
        List<Route> delete = new ArrayList<>();
        for (Route r : have) {
            // a destination still wanted through another gateway is replaced, not deleted
            if (!wanted.contains(r.destination())) {
                delete.add(r);
            }
        }
        return new Plan(replace, delete);
    }

    @Override
    public int compareTo(Route o) {
        int c = destination.compareTo(o.destination);
        return c != 0 ? c : via.compareTo(o.via);
    }

    @Override
    public String toString() {
        return destination + " via " + via;
    }
}
