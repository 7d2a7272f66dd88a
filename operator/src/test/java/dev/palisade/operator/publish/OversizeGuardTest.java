package dev.palisade.operator.publish;

import dev.palisade.model.IpAddress;
import dev.palisade.model.Protocol;
import dev.palisade.ruleset.ClusterVerdict;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;
import dev.palisade.ruleset.PeerSet;
import dev.palisade.ruleset.PortRange;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OversizeGuardTest {

    private static final RuleSetEncoder ENCODER = new RuleSetEncoder(RuleSetEncoder.Limits.DEFAULT);

    /** 20 local pods, all isolated both ways; "big/wide" has 200 rules of 20 ports, "app/small" one rule, "app/dns" one. */
    private static NodeRuleSet node() {
        SortedSet<IpAddress> pods = new TreeSet<>();
        for (int i = 1; i <= 20; i++) {
            pods.add(IpAddress.parse("10.0.0." + i));
        }
        PeerSet client = new PeerSet(false, new TreeSet<>(Set.of(IpAddress.parse("10.1.0.1"))), List.of());
        List<Grant> ingress = new ArrayList<>();
        for (int r = 0; r < 200; r++) {
            List<PortRange> ports = new ArrayList<>();
            for (int p = 0; p < 20; p++) {
                ports.add(new PortRange(Protocol.TCP, 1000 + r * 20 + p, 1000 + r * 20 + p));
            }
            ingress.add(new Grant("big/wide", r, pods, client, ports));
        }
        ingress.add(new Grant("app/small", 0, pods, client, List.of(new PortRange(Protocol.TCP, 80, 80))));
        List<Grant> egress = List.of(new Grant("app/dns", 0, pods, PeerSet.ANY, List.of(new PortRange(Protocol.UDP, 53, 53))));
        return new NodeRuleSet("n1", pods, new DirectionRules(pods, ingress), new DirectionRules(pods, egress));
    }

    @Test
    void theHeaviestPolicyIsLeftOutAndEveryPodStaysIsolated() {
        NodeRuleSet rs = node();
        int full = ENCODER.encode(List.of(rs)).nodes().get("n1").bytes();
        int limit = full / 4;
        OversizeGuard.Fitted f = OversizeGuard.fit(rs, ENCODER, limit);
        assertTrue(f.fits(limit), f.node().bytes() + " bytes over " + limit);
        assertEquals(Set.of("big/wide"), f.dropped());
        var ingress = f.node().ruleSet().ingress();
        assertEquals(20, ingress.isolated().size(), "isolation kept: nothing is opened");
        assertEquals(20, f.node().ruleSet().egress().isolated().size());
        assertEquals(List.of("app/small"), ingress.grants().stream().map(g -> g.policy()).distinct().toList());
        assertEquals(List.of("app/dns"), f.node().ruleSet().egress().grants().stream().map(g -> g.policy()).toList());
        assertEquals(f, OversizeGuard.fit(rs, ENCODER, limit), "deterministic");
    }

    @Test
    void aRuleSetThatFitsIsPublishedWhole() {
        NodeRuleSet rs = node();
        OversizeGuard.Fitted f = OversizeGuard.fit(rs, ENCODER, Integer.MAX_VALUE);
        assertTrue(f.dropped().isEmpty());
        assertEquals(ENCODER.encode(List.of(rs)).nodes().get("n1"), f.node());
    }

    @Test
    void whenNothingFitsEveryAllowanceIsLeftOutAndItSaysSo() {
        NodeRuleSet rs = node();
        OversizeGuard.Fitted f = OversizeGuard.fit(rs, ENCODER, 10);
        assertFalse(f.fits(10));
        assertEquals(Set.of("app/dns", "app/small", "big/wide"), f.dropped());
        assertTrue(f.node().ruleSet().ingress().grants().isEmpty() && f.node().ruleSet().egress().grants().isEmpty());
    }

    /** Leaving out NetworkPolicy allowances must not take a ClusterNetworkPolicy Deny with them. */
    @Test
    void clusterNetworkPolicyVerdictsAreKeptWhenAllowancesAreLeftOut() {
        NodeRuleSet plain = node();
        ClusterVerdict deny = new ClusterVerdict(ClusterVerdict.Decision.DENY, "lockdown#ingress[0]", plain.localPods(),
                PeerSet.ANY, List.of(new PortRange(Protocol.TCP, 22, 22)), true);
        NodeRuleSet rs = new NodeRuleSet("n1", plain.localPods(), plain.ingress().withVerdicts(List.of(deny)), plain.egress());
        OversizeGuard.Fitted f = OversizeGuard.fit(rs, ENCODER, 10);
        assertEquals(Set.of("app/dns", "app/small", "big/wide"), f.dropped());
        var verdicts = f.node().ruleSet().ingress().verdicts();
        assertEquals(1, verdicts.size());
        assertEquals("DENY", verdicts.get(0).decision());
        assertEquals(List.of("TCP/22"), verdicts.get(0).ports());
    }

    @Test
    void weightCountsPodsPortsAndGrants() {
        assertEquals(List.of("big/wide", "app/dns", "app/small"), OversizeGuard.heaviestFirst(node()));
    }
}
