package dev.palisade.dataplane.nft;

/**
 * What a rule does when it matches. {@code jump} runs the target chain and comes back after it;
 * {@code goto} runs the target chain and does not come back: at the target's end (or on its
 * {@code return}) the packet resumes after the last {@code jump} on its way, and when there was none,
 * the base chain's policy applies.
 */
public record Verdict(Kind kind, String target) {

    public enum Kind {
        ACCEPT, DROP, RETURN, JUMP, GOTO;

        boolean hasTarget() {
            return this == JUMP || this == GOTO;
        }
    }

    public static final Verdict ACCEPT = new Verdict(Kind.ACCEPT, null);
    public static final Verdict DROP = new Verdict(Kind.DROP, null);
    public static final Verdict RETURN = new Verdict(Kind.RETURN, null);

    public Verdict {
        if (kind.hasTarget() != (target != null)) {
            throw new IllegalArgumentException("only a jump or a goto has a target chain");
        }
    }

    public static Verdict jump(String chain) {
        return new Verdict(Kind.JUMP, chain);
    }

    public static Verdict goTo(String chain) {
        return new Verdict(Kind.GOTO, chain);
    }

    /** Whether this verdict names a chain to continue in. */
    public boolean isChainTransfer() {
        return kind.hasTarget();
    }
}
