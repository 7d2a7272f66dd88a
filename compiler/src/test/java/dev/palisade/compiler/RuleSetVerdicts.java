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

    public static boolean allows(DirectionRules rules, IpAddress local, IpAddress peer, Protocol protocol, int port) {
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
