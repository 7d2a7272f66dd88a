package dev.palisade.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static dev.palisade.operator.TestCluster.eventually;

/**
 * A leader closed and a new replica started at once, again and again, with the chart's lease timings
 * (15 s, 10 s, 2 s): each new replica must lead and publish what changed while no replica ran. The
 * cluster end-to-end test does this once per run; a rule set that never arrived after it was seen in
 * CI, so here it happens many times, each with a pod created while nothing runs.
 */
class ReplacementApiTest {

    private static final int REPLACEMENTS = 5;

    @Test
    void everyReplacementLeadsAndPublishesWhatChangedWhileNoReplicaRan() {
        TestCluster cluster = TestCluster.get();
        KubernetesClient admin = cluster.admin();
        Fixtures fx = new Fixtures(admin);
        fx.node("rp-node");
        fx.namespace("rp", Map.of());
        Operator running = start(cluster, 0);
        try {
            fx.converged("rp-node", Duration.ofSeconds(60));
            for (int i = 1; i <= REPLACEMENTS; i++) {
                running.close();
                running = null;
                fx.pod("rp", "p" + i, "rp-node", "10.71.0." + i, Map.of("app", "a" + i));
                running = start(cluster, i);
                Operator current = running;
                int round = i;
                eventually(Duration.ofSeconds(60), current::isLeader,
                        () -> "replacement " + round + " never led; ready=" + current.ready());
                fx.converged("rp-node", Duration.ofSeconds(60));
            }
        } finally {
            if (running != null) {
                running.close();
            }
        }
    }

    private static Operator start(TestCluster cluster, int generation) {
        OperatorConfig config = OperatorConfig.fromEnvironment(Map.of("POD_NAME", "rp-" + generation))
                .withHttp(new java.net.InetSocketAddress("127.0.0.1", 0))
                .withLease(Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2));
        return OperatorMain.start(config, cluster.asOperator());
    }
}
