package dev.palisade.dataplane.nft;

import java.util.Collections;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A named set. Exact sets are hash tables; interval sets (concatenations with ranges) use the
 * kernel's pipapo backend, whose elements must not overlap, which the translator guarantees.
 */
public record NamedSet(String name, List<KeyType> type, boolean interval, SortedSet<Element> elements, String comment) {

    public NamedSet {
        if (name == null || !name.matches("[a-z][a-z0-9_]{0,30}")) {
            throw new IllegalArgumentException("bad set name \"" + name + "\"");
        }
        Limits.comment("set " + name, comment);
        type = List.copyOf(type);
        elements = Collections.unmodifiableSortedSet(new TreeSet<>(elements));
        for (Element e : elements) {
            if (e.key().size() != type.size()) {
                throw new IllegalArgumentException("element " + e + " does not fit the type of set " + name);
            }
            if (!interval && e.key().stream().anyMatch(Value::isRange)) {
                throw new IllegalArgumentException("range element " + e + " in exact set " + name);
            }
        }
    }

    public NamedSet withElements(SortedSet<Element> replacement) {
        return new NamedSet(name, type, interval, replacement, comment);
    }
}
