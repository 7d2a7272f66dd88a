package dev.palisade.dataplane.translate;

import static dev.palisade.dataplane.SampleRuleSets.ips;
import static dev.palisade.dataplane.SampleRuleSets.peers;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.palisade.dataplane.nft.Chain;
import dev.palisade.dataplane.nft.Table;
import dev.palisade.dataplane.translate.NftInterpreter.Hook;
import dev.palisade.dataplane.translate.NftInterpreter.Packet;
import dev.palisade.model.IpAddress;
import dev.palisade.model.Protocol;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;
import dev.palisade.ruleset.PortRange;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The layout fails closed when someone empties its chains by hand: a flushed direction chain, the
 * {@code ingress} chain, or every chain ({@code nft flush table}) drops new connections that would
 * have walked it, allowed or not, instead of letting them through. Traffic that never walks the
 * flushed chain keeps its verdict. Interpreted with the kernel's goto semantics
 * ({@link NftInterpreter}); {@code FailClosedKernelTest} shows the same with real packets.
 */
class FailClosedLayoutTest {

    /** Pods 10.0.1.10 and fd00:1::10 isolated both ways: in from .20 on TCP 80, out to .30 on TCP 443. */
    static final Table TABLE = RuleSetTranslator.translate(ruleSet());

    static NodeRuleSet ruleSet() {
        var pods = ips("10.0.1.10", "fd00:1::10");
        Grant in = new Grant("prod/in", 0, pods, peers(ips("10.0.2.20", "fd00:2::20")),
                List.of(new PortRange(Protocol.TCP, 80, 80)));
        Grant out = new Grant("prod/out", 0, pods, peers(ips("10.0.2.30", "fd00:2::30")),
                List.of(new PortRange(Protocol.TCP, 443, 443)));
        return new NodeRuleSet("n1", pods, new DirectionRules(pods, List.of(in)), new DirectionRules(pods, List.of(out)));
    }

    @ParameterizedTest(name = "{0}: {1} -> {2}:{3} {4}")
    @CsvSource(delimiter = '|', textBlock = """
            nothing  | 10.0.2.20  | 10.0.1.10  | 80  | new         | true
            nothing  | 10.0.2.99  | 10.0.1.10  | 80  | new         | false
            nothing  | 10.0.1.10  | 10.0.2.30  | 443 | new         | true
            nothing  | 10.0.1.10  | 10.0.2.99  | 443 | new         | false
            nothing  | 10.0.2.20  | 10.0.2.99  | 80  | new         | true
            nothing  | fd00:2::20 | fd00:1::10 | 80  | new         | true
            nothing  | fd00:1::10 | fd00:2::99 | 443 | new         | false
            ingress4 | 10.0.2.99  | 10.0.1.10  | 80  | new         | false
            ingress4 | 10.0.2.20  | 10.0.1.10  | 80  | new         | false
            ingress4 | 10.0.2.20  | 10.0.2.99  | 80  | new         | true
            ingress4 | 10.0.1.10  | 10.0.2.30  | 443 | new         | true
            ingress4 | fd00:2::20 | fd00:1::10 | 80  | new         | true
            ingress4 | 10.0.2.99  | 10.0.1.10  | 80  | established | true
            ingress6 | fd00:2::99 | fd00:1::10 | 80  | new         | false
            ingress6 | fd00:2::20 | fd00:1::10 | 80  | new         | false
            ingress6 | 10.0.2.20  | 10.0.1.10  | 80  | new         | true
            egress4  | 10.0.1.10  | 10.0.2.99  | 443 | new         | false
            egress4  | 10.0.1.10  | 10.0.2.30  | 443 | new         | false
            egress4  | 10.0.2.20  | 10.0.1.10  | 80  | new         | true
            egress6  | fd00:1::10 | fd00:2::99 | 443 | new         | false
            egress6  | fd00:1::10 | fd00:2::30 | 443 | new         | false
            egress6  | 10.0.1.10  | 10.0.2.30  | 443 | new         | true
            ingress  | 10.0.2.99  | 10.0.1.10  | 80  | new         | false
            ingress  | 10.0.2.20  | 10.0.1.10  | 80  | new         | false
            ingress  | 10.0.1.10  | 10.0.2.30  | 443 | new         | false
            ingress  | 10.0.2.20  | 10.0.2.99  | 80  | new         | false
            ingress  | 10.0.2.99  | 10.0.1.10  | 80  | established | true
            table    | 10.0.2.99  | 10.0.1.10  | 80  | new         | false
            table    | 10.0.2.20  | 10.0.1.10  | 80  | new         | false
            table    | 10.0.1.10  | 10.0.2.30  | 443 | new         | false
            table    | 10.0.2.20  | 10.0.2.99  | 80  | new         | false
            table    | 10.0.2.20  | 10.0.1.10  | 80  | established | false
            """)
    void flushedChainsDropWhatWouldHaveWalkedThem(String flushed, String src, String dst, int port, String ct,
                                                  boolean accepted) {
        Table t = flush(TABLE, flushed.equals("nothing") ? Set.of()
                : flushed.equals("table") ? Set.of("forward", "egress4", "egress6", "ingress", "ingress4", "ingress6")
                : Set.of(flushed));
        Packet p = new Packet(IpAddress.parse(src), IpAddress.parse(dst), 6, port, ct);

        assertEquals(accepted, NftInterpreter.accepts(t, Hook.FORWARD, p), () -> NftInterpreter.run(t, Hook.FORWARD, p).toString());
    }

    /** What {@code nft flush chain} does to each chain named: no rules left, hook and policy kept. */
    static Table flush(Table t, Set<String> chains) {
        List<Chain> out = t.chains().stream()
                .map(c -> chains.contains(c.name()) ? new Chain(c.name(), c.hook(), List.of()) : c)
                .toList();
        if (!t.chains().stream().map(Chain::name).toList().containsAll(chains)) {
            throw new IllegalArgumentException("no such chain among " + chains);
        }
        return new Table(t.family(), t.name(), t.comment(), t.sets(), out);
    }
}
