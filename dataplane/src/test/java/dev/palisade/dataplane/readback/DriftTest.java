package dev.palisade.dataplane.readback;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.palisade.dataplane.SampleRuleSets;
import dev.palisade.dataplane.SampleTables;
import dev.palisade.dataplane.nft.Chain;
import dev.palisade.dataplane.nft.Element;
import dev.palisade.dataplane.nft.KeyType;
import dev.palisade.dataplane.nft.Rule;
import dev.palisade.dataplane.nft.Table;
import dev.palisade.dataplane.nft.Verdict;
import dev.palisade.dataplane.readback.KernelTable.KernelChain;
import dev.palisade.dataplane.readback.KernelTable.KernelRule;
import dev.palisade.dataplane.readback.KernelTable.KernelSet;
import dev.palisade.dataplane.translate.RuleSetTranslator;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;

class DriftTest {

    private static final Table SAMPLE = SampleTables.everySetKind();

    @Test
    void anExactCopyHasNoDrift() {
        assertEquals(Drift.NONE, Drift.between(SAMPLE, Optional.of(copy(SAMPLE))));
        assertEquals("in sync", Drift.NONE.summary());
    }

    @Test
    void aSetRecreatedWithAnotherDefinitionIsDrift() {
        KernelTable k = withSet(copy(SAMPLE), "in_cidr4", s -> new KernelSet(s.name(), List.of("ipv4_addr"), Set.of(),
                "hand made", s.elements(), s.unreadable()));

        assertEquals(List.of("set in_cidr4: type ipv4_addr, expected ipv4_addr . ipv4_addr, flags [], expected"
                        + " [interval], comment \"hand made\", expected \"ingress: pod . peer range, every port\""),
                details(Drift.between(SAMPLE, Optional.of(k))));
    }

    @Test
    void manyMissingElementsAreOneDifferenceWithExamples() {
        KernelTable k = withSet(copy(SAMPLE), "in_range4", s -> new KernelSet(s.name(), s.type(), s.flags(),
                s.comment(), new TreeSet<Element>(), s.unreadable()));

        assertEquals(List.of("set in_range4: 6 elements missing (e.g. 10.0.1.10 . 10.0.2.21 . tcp . 0-65535,"
                        + " 10.0.1.10 . 10.0.2.21 . udp . 1000-2000, 10.0.1.10 . 10.1.0.0/16 . tcp . 0-65535)"),
                details(Drift.between(SAMPLE, Optional.of(k))));
    }

    @Test
    void aChangedHookOrPolicyIsDrift() {
        KernelTable k = withChain(copy(SAMPLE), "forward", c -> new KernelChain(c.name(), c.type(),
                new Chain.Hook("forward", 0, Verdict.DROP), c.rules()));

        assertEquals(List.of("chain forward: hook filter forward priority 0 policy drop, expected filter forward"
                + " priority 0 policy accept"), details(Drift.between(SAMPLE, Optional.of(k))));
    }

    @Test
    void aFlushedChainIsDrift() {
        KernelTable k = withChain(copy(SAMPLE), "egress6", c -> new KernelChain(c.name(), c.type(), c.hook(), List.of()));

        assertEquals(List.of("chain egress6: rule 1 is nothing, expected \"ip6 saddr . ip6 daddr @eg_any6 return\""
                + " (0 rules, expected 5)"), details(Drift.between(SAMPLE, Optional.of(k))));
    }

    @Test
    void aRuleThatDiffersOnlyInItsCounterOrCommentIsDrift() {
        KernelTable k = withChain(copy(SAMPLE), "ingress4", c -> {
            List<KernelRule> rules = new ArrayList<>(c.rules());
            Rule last = rules.get(4).rule().orElseThrow();
            rules.set(4, new KernelRule(9, Optional.of(new Rule(last.matches(), false, last.verdict(), last.comment())), "[]"));
            return new KernelChain(c.name(), c.type(), c.hook(), rules);
        });

        assertEquals(List.of("chain ingress4: rule 5 is \"drop comment \"ingress not allowed by any policy\"\" (handle 9),"
                        + " expected \"counter drop comment \"ingress not allowed by any policy\"\" (5 rules, expected 5)"),
                details(Drift.between(SAMPLE, Optional.of(k))));
    }

    @Test
    void aJumpWhereAGotoWasAppliedIsDrift() {
        // the same lookups with jump instead of goto: the end of the target would come back, not fail closed
        Table expected = RuleSetTranslator.translate(SampleRuleSets.allowFrom("10.0.1.10", 80, "10.0.2.20"));
        KernelTable k = withChain(copy(expected), "forward", c -> {
            List<KernelRule> rules = new ArrayList<>(c.rules());
            int at = dispatchToEgress4(rules);
            Rule dispatch = rules.get(at).rule().orElseThrow();
            rules.set(at, new KernelRule(99, Optional.of(new Rule(dispatch.matches(), false,
                    Verdict.jump(dispatch.verdict().target()), null)), "[]"));
            return new KernelChain(c.name(), c.type(), c.hook(), rules);
        });

        int rules = expected.chain("forward").orElseThrow().rules().size();
        int at = dispatchToEgress4(k.chains().stream().filter(c -> c.name().equals("forward")).findFirst().orElseThrow()
                .rules());
        assertEquals(List.of("chain forward: rule " + (at + 1) + " is \"ip saddr @eg_iso4 jump egress4\" (handle 99), expected"
                + " \"ip saddr @eg_iso4 goto egress4\" (" + rules + " rules, expected " + rules + ")"),
                details(Drift.between(expected, Optional.of(k))));
    }

    private static int dispatchToEgress4(List<KernelRule> rules) {
        for (int i = 0; i < rules.size(); i++) {
            Optional<Rule> r = rules.get(i).rule();
            if (r.isPresent() && r.get().verdict().isChainTransfer() && r.get().verdict().target().equals("egress4")) {
                return i;
            }
        }
        throw new AssertionError("no dispatch to egress4 in " + rules);
    }

    /** What the kernel would hold after loading {@code t}, as {@link NftJson} would read it. */
    static KernelTable copy(Table t) {
        List<KernelSet> sets = t.sets().stream().map(s -> new KernelSet(s.name(),
                s.type().stream().map(KeyType::nft).toList(), s.interval() ? Set.of("interval") : Set.of(),
                s.comment(), s.elements(), List.of())).toList();
        List<KernelChain> chains = new ArrayList<>();
        long handle = 1;
        for (Chain c : t.chains()) {
            List<KernelRule> rules = new ArrayList<>();
            for (Rule r : c.rules()) {
                rules.add(new KernelRule(handle++, Optional.of(r), "[]"));
            }
            chains.add(new KernelChain(c.name(), c.isBase() ? "filter" : null, c.hook(), rules));
        }
        return new KernelTable(t.family(), t.name(), sets, chains, List.of());
    }

    private static KernelTable withSet(KernelTable k, String name, UnaryOperator<KernelSet> change) {
        return new KernelTable(k.family(), k.name(),
                k.sets().stream().map(s -> s.name().equals(name) ? change.apply(s) : s).toList(), k.chains(),
                k.otherObjects());
    }

    private static KernelTable withChain(KernelTable k, String name, UnaryOperator<KernelChain> change) {
        return new KernelTable(k.family(), k.name(), k.sets(),
                k.chains().stream().map(c -> c.name().equals(name) ? change.apply(c) : c).toList(), k.otherObjects());
    }

    private static List<String> details(Drift d) {
        return d.differences().stream().map(Drift.Difference::toString).toList();
    }
}
