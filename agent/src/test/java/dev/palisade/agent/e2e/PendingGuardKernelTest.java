package dev.palisade.agent.e2e;

import dev.palisade.agent.cni.CniSettings;
import dev.palisade.agent.cni.ConfList;
import dev.palisade.agent.cni.NodeNetwork;
import dev.palisade.agent.sync.Conntrack;
import dev.palisade.agent.sync.Inputs;
import dev.palisade.agent.sync.RuleSetRevision;
import dev.palisade.agent.sync.SyncLoop;
import dev.palisade.agent.telemetry.AgentMetrics;
import dev.palisade.dataplane.kernel.LibNftables;
import dev.palisade.dataplane.sync.Backoff;
import dev.palisade.model.Cidr;
import dev.palisade.model.IpAddress;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.NodeRuleSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pending guard with real packets: one node namespace, pods wired by Debian's CNI plugins, the
 * agent's sync loop in this JVM (its thread enters the node's namespace, as {@code --netns} does),
 * fed rule sets directly. With the guard on, a pod the rule set does not list yet can neither send
 * nor receive across the node; with it off (the control), the same pod is open, which is the hole
 * the guard closes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PendingGuardKernelTest {

    private static final Cidr POD_CIDR = Cidr.parse("10.244.1.0/24");
    private SimNetwork net;
    private SimNetwork.Node node;

    @BeforeAll
    void up() throws Exception {
        net = new SimNetwork(Files.createTempDirectory("palisade-guard-kernel"));
        node = net.addNode("n1", "10.0.0.1");
        Files.createDirectories(node.confDir());
        Files.writeString(node.confDir().resolve(CniSettings.CONF_NAME), ConfList.render(
                CniSettings.Preset.KIND.settings().withIpamDataDir(node.ipamDir()), List.of(POD_CIDR)));
        net.addPod("known", node);
        net.addPod("fresh", node);
        Sh.inNetns(node.netns(), "sysctl", "-q", "-w", "net.ipv4.ip_forward=1").orThrow();
    }

    @AfterAll
    void down() {
        if (net != null) {
            // the tables die with the namespace
            net.close();
        }
    }

    private SyncLoop loop(Inputs inputs, boolean guard) {
        SyncLoop loop = new SyncLoop(new SyncLoop.Settings("n1", guard, List.of(), Duration.ofHours(1), Duration.ofHours(1),
                Backoff.DEFAULT, Optional.of(node.netns())), LibNftables::open, SyncLoop::kernelGeneration, Conntrack.KERNEL,
                Optional.empty(), inputs, new AgentMetrics(),
                (r, e) -> { });
        loop.start();
        return loop;
    }

    private static RuleSetRevision knowing(long revision, String... ips) {
        TreeSet<IpAddress> local = new TreeSet<>();
        for (String ip : ips) {
            local.add(IpAddress.parse(ip));
        }
        return new RuleSetRevision(revision, "h" + revision, new NodeRuleSet("n1", local, DirectionRules.NONE,
                DirectionRules.NONE));
    }

    private Inputs inputs(RuleSetRevision r) {
        Inputs in = new Inputs();
        in.nodes(Map.of("n1", new NodeNetwork("n1", List.of(POD_CIDR), List.of(IpAddress.parse("10.0.0.1")))));
        in.ruleSet(r);
        return in;
    }

    @Test
    void anUnknownPodIsHeldUntilTheRuleSetListsItAndTheControlWithoutTheGuardIsOpen() throws Exception {
        String known = net.pod("known").ip();
        String fresh = net.pod("fresh").ip();
        Inputs inputs = inputs(knowing(1, known));
        SyncLoop guarded = loop(inputs, true);
        try {
            guarded.firstFullApply().get(20, TimeUnit.SECONDS);
            assertFalse(net.reaches(net.pod("known"), net.pod("fresh"), 80), "to an unknown pod");
            assertFalse(net.reaches(net.pod("fresh"), net.pod("known"), 80), "from an unknown pod");
            // the node itself still reaches the unknown pod (kubelet probes): Kubernetes always allows it
            assertTrue(net.reply(node.netns(), fresh, 80, "fresh") != null, "node to its own pod");
            inputs.ruleSet(knowing(2, known, fresh));
            ApiServer.eventually(Duration.ofSeconds(60), () -> net.reaches(net.pod("known"), net.pod("fresh"), 80)
                    && net.reaches(net.pod("fresh"), net.pod("known"), 80), () -> net.nft(node, "list", "ruleset"));
        } finally {
            guarded.close();
        }
        // the control: the same unknown pod with the guard off is reachable at once
        SyncLoop open = loop(inputs(knowing(3, known)), false);
        try {
            open.firstFullApply().get(20, TimeUnit.SECONDS);
            assertTrue(net.reaches(net.pod("known"), net.pod("fresh"), 80), "without the guard the window is open");
        } finally {
            open.close();
        }
    }
}
