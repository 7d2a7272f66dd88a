package dev.palisade.agent.e2e;

import dev.palisade.agent.cni.CniSettings;
import dev.palisade.operator.Operator;
import dev.palisade.operator.OperatorConfig;
import dev.palisade.operator.OperatorMain;
import dev.palisade.operator.publish.RuleSetEncoder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static dev.palisade.agent.e2e.ApiServer.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole stop path of a real agent process: SIGTERM, the shutdown hook that waits, the decision
 * against the API server, the sync thread's last transaction. A stop while the agent's DaemonSet
 * selects its node keeps {@code table inet palisade}; a stop after the DaemonSet was deleted (what
 * {@code helm uninstall} does) leaves no policy table on the node. In CNI mode, the restart keeps the
 * configuration list a link into the run directory (a tmpfs on a real node), and the uninstall
 * turns it into a regular file with the same content, so the node keeps wiring pods after a reboot.
 */
@Tag("e2e")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentStopE2eTest {

    private static final Duration SETTLE = Duration.ofSeconds(60);
    private static final String DAEMONSET = "palisade-agent";

    private Path work;
    private SimNetwork net;
    private SimNetwork.Node node;
    private ApiServer api;
    private Operator operator;
    private AgentProcess agent;

    @BeforeAll
    void up() throws Exception {
        Sh.requireRoot();
        work = Files.createTempDirectory("palisade-agent-stop");
        net = new SimNetwork(work.resolve("net"));
        node = net.addNode("n1", "10.0.0.1");
        api = new ApiServer();
        api.admin().nodes().resource(new NodeBuilder().withNewMetadata().withName("n1").endMetadata()
                .withNewSpec().withPodCIDR("10.244.1.0/24").withPodCIDRs("10.244.1.0/24").endSpec().build()).create();
        operator = OperatorMain.start(new OperatorConfig("op-1", ApiServer.NAMESPACE, "palisade-operator",
                new InetSocketAddress("127.0.0.1", 0), Duration.ofMillis(50), Duration.ofMillis(500), Duration.ofSeconds(15),
                Duration.ofSeconds(10), Duration.ofSeconds(2), RuleSetEncoder.Limits.DEFAULT), api.as("palisade-operator"));
    }

    @AfterAll
    void down() throws Exception {
        if (agent != null) {
            agent.kill9();
        }
        if (operator != null) {
            operator.close();
        }
        if (api != null) {
            api.close();
        }
        if (net != null) {
            net.close();
        }
    }

    @Test
    void aStopKeepsTheTableWhileTheDaemonSetSelectsTheNodeAndAnUninstallLeavesNone() throws Exception {
        api.admin().apps().daemonSets().resource(new DaemonSetBuilder().withNewMetadata().withName(DAEMONSET)
                .withNamespace(ApiServer.NAMESPACE).endMetadata().withNewSpec()
                .withNewSelector().addToMatchLabels("app.kubernetes.io/component", "agent").endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app.kubernetes.io/component", "agent").endMetadata()
                .withNewSpec().addNewContainer().withName("agent").withImage("ghcr.io/palisade/palisade:test").endContainer()
                .endSpec().endTemplate().endSpec().build()).create();

        // a restart or a rolling update: SIGTERM with the DaemonSet in place
        agent = startArmed("agent-1.log");
        agent.stop();
        assertFalse(agent.alive());
        assertTrue(agent.log().contains("a restart or an update"), agent.log());
        assertTrue(holdsPolicyTable(), "the table stays and keeps enforcing: " + tables());
        Path conf = node.confDir().resolve(CniSettings.CONF_NAME);
        assertTrue(Files.isSymbolicLink(conf), "a restart keeps the link into the run directory");
        String written = Files.readString(conf);

        // helm uninstall: the DaemonSet is deleted, then the agent gets SIGTERM
        agent = startArmed("agent-2.log");
        api.admin().apps().daemonSets().inNamespace(ApiServer.NAMESPACE).withName(DAEMONSET).delete();
        agent.stop();
        assertFalse(agent.alive());
        assertTrue(agent.log().contains("deleted table inet palisade in one transaction"), agent.log());
        assertFalse(holdsPolicyTable(), "no policy table is left: " + tables());
        assertTrue(agent.log().contains("by a regular file with the same CNI configuration"), agent.log());
        assertFalse(Files.isSymbolicLink(conf), "the uninstall leaves a regular file, which outlives a reboot");
        assertEquals(written, Files.readString(conf));
        agent = null;
    }

    private AgentProcess startArmed(String log) {
        AgentProcess a = AgentProcess.start("n1", node.netns(), api.kubeconfigFile(), work.resolve(log),
                List.of("--daemonset", ApiServer.NAMESPACE + "/" + DAEMONSET, "--cni", "--cni-bin-dir",
                        SimNetwork.CNI_PATH.toString(), "--cni-conf-dir", node.confDir().toString(), "--cni-run-dir",
                        node.runDir().toString(), "--cni-ipam-data-dir", node.ipamDir().toString()));
        eventually(SETTLE, () -> a.get("/readyz") == 200, () -> "not ready:\n" + a.log());
        eventually(SETTLE, () -> a.metrics().contains("palisade_agent_cleanup_armed 1.0"), a::metrics);
        return a;
    }

    private boolean holdsPolicyTable() {
        return tables().lines().anyMatch(l -> l.strip().equals("table inet palisade"));
    }

    private String tables() {
        return net.nft(node, "list", "tables");
    }
}
