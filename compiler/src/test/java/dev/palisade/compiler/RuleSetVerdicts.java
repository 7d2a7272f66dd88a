package dev.palisade.compiler;

import dev.palisade.model.IpAddress;
import dev.palisade.model.Protocol;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.Grant;

/**
 * What a {@link DirectionRules} allows, read straight off the contract: a local address that is
 * not isolated allows everything; an isolated one allows what some grant covers. This is the
 * contract's meaning, independent of how the dataplane lays it out in nftables.
 */
public final class RuleSetVerdicts {

    private RuleSetVerdicts() {
    }

    /**
     * With ClusterNetworkPolicy verdicts: a verdict covering the packet decides (the compiler guarantees no
     * packet is covered by both an ACCEPT and a DENY, and this checks it); otherwise NetworkPolicy does.
     */
    public static boolean allows(DirectionRules rules, java.util.List<dev.palisade.ruleset.ClusterVerdict> verdicts,
                                 IpAddress local, IpAddress peer, Protocol protocol, int port) {
        java.util.Set<dev.palisade.ruleset.ClusterVerdict.Decision> decisions = new java.util.TreeSet<>();
        for (dev.palisade.ruleset.ClusterVerdict v : verdicts) {
            if (v.covers(local, peer, protocol, port)) {
                decisions.add(v.decision());
            }
        }
        if (decisions.size() > 1) {
            throw new AssertionError("overlapping verdicts for " + local + " " + peer + " " + protocol + "/" + port);
        }
        if (!decisions.isEmpty()) {
            return decisions.contains(dev.palisade.ruleset.ClusterVerdict.Decision.ACCEPT);
        }
        return allows(rules, local, peer, protocol, port);
    }

    public static boolean allows(DirectionRules rules, IpAddress local, IpAddress peer, Protocol protocol, int port) {
        if (!rules.verdicts().isEmpty()) {
            return allows(rules.withVerdicts(java.util.List.of()), rules.verdicts(), local, peer, protocol, port);
        }
        if (!rules.isolated().contains(local)) {
            return true;
        }
        for (Grant g : rules.grants()) {
            if (g.pods().contains(local) && g.peers().contains(peer)
                    && (g.ports().isEmpty() || g.ports().stream().anyMatch(r -> r.contains(protocol, port)))) {
                return true;
            }
        }
        return false;
    }
}
