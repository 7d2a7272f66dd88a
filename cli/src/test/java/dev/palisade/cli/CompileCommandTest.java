package dev.palisade.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `palisade compile`: rule sets for good input; one line per problem and exit 2 for bad input. */
class CompileCommandTest {

    @Test
    void printsTheNodeScript() {
        Cli r = Cli.run("compile", "--node", "multi-node-worker", "-f", Cli.walkthrough("netpol-demo").toString());
        assertEquals(0, r.exit(), r::toString);
        assertFalse(r.out().isBlank());
        assertTrue(r.out().contains("table inet palisade"), r::toString);
    }

    @Test
    void aNodeNamedOnlyByAPodIsKnown(@TempDir Path dir) throws IOException {
        Path pod = dir.resolve("pod.yaml");
        Files.writeString(pod, """
                apiVersion: v1
                kind: Pod
                metadata: {name: web}
                spec: {nodeName: w9}
                status: {phase: Running, podIP: 10.9.0.1}
                """);
        Cli r = Cli.run("compile", "--node", "w9", "-f", pod.toString());
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("table inet palisade"), r::toString);
        assertEquals("", r.err());
    }

    @Test
    void jsonIsTheRuleSetDeterministically() throws IOException {
        String dir = Cli.walkthrough("netpol-demo").toString();
        Cli r = Cli.run("compile", "--node", "multi-node-worker2", "-f", dir, "--format", "json");
        assertEquals(0, r.exit(), r::toString);
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals("multi-node-worker2", json.get("node").asText());
        assertEquals(List.of("10.244.2.10", "10.244.2.11", "10.244.2.20"), texts(json.get("localPods")));
        assertEquals(List.of("10.244.2.10", "10.244.2.11"), texts(json.get("ingress").get("isolated")));
        assertEquals(List.of(), texts(json.get("egress").get("isolated")));
        JsonNode grants = json.get("ingress").get("grants");
        assertEquals(2, grants.size(), r::toString);
        JsonNode db = grants.get(0);
        assertEquals("netpol-demo/db-policy", db.get("policy").asText());
        assertEquals(0, db.get("rule").asInt());
        assertEquals(List.of("10.244.1.10", "10.244.2.10"), texts(db.get("peers").get("addresses")));
        assertEquals("TCP", db.get("ports").get(0).get("protocol").asText());
        assertEquals(5432, db.get("ports").get(0).get("first").asInt());
        assertFalse(r.out().contains("\"empty\""), "derived accessors are not part of the contract");
        assertEquals(r.out(), Cli.run("compile", "--node", "multi-node-worker2", "-f", dir, "--format", "json").out(),
                "same input, same bytes");
        assertTrue(r.err().contains("note: skipped Service netpol-demo/web-app"), r::toString);
    }

    static Stream<Arguments> badManifests() {
        return Stream.of(
                Arguments.of("malformed YAML", """
                        apiVersion: v1
                        kind: Namespace
                        metadata: {name: prod}
                        ---
                        apiVersion: networking.k8s.io/v1
                        kind: NetworkPolicy
                        metadata: {name: web, namespace: prod
                        spec: {}
                        """, "{file}: document 2: malformed YAML at line "),
                Arguments.of("invalid CIDR", """
                        apiVersion: v1
                        kind: Namespace
                        metadata: {name: prod}
                        ---
                        apiVersion: networking.k8s.io/v1
                        kind: NetworkPolicy
                        metadata: {name: web, namespace: prod}
                        spec:
                          podSelector: {}
                          ingress:
                          - from:
                            - ipBlock: {cidr: 10.0.0.300/24}
                        """, "{file}: document 2 (NetworkPolicy prod/web): spec.ingress[0].from[0].ipBlock.cidr: "
                        + "invalid CIDR \"10.0.0.300/24\""),
                Arguments.of("unknown protocol", """
                        apiVersion: networking.k8s.io/v1
                        kind: NetworkPolicy
                        metadata: {name: web, namespace: prod}
                        spec:
                          podSelector: {}
                          egress:
                          - ports: [{protocol: ICMP}]
                        """, "{file}: document 1 (NetworkPolicy prod/web): spec.egress[0].ports[0].protocol: "
                        + "unsupported value \"ICMP\": supported values: \"TCP\", \"UDP\", \"SCTP\""),
                Arguments.of("bad selector operator", """
                        apiVersion: networking.k8s.io/v1
                        kind: NetworkPolicy
                        metadata: {name: web}
                        spec:
                          podSelector:
                            matchExpressions:
                            - {key: app, operator: Equals, values: [web]}
                        """, "{file}: document 1 (NetworkPolicy default/web): spec.podSelector.matchExpressions[0].operator: "
                        + "unsupported value \"Equals\": supported values: \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\""),
                Arguments.of("duplicate object", """
                        apiVersion: v1
                        kind: Node
                        metadata: {name: worker}
                        ---
                        apiVersion: v1
                        kind: Node
                        metadata: {name: worker}
                        """, "{file}: document 2 (Node worker): duplicate object: already defined in {file}: document 1"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badManifests")
    void badManifestsAreOneLineOnStderrAndExitTwo(String name, String manifest, String line, @TempDir Path dir)
            throws IOException {
        Files.writeString(dir.resolve("deny.yaml"), manifest);
        // Messages name the file as the user gave it.
        Cli r = Cli.run("compile", "--node", "worker", "-f", dir.resolve("deny.yaml").toString());
        assertEquals(2, r.exit(), r::toString);
        assertEquals("", r.out(), r::toString);
        assertEquals(1, r.errLines().size(), r::toString);
        String expected = line.replace("{file}", dir.resolve("deny.yaml").toString());
        assertTrue(r.errLines().get(0).startsWith(expected), () -> "expected " + expected + "\n" + r);
    }

    @Test
    void unknownNodeIsAnError() {
        Cli r = Cli.run("compile", "--node", "nope", "-f", Cli.walkthrough("netpol-demo").toString());
        assertEquals(2, r.exit(), r::toString);
        assertEquals("", r.out());
        assertEquals(List.of("unknown node nope: no Node object and no pod's spec.nodeName in the manifests"),
                r.errLines().stream().filter(l -> !l.contains("note: skipped")).toList());
    }

    @Test
    void missingManifestIsAnError(@TempDir Path dir) {
        Cli r = Cli.run("compile", "--node", "n", "-f", dir.resolve("absent.yaml").toString());
        assertEquals(2, r.exit());
        assertEquals("", r.out());
        assertEquals(List.of(dir.resolve("absent.yaml") + ": no such file or directory"), r.errLines());
    }

    private static List<String> texts(JsonNode array) {
        return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
    }
}
