package dev.palisade.operator.resource;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.List;

/**
 * One ClusterNetworkPolicy verdict on a node, already resolved by the compiler: traffic between the local
 * {@code pods} and {@code peers} on {@code ports} ("TCP/80", "UDP/5000-5100"), and on every other IP protocol
 * when {@code otherProtocols}, is decided here ({@code ACCEPT} or {@code DENY}) before NetworkPolicy.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record VerdictWire(
        @JsonPropertyDescription("ACCEPT or DENY.") String decision,
        @JsonPropertyDescription("The rule that decided: <cluster network policy>#<ingress|egress>[<index>].") String rule,
        @JsonPropertyDescription("Local pod addresses the verdict applies to.") List<String> pods,
        @JsonPropertyDescription("The far end of the verdict.") PeersWire peers,
        @JsonPropertyDescription("TCP, UDP and SCTP ports covered, PROTOCOL/port or PROTOCOL/first-last.") List<String> ports,
        @JsonPropertyDescription("True: every other IP protocol (ICMP, ...) is covered too.") Boolean otherProtocols) {

    public VerdictWire {
        pods = pods == null ? List.of() : List.copyOf(pods);
        ports = ports == null ? List.of() : List.copyOf(ports);
        peers = peers == null ? PeersWire.NONE : peers;
        otherProtocols = Boolean.TRUE.equals(otherProtocols) ? Boolean.TRUE : null;
    }

    public boolean coversOtherProtocols() {
        return Boolean.TRUE.equals(otherProtocols);
    }
}
