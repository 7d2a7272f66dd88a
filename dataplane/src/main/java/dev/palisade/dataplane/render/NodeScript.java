package dev.palisade.dataplane.render;

import dev.palisade.dataplane.translate.RuleSetTranslator;
import dev.palisade.ruleset.NodeRuleSet;

/** The whole path from a node's rule set to the nft script that loads it atomically. */
public final class NodeScript {

    private NodeScript() {
    }

    /** A complete script: (re)creates the owned table with every chain, set and element in one transaction. */
    public static String render(NodeRuleSet rules) {
        return NftRenderer.replaceScript(RuleSetTranslator.translate(rules));
    }
}
