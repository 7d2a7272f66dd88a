package dev.palisade.dataplane.nft;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The element-level difference between two tables of the same shape: what the incremental path
 * sends instead of a full replacement. Absent when anything but set membership changed.
 */
public record TableDelta(List<SetChange> changes) {

    /** Elements to remove from and add to one set. */
    public record SetChange(String set, SortedSet<Element> removed, SortedSet<Element> added) {
        public SetChange {
            removed = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(removed));
            added = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(added));
        }
    }

    public TableDelta {
        changes = List.copyOf(changes);
    }

    /** The delta from {@code from} to {@code to}, or empty when their chains or set definitions differ. */
    public static Optional<TableDelta> between(Table from, Table to) {
        if (!sameShape(from, to)) {
            return Optional.empty();
        }
        List<SetChange> changes = new ArrayList<>();
        for (int i = 0; i < to.sets().size(); i++) {
            NamedSet before = from.sets().get(i);
            NamedSet after = to.sets().get(i);
            if (before == after) {
                continue;
            }
            SortedSet<Element> removed = new TreeSet<>();
            SortedSet<Element> added = new TreeSet<>();
            difference(before.elements(), after.elements(), removed, added);
            if (!removed.isEmpty() || !added.isEmpty()) {
                changes.add(new SetChange(after.name(), removed, added));
            }
        }
        return Optional.of(new TableDelta(changes));
    }

    /**
     * One merge walk over two sets in their common (natural) order: linear in their sizes, with no
     * copy of either, so a one-element change to a table of 100,000 elements costs one pass.
     */
    private static void difference(SortedSet<Element> before, SortedSet<Element> after,
                                   SortedSet<Element> removed, SortedSet<Element> added) {
        Iterator<Element> b = before.iterator();
        Iterator<Element> a = after.iterator();
        Element x = b.hasNext() ? b.next() : null;
        Element y = a.hasNext() ? a.next() : null;
        while (x != null || y != null) {
            int c = x == null ? 1 : y == null ? -1 : x.compareTo(y);
            if (c < 0) {
                removed.add(x);
                x = b.hasNext() ? b.next() : null;
            } else if (c > 0) {
                added.add(y);
                y = a.hasNext() ? a.next() : null;
            } else {
                x = b.hasNext() ? b.next() : null;
                y = a.hasNext() ? a.next() : null;
            }
        }
    }

    private static boolean sameShape(Table a, Table b) {
        if (!a.family().equals(b.family()) || !a.name().equals(b.name())
                || !java.util.Objects.equals(a.comment(), b.comment())
                || !a.chains().equals(b.chains()) || a.sets().size() != b.sets().size()) {
            return false;
        }
        for (int i = 0; i < a.sets().size(); i++) {
            NamedSet x = a.sets().get(i);
            NamedSet y = b.sets().get(i);
            if (!x.name().equals(y.name()) || !x.type().equals(y.type()) || x.interval() != y.interval()
                    || !java.util.Objects.equals(x.comment(), y.comment())) {
                return false;
            }
        }
        return true;
    }

    public boolean isEmpty() {
        return changes.isEmpty();
    }

    public int size() {
        return changes.stream().mapToInt(c -> c.removed().size() + c.added().size()).sum();
    }
}
