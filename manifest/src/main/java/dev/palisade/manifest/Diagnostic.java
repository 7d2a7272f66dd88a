package dev.palisade.manifest;

/**
 * A problem (or a note) about the input, positioned as precisely as it is known: the file
 * ({@code source}), the 1-based YAML {@code document} index in it (0 when unknown), the object
 * ("Kind ns/name") and the JSON path of the field (e.g. {@code spec.ingress[0].from[1].ipBlock.cidr}).
 * Parts that are unknown are null (or 0) and left out of {@link #toString()}.
 *
 * <p>{@link Projection} knows objects and fields but not files; {@link ManifestReader} adds the file and
 * document with {@link #at(String, int)}. The operator, which gets objects from informers, uses the
 * projection's diagnostics as they are.
 */
public record Diagnostic(String source, int document, String object, String field, String message, Severity severity) {

    public Diagnostic {
        if (message == null || message.isEmpty()) {
            throw new IllegalArgumentException("diagnostic message is required");
        }
        if (severity == null) {
            throw new IllegalArgumentException("diagnostic severity is required");
        }
        if (document < 0) {
            throw new IllegalArgumentException("document index must not be negative");
        }
        source = emptyToNull(source);
        object = emptyToNull(object);
        field = emptyToNull(field);
    }

    public static Diagnostic error(String object, String field, String message) {
        return new Diagnostic(null, 0, object, field, message, Severity.ERROR);
    }

    public static Diagnostic note(String object, String field, String message) {
        return new Diagnostic(null, 0, object, field, message, Severity.NOTE);
    }

    /** The same diagnostic, placed in a file and document. */
    public Diagnostic at(String source, int document) {
        return new Diagnostic(source, document, object, field, message, severity);
    }

    /** The same diagnostic with its field path under {@code prefix} (an object inside a List's items). */
    public Diagnostic under(String prefix) {
        if (prefix == null || prefix.isEmpty()) {
            return this;
        }
        return new Diagnostic(source, document, object, field == null ? prefix : prefix + "." + field, message, severity);
    }

    public boolean isError() {
        return severity == Severity.ERROR;
    }

    /**
     * One line, for example
     * {@code deny.yaml: document 2 (NetworkPolicy prod/web): spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR "10.0.0.300/24"}.
     * Notes and warnings say so after the position; errors need no label.
     */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        if (source != null) {
            sb.append(source);
        }
        if (document > 0) {
            sb.append(sb.length() > 0 ? ": " : "").append("document ").append(document);
        }
        if (object != null) {
            sb.append(sb.length() > 0 ? " " : "").append('(').append(object).append(')');
        }
        if (sb.length() > 0) {
            sb.append(": ");
        }
        if (severity != Severity.ERROR) {
            sb.append(severity.lower()).append(": ");
        }
        if (field != null) {
            sb.append(field).append(": ");
        }
        sb.append(message.replace('\n', ' '));
        return sb.toString();
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
