package dev.palisade.agent.sync;

import dev.palisade.dataplane.nft.Table;
import dev.palisade.dataplane.translate.RuleSetTranslator;
import dev.palisade.model.Cidr;
import dev.palisade.ruleset.NodeRuleSet;

import java.util.List;

/** What the owned table should hold: the translated rule set, plus the pending guard when it is on. Pure. */
public final class DesiredTable {

    private DesiredTable() {
    }

    public static Table of(NodeRuleSet rules, boolean guard, List<Cidr> pending) {
        Table t = RuleSetTranslator.translate(rules);
        return guard ? PendingGuard.extend(t, pending) : t;
    }
}
