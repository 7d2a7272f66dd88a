package dev.palisade.agent.sync;

import dev.palisade.model.IpAddress;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.NodeRuleSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AddressReuseTest {

    private static final IpAddress A = IpAddress.parse("10.244.1.5");
    private static final IpAddress B = IpAddress.parse("10.244.1.6");
    private static final SortedMap<IpAddress, AddressReuse.Held> NONE = new TreeMap<>();

    /** Local pods from "address=uid uid" words; "address" alone: listed without a uid. */
    private static NodeRuleSet listing(String... entries) {
        SortedSet<IpAddress> local = new TreeSet<>();
        SortedMap<IpAddress, SortedSet<String>> holders = new TreeMap<>();
        for (String e : entries) {
            String[] parts = e.split("=", 2);
            IpAddress a = IpAddress.parse(parts[0]);
            local.add(a);
            if (parts.length == 2) {
                holders.put(a, new TreeSet<>(Set.of(parts[1].split(" "))));
            }
        }
        return new NodeRuleSet("n1", local, DirectionRules.NONE, DirectionRules.NONE, holders);
    }

    private static Map<IpAddress, Integer> routes(Object... addressAndIf) {
        Map<IpAddress, Integer> out = new TreeMap<>();
        for (int i = 0; i < addressAndIf.length; i += 2) {
            out.put((IpAddress) addressAndIf[i], (Integer) addressAndIf[i + 1]);
        }
        return out;
    }

    private static AddressReuse.Held held(long revision, String... uids) {
        return new AddressReuse.Held(new TreeSet<>(Set.of(uids)), revision);
    }

    @Test
    void aListedAddressWhoseRouteWentIsHeldWithThePodsItWasListedFor() {
        var h = AddressReuse.retire(NONE, routes(A, 7, B, 8), routes(B, 8), listing("10.244.1.5=uid-a", "10.244.1.6=uid-b"), 3);
        assertEquals(Map.of(A, held(3, "uid-a")), h);
    }

    @Test
    void aListedAddressWhoseRouteNowLeadsThroughAnotherInterfaceIsHeld() {
        // the old pod's DEL and the new pod's ADD both happened before the routes were listed again
        var h = AddressReuse.retire(NONE, routes(A, 7), routes(A, 9), listing("10.244.1.5=uid-a"), 3);
        assertEquals(Map.of(A, held(3, "uid-a")), h);
    }

    @Test
    void nothingIsHeldOnTheFirstLookForAnUnchangedRouteOrForAnAddressTheRulesDoNotList() {
        assertEquals(NONE, AddressReuse.retire(NONE, routes(), routes(A, 7), listing("10.244.1.5=uid-a"), 3), "first look");
        assertEquals(NONE, AddressReuse.retire(NONE, routes(A, 7), routes(A, 7), listing("10.244.1.5=uid-a"), 3), "unchanged");
        assertEquals(NONE, AddressReuse.retire(NONE, routes(A, 7), routes(), listing("10.244.1.6=uid-b"), 3),
                "not listed: the pending guard already holds it");
        assertEquals(NONE, AddressReuse.retire(NONE, routes(), routes(A, 9), listing("10.244.1.5=uid-a"), 3),
                "a route that appears is a new pod's: nothing went");
    }

    @Test
    void aSecondChangeWhileHeldKeepsTheFirstRevisionAndAddsHolders() {
        var first = AddressReuse.retire(NONE, routes(A, 7), routes(), listing("10.244.1.5=uid-a"), 3);
        var second = AddressReuse.retire(first, routes(A, 9), routes(), listing("10.244.1.5=uid-x"), 4);
        assertEquals(Map.of(A, held(3, "uid-a", "uid-x")), second);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "the same pod, a newer revision (the operator has not seen the deletion) | 10.244.1.5=uid-a        | 9 | true",
            "another pod listed there                                              | 10.244.1.5=uid-b        | 4 | false",
            "not listed any more                                                   | 10.244.1.6=uid-b        | 4 | false",
            "the old pod and the new one both listed (the old one terminating)     | 10.244.1.5=uid-a uid-b  | 4 | true",
            "listed without uids (an older operator), same revision                | 10.244.1.5              | 3 | true",
            "listed without uids (an older operator), newer revision               | 10.244.1.5              | 4 | false",
    })
    void aHeldAddressIsReleasedOnlyByARuleSetThatListsAnotherPodThereOrNothing(String name, String entry, long revision,
                                                                               boolean stillHeld) {
        SortedMap<IpAddress, AddressReuse.Held> h = new TreeMap<>(Map.of(A, held(3, "uid-a")));
        assertEquals(stillHeld, AddressReuse.release(h, listing(entry), revision).containsKey(A), name);
    }

    @Test
    void heldWithoutAKnownPodIsReleasedByTheFirstNewerRevision() {
        SortedMap<IpAddress, AddressReuse.Held> h = new TreeMap<>(Map.of(A, held(3)));
        assertEquals(Set.of(A), AddressReuse.release(h, listing("10.244.1.5=uid-b"), 3).keySet(), "same revision");
        assertEquals(Set.of(), AddressReuse.release(h, listing("10.244.1.5=uid-b"), 4).keySet(), "newer revision");
    }
}
