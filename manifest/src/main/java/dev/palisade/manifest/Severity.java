package dev.palisade.manifest;

/** How bad a diagnostic is: an ERROR is input the API server would reject; a NOTE is information. */
public enum Severity {
    ERROR, WARNING, NOTE;

    public String lower() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
