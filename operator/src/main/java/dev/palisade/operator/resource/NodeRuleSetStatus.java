package dev.palisade.operator.resource;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * Written by the node's agent, once per applied change: the revision and hash now in its kernel
 * (and the last error, if the newest revision could not be applied).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NodeRuleSetStatus(
        @JsonPropertyDescription("spec.revision of the rule set the agent has applied.") Long appliedRevision,
        @JsonPropertyDescription("spec.hash of the rule set the agent has applied.") String appliedHash,
        @JsonPropertyDescription("Why the newest revision is not applied, if it failed.") String error) {
}
