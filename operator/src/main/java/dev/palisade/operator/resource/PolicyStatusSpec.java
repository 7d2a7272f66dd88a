package dev.palisade.operator.resource;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Names the NetworkPolicy (same namespace) this status reports on. */
public record PolicyStatusSpec(@JsonPropertyDescription("Name of the NetworkPolicy.") String policy) {
}
