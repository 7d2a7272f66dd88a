package dev.palisade.model;

import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;

/**
 * A namespace and its labels. Like the API server (since 1.22), it always carries
 * {@code kubernetes.io/metadata.name}, so selectors on the name work for manifests too.
 */
public record Namespace(String name, SortedMap<String, String> labels) implements Comparable<Namespace> {

    public static final String NAME_LABEL = "kubernetes.io/metadata.name";

    public Namespace(String name, Map<String, String> labels) {
        this(name, withName(name, labels));
    }

    public Namespace {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("namespace name is required");
        }
        labels = Labels.copy(withName(name, labels));
    }

    private static SortedMap<String, String> withName(String name, Map<String, String> labels) {
        Map<String, String> m = new HashMap<>(labels == null ? Map.of() : labels);
        m.put(NAME_LABEL, name);
        return new java.util.TreeMap<>(m);
    }

    @Override
    public int compareTo(Namespace o) {
        return name.compareTo(o.name);
    }
}
