package dev.palisade.dataplane.readback;

import dev.palisade.dataplane.nft.Chain;
import dev.palisade.dataplane.nft.Element;
import dev.palisade.dataplane.nft.KeyType;
import dev.palisade.dataplane.nft.NamedSet;
import dev.palisade.dataplane.nft.Rule;
import dev.palisade.dataplane.nft.Table;
import dev.palisade.dataplane.readback.KernelTable.KernelChain;
import dev.palisade.dataplane.readback.KernelTable.KernelRule;
import dev.palisade.dataplane.readback.KernelTable.KernelSet;
import dev.palisade.dataplane.render.NftRenderer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * How the kernel's copy of the owned table differs from what was applied; empty when they agree.
 * Counter values and the table's comment are not compared (see {@link KernelTable}).
 */
public record Drift(List<Difference> differences) {

    /** What kind of difference; a small fixed set, usable as a metric label. */
    public enum Kind {
        TABLE_MISSING, SET_MISSING, SET_EXTRA, SET_DEFINITION, ELEMENTS_MISSING, ELEMENTS_EXTRA, ELEMENTS_UNREADABLE,
        CHAIN_MISSING, CHAIN_EXTRA, CHAIN_DEFINITION, RULES, OBJECT_EXTRA;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One difference: its kind, the object it concerns ({@code set in_port4}) and what differs. */
    public record Difference(Kind kind, String object, String detail) {
        @Override
        public String toString() {
            return object + ": " + detail;
        }
    }

    /** How many elements a difference quotes. */
    private static final int EXAMPLES = 3;

    public static final Drift NONE = new Drift(List.of());

    public Drift {
        differences = List.copyOf(differences);
    }

    public boolean isEmpty() {
        return differences.isEmpty();
    }

    /** One line for a log: every difference, in table order. */
    public String summary() {
        if (differences.isEmpty()) {
            return "in sync";
        }
        return differences.size() + (differences.size() == 1 ? " difference: " : " differences: ")
                + differences.stream().map(Difference::toString).collect(Collectors.joining("; "));
    }

    /** How {@code actual} (empty: the table is absent) differs from {@code expected}. */
    public static Drift between(Table expected, Optional<KernelTable> actual) {
        String table = "table " + expected.family() + " " + expected.name();
        if (actual.isEmpty()) {
            return new Drift(List.of(new Difference(Kind.TABLE_MISSING, table, "not in the kernel")));
        }
        KernelTable k = actual.get();
        List<Difference> out = new ArrayList<>();
        Set<String> expectedSets = new HashSet<>();
        for (NamedSet s : expected.sets()) {
            expectedSets.add(s.name());
            Optional<KernelSet> ks = k.set(s.name());
            if (ks.isEmpty()) {
                out.add(new Difference(Kind.SET_MISSING, "set " + s.name(), "not in the kernel"));
                continue;
            }
            compareSet(s, ks.get(), out);
        }
        for (KernelSet ks : k.sets()) {
            if (!expectedSets.contains(ks.name())) {
                out.add(new Difference(Kind.SET_EXTRA, "set " + ks.name(),
                        "not ours (" + (ks.elements().size() + ks.unreadable().size()) + " elements)"));
            }
        }
        Set<String> expectedChains = new HashSet<>();
        for (Chain c : expected.chains()) {
            expectedChains.add(c.name());
            Optional<KernelChain> kc = k.chain(c.name());
            if (kc.isEmpty()) {
                out.add(new Difference(Kind.CHAIN_MISSING, "chain " + c.name(), "not in the kernel"));
                continue;
            }
            compareChain(c, kc.get(), out);
        }
        for (KernelChain kc : k.chains()) {
            if (!expectedChains.contains(kc.name())) {
                out.add(new Difference(Kind.CHAIN_EXTRA, "chain " + kc.name(),
                        "not ours (" + kc.rules().size() + " rules)"));
            }
        }
        for (String o : k.otherObjects()) {
            out.add(new Difference(Kind.OBJECT_EXTRA, o, "not ours"));
        }
        return new Drift(out);
    }

    private static void compareSet(NamedSet s, KernelSet ks, List<Difference> out) {
        String object = "set " + s.name();
        List<String> type = s.type().stream().map(KeyType::nft).toList();
        Set<String> flags = s.interval() ? Set.of("interval") : Set.of();
        List<String> definition = new ArrayList<>();
        if (!type.equals(ks.type())) {
            definition.add("type " + String.join(" . ", ks.type()) + ", expected " + String.join(" . ", type));
        }
        if (!flags.equals(ks.flags())) {
            definition.add("flags " + ks.flags() + ", expected " + new TreeSet<>(flags));
        }
        if (!Objects.equals(s.comment(), ks.comment())) {
            definition.add("comment \"" + ks.comment() + "\", expected \"" + s.comment() + "\"");
        }
        if (!definition.isEmpty()) {
            out.add(new Difference(Kind.SET_DEFINITION, object, String.join(", ", definition)));
        }
        SortedSet<Element> missing = new TreeSet<>(s.elements());
        missing.removeAll(ks.elements());
        SortedSet<Element> extra = new TreeSet<>(ks.elements());
        extra.removeAll(s.elements());
        if (!missing.isEmpty()) {
            out.add(new Difference(Kind.ELEMENTS_MISSING, object, count(missing.size()) + " missing" + examples(missing)));
        }
        if (!extra.isEmpty()) {
            out.add(new Difference(Kind.ELEMENTS_EXTRA, object, count(extra.size()) + " not ours" + examples(extra)));
        }
        if (!ks.unreadable().isEmpty()) {
            out.add(new Difference(Kind.ELEMENTS_UNREADABLE, object, count(ks.unreadable().size())
                    + " not readable as " + String.join(" . ", type) + " (e.g. " + ks.unreadable().get(0) + ")"));
        }
    }

    private static void compareChain(Chain c, KernelChain kc, List<Difference> out) {
        String object = "chain " + c.name();
        boolean sameHook = c.isBase()
                ? "filter".equals(kc.type()) && c.hook().equals(kc.hook())
                : kc.hook() == null;
        if (!sameHook) {
            out.add(new Difference(Kind.CHAIN_DEFINITION, object, "hook " + describe(kc.type(), kc.hook())
                    + ", expected " + describe(c.isBase() ? "filter" : null, c.hook())));
        }
        List<Rule> want = c.rules();
        List<KernelRule> have = kc.rules();
        int n = Math.max(want.size(), have.size());
        for (int i = 0; i < n; i++) {
            Rule w = i < want.size() ? want.get(i) : null;
            KernelRule h = i < have.size() ? have.get(i) : null;
            if (w != null && h != null && h.rule().isPresent() && h.rule().get().equals(w)) {
                continue;
            }
            String found = h == null ? "nothing"
                    : h.rule().map(r -> "\"" + NftRenderer.rule(r) + "\"").orElse("a rule outside Palisade's model "
                    + h.json()) + " (handle " + h.handle() + ")";
            String wanted = w == null ? "nothing" : "\"" + NftRenderer.rule(w) + "\"";
            out.add(new Difference(Kind.RULES, object, "rule " + (i + 1) + " is " + found + ", expected " + wanted
                    + " (" + have.size() + " rules, expected " + want.size() + ")"));
            return; // the first difference says enough: repair replaces the whole table anyway
        }
    }

    private static String describe(String type, Chain.Hook hook) {
        if (hook == null) {
            return "none (regular chain)";
        }
        return type + " " + hook.hook() + " priority " + hook.priority() + " policy "
                + hook.policy().kind().name().toLowerCase(Locale.ROOT);
    }

    private static String count(int n) {
        return n + (n == 1 ? " element" : " elements");
    }

    private static String examples(Collection<Element> elements) {
        String shown = elements.stream().limit(EXAMPLES).map(NftRenderer::element).collect(Collectors.joining(", "));
        return " (" + (elements.size() > EXAMPLES ? "e.g. " : "") + shown + ")";
    }
}
