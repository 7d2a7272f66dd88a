package dev.palisade.dataplane.nft;

import java.util.List;

/** A chain; a base chain has a hook, a priority and a policy, a regular chain is only jumped to. */
public record Chain(String name, Hook hook, List<Rule> rules) {

    /** Where a base chain attaches: netfilter hook, priority and default policy. */
    public record Hook(String hook, int priority, Verdict policy) {
    }

    public Chain {
        Limits.name("chain", name);
        rules = List.copyOf(rules);
    }

    public boolean isBase() {
        return hook != null;
    }
}
