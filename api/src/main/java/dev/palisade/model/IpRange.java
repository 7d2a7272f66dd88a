package dev.palisade.model;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** An inclusive range of addresses of one family. */
public record IpRange(IpAddress first, IpAddress last) implements Comparable<IpRange> {

    public IpRange {
        if (first == null || last == null) {
            throw new IllegalArgumentException("range bounds are required");
        }
        if (first.family() != last.family()) {
            throw new IllegalArgumentException("range " + first + "-" + last + " mixes address families");
        }
        if (first.compareTo(last) > 0) {
            throw new IllegalArgumentException("empty range " + first + "-" + last);
        }
    }

    public static IpRange of(IpAddress single) {
        return new IpRange(single, single);
    }

    public IpAddress.Family family() {
        return first.family();
    }

    public boolean contains(IpAddress a) {
        return a.family() == family() && first.compareTo(a) <= 0 && a.compareTo(last) <= 0;
    }

    public boolean isSingle() {
        return first.equals(last);
    }

    /** This range minus the given ranges, as sorted disjoint ranges (the ipBlock "except" arithmetic). */
    public List<IpRange> minus(Collection<IpRange> holes) {
        List<IpRange> sortedHoles = normalise(holes);
        List<IpRange> out = new ArrayList<>();
        IpAddress cursor = first;
        for (IpRange h : sortedHoles) {
            if (h.family() != family() || h.last.compareTo(cursor) < 0 || h.first.compareTo(last) > 0) {
                continue;
            }
            if (h.first.compareTo(cursor) > 0) {
                out.add(new IpRange(cursor, h.first.previous()));
            }
            IpAddress after = h.last.next();
            if (after == null || h.last.compareTo(last) >= 0) {
                return out;
            }
            cursor = after;
        }
        out.add(new IpRange(cursor, last));
        return out;
    }

    /** Sorts and merges overlapping or adjacent ranges. */
    public static List<IpRange> normalise(Collection<IpRange> ranges) {
        List<IpRange> sorted = new ArrayList<>(ranges);
        sorted.sort(null);
        List<IpRange> out = new ArrayList<>();
        for (IpRange r : sorted) {
            if (!out.isEmpty()) {
                IpRange prev = out.get(out.size() - 1);
                IpAddress adjacent = prev.last.next();
                if (prev.family() == r.family()
                        && (prev.last.compareTo(r.first) >= 0 || (adjacent != null && adjacent.equals(r.first)))) {
                    if (r.last.compareTo(prev.last) > 0) {
                        out.set(out.size() - 1, new IpRange(prev.first, r.last));
                    }
                    continue;
                }
            }
            out.add(r);
        }
        return out;
    }

    @Override
    public int compareTo(IpRange o) {
        int c = first.compareTo(o.first);
        return c != 0 ? c : last.compareTo(o.last);
    }

    @Override
    public String toString() {
        return isSingle() ? first.toString() : first + "-" + last;
    }
}
