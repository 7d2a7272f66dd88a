package dev.palisade.dataplane.nft;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** One match expression of a rule. */
public sealed interface Match {

    /** {@code ct state established,related}. */
    record CtState(Set<String> states) implements Match {
        public CtState {
            states = java.util.Collections.unmodifiableSet(new TreeSet<>(states));
        }
    }

    /** {@code f1 . f2 ... @set} (or {@code != @set}). */
    record Lookup(List<Field> key, String set, boolean negated) implements Match {
        public Lookup {
            key = List.copyOf(key);
        }
    }
}
