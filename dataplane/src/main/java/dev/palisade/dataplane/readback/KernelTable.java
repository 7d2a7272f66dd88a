package dev.palisade.dataplane.readback;

import dev.palisade.dataplane.nft.Chain;
import dev.palisade.dataplane.nft.Element;
import dev.palisade.dataplane.nft.Rule;

import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The owned table as the kernel holds it, read back from {@code nft -j list table}. Unlike
 * {@link dev.palisade.dataplane.nft.Table} it can hold what Palisade never writes (a set of an
 * unknown type, a rule outside the model, a map), because someone else may have put it there.
 *
 * <p>Not read back: the table's comment (nft 1.0.6 does not print it in JSON) and counter values.
 *
 * @param otherObjects objects of the table that are neither sets, chains nor rules (maps,
 *                     flowtables, named counters...), each as {@code kind name}
 */
public record KernelTable(String family, String name, List<KernelSet> sets, List<KernelChain> chains,
                          List<String> otherObjects) {

    public KernelTable {
        sets = List.copyOf(sets);
        chains = List.copyOf(chains);
        otherObjects = List.copyOf(otherObjects);
    }

    /**
     * A named set. {@code type} is nft's spelling of each field ({@code ipv4_addr}); elements that
     * could not be read as values of that type are kept in {@code unreadable} as their JSON text.
     */
    public record KernelSet(String name, List<String> type, Set<String> flags, String comment,
                            SortedSet<Element> elements, List<String> unreadable) {
        public KernelSet {
            type = List.copyOf(type);
            flags = Collections.unmodifiableSortedSet(new TreeSet<>(flags));
            elements = Collections.unmodifiableSortedSet(new TreeSet<>(elements));
            unreadable = List.copyOf(unreadable);
        }
    }

    /**
     * A chain. {@code hook} is null for a regular chain; {@code type} is the base chain's type
     * ({@code filter}), null for a regular chain.
     */
    public record KernelChain(String name, String type, Chain.Hook hook, List<KernelRule> rules) {
        public KernelChain {
            rules = List.copyOf(rules);
        }
    }

    /**
     * A rule: {@code rule} is its reading in the nft model, empty when it uses anything the model
     * cannot express (so it cannot be one of ours); {@code json} is nft's own expression list.
     */
    public record KernelRule(long handle, Optional<Rule> rule, String json) {
    }

    public Optional<KernelSet> set(String setName) {
        return sets.stream().filter(s -> s.name().equals(setName)).findFirst();
    }

    public Optional<KernelChain> chain(String chainName) {
        return chains.stream().filter(c -> c.name().equals(chainName)).findFirst();
    }

    public int elementCount() {
        return sets.stream().mapToInt(s -> s.elements().size() + s.unreadable().size()).sum();
    }
}
