package dev.palisade.model;

/** One entry of a rule's {@code ports}: all ports of a protocol, a number or range, or a named port. */
public sealed interface PortSpec extends Comparable<PortSpec> {

    Protocol protocol();

    /** {@code protocol: X} without a port: every port of that protocol. */
    record AllPorts(Protocol protocol) implements PortSpec {
        public AllPorts {
            if (protocol == null) {
                protocol = Protocol.TCP;
            }
        }
    }

    /** {@code port: N} with an optional {@code endPort: M} (inclusive). */
    record Numbered(Protocol protocol, int port, int endPort) implements PortSpec {
        public Numbered {
            if (protocol == null) {
                protocol = Protocol.TCP;
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " out of range 1-65535");
            }
            if (endPort < port || endPort > 65535) {
                throw new IllegalArgumentException("endPort " + endPort + " must be between port " + port + " and 65535");
            }
        }

        public Numbered(Protocol protocol, int port) {
            this(protocol, port, port);
        }
    }

    /** {@code port: name}: resolved against the container ports of the pod at the far end. */
    record Named(Protocol protocol, String name) implements PortSpec {
        public Named {
            if (protocol == null) {
                protocol = Protocol.TCP;
            }
            if (name == null || name.isEmpty() || name.length() > 15 || !name.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?")
                    || !name.matches(".*[a-z].*")) {
                throw new IllegalArgumentException("invalid port name \"" + name + "\"");
            }
        }
    }

    @Override
    default int compareTo(PortSpec o) {
        return toString().compareTo(o.toString());
    }
}
