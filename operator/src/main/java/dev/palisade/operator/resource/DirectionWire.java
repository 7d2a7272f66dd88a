package dev.palisade.operator.resource;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.List;

/** One direction: local pod addresses isolated in it (default deny) and the grants that allow traffic. */
// Every field always present, even when empty: a server-side apply that empties an object whose
// fields it owned leaves null behind, which the schema rejects; an empty list replaces atomically.
@JsonInclude(JsonInclude.Include.ALWAYS)
public record DirectionWire(
        @JsonPropertyDescription("Local pod addresses isolated in this direction.") List<String> isolated,
        @JsonPropertyDescription("Allow rules, ordered by policy, rule index and content.") List<GrantWire> grants) {

    public static final DirectionWire NONE = new DirectionWire(List.of(), List.of());

    public DirectionWire {
        isolated = isolated == null ? List.of() : List.copyOf(isolated);
        grants = grants == null ? List.of() : List.copyOf(grants);
    }
}
