package dev.palisade.dataplane.nft;

import java.util.List;
import java.util.Optional;

/**
 * The one table Palisade owns: its sets and chains, in rendering order. Its name and comment are
 * checked against nft's limits ({@link Limits}); a comment naming a node uses {@link Limits#label}.
 */
public record Table(String family, String name, String comment, List<NamedSet> sets, List<Chain> chains) {

    public Table {
        Limits.name("table", name);
        Limits.comment("table " + name, comment);
        sets = List.copyOf(sets);
        chains = List.copyOf(chains);
    }

    public Optional<NamedSet> set(String setName) {
        return sets.stream().filter(s -> s.name().equals(setName)).findFirst();
    }

    public Optional<Chain> chain(String chainName) {
        return chains.stream().filter(c -> c.name().equals(chainName)).findFirst();
    }

    public int elementCount() {
        return sets.stream().mapToInt(s -> s.elements().size()).sum();
    }
}
