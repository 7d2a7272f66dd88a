package dev.palisade.dataplane.nft;

import java.util.List;

/** A set element: one value per field of the set's concatenated key type. */
public record Element(List<Value> key) implements Comparable<Element> {

    public Element {
        key = List.copyOf(key);
        if (key.isEmpty()) {
            throw new IllegalArgumentException("an element needs at least one field");
        }
    }

    public static Element of(Value... values) {
        return new Element(List.of(values));
    }

    @Override
    public int compareTo(Element o) {
        int n = Math.min(key.size(), o.key.size());
        for (int i = 0; i < n; i++) {
            int c = key.get(i).compareTo(o.key.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(key.size(), o.key.size());
    }
}
