package dev.palisade.agent.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One agent, one JVM, as on a real node: {@code java ... AgentMain --node N --netns <node namespace>}.
 * The process stays in the host's namespace to reach the API server on 127.0.0.1; its kernel thread
 * enters the node's namespace before it opens libnftables, and its {@code ip route} calls name it,
 * so each agent programs only its own simulated node. {@link #kill9()} is {@code kill -9}.
 */
final class AgentProcess {

    static final Path MODULE = Path.of("").toAbsolutePath();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private final String node;
    private final Process process;
    private final int port;
    private final Path log;

    private AgentProcess(String node, Process process, int port, Path log) {
        this.node = node;
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * What a packaged agent has on its classpath: the agent's classes, its runtime dependencies
     * (target/classpath-runtime.txt, written by the build) and a logging backend (logback, which
     * the CLI brings in production), configured by the tests' logback-test.xml.
     */
    static String classpath() {
        try {
            String runtime = Files.readString(MODULE.resolve("target/classpath-runtime.txt")).strip();
            StringBuilder cp = new StringBuilder(MODULE.resolve("target/classes").toString()).append(':').append(runtime);
            for (String jar : Files.readString(MODULE.resolve("target/classpath.txt")).strip().split(":")) {
                if (jar.contains("/ch/qos/logback/")) {
                    cp.append(':').append(jar);
                }
            }
            return cp.toString();
        } catch (IOException e) {
            throw new IllegalStateException("target/classpath*.txt are missing: run the tests through Maven", e);
        }
    }

    static final List<String> TEST_JVM = List.of("-XX:+UseSerialGC", "-Xmx128m", "-XX:TieredStopAtLevel=1");

    static AgentProcess start(String node, String netns, Path kubeconfig, Path log, List<String> flags) {
        return start(node, netns, kubeconfig, log, TEST_JVM, flags);
    }

    static AgentProcess start(String node, String netns, Path kubeconfig, Path log, List<String> jvm, List<String> flags) {
        int port = freePort();
        List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        argv.addAll(jvm);
        argv.addAll(List.of(
                // the agent's ServiceAccount, so deploy/rbac/agent.yaml decides what it may do
                "-Dkubernetes.impersonate.username=" + ApiServer.user("palisade-agent"),
                "-Dkubernetes.impersonate.group=" + String.join(",", ApiServer.groups()),
                "-Dlogback.configurationFile=" + MODULE.resolve("target/test-classes/logback-test.xml"),
                "-cp", classpath(), "dev.palisade.agent.AgentMain",
                "--node", node, "--netns", netns, "--http-port", Integer.toString(port)));
        argv.addAll(flags);
        try {
            Files.createDirectories(log.getParent());
            ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().put("KUBECONFIG", kubeconfig.toString());
            pb.environment().put("MALLOC_ARENA_MAX", "2"); // as the chart sets it: fewer glibc arenas holding freed memory
            return new AgentProcess(node, pb.start(), port, log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String node() {
        return node;
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    /** SIGKILL: no shutdown hook, no goodbye; the kernel keeps whatever the agent had committed. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM and wait. */
    void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            kill9();
        }
    }

    /** HTTP status of {@code path} on the agent's port, or -1 when it does not answer. */
    int get(String path) {
        return fetch(path).map(HttpResponse::statusCode).orElse(-1);
    }

    String metrics() {
        return fetch("/metrics").map(HttpResponse::body).orElse("");
    }

    private java.util.Optional<HttpResponse<String>> fetch(String path) {
        try {
            return java.util.Optional.of(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()));
        } catch (IOException e) {
            return java.util.Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return java.util.Optional.empty();
        }
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }
}
