package dev.palisade.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `palisade explain` on the seed walkthroughs: verdict, reasons, exit status. */
class ExplainCommandTest {

    private static final String WEB = "netpol-demo/web-app-7d4b9c6f5-abcde";
    private static final String DB = "netpol-demo/database-5f6d7c8b9-klmno";

    static Stream<Arguments> netpolDemo() {
        return Stream.of(
                Arguments.of("client in default cannot reach web after default-deny", "default/client", WEB, "80", "TCP", 1,
                        "no ingress rule allows the flow"),
                Arguments.of("frontend namespace reaches web on 80", "frontend/ui", WEB, "80", "TCP", 0,
                        "allowed by netpol-demo/web-allow-frontend ingress[0]"),
                Arguments.of("frontend namespace cannot reach web on 443", "frontend/ui", WEB, "443", "TCP", 1,
                        "netpol-demo/web-allow-frontend ingress[0]: port does not match"),
                Arguments.of("frontend namespace cannot reach web over UDP", "frontend/ui", WEB, "80", "UDP", 1,
                        "port does not match"),
                Arguments.of("web reaches db on 5432", WEB, DB, "5432", "TCP", 0, "allowed by netpol-demo/db-policy ingress[0]"),
                Arguments.of("the other web replica reaches db too", "netpol-demo/web-app-7d4b9c6f5-fghij", DB, "5432", "TCP", 0,
                        "allowed by netpol-demo/db-policy ingress[0]"),
                Arguments.of("client cannot reach db", "default/client", DB, "5432", "TCP", 1,
                        "netpol-demo/db-policy ingress[0]: peer does not match"),
                Arguments.of("frontend cannot reach db", "frontend/ui", DB, "5432", "TCP", 1, "peer does not match"),
                Arguments.of("web's own node (kubelet probe) is allowed", "172.18.0.3", WEB, "80", "TCP", 0,
                        "traffic from the pod's own node multi-node-worker (172.18.0.3) is always allowed"),
                Arguments.of("another node is not", "172.18.0.4", WEB, "80", "TCP", 1, "no ingress rule allows the flow"),
                Arguments.of("an address of a pod is that pod", "10.244.2.20", WEB, "80", "TCP", 0,
                        "allowed by netpol-demo/web-allow-frontend ingress[0]"),
                Arguments.of("host-network pods bypass policy", WEB, "kube-system/node-exporter", "9100", "TCP", 0,
                        "host-network pod: ingress is not restricted"),
                Arguments.of("egress is open without egress policies", WEB, "169.254.169.254", "80", "TCP", 0,
                        "not isolated: no policy selects it with policyType Egress"),
                Arguments.of("protocol is case-insensitive on the command line", "frontend/ui", WEB, "80", "tcp", 0,
                        "allowed by"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("netpolDemo")
    void netpolDemoWalkthrough(String name, String from, String to, String port, String protocol, int exit, String reason) {
        Cli r = Cli.run("explain", "-f", Cli.walkthrough("netpol-demo").toString(), "--from", from, "--to", to,
                "--port", port, "--protocol", protocol);
        assertEquals(exit, r.exit(), r::toString);
        assertEquals(exit == 0 ? "allowed" : "denied", r.outLines().get(0), r::toString);
        assertTrue(r.out().contains(reason), r::toString);
        // The Deployments, Services and Secret of the walkthrough are noted on stderr, never on stdout.
        assertTrue(r.errLines().stream().allMatch(l -> l.contains("note: skipped")), r::toString);
        assertTrue(r.err().contains("note: skipped Deployment netpol-demo/web-app: not a kind palisade compiles"), r::toString);
    }

    @Test
    void deniedOutputNamesEveryIsolatingPolicy() {
        Cli r = Cli.run("explain", "-f", Cli.walkthrough("netpol-demo").toString(), "--from", "default/client",
                "--to", WEB, "--port", "80");
        assertEquals(List.of(
                "denied",
                "flow: default/client (10.244.1.20) -> " + WEB + " (10.244.1.10) tcp/80",
                "egress of default/client (10.244.1.20): not isolated: no policy selects it with policyType Egress",
                "ingress of " + WEB + " (10.244.1.10): isolated, and no ingress rule allows the flow",
                "  netpol-demo/default-deny-ingress isolates it and has no ingress rules",
                "  netpol-demo/web-allow-frontend ingress[0]: peer does not match"), r.outLines());
    }

    static Stream<Arguments> apod() {
        String web = "default/apod-web-6b9c7f7d8-x2k4p";
        String api = "default/apod-api-5d8f9c6b7-q8w2e";
        String log = "default/apod-log-7c9d8b5f6-m3n7b";
        String dns = "kube-system/coredns-7b98449c4-hq5zt";
        return Stream.of(
                Arguments.of("web calls the API on its named port", web, api, "80", "TCP", 0, "allowed by default/apod-web egress[0]"),
                Arguments.of("web calls the log API", web, log, "80", "TCP", 0, "allowed by default/apod-log ingress[0]"),
                Arguments.of("web cannot call the API on another port", web, api, "8080", "TCP", 1, "no egress rule allows the flow"),
                Arguments.of("web resolves names", web, dns, "53", "UDP", 0, "allowed by default/apod-web egress[1]"),
                Arguments.of("DNS over TCP is not allowed", web, dns, "53", "TCP", 1, "default/apod-web egress[1]: port does not match"),
                Arguments.of("API reaches the NASA ranges", api, "3.213.4.5", "443", "TCP", 0, "allowed by default/apod-api egress[1]"),
                Arguments.of("API cannot reach anything else", api, "8.8.8.8", "443", "TCP", 1, "default/apod-api egress[1]: peer does not match"),
                Arguments.of("log makes no outgoing calls", log, api, "80", "TCP", 1, "default/deny-all isolates it and has no egress rules"),
                Arguments.of("API cannot call web back", api, web, "80", "TCP", 1, "no egress rule allows the flow"),
                Arguments.of("anyone may reach web's http port", "203.0.113.9", web, "80", "TCP", 0, "allowed by default/apod-web ingress[0]"),
                Arguments.of("label spoofing: a pod labelled apod-web gets in", "default/sleep", api, "80", "TCP", 0,
                        "allowed by default/apod-api ingress[0]"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apod")
    void apodWalkthrough(String name, String from, String to, String port, String protocol, int exit, String reason) {
        Cli r = Cli.run("explain", "--manifests", Cli.walkthrough("apod").toString(), "--from", from, "--to", to,
                "--port", port, "--protocol", protocol);
        assertEquals(exit, r.exit(), r::toString);
        assertTrue(r.out().contains(reason), r::toString);
        assertEquals("", r.err(), r::toString);
    }

    static Stream<Arguments> badInput() {
        return Stream.of(
                Arguments.of("unknown source pod", "netpol-demo/nope", WEB, "80",
                        "unknown pod netpol-demo/nope (--from): no Pod nope in namespace netpol-demo in the manifests"),
                Arguments.of("unknown destination pod", WEB, "default/nope", "80",
                        "unknown pod default/nope (--to): no Pod nope in namespace default in the manifests"),
                Arguments.of("invalid address", "10.0.0.256", WEB, "80",
                        "invalid --from \"10.0.0.256\": not an IP address (expected NAMESPACE/POD or an IP address)"),
                Arguments.of("pod name with two slashes", "a/b/c", WEB, "80",
                        "invalid --from \"a/b/c\": expected NAMESPACE/POD or an IP address"),
                Arguments.of("port out of range", WEB, DB, "70000", "invalid --port 70000: must be between 1 and 65535"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInput")
    void badEndpointsAreOneLineAndExitTwo(String name, String from, String to, String port, String message) {
        Cli r = Cli.run("explain", "-f", Cli.walkthrough("netpol-demo").toString(), "--from", from, "--to", to, "--port", port);
        assertEquals(2, r.exit(), r::toString);
        assertEquals("", r.out(), r::toString);
        assertEquals(List.of(message), r.errLines().stream().filter(l -> !l.contains("note: skipped")).toList(), r::toString);
    }

    @Test
    void invalidManifestsStopExplainWithTheErrorOnly(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("deny.yaml");
        Files.writeString(file, """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: web, namespace: prod}
                spec:
                  podSelector: {}
                  ingress:
                  - ports: [{port: 80, protocol: HTTP}]
                """);
        Cli r = Cli.run("explain", "-f", file.toString(), "--from", "10.0.0.1", "--to", "10.0.0.2", "--port", "80");
        assertEquals(2, r.exit(), r::toString);
        assertEquals("", r.out());
        assertEquals(List.of(file + ": document 1 (NetworkPolicy prod/web): spec.ingress[0].ports[0].protocol: "
                + "unsupported value \"HTTP\": supported values: \"TCP\", \"UDP\", \"SCTP\""), r.errLines());
    }

    @Test
    void readsManifestsFromStandardInput() throws IOException {
        Path apod = Cli.walkthrough("apod");
        byte[] piped = (Files.readString(apod.resolve("cluster.yaml")) + "\n---\n" + Files.readString(apod.resolve("policies.yaml")))
                .getBytes(StandardCharsets.UTF_8);
        InputStream original = System.in;
        Cli r;
        try {
            System.setIn(new ByteArrayInputStream(piped));
            r = Cli.run("explain", "-f", "-", "--from", "default/sleep", "--to", "default/apod-api-5d8f9c6b7-q8w2e", "--port", "80");
        } finally {
            System.setIn(original);
        }
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("allowed by default/apod-web egress[0]"), r::toString);
    }

    @Test
    void helpDocumentsTheExitStatus() {
        Cli r = Cli.run("explain", "--help");
        assertEquals(0, r.exit());
        assertTrue(r.out().replaceAll("\\s+", " ").contains("Exit status: 0 allowed (for a Service: to every pod behind it), 1 denied (to any), 2 bad input"), r::toString);
    }
}
