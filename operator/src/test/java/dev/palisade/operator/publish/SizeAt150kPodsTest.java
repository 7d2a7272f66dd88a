package dev.palisade.operator.publish;

import dev.palisade.model.IpAddress;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;
import dev.palisade.ruleset.PeerSet;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sizing claim of docs/design/ruleset-contract.md: at 150,000 pods no published object comes
 * near the API server's 1.5 MiB limit, even when a node's every grant admits every pod of the cluster.
 */
class SizeAt150kPodsTest {

    static final int LIMIT = 1_572_864;

    @Test
    void noObjectNearTheLimitAt150kPods() {
        SortedSet<IpAddress> all = new TreeSet<>();
        for (int i = 0; i < 150_000; i++) {
            // 10.0.0.0/8, 30 pods per /24 as on 5,000 nodes: long, realistic address strings
            all.add(new IpAddress(IpAddress.Family.V4, 0, 0x0a000000L + ((long) (i / 30) << 8) + 10 + i % 30));
        }
        PeerSet everyone = new PeerSet(false, all, List.of());
        SortedSet<IpAddress> local = new TreeSet<>(List.copyOf(all).subList(0, 110));
        List<Grant> grants = new ArrayList<>();
        for (int p = 0; p < 200; p++) {
            // 200 policies selecting all 110 local pods, each admitting the whole cluster
            grants.add(new Grant("ns-" + p + "/allow-all-pods", 0, local, everyone, List.of()));
        }
        NodeRuleSet node = new NodeRuleSet("node-1", local, new DirectionRules(local, grants), DirectionRules.NONE);
        RuleSetEncoder.Desired d = new RuleSetEncoder(RuleSetEncoder.Limits.DEFAULT).encode(List.of(node));
        int nodeBytes = d.nodes().get("node-1").bytes();
        int largestPart = 0;
        long partBytes = 0;
        for (var part : d.addressSets().values()) {
            int b = CanonicalJson.bytes(part).length;
            largestPart = Math.max(largestPart, b);
            partBytes += b;
        }
        System.out.printf("150,000 pod addresses: %d parts, %.1f bytes per address in JSON, largest part %d bytes;"
                        + " node with 110 pods and 200 cluster-wide grants: %d bytes%n",
                d.addressSets().size(), partBytes / 150_000.0, largestPart, nodeBytes);
        assertTrue(largestPart < LIMIT / 4, "largest part " + largestPart);
        assertTrue(nodeBytes < LIMIT / 2, "node object " + nodeBytes);
    }
}
