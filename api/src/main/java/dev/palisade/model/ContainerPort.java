package dev.palisade.model;

/** A declared container port; named ports in policies resolve against these. */
public record ContainerPort(String name, Protocol protocol, int port) implements Comparable<ContainerPort> {

    public ContainerPort {
        if (protocol == null) {
            protocol = Protocol.TCP;
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("container port " + port + " out of range 1-65535");
        }
        name = name == null || name.isEmpty() ? null : name;
    }

    @Override
    public int compareTo(ContainerPort o) {
        int c = Integer.compare(port, o.port);
        if (c != 0) {
            return c;
        }
        c = protocol.compareTo(o.protocol);
        return c != 0 ? c : String.valueOf(name).compareTo(String.valueOf(o.name));
    }
}
