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

    /**
     * {@code tcp flags & (mask) == value} (or {@code !=}); implies {@code meta l4proto tcp}, so it never
     * matches another protocol, negated or not. Flags in the kernel's order (fin, syn, rst, psh, ack,
     * urg, ecn, cwr).
     */
    record TcpFlags(List<String> mask, List<String> value, boolean negated) implements Match {
        public static final List<String> ORDER = List.of("fin", "syn", "rst", "psh", "ack", "urg", "ecn", "cwr");

        public TcpFlags {
            mask = canonical(mask);
            value = canonical(value);
            if (!mask.containsAll(value)) {
                throw new IllegalArgumentException("tcp flags value " + value + " outside the mask " + mask);
            }
        }

        private static List<String> canonical(List<String> flags) {
            for (String f : flags) {
                if (!ORDER.contains(f)) {
                    throw new IllegalArgumentException("unknown tcp flag \"" + f + "\"");
                }
            }
            return ORDER.stream().filter(flags::contains).toList();
        }
    }

    /** {@code f1 . f2 ... @set} (or {@code != @set}). */
    record Lookup(List<Field> key, String set, boolean negated) implements Match {
        public Lookup {
            key = List.copyOf(key);
        }
    }
}
