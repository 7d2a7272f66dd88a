package dev.palisade.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Golden files: one folder per case under src/test/resources/golden, holding input manifests and
 * a {@code node} file; {@code expected-ruleset.json} and {@code expected.nft} are what
 * {@code palisade compile} must print. Run with {@code -Dgolden.update=true} to rewrite the
 * expected files, then read the diff.
 */
class GoldenTest {

    private static final Path ROOT = Path.of("src/test/resources/golden");
    private static final boolean UPDATE = Boolean.getBoolean("golden.update");

    static Stream<String> cases() throws IOException {
        try (Stream<Path> dirs = Files.list(ROOT)) {
            return dirs.filter(Files::isDirectory).map(d -> d.getFileName().toString()).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void compile_output_matches_the_golden_files(String name) throws IOException {
        Path dir = ROOT.resolve(name);
        String node = Files.readString(dir.resolve("node")).trim();
        List<String> manifests = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(f -> f.toString().endsWith(".yaml")).sorted().forEach(f -> manifests.add(f.toString()));
        }
        assertTrue(!manifests.isEmpty(), "case " + name + " has no manifests");
        check(dir.resolve("expected-ruleset.json"), compile(node, manifests, "json"));
        check(dir.resolve("expected.nft"), compile(node, manifests, "nft"));
    }

    private static String compile(String node, List<String> manifests, String format) {
        List<String> args = new ArrayList<>(List.of("compile", "--node", node, "--format", format, "--manifests"));
        args.addAll(manifests);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Palisade.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, code, () -> "compile failed: " + err.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    private static void check(Path expected, String actual) throws IOException {
        if (UPDATE) {
            Files.writeString(expected, actual);
            return;
        }
        assertTrue(Files.exists(expected), expected + " is missing: run with -Dgolden.update=true and review it");
        assertEquals(Files.readString(expected), actual, "output differs from " + expected);
    }
}
