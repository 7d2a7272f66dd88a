package dev.palisade.dataplane.nft;

/** What a rule does when it matches. */
public record Verdict(Kind kind, String target) {

    public enum Kind { ACCEPT, DROP, RETURN, JUMP }

    public static final Verdict ACCEPT = new Verdict(Kind.ACCEPT, null);
    public static final Verdict DROP = new Verdict(Kind.DROP, null);
    public static final Verdict RETURN = new Verdict(Kind.RETURN, null);

    public Verdict {
        if ((kind == Kind.JUMP) != (target != null)) {
            throw new IllegalArgumentException("only a jump has a target chain");
        }
    }

    public static Verdict jump(String chain) {
        return new Verdict(Kind.JUMP, chain);
    }
}
