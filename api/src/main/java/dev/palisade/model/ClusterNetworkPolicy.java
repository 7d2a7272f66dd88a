package dev.palisade.model;

import java.util.Comparator;
import java.util.List;

/**
 * A {@code policy.networking.k8s.io/v1beta1} ClusterNetworkPolicy after projection. Rules keep their
 * order (it is their precedence inside the policy) and their index (explanations name them by it).
 * Evaluation, per direction: the Admin tier (priority ascending, then rule order), NetworkPolicy,
 * the Baseline tier, then the default allow; see docs/design/cluster-network-policy.md.
 */
public record ClusterNetworkPolicy(String name, Tier tier, int priority, Subject subject,
                                   List<ClusterRule> ingress, List<ClusterRule> egress)
        implements Comparable<ClusterNetworkPolicy> {

    public static final int MIN_PRIORITY = 0;
    public static final int MAX_PRIORITY = 1000;

    private static final Comparator<ClusterNetworkPolicy> ORDER = Comparator.comparing(ClusterNetworkPolicy::tier)
            .thenComparingInt(ClusterNetworkPolicy::priority).thenComparing(ClusterNetworkPolicy::name);

    /** Admin is evaluated before NetworkPolicy, Baseline after it; the declaration order is the evaluation order. */
    public enum Tier { Admin, Baseline }

    public ClusterNetworkPolicy {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("cluster network policy name is required");
        }
        if (tier == null) {
            throw new IllegalArgumentException("tier is required");
        }
        if (priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
            throw new IllegalArgumentException("priority " + priority + " out of range 0-1000");
        }
        if (subject == null) {
            throw new IllegalArgumentException("subject is required");
        }
        ingress = ingress == null ? List.of() : List.copyOf(ingress);
        egress = egress == null ? List.of() : List.copyOf(egress);
    }

    /** Pods selected by a namespace selector and a pod selector ({@code subject.namespaces} has the pod selector empty). */
    public record Subject(LabelSelector namespaces, LabelSelector pods) {
        public static final Subject EVERY_POD = new Subject(LabelSelector.EVERYTHING, LabelSelector.EVERYTHING);

        public Subject {
            namespaces = namespaces == null ? LabelSelector.EVERYTHING : namespaces;
            pods = pods == null ? LabelSelector.EVERYTHING : pods;
        }
    }

    /** How traffic ordered by precedence is ordered in this snapshot: tier, priority, name. */
    @Override
    public int compareTo(ClusterNetworkPolicy o) {
        return ORDER.compare(this, o);
    }

    public List<ClusterRule> rules(boolean ingressDirection) {
        return ingressDirection ? ingress : egress;
    }
}
