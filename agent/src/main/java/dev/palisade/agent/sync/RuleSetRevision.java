package dev.palisade.agent.sync;

import dev.palisade.ruleset.NodeRuleSet;

import java.util.Objects;

/** One published revision of the node's rule set, decoded: what the agent applies and then reports. */
public record RuleSetRevision(long revision, String hash, NodeRuleSet rules) {

    public RuleSetRevision {
        Objects.requireNonNull(hash, "hash");
        Objects.requireNonNull(rules, "rules");
    }

    public int grants() {
        return rules.ingress().grants().size() + rules.egress().grants().size();
    }
}
