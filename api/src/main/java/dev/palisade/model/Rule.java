package dev.palisade.model;

import java.util.List;

/**
 * One ingress or egress rule. An empty peer list means every peer and an empty port list every
 * port and protocol, exactly as an absent or empty {@code from}/{@code to}/{@code ports} does in the API.
 */
public record Rule(List<Peer> peers, List<PortSpec> ports) {

    public static final Rule ALLOW_ALL = new Rule(List.of(), List.of());

    public Rule {
        peers = peers == null ? List.of() : List.copyOf(peers);
        ports = ports == null ? List.of() : List.copyOf(ports);
    }
}
