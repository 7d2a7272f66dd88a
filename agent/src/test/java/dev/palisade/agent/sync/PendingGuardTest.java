package dev.palisade.agent.sync;

import dev.palisade.dataplane.nft.Table;
import dev.palisade.dataplane.nft.TableDelta;
import dev.palisade.dataplane.render.NftRenderer;
import dev.palisade.dataplane.translate.NftInterpreter;
import dev.palisade.dataplane.translate.NftInterpreter.Hook;
import dev.palisade.dataplane.translate.NftInterpreter.Packet;
import dev.palisade.model.Cidr;
import dev.palisade.model.IpAddress;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.NodeRuleSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PendingGuardTest {

    private static NodeRuleSet pods(String... ips) {
        TreeSet<IpAddress> local = new TreeSet<>();
        for (String ip : ips) {
            local.add(IpAddress.parse(ip));
        }
        return new NodeRuleSet("n1", local, DirectionRules.NONE, DirectionRules.NONE);
    }

    @Test
    void guardRulesComeRightAfterEstablishedAndBeforeTheIsolationGotosInForwardOnly() {
        Table t = DesiredTable.of(pods("10.244.1.5"), true, List.of(Cidr.parse("10.244.1.0/24"), Cidr.parse("fd00:1::/64")));
        String text = NftRenderer.table(t);
        String forward = text.substring(text.indexOf("chain forward"), text.indexOf("}", text.indexOf("chain forward")));
        List<String> lines = forward.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        assertEquals("ct state established,related accept", lines.get(2), forward);
        assertEquals("ip saddr @pend4 ip saddr != @pods4 counter drop comment \"pod not yet known to palisade\"", lines.get(3));
        assertEquals("ip daddr @pend4 ip daddr != @pods4 counter drop comment \"pod not yet known to palisade\"", lines.get(4));
        assertEquals("ip6 saddr @pend6 ip6 saddr != @pods6 counter drop comment \"pod not yet known to palisade\"", lines.get(5));
        assertEquals("ip6 daddr @pend6 ip6 daddr != @pods6 counter drop comment \"pod not yet known to palisade\"", lines.get(6));
        assertTrue(lines.indexOf("ip saddr @eg_iso4 goto egress4") > 6, forward);
        assertEquals("goto ingress", lines.get(lines.size() - 1), forward);

        // a pod and its own node may always talk (Kubernetes' rule): the guard is in forward only
        assertEquals(4, text.split("@pend", -1).length - 1, text);
        assertTrue(text.contains("set pend4 {"), text);
        assertTrue(text.contains("10.244.1.0/24"), text);
        assertTrue(text.contains("fd00:1::/64"), text);
    }

    /**
     * In the fail-closed layout (forward's policy drop, verdicts by goto) the guard still drops only
     * unknown pod addresses: a known pod that no policy isolates still reaches and is reached through
     * the {@code ingress} chain's final accept, and addresses outside the pod CIDRs pass.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            known pod to known pod              | 10.244.1.5 | 10.244.1.6 | true
            known pod to the outside            | 10.244.1.5 | 8.8.8.8    | true
            the outside to a known pod          | 8.8.8.8    | 10.244.1.5 | true
            unknown pod to a known pod          | 10.244.1.9 | 10.244.1.5 | false
            known pod to an unknown pod         | 10.244.1.5 | 10.244.1.9 | false
            unknown pod to the outside          | 10.244.1.9 | 8.8.8.8    | false
            traffic outside the pod CIDRs       | 10.0.0.7   | 10.0.0.8   | true
            """)
    void theGuardDropsOnlyUnknownPodAddresses(String name, String src, String dst, boolean accepted) {
        Table t = DesiredTable.of(pods("10.244.1.5", "10.244.1.6"), true, List.of(Cidr.parse("10.244.1.0/24")));
        Packet p = Packet.first(IpAddress.parse(src), IpAddress.parse(dst), 6, 80);

        assertEquals(accepted, NftInterpreter.accepts(t, Hook.FORWARD, p), () -> NftInterpreter.run(t, Hook.FORWARD, p).toString());
    }

    @Test
    void aPodCidrArrivingLaterIsAMembershipChangeNotANewShape() {
        Table without = DesiredTable.of(pods("10.244.1.5"), true, List.of());
        Table with = DesiredTable.of(pods("10.244.1.5", "10.244.1.6"), true, List.of(Cidr.parse("10.244.1.0/24")));
        var delta = TableDelta.between(without, with);
        assertTrue(delta.isPresent());
        assertEquals(2, delta.get().size());
    }

    @Test
    void offMeansTheTranslatorsTableUnchanged() {
        Table t = DesiredTable.of(pods("10.244.1.5"), false, List.of(Cidr.parse("10.244.1.0/24")));
        assertFalse(NftRenderer.table(t).contains("pend4"));
    }
}
