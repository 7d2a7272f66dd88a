package dev.palisade.conformance;

/** The address family a probe uses: every pod in the harness is dual-stack. */
public enum Family {
    V4, V6;

    public String label() {
        return this == V4 ? "IPv4" : "IPv6";
    }
}
