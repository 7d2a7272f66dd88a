package dev.palisade.agent.e2e;

import dev.palisade.agent.cni.NatTable;
import dev.palisade.agent.cni.NodeNetwork;
import dev.palisade.agent.sync.Conntrack;
import dev.palisade.agent.sync.Inputs;
import dev.palisade.agent.sync.RuleSetRevision;
import dev.palisade.agent.sync.SyncLoop;
import dev.palisade.agent.telemetry.AgentMetrics;
import dev.palisade.dataplane.kernel.LibNftables;
import dev.palisade.dataplane.kernel.TestNetns;
import dev.palisade.dataplane.nft.Limits;
import dev.palisade.dataplane.sync.Backoff;
import dev.palisade.model.Cidr;
import dev.palisade.model.IpAddress;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.NodeRuleSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node whose name is as long as Kubernetes allows (253 characters) gets its tables programmed:
 * the agent's policy table, pending guard included, and the CNI mode's NAT table. Both comments
 * name the node; nft refuses a comment over 128 bytes, so before the model shortened the label
 * such a node was never programmed (94 characters were enough to break CNI mode).
 */
class LongNodeNameKernelTest {

    private static final String NODE = "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "."
            + "d".repeat(61);
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

    @Test
    void theAgentProgramsTheTablesOfANodeWithA253CharacterName() throws Exception {
        assertEquals(253, NODE.length());
        TreeSet<IpAddress> pods = new TreeSet<>(List.of(IpAddress.parse("10.244.1.5")));
        Inputs inputs = new Inputs();
        inputs.nodes(Map.of(NODE, new NodeNetwork(NODE, List.of(Cidr.parse("10.244.1.0/24")),
                List.of(IpAddress.parse("10.0.0.1")))));
        inputs.ruleSet(new RuleSetRevision(1, "h1", new NodeRuleSet(NODE, pods, new DirectionRules(pods, List.of()),
                DirectionRules.NONE)));
        AgentMetrics metrics = new AgentMetrics();
        loop = new SyncLoop(new SyncLoop.Settings(NODE, true, List.of(), Duration.ofHours(1), Duration.ofHours(1),
                Backoff.DEFAULT, Optional.of(netns.name())), LibNftables::open, SyncLoop::kernelGeneration,
                Conntrack.KERNEL, Optional.empty(), inputs, metrics, (r, e) -> { });
        loop.start();
        loop.firstFullApply().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);

        String policy = Sh.inNetns(netns.name(), "nft", "list", "table", "inet", "palisade").orThrow().out();
        String comment = Limits.label("palisade: policy for node ", NODE);
        assertTrue(policy.contains("comment \"" + comment + "\""), policy);
        assertTrue(policy.contains("10.244.1.5"), "the rule set's pod is in the table: " + policy);
        assertTrue(policy.contains("set pend4"), "the pending guard is in the table: " + policy);
        assertEquals(1.0, metrics.applyCount("full", "ok"), metrics.text());

        Sh.Result nat = Sh.run(List.of("ip", "netns", "exec", netns.name(), "nft", "-f", "-"),
                NatTable.script(NODE, List.of(Cidr.parse("10.244.0.0/16"))), Map.of(), 30);
        assertTrue(nat.ok(), nat.err());
        String natListing = Sh.inNetns(netns.name(), "nft", "list", "table", "inet", NatTable.NAME).orThrow().out();
        assertTrue(natListing.contains("comment \"" + Limits.label("palisade: pod masquerade for node ", NODE) + "\""),
                natListing);
    }
}
