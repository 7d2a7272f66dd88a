package dev.palisade.agent.watch;

import dev.palisade.agent.watch.Departure.NodeFacts;
import dev.palisade.agent.watch.Departure.Owner;
import dev.palisade.agent.watch.Departure.Reason;
import dev.palisade.agent.watch.Departure.Requirement;
import dev.palisade.agent.watch.Departure.Term;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** What a stopping agent does with its table, for each state of its DaemonSet and node. */
class DepartureTest {

    private static final String ID = "daemonset palisade-system/palisade-agent";
    private static final NodeFacts WORKER = new NodeFacts("kind-worker",
            Map.of("kubernetes.io/os", "linux", "pool", "blue", "gpus", "4"));

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("present, no selection: a restart", true, present(Map.of(), List.of()), Reason.SELECTED),
                Arguments.of("present, nodeSelector matches", true, present(Map.of("kubernetes.io/os", "linux"), List.of()),
                        Reason.SELECTED),
                Arguments.of("present, nodeSelector no longer matches", true, present(Map.of("pool", "green"), List.of()),
                        Reason.NOT_SELECTED),
                Arguments.of("present, nodeSelector label missing", true, present(Map.of("zone", "a"), List.of()),
                        Reason.NOT_SELECTED),
                Arguments.of("gone", true, Optional.empty(), Reason.DELETED),
                Arguments.of("being deleted", true, Optional.of(new Owner("palisade-system", "palisade-agent", true,
                        Map.of(), List.of())), Reason.DELETING),
                Arguments.of("gone but never seen: a wrong name, not an uninstall", false, Optional.empty(),
                        Reason.UNKNOWN_OWNER),
                Arguments.of("affinity In matches", true, affinity(term(req("pool", "In", "blue", "red"))), Reason.SELECTED),
                Arguments.of("affinity In no longer matches", true, affinity(term(req("pool", "In", "red"))),
                        Reason.NOT_SELECTED),
                Arguments.of("affinity NotIn excludes the node", true, affinity(term(req("pool", "NotIn", "blue"))),
                        Reason.NOT_SELECTED),
                Arguments.of("affinity NotIn of a missing label", true, affinity(term(req("zone", "NotIn", "a"))),
                        Reason.SELECTED),
                Arguments.of("affinity Exists", true, affinity(term(req("pool", "Exists"))), Reason.SELECTED),
                Arguments.of("affinity DoesNotExist of a present label", true, affinity(term(req("pool", "DoesNotExist"))),
                        Reason.NOT_SELECTED),
                Arguments.of("affinity Gt", true, affinity(term(req("gpus", "Gt", "2"))), Reason.SELECTED),
                Arguments.of("affinity Lt", true, affinity(term(req("gpus", "Lt", "2"))), Reason.NOT_SELECTED),
                Arguments.of("affinity: any term matches", true, affinity(term(req("pool", "In", "red")),
                        term(req("pool", "In", "blue"))), Reason.SELECTED),
                Arguments.of("affinity: all requirements of a term", true, affinity(term(req("pool", "In", "blue"),
                        req("gpus", "Gt", "8"))), Reason.NOT_SELECTED),
                Arguments.of("affinity matchFields metadata.name", true, affinity(new Term(List.of(),
                        List.of(req("metadata.name", "In", "kind-worker")))), Reason.SELECTED),
                Arguments.of("affinity matchFields excludes the node", true, affinity(new Term(List.of(),
                        List.of(req("metadata.name", "NotIn", "kind-worker")))), Reason.NOT_SELECTED),
                Arguments.of("an empty term selects nothing", true, affinity(new Term(List.of(), List.of())),
                        Reason.NOT_SELECTED),
                Arguments.of("nodeSelector and affinity both needed", true, present(Map.of("pool", "green"),
                        List.of(term(req("pool", "Exists")))), Reason.NOT_SELECTED),
                Arguments.of("an operator we do not know keeps the table", true, affinity(term(req("pool", "Like", "b"))),
                        Reason.UNDECIDABLE),
                Arguments.of("Gt with a bad bound keeps the table", true, affinity(term(req("gpus", "Gt", "two"))),
                        Reason.UNDECIDABLE),
                Arguments.of("a field other than metadata.name keeps the table", true, affinity(new Term(List.of(),
                        List.of(req("spec.unschedulable", "In", "true")))), Reason.UNDECIDABLE),
                Arguments.of("one matching term decides even beside an undecidable one", true,
                        affinity(term(req("pool", "Like", "b")), term(req("pool", "In", "blue"))), Reason.SELECTED));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void decides(String name, boolean seen, Optional<Owner> owner, Reason expected) {
        Departure d = Departure.decide(ID, seen, owner, Optional.of(WORKER));
        assertEquals(expected, d.reason(), d.detail());
        assertEquals(expected == Reason.DELETED || expected == Reason.DELETING || expected == Reason.NOT_SELECTED,
                d.removeTables());
    }

    @ParameterizedTest(name = "an unknown node keeps the table: {0}")
    @MethodSource("cases")
    void anUnknownNodeNeverRemovesOnSelection(String name, boolean seen, Optional<Owner> owner, Reason withNode) {
        Departure d = Departure.decide(ID, seen, owner, Optional.empty());
        Reason expected = switch (withNode) {
            case SELECTED, NOT_SELECTED, UNDECIDABLE -> Reason.UNDECIDABLE;
            default -> withNode;
        };
        assertEquals(expected, d.reason(), d.detail());
    }

    @org.junit.jupiter.api.Test
    void aReasonDecidesTheVerdict() {
        assertThrows(IllegalArgumentException.class, () -> new Departure(true, Reason.SELECTED, "x"));
        assertThrows(IllegalArgumentException.class, () -> new Departure(false, Reason.DELETED, "x"));
    }

    private static Optional<Owner> present(Map<String, String> selector, List<Term> required) {
        return Optional.of(new Owner("palisade-system", "palisade-agent", false, selector, required));
    }

    private static Optional<Owner> affinity(Term... terms) {
        return present(Map.of(), List.of(terms));
    }

    private static Term term(Requirement... labels) {
        return new Term(List.of(labels), List.of());
    }

    private static Requirement req(String key, String op, String... values) {
        return new Requirement(key, op, List.of(values));
    }
}
