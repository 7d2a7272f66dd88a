package dev.palisade.manifest;

import dev.palisade.model.Cluster;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a set of manifests says: the cluster snapshot, the diagnostics in reading order (files sorted
 * by path, documents in file order), and where each projected object came from.
 */
public record ManifestSet(Cluster cluster, List<Diagnostic> diagnostics, SortedMap<ObjectRef, Origin> origins) {

    public ManifestSet {
        cluster = cluster == null ? Cluster.EMPTY : cluster;
        diagnostics = diagnostics == null ? List.of() : List.copyOf(diagnostics);
        origins = Collections.unmodifiableSortedMap(new TreeMap<>(origins == null ? Map.of() : origins));
    }

    public ManifestSet(Cluster cluster, List<Diagnostic> diagnostics) {
        this(cluster, diagnostics, new TreeMap<>());
    }

    public boolean hasErrors() {
        return diagnostics.stream().anyMatch(Diagnostic::isError);
    }

    public List<Diagnostic> errors() {
        return diagnostics.stream().filter(Diagnostic::isError).toList();
    }

    /** The file and document an object was read from, for messages about it. */
    public Optional<Origin> origin(ObjectRef ref) {
        return Optional.ofNullable(origins.get(ref));
    }
}
