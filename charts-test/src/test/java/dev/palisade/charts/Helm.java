package dev.palisade.charts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Helm binary of hack/provision-helm.sh (built from the Go module proxy on the first run, then
 * cached), run on charts/palisade. Without Helm the tests fail, never skip.
 */
final class Helm {

    static final Path REPO = Path.of(System.getProperty("palisade.repo.root", "..")).toAbsolutePath().normalize();
    static final Path CHART = REPO.resolve("charts/palisade");
    static final String RELEASE = "palisade";
    static final String NAMESPACE = "palisade-system";
    static final YAMLMapper YAML = new YAMLMapper();

    private static Path binary;

    private Helm() {
    }

    /**
     * Where hack/provision-helm.sh put Helm (it prints the path; a no-op when already there), or
     * PALISADE_HELM (the workflows' Helm from azure/setup-helm).
     */
    static synchronized Path binary() {
        String given = System.getenv("PALISADE_HELM");
        if (binary == null && given != null && !given.isBlank()) {
            binary = Path.of(given);
        }
        if (binary == null) {
            Result r = exec(List.of(REPO.resolve("hack/provision-helm.sh").toString()), Map.of(), 1800);
            if (r.code() != 0) {
                fail("hack/provision-helm.sh failed (Helm is built with go install from the Go module proxy):\n" + r.err());
            }
            binary = Path.of(r.out().strip());
        }
        return binary;
    }

    record Result(int code, String out, String err) {
        Result orFail(String what) {
            if (code != 0) {
                fail(what + " failed (exit " + code + "):\n" + err + out);
            }
            return this;
        }
    }

    /** Runs helm with these arguments; never fails by itself. */
    static Result run(List<String> args) {
        return run(args, Map.of());
    }

    static Result run(List<String> args, Map<String, String> env) {
        List<String> command = new ArrayList<>();
        command.add(binary().toString());
        command.addAll(args);
        return exec(command, env, 300);
    }

    /** helm template of the chart as release palisade in palisade-system, with these extra arguments. */
    static Rendered template(String... extra) {
        List<String> args = new ArrayList<>(List.of("template", RELEASE, CHART.toString(), "--namespace", NAMESPACE,
                "--include-crds"));
        args.addAll(List.of(extra));
        Result r = run(args).orFail("helm " + String.join(" ", args));
        return Rendered.parse(r.out());
    }

    /** -f of a values preset of the chart: "kind", "k3s". */
    static String preset(String name) {
        return CHART.resolve("values-" + name + ".yaml").toString();
    }

    static List<JsonNode> documents(String yaml) {
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (it.hasNext()) {
                JsonNode n = it.next();
                if (n != null && !n.isNull() && !n.isMissingNode() && n.size() > 0) {
                    docs.add(n);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return docs;
    }

    static JsonNode readYaml(Path file) {
        try {
            return YAML.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Result exec(List<String> command, Map<String, String> env, int timeoutSeconds) {
        try {
            Path out = Files.createTempFile("palisade-helm", ".out");
            Path err = Files.createTempFile("palisade-helm", ".err");
            try {
                ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
                pb.environment().putAll(env);
                Process p = pb.start();
                p.getOutputStream().close();
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    fail(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s");
                }
                return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
