package dev.palisade.operator.resource;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.List;

/** Sorted exact addresses and ranges ("first-last"); {@code entries} is their total, for kubectl. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record AddressSetSpec(
        @JsonPropertyDescription("Exact addresses.") List<String> addresses,
        @JsonPropertyDescription("Inclusive ranges, first-last.") List<String> ranges,
        @JsonPropertyDescription("addresses plus ranges.") @JsonInclude(JsonInclude.Include.ALWAYS) int entries) {

    public AddressSetSpec {
        addresses = addresses == null ? List.of() : List.copyOf(addresses);
        ranges = ranges == null ? List.of() : List.copyOf(ranges);
    }

    public AddressSetSpec(List<String> addresses, List<String> ranges) {
        this(addresses, ranges, (addresses == null ? 0 : addresses.size()) + (ranges == null ? 0 : ranges.size()));
    }
}
