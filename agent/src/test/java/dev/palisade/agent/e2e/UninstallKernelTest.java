package dev.palisade.agent.e2e;

import dev.palisade.agent.cni.CniSettings;
import dev.palisade.agent.cni.ConfList;
import dev.palisade.agent.cni.NatTable;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11's defect with real packets, and its fix: two pods that appeared after the last rule set
 * (the pending guard holds them) on a node whose agent stops. A restart's stop keeps the table, so
 * they stay held (the rules never leave the kernel); an uninstall's stop deletes the policy table in
 * one transaction and nothing else: the node's other tables (another program's, the CNI-mode NAT
 * table, a table of the same name in another family) are exactly as before, and the two pods reach
 * each other.
 */
class UninstallKernelTest {

    private static final Cidr POD_CIDR = Cidr.parse("10.244.1.0/24");
    /** Other programs' tables, and ours that give pods their network: none of them may change. */
    private static final List<String> OTHERS = List.of("ip nat", "inet filter", "ip palisade", "inet palisade-nat");

    private SimNetwork net;
    private SimNetwork.Node node;
    private SyncLoop loop;

    @BeforeEach
    void up() throws Exception {
        Sh.requireRoot();
        net = new SimNetwork(Files.createTempDirectory("palisade-uninstall-kernel"));
        node = net.addNode("n1", "10.0.0.1");
        Files.createDirectories(node.confDir());
        Files.writeString(node.confDir().resolve(CniSettings.CONF_NAME), ConfList.render(
                CniSettings.Preset.KIND.settings().withIpamDataDir(node.ipamDir()), List.of(POD_CIDR)));
        net.addPod("a", node);
        net.addPod("b", node);
        Sh.inNetns(node.netns(), "sysctl", "-q", "-w", "net.ipv4.ip_forward=1").orThrow();
        nftScript("""
                table ip nat {
                \tchain postrouting { type nat hook postrouting priority srcnat; policy accept; oifname "eth9" masquerade; }
                }
                table inet filter {
                \tset blocked { type ipv4_addr; elements = { 192.0.2.1 } }
                \tchain forward { type filter hook forward priority 10; policy accept; ip daddr @blocked drop; }
                }
                table ip palisade {
                \tchain c { counter; }
                }
                """);
        nftScript(NatTable.script("n1", List.of(POD_CIDR)));
    }

    @AfterEach
    void down() {
        if (loop != null) {
            loop.close();
        }
        if (net != null) {
            net.close(); // what is left dies with the namespaces
        }
    }

    @Test
    void aRestartKeepsTheGuardAndAnUninstallDeletesExactlyThePolicyTable() throws Exception {
        Map<String, String> before = listings();
        SimNetwork.Pod a = net.pod("a");
        SimNetwork.Pod b = net.pod("b");

        // the rule set knows neither pod: both are new, so the guard holds them
        loop = loop();
        loop.firstFullApply().get(20, TimeUnit.SECONDS);
        assertFalse(net.reaches(a, b, 80), "a new pod is held until its rules arrive");

        // a restart or a rolling update: the stop keeps the table, and it keeps enforcing
        loop.close();
        assertTrue(holdsPolicyTable(), tables());
        assertFalse(net.reaches(a, b, 80), "the stopped agent's table still holds the pods");

        // the next agent replaces it, and is then uninstalled from the node
        loop = loop();
        loop.firstFullApply().get(20, TimeUnit.SECONDS);
        assertTrue(loop.closeAndDeleteTable(Duration.ofSeconds(20)), "the table is deleted");
        loop = null;

        assertFalse(holdsPolicyTable(), tables());
        assertEquals(before, listings(), "every other table exactly as before");
        assertTrue(net.reaches(a, b, 80), "a reaches b once the guard is gone");
        assertTrue(net.reaches(b, a, 80), "b reaches a once the guard is gone");
    }

    @Test
    void anUninstallOnANodeWhoseTableIsAlreadyGoneChangesNothingElse() throws Exception {
        Map<String, String> before = listings();
        loop = loop();
        loop.firstFullApply().get(20, TimeUnit.SECONDS);
        Sh.inNetns(node.netns(), "nft", "delete", "table", "inet", "palisade").orThrow();
        assertTrue(loop.closeAndDeleteTable(Duration.ofSeconds(20)), "deleting a missing table is not an error");
        loop = null;
        assertFalse(holdsPolicyTable(), tables());
        assertEquals(before, listings());
    }

    private SyncLoop loop() {
        TreeSet<IpAddress> none = new TreeSet<>();
        Inputs inputs = new Inputs();
        inputs.nodes(Map.of("n1", new NodeNetwork("n1", List.of(POD_CIDR), List.of(IpAddress.parse("10.0.0.1")))));
        inputs.ruleSet(new RuleSetRevision(1, "h1", new NodeRuleSet("n1", none, DirectionRules.NONE, DirectionRules.NONE)));
        SyncLoop l = new SyncLoop(new SyncLoop.Settings("n1", true, List.of(), Duration.ofHours(1), Duration.ofHours(1),
                Backoff.DEFAULT, Optional.of(node.netns())), LibNftables::open, SyncLoop::kernelGeneration, Conntrack.KERNEL,
                Optional.empty(), inputs, new AgentMetrics(), (r, e) -> { });
        l.start();
        return l;
    }

    private boolean holdsPolicyTable() {
        return tables().lines().anyMatch(l -> l.strip().equals("table inet palisade"));
    }

    private String tables() {
        return net.nft(node, "list", "tables");
    }

    /** The other tables' listings (without counters' values, which traffic moves). */
    private Map<String, String> listings() {
        Map<String, String> out = new TreeMap<>();
        for (String t : OTHERS) {
            String[] ft = t.split(" ");
            out.put(t, net.nft(node, "list", "table", ft[0], ft[1]).replaceAll("counter packets \\d+ bytes \\d+", "counter"));
        }
        return out;
    }

    private void nftScript(String script) {
        Sh.Result r = Sh.run(List.of("ip", "netns", "exec", node.netns(), "nft", "-f", "-"), script, Map.of(), 30);
        assertTrue(r.ok(), r.err() + "\n" + script);
    }
}
