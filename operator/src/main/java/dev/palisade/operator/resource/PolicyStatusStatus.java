package dev.palisade.operator.resource;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.List;

/**
 * The aggregate: on how many of the nodes that host a pod the policy selects the node's current
 * rule set is applied, at which policy generation, and what of the policy could not be compiled.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PolicyStatusStatus(
        @JsonPropertyDescription("programmedNodes/desiredNodes, e.g. 42/42.") String programmed,
        @JsonPropertyDescription("Nodes hosting at least one pod the policy selects.") int desiredNodes,
        @JsonPropertyDescription("Of those, nodes whose agent applied the current rule set.") int programmedNodes,
        @JsonPropertyDescription("metadata.generation of the policy these figures are for.") long observedGeneration,
        @JsonPropertyDescription("Number of problems below.") int problemCount,
        @JsonPropertyDescription("Fields that could not be compiled (the rule is dropped, pods stay isolated).")
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> problems) {

    public PolicyStatusStatus {
        problems = problems == null ? List.of() : List.copyOf(problems);
    }
}
