package dev.palisade.manifest;

import java.util.Comparator;

/** The identity of a Kubernetes object: kind, namespace (null for cluster-scoped kinds) and name. */
public record ObjectRef(String kind, String namespace, String name) implements Comparable<ObjectRef> {

    private static final Comparator<ObjectRef> ORDER = Comparator.comparing(ObjectRef::kind)
            .thenComparing(r -> r.namespace() == null ? "" : r.namespace())
            .thenComparing(ObjectRef::name);

    public ObjectRef {
        if (kind == null || kind.isEmpty() || name == null || name.isEmpty()) {
            throw new IllegalArgumentException("object kind and name are required");
        }
        namespace = namespace == null || namespace.isEmpty() ? null : namespace;
    }

    public static ObjectRef clusterScoped(String kind, String name) {
        return new ObjectRef(kind, null, name);
    }

    /** "Kind ns/name", or "Kind name" for cluster-scoped objects, as diagnostics print it. */
    @Override
    public String toString() {
        return kind + " " + (namespace == null ? name : namespace + "/" + name);
    }

    @Override
    public int compareTo(ObjectRef o) {
        return ORDER.compare(this, o);
    }
}
