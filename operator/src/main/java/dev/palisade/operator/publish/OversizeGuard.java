package dev.palisade.operator.publish;

import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What to publish for a node whose rule set would be larger than an object may be: the same rule
 * set without the allowances of the policies that weigh most on it, until it fits. Every pod keeps
 * its isolation (the policies still select it), so what is dropped can only deny more, never allow
 * more: the offending policies fail closed on that node, and every other policy's changes there go
 * on being published. Without it the node kept an old rule set and took no change at all, whoever
 * made it (one tenant's oversized policy froze enforcement for everyone on its nodes).
 *
 * <p>A policy's weight on a node is what its grants add to the rule set: for each grant, its local
 * pods, its ports, and one for the grant itself (peers beyond a few are stored by reference, in
 * address sets, and weigh almost nothing here). Heaviest first, by name on a tie, so the choice is
 * deterministic.
 */
public final class OversizeGuard {

    /** The encoding to publish, and the policies ("namespace/name") whose grants it leaves out. */
    public record Fitted(RuleSetEncoder.Desired encoded, SortedSet<String> dropped) {
        public Fitted {
            dropped = Collections.unmodifiableSortedSet(new TreeSet<>(dropped));
        }

        public RuleSetEncoder.EncodedNode node() {
            return encoded.nodes().values().iterator().next();
        }

        /** Whether it fits now; false only when even no grant at all does not (a node with too many pods). */
        public boolean fits(int maxBytes) {
            return node().bytes() <= maxBytes;
        }
    }

    private OversizeGuard() {
    }

    /** The rule set, with the fewest heaviest policies' grants left out so that its encoding fits {@code maxBytes}. */
    public static Fitted fit(NodeRuleSet ruleSet, RuleSetEncoder encoder, int maxBytes) {
        RuleSetEncoder.Desired encoded = encoder.encode(List.of(ruleSet));
        SortedSet<String> dropped = new TreeSet<>();
        if (encoded.nodes().get(ruleSet.node()).bytes() <= maxBytes) {
            return new Fitted(encoded, dropped);
        }
        for (String policy : heaviestFirst(ruleSet)) {
            dropped.add(policy);
            encoded = encoder.encode(List.of(without(ruleSet, dropped)));
            if (encoded.nodes().get(ruleSet.node()).bytes() <= maxBytes) {
                break;
            }
        }
        return new Fitted(encoded, dropped);
    }

    static List<String> heaviestFirst(NodeRuleSet rs) {
        Map<String, Long> weight = new TreeMap<>();
        for (DirectionRules d : List.of(rs.ingress(), rs.egress())) {
            for (Grant g : d.grants()) {
                weight.merge(g.policy(), 1L + g.pods().size() + g.ports().size(), Long::sum);
            }
        }
        List<String> order = new ArrayList<>(weight.keySet());
        order.sort(Comparator.comparing((String p) -> -weight.get(p)).thenComparing(Comparator.naturalOrder()));
        return order;
    }

    /** The rule set with none of these policies' grants; isolation and ClusterNetworkPolicy verdicts untouched. */
    static NodeRuleSet without(NodeRuleSet rs, Set<String> policies) {
        return new NodeRuleSet(rs.node(), rs.localPods(), without(rs.ingress(), policies), without(rs.egress(), policies),
                rs.holders());
    }

    private static DirectionRules without(DirectionRules d, Set<String> policies) {
        return new DirectionRules(d.isolated(), d.grants().stream().filter(g -> !policies.contains(g.policy())).toList(),
                d.verdicts());
    }
}
