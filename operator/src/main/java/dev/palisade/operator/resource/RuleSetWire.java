package dev.palisade.operator.resource;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.List;

/**
 * The {@link dev.palisade.ruleset.NodeRuleSet} contract as JSON: addresses, ranges and ports as
 * short strings, every list sorted, so that equal rule sets give byte-identical JSON and one hash.
 */
// Every field always present, even when empty: a server-side apply that empties an object whose
// fields it owned leaves null behind, which the schema rejects; an empty list replaces atomically.
@JsonInclude(JsonInclude.Include.ALWAYS)
public record RuleSetWire(
        @JsonPropertyDescription("Every address of every policy endpoint pod on the node.") List<String> localPods,
        @JsonPropertyDescription("Rules for traffic into the node's pods.") DirectionWire ingress,
        @JsonPropertyDescription("Rules for traffic out of the node's pods.") DirectionWire egress,
        @JsonPropertyDescription("Which pod each local address is listed for: \"<address> <pod uid>\", one per address "
                + "and pod, sorted. Lets the agent tell the listed pod from a new one that got its address since.")
        List<String> holders) {

    public RuleSetWire {
        localPods = localPods == null ? List.of() : List.copyOf(localPods);
        holders = holders == null ? List.of() : List.copyOf(holders);
        ingress = ingress == null ? DirectionWire.NONE : ingress;
        egress = egress == null ? DirectionWire.NONE : egress;
    }
}
