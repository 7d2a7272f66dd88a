package dev.palisade.charts;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Optional;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.fail;

/** The objects of one helm template run. */
record Rendered(String text, List<JsonNode> objects) {

    static Rendered parse(String yaml) {
        return new Rendered(yaml, Helm.documents(yaml));
    }

    List<JsonNode> ofKind(String kind) {
        return objects.stream().filter(o -> kind.equals(o.path("kind").asText())).toList();
    }

    Optional<JsonNode> find(String kind, String name) {
        return ofKind(kind).stream().filter(o -> name.equals(o.path("metadata").path("name").asText())).findFirst();
    }

    JsonNode get(String kind, String name) {
        return find(kind, name).orElseGet(() -> fail("no " + kind + " " + name + " rendered; have "
                + objects.stream().map(o -> o.path("kind").asText() + "/" + o.path("metadata").path("name").asText()).toList()));
    }

    /** The single container called {@code name} of a workload's pod template. */
    static JsonNode container(JsonNode workload, String name) {
        return StreamSupport.stream(workload.path("spec").path("template").path("spec").path("containers").spliterator(), false)
                .filter(c -> name.equals(c.path("name").asText())).findFirst()
                .orElseGet(() -> fail("no container " + name + " in " + workload.path("metadata").path("name").asText()));
    }

    static JsonNode podSpec(JsonNode workload) {
        return workload.path("spec").path("template").path("spec");
    }
}
