package dev.palisade.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `palisade compile` and `explain` with ClusterNetworkPolicies in the manifests. */
class ClusterNetworkPolicyCliTest {

    private static final String CLUSTER = """
            apiVersion: v1
            kind: Namespace
            metadata: {name: prod}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: web, namespace: prod, labels: {app: web}}
            spec: {nodeName: w1}
            status: {phase: Running, podIP: 10.0.1.10}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: db, namespace: prod, labels: {app: db}}
            spec: {nodeName: w1}
            status: {phase: Running, podIP: 10.0.1.20}
            """;

    private static final String CNP = """
            ---
            apiVersion: policy.networking.k8s.io/v1beta1
            kind: ClusterNetworkPolicy
            metadata: {name: web-admin}
            spec:
              tier: Admin
              priority: 3
              subject: {pods: {podSelector: {matchLabels: {app: web}}}}
              ingress:
              - name: db-80
                action: Accept
                from: [{pods: {podSelector: {matchLabels: {app: db}}}}]
                protocols: [{tcp: {destinationPort: {number: 80}}}]
              - name: rest
                action: Deny
                from: [{namespaces: {}}]
            """;

    @Test
    void compilePrintsTheVerdictSetsAndTheRules(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("all.yaml"), CLUSTER + CNP);
        Cli r = Cli.run("compile", "--node", "w1", "-f", dir.toString());
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("set in_cacc4 {"), r::toString);
        assertTrue(r.out().contains("10.0.1.10 . 10.0.1.20 . tcp . 80"), r::toString);
        assertTrue(r.out().contains("10.0.1.10 . 10.0.1.20 . 0-5 . 0-65535"), r::toString);
        assertTrue(r.out().contains("ip daddr . ip saddr . meta l4proto . th dport @in_cdeny4 counter drop"), r::toString);

        Cli json = Cli.run("compile", "--node", "w1", "-f", dir.toString(), "--format", "json");
        assertEquals(0, json.exit(), json::toString);
        assertTrue(json.out().contains("\"rule\" : \"web-admin#ingress[1]\""), json::toString);
        assertTrue(json.out().contains("\"decision\" : \"DENY\""), json::toString);
    }

    @Test
    void withoutClusterNetworkPoliciesNothingNewIsPrinted(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("all.yaml"), CLUSTER);
        Cli r = Cli.run("compile", "--node", "w1", "-f", dir.toString());
        assertFalse(r.out().contains("cacc") || r.out().contains("cdeny"), r::toString);
        Cli json = Cli.run("compile", "--node", "w1", "-f", dir.toString(), "--format", "json");
        assertFalse(json.out().contains("verdicts"), json::toString);
    }

    @Test
    void explainNamesTheTierPolicyAndRule(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("all.yaml"), CLUSTER + CNP);
        Cli denied = Cli.run("explain", "-f", dir.toString(), "--from", "prod/db", "--to", "prod/web", "--port", "81");
        assertEquals(1, denied.exit(), denied::toString);
        assertTrue(denied.out().contains("ingress of prod/web (10.0.1.10): denied by ClusterNetworkPolicy web-admin "
                + "(Admin tier, priority 3) ingress[1] \"rest\""), denied::toString);
        Cli accepted = Cli.run("explain", "-f", dir.toString(), "--from", "prod/db", "--to", "prod/web", "--port", "80");
        assertEquals(0, accepted.exit(), accepted::toString);
        assertTrue(accepted.out().contains("accepted by ClusterNetworkPolicy web-admin (Admin tier, priority 3) ingress[0] \"db-80\""),
                accepted::toString);
    }
}
