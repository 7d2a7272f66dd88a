package dev.palisade.operator;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.palisade.operator.TestCluster.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole stop path of a real operator process that leads: SIGTERM, the shutdown hook that waits
 * for the main thread, {@link Operator#close} releasing the Lease. By the time the process has exited
 * the Lease is released (fabric8 shortens it to one second), and a standby with the production lease
 * timings (15 s) takes over before the old Lease would have expired. Before the fix the JVM halted
 * as soon as the hook had woken the main thread: the Lease stayed held and the standby waited it out.
 */
class LeaderStopApiTest {

    private static final Duration SETTLE = Duration.ofSeconds(60);

    @Test
    void aLeaderStoppedBySigtermReleasesItsLeaseAndTheStandbyTakesOverBeforeItWouldHaveExpired() throws Exception {
        TestCluster cluster = TestCluster.get();
        KubernetesClient admin = cluster.admin();
        Path work = Files.createTempDirectory("palisade-leader-stop");
        Path kubeconfig = work.resolve("kubeconfig.yaml");
        Files.writeString(kubeconfig, cluster.kubeconfig());
        Path log = work.resolve("op-proc.log");
        Process proc = start("op-proc", kubeconfig, log);
        KubernetesClient standbyClient = cluster.asOperator();
        Operator standby = null;
        try {
            eventually(SETTLE, () -> "op-proc".equals(spec(admin).getHolderIdentity())
                            && spec(admin).getLeaseDurationSeconds() == OperatorConfig.fromEnvironment(Map.of()).leaseDuration().toSeconds(),
                    () -> "op-proc never led: " + spec(admin) + "\n" + read(log));
            // a standby with the production lease timings: it waits out a held Lease (15 s) before taking over
            standby = OperatorMain.start(OperatorConfig.fromEnvironment(Map.of("POD_NAME", "op-standby"))
                    .withHttp(new InetSocketAddress("127.0.0.1", 0)), standbyClient);
            Operator s = standby;
            eventually(SETTLE, s::ready, () -> "the standby's informers never synced");
            assertFalse(standby.isLeader(), "op-proc leads, the standby waits");

            LeaseSpec held = spec(admin);
            assertEquals("op-proc", held.getHolderIdentity());
            ZonedDateTime wouldExpire = held.getRenewTime().plusSeconds(held.getLeaseDurationSeconds());

            proc.destroy(); // SIGTERM, as the kubelet stops a deleted pod
            assertTrue(proc.waitFor(60, TimeUnit.SECONDS), "op-proc did not exit:\n" + read(log));

            LeaseSpec after = spec(admin);
            assertTrue(!"op-proc".equals(after.getHolderIdentity()) || after.getLeaseDurationSeconds() == 1,
                    "the exited leader left its Lease held: " + after + "\n" + read(log));
            assertTrue(read(log).contains("released the lease"), read(log));

            eventually(SETTLE, s::isLeader, () -> "the standby never took over: " + spec(admin));
            LeaseSpec taken = spec(admin);
            assertEquals("op-standby", taken.getHolderIdentity());
            assertTrue(taken.getAcquireTime().isBefore(wouldExpire), "the standby took over at " + taken.getAcquireTime()
                    + ", not before the old Lease would have expired at " + wouldExpire);
        } finally {
            proc.destroyForcibly();
            if (standby != null) {
                standby.close();
            }
            standbyClient.close();
        }
    }

    private static LeaseSpec spec(KubernetesClient admin) {
        Lease lease = admin.leases().inNamespace(TestCluster.OPERATOR_NAMESPACE).withName(OperatorConfig.DEFAULT_LEASE).get();
        return lease == null ? new LeaseSpec() : lease.getSpec();
    }

    /**
     * {@code java ... OperatorMain} on this test's classpath (the operator's classes, its dependencies,
     * logback and logback-test.xml), configured from the environment as in the chart, as the
     * operator's ServiceAccount.
     */
    private static Process start(String name, Path kubeconfig, Path log) throws IOException {
        int port;
        try (ServerSocket sock = new ServerSocket(0)) {
            port = sock.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-Xmx128m", "-XX:TieredStopAtLevel=1",
                "-Dkubernetes.impersonate.username=" + TestCluster.OPERATOR_USER,
                "-Dkubernetes.impersonate.group=system:serviceaccounts,system:serviceaccounts:"
                        + TestCluster.OPERATOR_NAMESPACE + ",system:authenticated",
                "-cp", System.getProperty("java.class.path"), "dev.palisade.operator.OperatorMain"))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("KUBECONFIG", kubeconfig.toString());
        pb.environment().put("POD_NAME", name);
        pb.environment().put("POD_NAMESPACE", TestCluster.OPERATOR_NAMESPACE);
        pb.environment().put("PALISADE_HTTP_PORT", Integer.toString(port));
        return pb.start();
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }
}
