package dev.palisade.operator.resource;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.List;

/**
 * One allow rule on a node: traffic between the local {@code pods} and {@code peers} on
 * {@code ports} ("TCP/80", "UDP/5000-5100"; none: every protocol and port).
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record GrantWire(
        @JsonPropertyDescription("namespace/name of the NetworkPolicy.") String policy,
        @JsonPropertyDescription("Index of the rule in the policy's ingress or egress list.")
        @JsonInclude(JsonInclude.Include.ALWAYS) int rule,
        @JsonPropertyDescription("Local pod addresses the rule applies to.") List<String> pods,
        @JsonPropertyDescription("The far end of the rule.") PeersWire peers,
        @JsonPropertyDescription("PROTOCOL/port or PROTOCOL/first-last; empty: every protocol and port.") List<String> ports) {

    public GrantWire {
        pods = pods == null ? List.of() : List.copyOf(pods);
        ports = ports == null ? List.of() : List.copyOf(ports);
        peers = peers == null ? PeersWire.NONE : peers;
    }
}
