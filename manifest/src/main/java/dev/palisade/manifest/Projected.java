package dev.palisade.manifest;

import java.util.List;
import java.util.Optional;

/**
 * The result of projecting one Kubernetes object: the record (absent when the object cannot be
 * used at all) and the diagnostics found on the way.
 */
public record Projected<T>(Optional<T> value, List<Diagnostic> diagnostics) {

    public Projected {
        value = value == null ? Optional.empty() : value;
        diagnostics = diagnostics == null ? List.of() : List.copyOf(diagnostics);
    }

    public static <T> Projected<T> of(T value, List<Diagnostic> diagnostics) {
        return new Projected<>(Optional.ofNullable(value), diagnostics);
    }

    public static <T> Projected<T> rejected(List<Diagnostic> diagnostics) {
        return new Projected<>(Optional.empty(), diagnostics);
    }

    public boolean hasErrors() {
        return diagnostics.stream().anyMatch(Diagnostic::isError);
    }
}
