package dev.palisade.agent.e2e;

import dev.palisade.agent.cni.NodeNetwork;
import dev.palisade.agent.sync.Conntrack;
import dev.palisade.agent.sync.Inputs;
import dev.palisade.agent.sync.RuleSetRevision;
import dev.palisade.agent.sync.SyncLoop;
import dev.palisade.agent.telemetry.AgentMetrics;
import dev.palisade.dataplane.kernel.LibNftables;
import dev.palisade.dataplane.kernel.TestNetns;
import dev.palisade.dataplane.sync.Backoff;
import dev.palisade.model.Cidr;
import dev.palisade.model.IpAddress;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.NodeRuleSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A table changed by hand is repaired at once, not at the next verification: the sync loop hears
 * the foreign nftables commit (RulesetEvents) and verifies. The verification interval here is an
 * hour, so only hearing the commit can explain a repair within the test's deadline (a minute, generous
 * for a loaded machine); the control without the subscription shows the table staying broken. How
 * long the repair took is printed, not asserted: timings belong in benchmarks.
 */
class HandEditRepairKernelTest {

    /** Far below the verification interval (an hour), far above any repair on a loaded machine. */
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private TestNetns netns;
    private SyncLoop loop;

    @BeforeEach
    void up() {
        Sh.requireRoot();
        netns = TestNetns.create();
    }

    @AfterEach
    void down() {
        if (loop != null) {
            loop.close();
        }
        if (netns != null) {
            netns.close();
        }
    }

    private AgentMetrics start(boolean hearCommits) throws Exception {
        TreeSet<IpAddress> pods = new TreeSet<>(List.of(IpAddress.parse("10.244.1.5")));
        Inputs inputs = new Inputs();
        inputs.nodes(Map.of("n1", new NodeNetwork("n1", List.of(Cidr.parse("10.244.1.0/24")),
                List.of(IpAddress.parse("10.0.0.1")))));
        inputs.ruleSet(new RuleSetRevision(1, "h1", new NodeRuleSet("n1", pods, new DirectionRules(pods, List.of()),
                DirectionRules.NONE)));
        AgentMetrics metrics = new AgentMetrics();
        loop = new SyncLoop(new SyncLoop.Settings("n1", true, List.of(), Duration.ofHours(1), Duration.ofHours(1),
                Backoff.DEFAULT, Optional.of(netns.name()), hearCommits), LibNftables::open, SyncLoop::kernelGeneration,
                Conntrack.KERNEL, Optional.empty(), inputs, metrics, (r, e) -> { });
        loop.start();
        loop.firstFullApply().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        return metrics;
    }

    private String listing() {
        return Sh.inNetns(netns.name(), "nft", "list", "table", "inet", "palisade").out();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"flush table inet palisade", "delete table inet palisade",
            "flush chain inet palisade ingress4", "delete element inet palisade in_iso4 { 10.244.1.5 }"})
    void aHandEditIsRepairedWithoutWaitingForTheVerification(String edit) throws Exception {
        AgentMetrics metrics = start(true);
        String before = listing();
        Thread.sleep(300); // the agent's own commit was heard and found to be its own
        assertEquals(0.0, metrics.driftRepairCount(), "the agent's own commit is not drift");
        long t0 = System.nanoTime();
        Sh.inNetns(netns.name(), ("nft " + edit).split(" ")).orThrow();
        ApiServer.eventually(DEADLINE, () -> metrics.driftRepairCount() >= 1, metrics::text);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("hand edit \"" + edit + "\" repaired " + ms + " ms after it");
        assertEquals(before, listing());
    }

    @org.junit.jupiter.api.Test
    void anotherTablesCommitsDoNotWakeTheVerification() throws Exception {
        AgentMetrics metrics = start(true);
        Thread.sleep(300);
        String before = verifications(metrics);
        for (int i = 0; i < 5; i++) { // kube-proxy's table in nftables mode commits like this, many times a second
            Sh.inNetns(netns.name(), "nft", "add", "table", "inet", "other" + i).orThrow();
        }
        Thread.sleep(1000);
        assertEquals(before, verifications(metrics), "commits of other tables verified ours");
        Sh.inNetns(netns.name(), "nft", "flush", "table", "inet", "palisade").orThrow();
        ApiServer.eventually(DEADLINE, () -> metrics.driftRepairCount() >= 1, metrics::text);
    }

    private static String verifications(AgentMetrics metrics) {
        return metrics.text().lines().filter(l -> l.startsWith("palisade_agent_verify_total")).toList().toString();
    }

    @ParameterizedTest(name = "control: {0}, not listening")
    @ValueSource(strings = {"flush table inet palisade"})
    void controlWithoutTheSubscriptionTheEditStaysUntilTheNextVerification(String edit) throws Exception {
        AgentMetrics metrics = start(false);
        String before = listing();
        Sh.inNetns(netns.name(), ("nft " + edit).split(" ")).orThrow();
        Thread.sleep(2000);
        assertEquals(0.0, metrics.driftRepairCount());
        assertTrue(!listing().equals(before), "the flushed table stayed flushed");
    }
}
