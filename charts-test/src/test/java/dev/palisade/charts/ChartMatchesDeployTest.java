package dev.palisade.charts;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The chart ships what deploy/ holds, which the operator's and agent's own tests prove: the CRDs
 * byte for byte (the operator's CrdFilesTest generates deploy/crds), and RBAC rule for rule
 * (deploy/rbac/*.yaml, which those tests run under by impersonation). A rule missing from the chart
 * or one too many fails here; .ci/run also runs those tests with the chart's own rendering.
 */
class ChartMatchesDeployTest {

    @Test
    void crdsAreDeployCrdsByteForByte() throws IOException {
        Map<String, byte[]> deploy = files(Helm.REPO.resolve("deploy/crds"));
        Map<String, byte[]> chart = files(Helm.CHART.resolve("crds"));
        assertEquals(deploy.keySet(), chart.keySet(), "the same CRD files; refresh with: cp deploy/crds/*.yaml charts/palisade/crds/");
        deploy.forEach((name, bytes) -> assertArrayEquals(bytes, chart.get(name),
                "charts/palisade/crds/" + name + " differs from deploy/crds/" + name + "; refresh with: cp deploy/crds/*.yaml charts/palisade/crds/"));
    }

    @ParameterizedTest(name = "RBAC of the {0} is deploy/rbac/{0}.yaml")
    @ValueSource(strings = {"operator", "agent"})
    void rbacIsDeployRbac(String component) {
        Map<String, JsonNode> deploy = rbac(Helm.documents(read(Helm.REPO.resolve("deploy/rbac/" + component + ".yaml"))));
        Rendered rendered = Helm.template("--show-only", "templates/" + component + "/rbac.yaml",
                "--show-only", "templates/" + component + "/serviceaccount.yaml");
        Map<String, JsonNode> chart = rbac(rendered.objects());
        assertEquals(deploy.keySet(), chart.keySet(), "the same RBAC objects, by kind, namespace and name");
        deploy.forEach((key, d) -> {
            JsonNode c = chart.get(key);
            assertEquals(d.path("rules"), c.path("rules"), key + ": rules");
            assertEquals(d.path("roleRef"), c.path("roleRef"), key + ": roleRef");
            assertEquals(d.path("subjects"), c.path("subjects"), key + ": subjects");
        });
    }

    /** ServiceAccounts, Roles, ClusterRoles and their bindings by kind/namespace/name (Namespaces are Helm's job). */
    private static Map<String, JsonNode> rbac(List<JsonNode> objects) {
        Map<String, JsonNode> byKey = new TreeMap<>();
        for (JsonNode o : objects) {
            String kind = o.path("kind").asText();
            if (kind.equals("Namespace")) {
                continue;
            }
            byKey.put(kind + "/" + o.path("metadata").path("namespace").asText("") + "/" + o.path("metadata").path("name").asText(), o);
        }
        return byKey;
    }

    private static Map<String, byte[]> files(Path dir) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                files.put(p.getFileName().toString(), Files.readAllBytes(p));
            }
        }
        return files;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
