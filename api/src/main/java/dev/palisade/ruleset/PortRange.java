package dev.palisade.ruleset;

import dev.palisade.model.Protocol;

import java.util.Comparator;

/** An inclusive destination port range of one protocol; 0-65535 is every port of it. */
public record PortRange(Protocol protocol, int first, int last) implements Comparable<PortRange> {

    private static final Comparator<PortRange> ORDER = Comparator.comparing(PortRange::protocol)
            .thenComparingInt(PortRange::first).thenComparingInt(PortRange::last);

    public PortRange {
        if (protocol == null) {
            throw new IllegalArgumentException("protocol is required");
        }
        if (first < 0 || last > 65535 || first > last) {
            throw new IllegalArgumentException("bad port range " + first + "-" + last);
        }
    }

    public static PortRange all(Protocol protocol) {
        return new PortRange(protocol, 0, 65535);
    }

    public boolean isSingle() {
        return first == last;
    }

    public boolean contains(Protocol p, int port) {
        return p == protocol && first <= port && port <= last;
    }

    @Override
    public int compareTo(PortRange o) {
        return ORDER.compare(this, o);
    }

    @Override
    public String toString() {
        return protocol.lower() + "/" + (isSingle() ? Integer.toString(first) : first + "-" + last);
    }
}
