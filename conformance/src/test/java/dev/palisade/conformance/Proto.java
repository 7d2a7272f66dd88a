package dev.palisade.conformance;

/** The protocols a NetworkPolicy port may name. SCTP is never probed: this kernel has no sctp module. */
public enum Proto {
    TCP, UDP, SCTP
}
