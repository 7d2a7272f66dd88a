package dev.palisade.dataplane.nft;

import java.util.List;

/** A rule: all matches must hold, then the optional counter counts and the verdict applies. */
public record Rule(List<Match> matches, boolean counter, Verdict verdict, String comment) {

    public Rule {
        matches = List.copyOf(matches);
        if (verdict == null) {
            throw new IllegalArgumentException("a rule needs a verdict");
        }
        Limits.comment("rule", comment);
    }
}
