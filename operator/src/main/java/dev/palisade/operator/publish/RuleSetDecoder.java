package dev.palisade.operator.publish;

import dev.palisade.model.IpAddress;
import dev.palisade.model.IpRange;
import dev.palisade.operator.resource.AddressSetSpec;
import dev.palisade.operator.resource.DirectionWire;
import dev.palisade.operator.resource.GrantWire;
import dev.palisade.operator.resource.PeersWire;
import dev.palisade.operator.resource.RuleSetWire;
import dev.palisade.operator.resource.VerdictWire;
import dev.palisade.ruleset.ClusterVerdict;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;
import dev.palisade.ruleset.PeerSet;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The published form back into the contract, resolving address-set references: what an agent does
 * with a PalisadeNodeRuleSet, and what the tests use to compare a published rule set with the compiler's.
 */
public final class RuleSetDecoder {

    private RuleSetDecoder() {
    }

    /**
     * @param sets looks up an address-set part by name; empty when it is not (yet) there, which
     *             makes the whole rule set undecodable: an agent waits rather than apply part of a peer set
     */
    public static NodeRuleSet decode(String node, RuleSetWire wire, Function<String, Optional<AddressSetSpec>> sets) {
        return new NodeRuleSet(node, addresses(wire.localPods()), direction(wire.ingress(), sets),
                direction(wire.egress(), sets), holders(wire.holders()));
    }

    private static SortedMap<IpAddress, SortedSet<String>> holders(List<String> texts) {
        SortedMap<IpAddress, SortedSet<String>> out = new TreeMap<>();
        for (String t : texts) {
            Map.Entry<IpAddress, String> h = WireText.parseHolder(t);
            out.computeIfAbsent(h.getKey(), k -> new TreeSet<>()).add(h.getValue());
        }
        return out;
    }

    private static DirectionRules direction(DirectionWire d, Function<String, Optional<AddressSetSpec>> sets) {
        List<Grant> grants = new ArrayList<>();
        for (GrantWire g : d.grants()) {
            grants.add(new Grant(g.policy(), g.rule(), addresses(g.pods()), peers(g.peers(), sets),
                    g.ports().stream().map(WireText::parsePort).toList()));
        }
        List<ClusterVerdict> verdicts = new ArrayList<>();
        for (VerdictWire v : d.verdicts()) {
            verdicts.add(new ClusterVerdict(decision(v.decision()), v.rule(), addresses(v.pods()), peers(v.peers(), sets),
                    v.ports().stream().map(WireText::parsePort).toList(), v.coversOtherProtocols()));
        }
        return new DirectionRules(addresses(d.isolated()), grants, verdicts);
    }

    private static ClusterVerdict.Decision decision(String text) {
        try {
            return ClusterVerdict.Decision.valueOf(text);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("verdict decision \"" + text + "\" is not ACCEPT or DENY", e);
        }
    }

    private static PeerSet peers(PeersWire p, Function<String, Optional<AddressSetSpec>> sets) {
        if (p.matchesAny()) {
            return PeerSet.ANY;
        }
        SortedSet<IpAddress> addresses = addresses(p.addresses());
        List<IpRange> ranges = new ArrayList<>(p.ranges().stream().map(WireText::parseRange).toList());
        for (String name : p.addressSets()) {
            AddressSetSpec part = sets.apply(name).orElseThrow(() ->
                    new IllegalArgumentException("address set " + name + " is missing"));
            addresses.addAll(addresses(part.addresses()));
            part.ranges().forEach(r -> ranges.add(WireText.parseRange(r)));
        }
        return new PeerSet(false, addresses, ranges);
    }

    private static SortedSet<IpAddress> addresses(List<String> texts) {
        SortedSet<IpAddress> out = new TreeSet<>();
        texts.forEach(t -> out.add(IpAddress.parse(t)));
        return out;
    }
}
