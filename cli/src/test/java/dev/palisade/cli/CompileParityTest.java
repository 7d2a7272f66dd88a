package dev.palisade.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code palisade compile} against the table of what the API server validates in a NetworkPolicy: rejected
 * rows exit 2 with nothing on stdout and an error at the API server's field path; accepted rows compile.
 * {@link CompileParityApiTest} checks the same rows against a real API server.
 */
class CompileParityTest {

    static List<PolicyValidationTable.Row> rows() {
        return PolicyValidationTable.rows();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void compileAgreesWithTheApiServer(PolicyValidationTable.Row row, @TempDir Path dir) throws IOException {
        PolicyValidationTable.compile(row, dir);
    }

    @Test
    void theTableHasBothKindsOfRowsAndUniqueNames() {
        List<PolicyValidationTable.Row> rows = rows();
        Set<String> names = new HashSet<>();
        rows.forEach(r -> assertTrue(names.add(r.name()), "duplicate row " + r.name()));
        assertTrue(rows.stream().filter(r -> r.rejectedAt().isPresent()).count() >= 50, "rejected rows");
        assertTrue(rows.stream().filter(r -> r.rejectedAt().isEmpty()).count() >= 15, "accepted rows");
        // deviations from the API server are few and deliberate: each is named here as well as in the table
        assertEquals(List.of("generate-name"), rows.stream().filter(r -> r.palisadeRejectsAt().isPresent())
                .map(PolicyValidationTable.Row::name).toList());
    }
}
