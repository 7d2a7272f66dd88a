package dev.palisade.agent.e2e;

import dev.palisade.agent.cni.CniPlane;
import dev.palisade.agent.cni.CniSettings;
import dev.palisade.agent.cni.ConfList;
import dev.palisade.agent.cni.NodeNetwork;
import dev.palisade.agent.cni.RouteTable;
import dev.palisade.agent.cni.RuntimeConfDir;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static dev.palisade.agent.e2e.ApiServer.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node that reboots in CNI mode, with real packets: a node namespace, pods wired by Debian's CNI
 * plugins from what a runtime would load of the node's configuration directory ({@link RuntimeConfDir},
 * go-cni's and libcni's loading transcribed: a dangling link fails the load), the agent's sync loop
 * with its {@link CniPlane} in this JVM, and the node's /run a real tmpfs. A reboot is what it does
 * to a node: the kernel's tables are gone (the ruleset flushed), the tmpfs is mounted afresh (empty),
 * the configuration directory on disk is as it was.
 *
 * <p>The control is the defect (the kind bed's "worker restart" check: 873 forbidden connections):
 * a configuration list kept as a regular file, as agents wrote it before, survives the reboot and
 * wires pods into a node without a table, where they reach each other although the pending guard
 * would hold them. With the link into the tmpfs, no pod is wired until the agent's first apply of
 * this boot; then pods are wired, and held by the guard from their first packet.
 */
class CniRebootKernelTest {

    private static final Cidr POD_CIDR = Cidr.parse("10.244.1.0/24");

    private SimNetwork net;
    private SimNetwork.Node node;
    private CniSettings settings;
    private SyncLoop loop;
    private CniPlane cni;
    private int pods;

    @BeforeEach
    void up() throws Exception {
        Sh.requireRoot();
        net = new SimNetwork(Files.createTempDirectory("palisade-cni-reboot-kernel"));
        node = net.addNode("n1", "10.0.0.1");
        Files.createDirectories(node.runDir());
        mountRun();
        settings = CniSettings.Preset.KIND.settings().withBinDir(SimNetwork.CNI_PATH).withConfDir(node.confDir())
                .withIpamDataDir(node.ipamDir()).withRunDir(node.runDir());
    }

    @AfterEach
    void down() {
        if (loop != null) {
            loop.close();
        }
        if (node != null) {
            Sh.run(List.of("umount", node.runDir().toString()));
        }
        if (net != null) {
            net.close();
        }
    }

    @Test
    void afterARebootNoPodIsWiredUntilTheAgentsFirstApplyOfThisBoot() throws Exception {
        assertFalse(RuntimeConfDir.loads(node.confDir()), "a fresh node has no network");

        // boot 1: the first apply, then the configuration list, then pods
        Inputs inputs = inputs(true);
        loop = start(inputs);
        eventually(Duration.ofSeconds(30), loop::ready, () -> "the agent never became ready: " + tables());
        Path link = settings.confFile();
        assertTrue(Files.isSymbolicLink(link), link + " is a link");
        assertEquals(settings.runFile(), Files.readSymbolicLink(link));
        assertEquals("palisade", RuntimeConfDir.load(node.confDir()).get("name").asText());
        SimNetwork.Pod a = pod();
        SimNetwork.Pod b = pod();
        assertFalse(net.reaches(a, b, 80), "new pods are held by the guard until their rules arrive");
        loop.close(); // the agent stops as on any restart: its tables stay
        loop = null;

        reboot();
        assertFalse(holdsPolicyTable(), tables());
        assertTrue(Files.isSymbolicLink(link) && !Files.exists(link), "the link survived the reboot and dangles");
        assertThrows(java.io.IOException.class, () -> RuntimeConfDir.load(node.confDir()),
                "the runtime cannot load the configuration: NetworkReady=false, the node stays NotReady");
        assertThrows(IllegalStateException.class, this::pod, "no pod is wired before the agent's first apply");

        // boot 2: the agent runs, but has no rule set yet (the 20-40 s the kind bed measured)
        Inputs later = inputs(false);
        loop = start(later);
        assertFalse(loop.ready());
        assertFalse(holdsPolicyTable(), tables());
        assertThrows(IllegalStateException.class, this::pod, "still none while the agent waits for its rule set");

        // its first apply: the table, then the configuration list, then pods, held by the guard
        later.ruleSet(ruleSet());
        loop.firstFullApply().get(30, TimeUnit.SECONDS);
        eventually(Duration.ofSeconds(30), loop::ready, () -> "the configuration list was not written again");
        assertTrue(holdsPolicyTable(), tables());
        SimNetwork.Pod c = pod();
        SimNetwork.Pod d = pod();
        assertFalse(net.reaches(c, d, 80), "pods wired after the reboot are held by the guard from their first packet");
        assertFalse(net.reaches(d, c, 80));

        // an uninstall: the table goes, the link becomes a regular file, and the next reboot still wires pods
        assertTrue(loop.closeAndDeleteTable(Duration.ofSeconds(20)));
        cni.leave();
        loop = null;
        assertFalse(Files.isSymbolicLink(link), "a regular file after the uninstall");
        reboot();
        SimNetwork.Pod e = pod();
        SimNetwork.Pod f = pod();
        assertTrue(net.reaches(e, f, 80), "without Palisade on the node, new pods get a network and reach each other");
    }

    @Test
    void theControlARegularFileWiresPodsIntoANodeWithoutATableAndAnUpgradeReplacesIt() throws Exception {
        // what agents wrote before: a regular file in the configuration directory, left from the last boot
        Files.createDirectories(node.confDir());
        Files.writeString(settings.confFile(), ConfList.render(settings, List.of(POD_CIDR)));
        reboot();
        assertFalse(holdsPolicyTable(), tables());
        SimNetwork.Pod a = pod();
        SimNetwork.Pod b = pod();
        assertTrue(net.reaches(a, b, 80), "the defect: wired into a node without rules, the pods are open");

        // the new agent's first apply replaces the regular file by the link, with the same content
        loop = start(inputs(true));
        eventually(Duration.ofSeconds(30), loop::ready, this::tables);
        assertTrue(Files.isSymbolicLink(settings.confFile()), "upgraded to the link");
        loop.close();
        loop = null;
        reboot();
        assertThrows(IllegalStateException.class, this::pod, "once upgraded, a reboot fails closed");
    }

    /** What a reboot does to the node: its kernel starts without tables, its /run is a new tmpfs. */
    private void reboot() {
        Sh.inNetns(node.netns(), "nft", "flush", "ruleset").orThrow();
        Sh.run(List.of("umount", node.runDir().toString())).orThrow();
        mountRun();
        assertTrue(Files.isDirectory(node.runDir()));
    }

    private void mountRun() {
        Sh.run(List.of("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", node.runDir().toString())).orThrow();
    }

    private SimNetwork.Pod pod() {
        return net.addPod("p" + pods++, node);
    }

    private SyncLoop start(Inputs inputs) {
        cni = new CniPlane(settings, "n1", List.of(), new RouteTable(Optional.of(node.netns())), new AgentMetrics());
        SyncLoop l = new SyncLoop(new SyncLoop.Settings("n1", true, List.of(), Duration.ofHours(1), Duration.ofHours(1),
                Backoff.DEFAULT, Optional.of(node.netns())), LibNftables::open, SyncLoop::kernelGeneration, Conntrack.KERNEL,
                Optional.of(cni), inputs, new AgentMetrics(), (r, e) -> { });
        l.start();
        return l;
    }

    /** The node's pod CIDR; the rule set (none of the pods, so every new pod is held) when {@code withRuleSet}. */
    private static Inputs inputs(boolean withRuleSet) {
        Inputs in = new Inputs();
        in.nodes(Map.of("n1", new NodeNetwork("n1", List.of(POD_CIDR), List.of(IpAddress.parse("10.0.0.1")))));
        if (withRuleSet) {
            in.ruleSet(ruleSet());
        }
        return in;
    }

    private static RuleSetRevision ruleSet() {
        return new RuleSetRevision(1, "h1", new NodeRuleSet("n1", new TreeSet<>(), DirectionRules.NONE, DirectionRules.NONE));
    }

    private boolean holdsPolicyTable() {
        return tables().lines().anyMatch(l -> l.strip().equals("table inet palisade"));
    }

    private String tables() {
        return net.nft(node, "list", "tables");
    }
}
