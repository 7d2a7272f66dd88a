package dev.palisade.operator.resource;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.List;

/**
 * The far end of a grant: every address, or exact addresses plus ranges ("a-b"), held inline or,
 * for large sets, in shared {@link PalisadeAddressSet}s named by content hash (the union of all).
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record PeersWire(
        @JsonPropertyDescription("True: every address; the other fields are then empty.") Boolean any,
        @JsonPropertyDescription("Exact addresses (pod IPs).") List<String> addresses,
        @JsonPropertyDescription("Inclusive address ranges, first-last or a single address.") List<String> ranges,
        @JsonPropertyDescription("Names of PalisadeAddressSets whose entries also belong to this peer set.")
        List<String> addressSets) {

    public static final PeersWire ANY = new PeersWire(true, List.of(), List.of(), List.of());
    public static final PeersWire NONE = new PeersWire(null, List.of(), List.of(), List.of());

    public PeersWire {
        any = Boolean.TRUE.equals(any) ? Boolean.TRUE : null;
        addresses = addresses == null ? List.of() : List.copyOf(addresses);
        ranges = ranges == null ? List.of() : List.copyOf(ranges);
        addressSets = addressSets == null ? List.of() : List.copyOf(addressSets);
    }

    public boolean matchesAny() {
        return Boolean.TRUE.equals(any);
    }

    public int inlineEntries() {
        return addresses.size() + ranges.size();
    }
}
