package dev.palisade.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.palisade.operator.TestCluster;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each row of the NetworkPolicy validation table, both ways: the real kube-apiserver (v1.33, with its
 * default feature gates) rejects the object with the row's field path among the causes of its error, or
 * accepts it; and {@code palisade compile} agrees on the same bytes (exit 2, nothing on stdout, an error
 * at that path; or it compiles). The objects are sent as raw JSON with dryRun=All, so no client-side
 * model stands between the table and the API server, and nothing is stored.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CompileParityApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private KubernetesClient admin;

    @BeforeAll
    void namespace() {
        admin = TestCluster.get().admin();
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(PolicyValidationTable.NAMESPACE)
                .endMetadata().build()).serverSideApply();
    }

    static List<PolicyValidationTable.Row> rows() {
        return PolicyValidationTable.rows();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void theApiServerAndCompileAgree(PolicyValidationTable.Row row, @TempDir Path dir) throws Exception {
        HttpRequest request = admin.getHttpClient().newHttpRequestBuilder()
                .uri(admin.getMasterUrl().toString().replaceAll("/$", "") + "/apis/networking.k8s.io/v1/namespaces/"
                        + PolicyValidationTable.NAMESPACE + "/networkpolicies?dryRun=All")
                .post("application/json", row.json())
                .build();
        HttpResponse<String> response = admin.getHttpClient().sendAsync(request, String.class).get(60, TimeUnit.SECONDS);
        String seen = "API server: HTTP " + response.code() + " " + response.body();
        if (row.rejectedAt().isPresent()) {
            assertEquals(422, response.code(), () -> row + ": the API server must reject it\n" + seen);
            List<String> causes = new ArrayList<>();
            for (JsonNode cause : JSON.readTree(response.body()).path("details").path("causes")) {
                causes.add(cause.path("field").asText());
            }
            assertTrue(causes.contains(row.rejectedAt().get()),
                    () -> row + ": no cause at " + row.rejectedAt().get() + " in " + causes + "\n" + seen);
        } else {
            assertEquals(201, response.code(), () -> row + ": the API server must accept it\n" + seen);
        }
        PolicyValidationTable.compile(row, dir);
    }
}
