package dev.palisade.e2e;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every seed walkthrough on the simulated cluster, through the one command users run
 * ({@code hack/sim-cluster.sh}): real kube-apiserver and etcd, {@code bin/palisade operator}, three
 * agents in CNI mode, pods wired by the CNI plugins, {@code kubectl apply -f} of the seeds' own
 * manifests, real TCP probes after each step. Then the cheap fault scenarios on the same cluster.
 */
@Tag("e2e")
class SeedWalkthroughsE2eTest {

    @Test
    void everySeedWalkthroughAndTheCheapFaultsPass() throws Exception {
        SimCluster.Run run = SimCluster.run("sim-cluster.log", 12, "000", "001", "002", "003", "faults");
        assertEquals(0, run.exit(), run::failures);
        assertTrue(run.output().contains(" checks, 0 failed"), run::failures);
        assertTrue(run.output().lines().anyMatch(l -> l.startsWith("pass | 003 apod: label-spoofing pod")), run::failures);
        assertTrue(run.output().lines().anyMatch(l -> l.startsWith("pass | fault: agent kill -9 during burst")), run::failures);
    }
}
