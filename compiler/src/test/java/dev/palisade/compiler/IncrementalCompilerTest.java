package dev.palisade.compiler;

import dev.palisade.model.Cluster;
import dev.palisade.model.NetworkPolicy;
import dev.palisade.model.Pod;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import static dev.palisade.compiler.Manifests.ingressPolicy;
import static dev.palisade.compiler.Manifests.egressPolicy;
import static dev.palisade.compiler.Manifests.named;
import static dev.palisade.compiler.Manifests.ipBlock;
import static dev.palisade.compiler.Manifests.peers;
import static dev.palisade.compiler.Manifests.pod;
import static dev.palisade.compiler.Manifests.pods;
import static dev.palisade.compiler.Manifests.rule;
import static dev.palisade.compiler.Manifests.selector;
import static dev.palisade.compiler.Manifests.tcp;
import static dev.palisade.model.Protocol.TCP;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which nodes a change recompiles: the ones it can reach, and no others. */
class IncrementalCompilerTest {

    private static final Pod WEB = PolicyCompilerTest.WEB;
    private static final Pod DB = PolicyCompilerTest.DB;

    private static IncrementalCompiler compiler(List<Pod> pods, NetworkPolicy... policies) {
        return new IncrementalCompiler(new Cluster(PolicyCompilerTest.NAMESPACES, PolicyCompilerTest.NODES, pods,
                List.of(policies)));
    }

    private static IncrementalCompiler.Delta podChanges(Map<String, Optional<Pod>> pods) {
        return new IncrementalCompiler.Delta(new TreeMap<>(), new TreeMap<>(), new TreeMap<>(), new TreeMap<>(pods));
    }

    private static IncrementalCompiler.Delta policyChanges(Map<String, Optional<NetworkPolicy>> policies) {
        return new IncrementalCompiler.Delta(new TreeMap<>(), new TreeMap<>(), new TreeMap<>(policies), new TreeMap<>());
    }

    @Test
    void podWithoutPeersRecompilesItsOwnNodeOnly() {
        IncrementalCompiler c = compiler(PolicyCompilerTest.PODS,
                ingressPolicy("prod/db", selector("app=db"), rule(peers(pods(selector("app=api"))), tcp(3306))));
        Pod newcomer = pod("prod/cache", "n1", "app=cache", "10.0.1.30", "");
        assertEquals(Set.of("n1"), c.apply(podChanges(Map.of(newcomer.key(), Optional.of(newcomer)))).recompiled().keySet());
    }

    @Test
    void podJoiningAPeerRecompilesTheNodesOfThePodsThePolicySelects() {
        IncrementalCompiler c = compiler(PolicyCompilerTest.PODS,
                ingressPolicy("prod/db", selector("app=db"), rule(peers(pods(selector("app=api"))), tcp(3306))));
        Pod api2 = pod("prod/api-2", "n1", "app=api", "10.0.1.31", "");
        // n1 for the pod itself, n2 because db's grant gains it as a peer.
        assertEquals(Set.of("n1", "n2"), c.apply(podChanges(Map.of(api2.key(), Optional.of(api2)))).recompiled().keySet());
        assertEquals(IncrementalCompilerPropertyTest.full(c.index().cluster()), c.ruleSets());
    }

    @Test
    void policyRecompilesTheNodesOfThePodsItSelectsBeforeAndAfter() {
        NetworkPolicy web = ingressPolicy("prod/web", selector("app=web"));
        IncrementalCompiler c = compiler(PolicyCompilerTest.PODS, web);
        assertEquals(Set.of("n1"), c.apply(policyChanges(Map.of(web.key(), Optional.of(
                ingressPolicy("prod/web", selector("app=web"), rule(List.of(), tcp(80))))))).recompiled().keySet());
        assertEquals(Set.of("n1", "n2"), c.apply(policyChanges(Map.of(web.key(), Optional.of(
                ingressPolicy("prod/web", selector("tier=back")))))).recompiled().keySet());
        // Gone: the nodes of the pods its last version (tier=back: api on n1, db on n2) selected.
        assertEquals(Set.of("n1", "n2"), c.apply(policyChanges(Map.of(web.key(), Optional.empty()))).recompiled().keySet());
        assertEquals(IncrementalCompilerPropertyTest.full(c.index().cluster()), c.ruleSets());
    }

    @Test
    void podReachedThroughAnIpBlockWithNamedPortsRecompilesTheEgressSide() {
        // WEB (n1) may reach "http" on any pod inside 10.0.2.0/24: a pod there declaring it changes n1.
        NetworkPolicy out = egressPolicy("prod/out", selector("app=web"),
                rule(peers(ipBlock("10.0.2.0/24")), named(TCP, "http")));
        IncrementalCompiler c = compiler(List.of(WEB, DB), out);
        Pod server = pod("dev/server", "n2", "app=server", "10.0.2.40", "http/TCP/8080");
        assertEquals(Set.of("n1", "n2"), c.apply(podChanges(Map.of(server.key(), Optional.of(server)))).recompiled().keySet());
        assertEquals(IncrementalCompilerPropertyTest.full(c.index().cluster()), c.ruleSets());
    }

    @Test
    void addressHeldByTwoPodsFollowsTheFirstInPodOrder() {
        // A reused address: two endpoints hold 10.0.2.10 for a moment. Named ports resolve against the first.
        NetworkPolicy out = egressPolicy("prod/out", selector("app=web"),
                rule(peers(pods(selector("app=db"))), named(TCP, "db")));
        IncrementalCompiler c = compiler(List.of(WEB, DB), out);
        Pod reuser = pod("prod/a-reuser", "n2", "app=other", "10.0.2.10", "db/TCP/5432");
        assertEquals(Set.of("n1", "n2"), c.apply(podChanges(Map.of(reuser.key(), Optional.of(reuser)))).recompiled().keySet());
        assertEquals(IncrementalCompilerPropertyTest.full(c.index().cluster()), c.ruleSets());
        assertEquals(Set.of("n1", "n2"), c.apply(podChanges(Map.of(reuser.key(), Optional.empty()))).recompiled().keySet());
        assertEquals(IncrementalCompilerPropertyTest.full(c.index().cluster()), c.ruleSets());
    }
}
