package dev.palisade.ruleset;

import dev.palisade.model.IpAddress;
import dev.palisade.model.IpRange;

import java.util.Collections;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The far end of a grant: every address ({@code any}), or exact addresses (pod IPs) plus
 * address ranges (ipBlocks after "except", which may also cover pod IPs).
 */
public record PeerSet(boolean any, SortedSet<IpAddress> addresses, List<IpRange> ranges) {

    public static final PeerSet ANY = new PeerSet(true, new TreeSet<>(), List.of());
    public static final PeerSet NONE = new PeerSet(false, new TreeSet<>(), List.of());

    public PeerSet {
        addresses = Collections.unmodifiableSortedSet(new TreeSet<>(any ? java.util.Set.of() : addresses));
        ranges = any ? List.of() : IpRange.normalise(ranges);
    }

    public boolean isEmpty() {
        return !any && addresses.isEmpty() && ranges.isEmpty();
    }

    public boolean contains(IpAddress a) {
        if (any || addresses.contains(a)) {
            return true;
        }
        for (IpRange r : ranges) {
            if (r.contains(a)) {
                return true;
            }
        }
        return false;
    }
}
