package dev.palisade.agent.watch;

import java.util.Objects;

/** The DaemonSet that runs this agent: where {@link DaemonSetWatch} looks to tell an uninstall from a restart. */
public record DaemonSetRef(String namespace, String name) {

    public DaemonSetRef {
        if (namespace == null || namespace.isBlank() || name == null || name.isBlank()) {
            throw new IllegalArgumentException("a DaemonSet needs a namespace and a name, got " + namespace + "/" + name);
        }
    }

    /** {@code namespace/name}. */
    public static DaemonSetRef parse(String text) {
        Objects.requireNonNull(text, "text");
        int slash = text.indexOf('/');
        if (slash <= 0 || slash != text.lastIndexOf('/')) {
            throw new IllegalArgumentException("expected namespace/name, got " + text);
        }
        return new DaemonSetRef(text.substring(0, slash), text.substring(slash + 1));
    }

    @Override
    public String toString() {
        return "daemonset " + namespace + "/" + name;
    }
}
