package dev.palisade.agent;

import dev.palisade.agent.cni.CniSettings;
import dev.palisade.agent.watch.DaemonSetRef;
import dev.palisade.model.Cidr;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AgentConfigTest {

    @Test
    void nodeNameFromTheDownwardApi() {
        AgentConfig c = AgentConfig.fromEnvironment(Map.of("NODE_NAME", "kind-worker"));
        assertEquals("kind-worker", c.node());
        assertEquals(Optional.empty(), c.cni());
        assertEquals(Duration.ofSeconds(30), c.verifyInterval());
        assertTrue(c.pendingGuard());
    }

    @Test
    void withoutANodeNameItRefusesToStart() {
        var e = assertThrows(IllegalArgumentException.class, () -> AgentConfig.fromEnvironment(Map.of()));
        assertTrue(e.getMessage().contains("NODE_NAME"), e.getMessage());
    }

    @Test
    void cniModeWithAPresetAndOverrides() {
        AgentConfig c = AgentConfig.parse(List.of("--node=n1", "--cni", "--cni-mtu", "1400", "--cni-preset=k3s",
                "--cni-conf-dir=/tmp/net.d", "--cluster-cidr=10.244.0.0/16", "--verify-interval=0.5"), Map.of());
        CniSettings s = c.cni().orElseThrow();
        assertEquals(Path.of("/var/lib/rancher/k3s/data/current/bin"), s.binDir());
        assertEquals(Path.of("/tmp/net.d/10-palisade.conflist"), s.confFile());
        assertEquals(Path.of("/run/palisade/cni/10-palisade.conflist"), s.runFile(), "the preset's tmpfs");
        assertEquals(1400, s.mtu());
        assertEquals(List.of(Cidr.parse("10.244.0.0/16")), c.clusterCidrs());
        assertEquals(Duration.ofMillis(500), c.verifyInterval());
    }

    @Test
    void environmentSwitchesCniModeOn() {
        AgentConfig c = AgentConfig.fromEnvironment(Map.of("NODE_NAME", "n1", "PALISADE_CNI", "true",
                "PALISADE_CNI_PRESET", "k3d"));
        assertEquals(Path.of("/var/lib/rancher/k3s/agent/etc/cni/net.d"), c.cni().orElseThrow().confDir());
    }

    @Test
    void theCniRunDirectoryIsASettingThatAPresetKeeps() {
        AgentConfig c = AgentConfig.parse(List.of("--node=n1", "--cni", "--cni-run-dir=/run/x", "--cni-preset=k3s"), Map.of());
        assertEquals(Path.of("/run/x/10-palisade.conflist"), c.cni().orElseThrow().runFile());
        AgentConfig e = AgentConfig.fromEnvironment(Map.of("NODE_NAME", "n1", "PALISADE_CNI", "true",
                "PALISADE_CNI_RUN_DIR", "/run/y"));
        assertEquals(Path.of("/run/y"), e.cni().orElseThrow().runDir());
        assertThrows(IllegalArgumentException.class, () -> AgentConfig.parse(List.of("--node=n1", "--cni",
                "--cni-run-dir=/etc/cni/net.d"), Map.of()), "the link cannot point into its own directory");
    }

    @Test
    void theDaemonSetFromTheDownwardApiWithOrWithoutFlags() {
        Map<String, String> env = Map.of("NODE_NAME", "n1", "POD_NAMESPACE", "palisade-system",
                "PALISADE_DAEMONSET", "palisade-agent");
        DaemonSetRef expected = new DaemonSetRef("palisade-system", "palisade-agent");
        assertEquals(Optional.of(expected), AgentConfig.fromEnvironment(env).daemonSet());
        assertEquals(Optional.of(expected), AgentConfig.parse(List.of("--http-port=9091"), env).daemonSet());
        assertEquals(Optional.of(new DaemonSetRef("ns", "ds")),
                AgentConfig.parse(List.of("--daemonset=ns/ds"), env).daemonSet());
        assertEquals(Optional.empty(), AgentConfig.fromEnvironment(Map.of("NODE_NAME", "n1", "POD_NAMESPACE", "x"))
                .daemonSet(), "without a name the tables always stay");
        assertThrows(IllegalArgumentException.class, () -> AgentConfig.parse(List.of("--node=n", "--daemonset=ds"), Map.of()));
    }

    @Test
    void badFlagsAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> AgentConfig.parse(List.of("--node=n", "--bogus=1"), Map.of())).getMessage().contains("--bogus"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> AgentConfig.parse(List.of("--node=n", "--http-port=x"), Map.of())).getMessage().contains("--http-port"));
        assertThrows(IllegalArgumentException.class, () -> AgentConfig.parse(List.of("--node=n", "--cni-preset=gke"), Map.of()));
    }
}
