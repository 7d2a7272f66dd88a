package dev.palisade.manifest;

/** Where an object was read from: a file and the 1-based index of the YAML document in it. */
public record Origin(String source, int document) {

    public Origin {
        if (source == null || source.isEmpty()) {
            throw new IllegalArgumentException("source is required");
        }
        if (document < 1) {
            throw new IllegalArgumentException("document index is 1-based, got " + document);
        }
    }

    @Override
    public String toString() {
        return source + ": document " + document;
    }
}
