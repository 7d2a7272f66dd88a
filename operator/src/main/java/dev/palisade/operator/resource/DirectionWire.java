package dev.palisade.operator.resource;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.List;

/**
 * One direction: the ClusterNetworkPolicy verdicts (decide first), the local pod addresses isolated in it
 * (default deny) and the grants that allow traffic.
 */
// Every field always present, even when empty: a server-side apply that empties an object whose
// fields it owned leaves null behind, which the schema rejects; an empty list replaces atomically.
// Except verdicts: left out when empty, so a rule set without ClusterNetworkPolicies renders (and hashes)
// exactly as before the field existed; the other two fields keep the object non-empty.
@JsonInclude(JsonInclude.Include.ALWAYS)
public record DirectionWire(
        @JsonPropertyDescription("Local pod addresses isolated in this direction.") List<String> isolated,
        @JsonPropertyDescription("Allow rules, ordered by policy, rule index and content.") List<GrantWire> grants,
        @JsonPropertyDescription("ClusterNetworkPolicy verdicts, already resolved; they decide before isolated and "
                + "grants. Left out when there are none.")
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<VerdictWire> verdicts) {

    public static final DirectionWire NONE = new DirectionWire(List.of(), List.of());

    public DirectionWire {
        isolated = isolated == null ? List.of() : List.copyOf(isolated);
        grants = grants == null ? List.of() : List.copyOf(grants);
        verdicts = verdicts == null ? List.of() : List.copyOf(verdicts);
    }

    /** NetworkPolicy only. */
    public DirectionWire(List<String> isolated, List<GrantWire> grants) {
        this(isolated, grants, List.of());
    }
}
