package dev.palisade.manifest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Files, documents, kinds and the positions diagnostics report. */
class ManifestReaderTest {

    private static final String POD = """
            apiVersion: v1
            kind: Pod
            metadata: {name: %s, namespace: shop}
            """;

    @Test
    void documentsAreNumberedAsWrittenEmptyOnesIncluded() {
        ManifestSet set = ManifestReader.readText("app.yaml", "---\n" + POD.formatted("a") + "---\n# only a comment\n---\n"
                + POD.formatted("b") + "---\n");
        assertEquals(List.of(), set.diagnostics());
        assertEquals(new Origin("app.yaml", 1), set.origin(new ObjectRef("Pod", "shop", "a")).orElseThrow());
        assertEquals(new Origin("app.yaml", 3), set.origin(new ObjectRef("Pod", "shop", "b")).orElseThrow());
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("unclosed flow sequence", POD.formatted("a") + "---\nspec: {containers: [1, 2\n", 2, "while parsing a flow sequence at line 5"),
                Arguments.of("bad indentation", "apiVersion: v1\nkind: Pod\n  metadata: x\n", 1, "line 3, column 11"),
                Arguments.of("tab indentation", "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: a\n", 1, "line 4"),
                Arguments.of("duplicate key", "apiVersion: v1\nkind: Pod\nkind: Namespace\n", 1, "Duplicate field 'kind'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedYamlIsOneErrorWithFileDocumentAndPosition(String name, String text, int document, String fragment) {
        ManifestSet set = ManifestReader.readText("bad.yaml", text);
        assertEquals(1, set.errors().size(), set.diagnostics()::toString);
        Diagnostic d = set.errors().get(0);
        String line = d.toString();
        assertTrue(line.startsWith("bad.yaml: document " + document + ": malformed YAML at line "), line);
        assertTrue(line.contains(fragment), line);
        assertFalse(line.contains("\n"), line);
    }

    @Test
    void otherKindsAreSkippedWithANote() {
        ManifestSet set = ManifestReader.readText("demo.yaml", """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web-app, namespace: netpol-demo}
                ---
                apiVersion: crd.projectcalico.org/v1
                kind: NetworkPolicy
                metadata: {name: calico, namespace: netpol-demo}
                """);
        assertFalse(set.hasErrors());
        assertEquals(List.of(
                        "demo.yaml: document 1: note: skipped Deployment netpol-demo/web-app: not a kind palisade compiles",
                        "demo.yaml: document 2: note: skipped NetworkPolicy (crd.projectcalico.org/v1) netpol-demo/calico: "
                                + "not a kind palisade compiles"),
                set.diagnostics().stream().map(Diagnostic::toString).toList());
        assertEquals(Severity.NOTE, set.diagnostics().get(0).severity());
    }

    @Test
    void listsAreUnpackedAndFieldsAreUnderTheirItem() {
        ManifestSet set = ManifestReader.readText("list.yaml", """
                apiVersion: v1
                kind: List
                items:
                - apiVersion: v1
                  kind: Namespace
                  metadata: {name: shop}
                - apiVersion: networking.k8s.io/v1
                  kind: NetworkPolicy
                  metadata: {name: p, namespace: shop}
                  spec:
                    ingress:
                    - ports: [{protocol: ICMP}]
                """);
        assertEquals(1, set.cluster().namespaces().size());
        assertEquals(1, set.cluster().policies().size());
        assertEquals("items[1].spec.ingress[0].ports[0].protocol", set.errors().get(0).field());
        assertEquals(1, set.errors().get(0).document());
    }

    @Test
    void typedListItemsInheritKind() {
        ManifestSet set = ManifestReader.readText("pods.yaml", """
                apiVersion: v1
                kind: PodList
                items:
                - metadata: {name: a}
                - metadata: {name: b}
                """);
        assertEquals(List.of(), set.diagnostics());
        assertEquals(2, set.cluster().pods().size());
    }

    @Test
    void duplicatesAreErrorsNamingTheFirstDefinition() {
        ManifestSet set = ManifestReader.readText("dup.yaml", POD.formatted("a") + "---\n" + POD.formatted("a"));
        assertEquals(List.of("dup.yaml: document 2 (Pod shop/a): duplicate object: already defined in dup.yaml: document 1"),
                set.errors().stream().map(Diagnostic::toString).toList());
        assertEquals(1, set.cluster().pods().size());
    }

    @Test
    void sameNameInAnotherNamespaceIsNoDuplicate() {
        ManifestSet set = ManifestReader.readText("two.yaml", POD.formatted("a") + "---\n"
                + "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n");
        assertFalse(set.hasErrors());
        assertEquals(2, set.cluster().pods().size());
    }

    static Stream<Arguments> notObjects() {
        return Stream.of(
                Arguments.of("missing kind", "apiVersion: v1\nmetadata: {name: a}\n", "kind", "kind is required"),
                Arguments.of("missing apiVersion", "kind: Pod\nmetadata: {name: a}\n", "apiVersion", "apiVersion is required"),
                Arguments.of("missing name", "apiVersion: v1\nkind: Pod\nmetadata: {namespace: x}\n", "metadata.name", "name is required"),
                Arguments.of("a name the API server refuses", "apiVersion: v1\nkind: Pod\nmetadata: {name: Web_1}\n",
                        "metadata.name", "invalid name \"Web_1\": a lowercase RFC 1123 subdomain"),
                Arguments.of("a namespace name with a dot", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a.b}\n",
                        "metadata.name", "invalid name \"a.b\": a lowercase RFC 1123 label"),
                Arguments.of("an invalid namespace", "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: -x}\n",
                        "metadata.namespace", "invalid namespace \"-x\""),
                Arguments.of("a policy name too long", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: "
                        + "a".repeat(254) + "}\nspec: {podSelector: {}}\n", "metadata.name", "must be no more than 253 characters"),
                Arguments.of("a list document", "- a\n- b\n", null, "expected a Kubernetes object, got a list"),
                Arguments.of("a scalar document", "hello\n", null, "expected a Kubernetes object"),
                Arguments.of("spec of the wrong type", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: [1]\n", "spec",
                        "expected an object"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("notObjects")
    void documentsThatAreNoUsableObjectAreErrors(String name, String text, String field, String message) {
        ManifestSet set = ManifestReader.readText("x.yaml", text);
        assertEquals(1, set.errors().size(), set.diagnostics()::toString);
        assertEquals(field, set.errors().get(0).field(), name);
        assertTrue(set.errors().get(0).message().contains(message), set.errors().get(0)::toString);
    }

    @Test
    void directoryMeansItsManifestFilesSortedByPath(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("b.yaml"), POD.formatted("b"));
        Files.writeString(dir.resolve("a.yml"), POD.formatted("a"));
        Files.writeString(dir.resolve("sub/c.json"), """
                {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "c", "namespace": "shop"}}
                """);
        Files.writeString(dir.resolve("README.md"), "# not a manifest: [");
        ManifestSet set = ManifestReader.read(List.of(dir));
        assertEquals(List.of(), set.diagnostics());
        assertEquals(List.of(dir.resolve("a.yml").toString(), dir.resolve("b.yaml").toString(),
                        dir.resolve("sub/c.json").toString()),
                set.origins().values().stream().map(Origin::source).sorted().toList());
        assertEquals(3, set.cluster().pods().size());
    }

    @Test
    void dashReadsStandardInputOnce(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("b.yaml"), POD.formatted("b"));
        ByteArrayInputStream stdin = new ByteArrayInputStream((POD.formatted("a") + "---\nkind: Pod\n").getBytes(StandardCharsets.UTF_8));
        ManifestSet set = ManifestReader.read(List.of(Path.of("-"), dir.resolve("b.yaml"), Path.of("-")), stdin);
        assertEquals(List.of("stdin: document 2 (Pod): apiVersion: apiVersion is required"),
                set.errors().stream().map(Diagnostic::toString).toList());
        assertEquals(new Origin("stdin", 1), set.origin(new ObjectRef("Pod", "shop", "a")).orElseThrow());
        assertEquals(2, set.cluster().pods().size());
    }

    @Test
    void missingFileIsAnError(@TempDir Path dir) {
        ManifestSet set = ManifestReader.read(List.of(dir.resolve("nope.yaml")));
        assertEquals(List.of(dir.resolve("nope.yaml") + ": no such file or directory"),
                set.errors().stream().map(Diagnostic::toString).toList());
    }

    @Test
    void malformedJsonIsReportedWithPosition(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bad.json");
        Files.writeString(file, "{\"apiVersion\": \"v1\",\n \"kind\": }\n");
        ManifestSet set = ManifestReader.read(List.of(file));
        String line = set.errors().get(0).toString();
        assertTrue(line.startsWith(file + ": document 1: malformed JSON at line 2"), line);
    }
}
