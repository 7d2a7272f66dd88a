package dev.palisade.model;

import java.util.List;

/**
 * One ingress or egress rule of a ClusterNetworkPolicy. Unlike a NetworkPolicy rule, an empty peer list
 * matches nothing (the API requires at least one peer), and an empty port list means every protocol and
 * port, ICMP included.
 */
public record ClusterRule(String name, Action action, List<ClusterPeer> peers, List<PortSpec> ports) {

    public enum Action {
        /** Allow (and its replies); nothing later in this direction is consulted. */
        Accept,
        /** Drop; nothing later is consulted. */
        Deny,
        /** Skip the rest of this tier: to NetworkPolicy from the Admin tier, to the default allow from Baseline. */
        Pass
    }

    public ClusterRule {
        name = name == null ? "" : name;
        if (action == null) {
            throw new IllegalArgumentException("action is required");
        }
        peers = peers == null ? List.of() : List.copyOf(peers);
        ports = ports == null ? List.of() : List.copyOf(ports);
        for (PortSpec p : ports) {
            if (p instanceof PortSpec.Named) {
                throw new IllegalArgumentException("named ports are not supported in ClusterNetworkPolicy rules");
            }
        }
    }

    /** Every packet of this direction of the subject's pods, every protocol: what a rule that cannot be read becomes if it denies or passes. */
    public static ClusterRule denyAll(String name) {
        return new ClusterRule(name, Action.Deny, List.of(new ClusterPeer.Networks(List.of(
                Cidr.parse("0.0.0.0/0"), Cidr.parse("::/0")))), List.of());
    }

    /** Matches no packet: what an Accept rule that cannot be read becomes. */
    public static ClusterRule matchNothing(String name) {
        return new ClusterRule(name, Action.Accept, List.of(), List.of());
    }
}
