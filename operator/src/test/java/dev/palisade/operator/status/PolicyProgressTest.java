package dev.palisade.operator.status;

import dev.palisade.compiler.ClusterIndex;
import dev.palisade.model.Cluster;
import dev.palisade.model.IpAddress;
import dev.palisade.model.LabelSelector;
import dev.palisade.model.Namespace;
import dev.palisade.model.NetworkPolicy;
import dev.palisade.model.Node;
import dev.palisade.model.Pod;
import dev.palisade.operator.resource.PolicyStatusStatus;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PolicyProgressTest {

    private static Pod pod(String name, String node, String ip, String app) {
        return new Pod("prod", name, node, Map.of("app", app), List.of(IpAddress.parse(ip)), false, Pod.Phase.Running, List.of());
    }

    private static final ClusterIndex INDEX = new ClusterIndex(new Cluster(
            List.of(new Namespace("prod", Map.of())),
            List.of(new Node("n1", Map.of(), List.of(), List.of()), new Node("n2", Map.of(), List.of(), List.of()),
                    new Node("n3", Map.of(), List.of(), List.of())),
            List.of(pod("a", "n1", "10.0.0.1", "web"), pod("b", "n2", "10.0.0.2", "web"), pod("c", "n3", "10.0.0.3", "db")),
            List.of(new NetworkPolicy("prod", "deny-web", new LabelSelector(Map.of("app", "web"), List.of()), true, false,
                    List.of(), List.of()))));

    @Test
    void nodesThatNeedAPolicyAreThoseHostingPodsItSelects() {
        assertEquals(Map.of("prod/deny-web", new TreeSet<>(Set.of("n1", "n2"))), PolicyProgress.neededNodes(INDEX));
    }

    @Test
    void programmedCountsNodesWhoseAgentAppliedARevisionWithThePolicyAsItIsNow() {
        var needed = PolicyProgress.neededNodes(INDEX);
        var facts = Map.of("prod/deny-web", new PolicyProgress.Facts(7, List.of("spec.ingress[0]: x")));
        var from = Map.of("prod/deny-web", Map.of("n1", 4L, "n2", 9L));
        PolicyStatusStatus none = PolicyProgress.of(needed, facts, from, Map.of()).get("prod/deny-web");
        assertEquals(new PolicyStatusStatus("0/2", 2, 0, 7, 1, List.of("spec.ingress[0]: x")), none);
        PolicyStatusStatus stale = PolicyProgress.of(needed, facts, from, Map.of("n1", 4L, "n2", 8L, "n3", 20L))
                .get("prod/deny-web");
        assertEquals("1/2", stale.programmed());
        // Newer revisions (pod churn since) still carry the policy.
        PolicyStatusStatus all = PolicyProgress.of(needed, facts, from, Map.of("n1", 6L, "n2", 9L)).get("prod/deny-web");
        assertEquals("2/2", all.programmed());
    }

    @Test
    void nodesWithoutARuleSetAreNotCounted() {
        SortedSet<String> nodes = new TreeSet<>(Set.of("n1", "gone"));
        var s = PolicyProgress.of(Map.of("prod/p", nodes), Map.of(), Map.of("prod/p", Map.of("n1", 1L)), Map.of("n1", 1L))
                .get("prod/p");
        assertEquals("1/1", s.programmed());
    }
}
