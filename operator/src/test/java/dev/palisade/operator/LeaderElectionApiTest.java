package dev.palisade.operator;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static dev.palisade.operator.TestCluster.eventually;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two replicas in one JVM: one leads through the Lease; when it dies, the other takes over and publishes. */
class LeaderElectionApiTest {

    @Test
    void standbyTakesOverWhenTheLeaderDies() throws InterruptedException {
        TestCluster cluster = TestCluster.get();
        KubernetesClient admin = cluster.admin();
        Fixtures fx = new Fixtures(admin);
        KubernetesClient clientA = cluster.asOperator();
        KubernetesClient clientB = cluster.asOperator();
        Operator a = OperatorMain.start(OperatorApiTest.testConfig("op-a"), clientA);
        eventually(Duration.ofSeconds(30), a::isLeader, () -> "op-a never led");
        Operator b = OperatorMain.start(OperatorApiTest.testConfig("op-b"), clientB);
        try {
            eventually(Duration.ofSeconds(30), b::ready, () -> "op-b informers never synced");
            fx.node("le-node");
            fx.namespace("le", Map.of());
            fx.pod("le", "p1", "le-node", "10.70.0.1", Map.of("app", "a"));
            fx.converged("le-node");
            assertFalse(b.isLeader(), "only one leader");
            assertTrue(b.published().isEmpty(), "the standby writes nothing");

            a.crash();
            eventually(Duration.ofSeconds(30), b::isLeader, () -> "op-b never took over");
            assertTrue(holder(admin).equals("op-b"), "lease holder " + holder(admin));
            fx.policy("""
                    apiVersion: networking.k8s.io/v1
                    kind: NetworkPolicy
                    metadata: {name: deny, namespace: le}
                    spec: {podSelector: {}}
                    """);
            var rs = fx.converged("le-node");
            assertFalse(rs.ingress().isolated().isEmpty(), "the new leader published the new policy");
        } finally {
            b.close();
            clientB.close();
        }
        // A clean shutdown releases the lease (fabric8 releases by shortening it to one second).
        eventually(Duration.ofSeconds(60), () -> admin.leases().inNamespace(TestCluster.OPERATOR_NAMESPACE)
                        .withName(OperatorConfig.DEFAULT_LEASE).get().getSpec().getLeaseDurationSeconds() == 1, () -> "lease still held: " + admin.leases().inNamespace(TestCluster.OPERATOR_NAMESPACE)
                .withName(OperatorConfig.DEFAULT_LEASE).get().getSpec());
    }

    private static String holder(KubernetesClient admin) {
        Lease lease = admin.leases().inNamespace(TestCluster.OPERATOR_NAMESPACE).withName(OperatorConfig.DEFAULT_LEASE).get();
        return lease == null || lease.getSpec().getHolderIdentity() == null ? "" : lease.getSpec().getHolderIdentity();
    }
}
