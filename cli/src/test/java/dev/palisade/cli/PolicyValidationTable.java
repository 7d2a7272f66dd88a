package dev.palisade.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The table of what the API server validates in a NetworkPolicy (src/test/resources/parity/
 * networkpolicy-validation.yaml), read once for both sides of the parity: {@link CompileParityTest} runs
 * each row through {@code palisade compile}, {@link CompileParityApiTest} through the real API server too.
 */
final class PolicyValidationTable {

    static final String RESOURCE = "/parity/networkpolicy-validation.yaml";
    static final String NAMESPACE = "parity";
    static final String NODE = "parity-node";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One case: the policy as the API server would receive it, and where it must be rejected (empty: accepted). */
    record Row(String name, ObjectNode policy, Optional<String> rejectedAt, Optional<String> warning,
               Optional<String> palisadeRejectsAt) {

        /** Where palisade compile rejects it: where the API server does, unless the row says palisade differs. */
        Optional<String> compileRejectsAt() {
            return palisadeRejectsAt.isPresent() ? palisadeRejectsAt : rejectedAt;
        }

        String json() {
            try {
                return JSON.writeValueAsString(policy);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private PolicyValidationTable() {
    }

    static List<Row> rows() {
        JsonNode table;
        try (InputStream in = PolicyValidationTable.class.getResourceAsStream(RESOURCE)) {
            table = new YAMLMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Row> rows = new ArrayList<>();
        for (JsonNode r : table.get("rows")) {
            String name = r.get("name").asText();
            ObjectNode policy = JSON.createObjectNode();
            policy.put("apiVersion", "networking.k8s.io/v1");
            policy.put("kind", "NetworkPolicy");
            ObjectNode metadata = policy.putObject("metadata");
            metadata.put("name", name);
            metadata.put("namespace", NAMESPACE);
            if (r.has("metadata")) {
                metadata.setAll((ObjectNode) expand(r.get("metadata")));
            }
            if (r.has("spec")) {
                policy.set("spec", expand(r.get("spec")));
            } else {
                policy.putObject("spec").putObject("podSelector");
            }
            Optional<String> palisade = Optional.empty();
            if (r.has("palisade")) {
                if (!r.path("palisade").has("why") || !r.path("palisade").has("rejectedAt")) {
                    throw new IllegalStateException(name + ": a deviation needs rejectedAt and why");
                }
                palisade = text(r.get("palisade"), "rejectedAt");
            }
            rows.add(new Row(name, policy, text(r, "rejectedAt"), text(r, "warning"), palisade));
        }
        return rows;
    }

    private static final Pattern REPEAT = Pattern.compile("\\$\\{(\\d+) x (\\S+)}");

    /** The node with every "${N x s}" in its keys and strings replaced by s repeated N times. */
    private static JsonNode expand(JsonNode node) {
        if (node.isTextual()) {
            return JSON.getNodeFactory().textNode(expand(node.asText()));
        }
        if (node.isArray()) {
            var array = JSON.createArrayNode();
            node.forEach(e -> array.add(expand(e)));
            return array;
        }
        if (node.isObject()) {
            ObjectNode object = JSON.createObjectNode();
            node.fields().forEachRemaining(e -> object.set(expand(e.getKey()), expand(e.getValue())));
            return object;
        }
        return node;
    }

    private static String expand(String text) {
        return REPEAT.matcher(text).replaceAll(m -> m.group(2).repeat(Integer.parseInt(m.group(1))));
    }

    private static Optional<String> text(JsonNode row, String field) {
        return row.has(field) ? Optional.of(row.get(field).asText()) : Optional.empty();
    }

    /**
     * {@code palisade compile} of the row's policy (in JSON, exactly as the API server gets it), with a
     * Namespace and a Node to compile for; asserts the row's outcome and returns the run.
     */
    static Cli compile(Row row, Path dir) throws IOException {
        Path file = dir.resolve(row.name() + ".yaml");
        Files.writeString(file, """
                apiVersion: v1
                kind: Namespace
                metadata: {name: %s}
                ---
                apiVersion: v1
                kind: Node
                metadata: {name: %s}
                ---
                %s
                """.formatted(NAMESPACE, NODE, row.json()));
        Cli r = Cli.run("compile", "--node", NODE, "-f", file.toString());
        if (row.compileRejectsAt().isPresent()) {
            String field = row.compileRejectsAt().get();
            assertEquals(2, r.exit(), () -> row + ": must be rejected at " + field + "\n" + r);
            assertEquals("", r.out(), () -> row + ": nothing on stdout\n" + r);
            // the API server's path, or a field inside it (palisade names a label's key: matchLabels.app)
            Pattern at = Pattern.compile("^" + Pattern.quote(file.toString()) + ": document 3 \\(NetworkPolicy[^)]*\\): "
                    + Pattern.quote(field) + "(\\.[^ ]+)?: .+");
            assertTrue(r.errLines().stream().anyMatch(l -> at.matcher(l).matches()),
                    () -> row + ": no error at " + field + "\n" + r);
        } else {
            assertEquals(0, r.exit(), () -> row + ": must compile\n" + r);
            assertTrue(r.out().contains("table inet palisade"), () -> row + "\n" + r);
            assertFalse(r.errLines().stream().anyMatch(l -> !l.contains(": warning: ") && !l.contains(": note: ")),
                    () -> row + ": only warnings and notes\n" + r);
            row.warning().ifPresent(field -> assertTrue(r.errLines().stream().anyMatch(l -> l.contains(": warning: "
                    + field + ": ")), () -> row + ": a warning at " + field + "\n" + r));
        }
        return r;
    }
}
