package dev.palisade.operator.resource;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/**
 * The spec of a {@link PalisadeNodeRuleSet}: the rule set, the sha-256 of its canonical JSON, a
 * revision that grows by one with every new hash, and counts for {@code kubectl get}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NodeRuleSetSpec(
        @Required @JsonPropertyDescription("The node's name (also the object's name).") String node,
        @Required @JsonPropertyDescription("Grows by one each time the rule set's hash changes.") long revision,
        @Required @JsonPropertyDescription("Lower-case hex sha-256 of the canonical JSON of ruleSet.") String hash,
        @JsonPropertyDescription("Counts shown by kubectl get; derived from ruleSet.") Summary summary,
        @Required @JsonPropertyDescription("The rule-set contract (docs/design/ruleset-contract.md).") RuleSetWire ruleSet) {

    /** Derived counts, for printer columns and quick looks; agents ignore them. */
    public record Summary(
            @JsonPropertyDescription("Local pod addresses.") int pods,
            @JsonPropertyDescription("Ingress and egress grants.") int grants,
            @JsonPropertyDescription("Peer addresses and ranges held inline.") int addresses,
            @JsonPropertyDescription("Distinct PalisadeAddressSets referenced.") int addressSets,
            @JsonPropertyDescription("First 12 hex digits of the hash.") String hash) {
    }
}
