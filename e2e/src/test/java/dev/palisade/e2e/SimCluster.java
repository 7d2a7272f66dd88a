package dev.palisade.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code hack/sim-cluster.sh} exactly as a user does, with its output in a log file under
 * target/: the script is the end-to-end harness, these tests only run it and read its verdict.
 */
final class SimCluster {

    static final Path REPO = Path.of(System.getProperty("palisade.repo.root", "..")).toAbsolutePath().normalize();

    record Run(int exit, String output, Path log) {
        /** The rows of the pass/fail table that failed, and the script's last lines. */
        String failures() {
            List<String> bad = new ArrayList<>();
            for (String line : output.split("\n")) {
                if (line.startsWith("FAIL") || line.contains("FATAL") || line.contains(" checks, ")) {
                    bad.add(line);
                }
            }
            String[] all = output.split("\n");
            bad.add("--- last lines of " + log);
            bad.addAll(List.of(all).subList(Math.max(0, all.length - 40), all.length));
            return String.join("\n", bad);
        }
    }

    private SimCluster() {
    }

    static Run run(String logName, long timeoutMinutes, String... args) throws IOException, InterruptedException {
        Path log = REPO.resolve("e2e/target").resolve(logName);
        Files.createDirectories(log.getParent());
        List<String> argv = new ArrayList<>(List.of("bash", REPO.resolve("hack/sim-cluster.sh").toString()));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).directory(REPO.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (!p.waitFor(timeoutMinutes, TimeUnit.MINUTES)) {
            p.destroy(); // SIGTERM: the script's trap tears the cluster down
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            return new Run(-1, Files.readString(log) + "\n(timed out after " + timeoutMinutes + " min)", log);
        }
        return new Run(p.exitValue(), Files.readString(log), log);
    }
}
