package dev.palisade.model;

import java.util.List;

/**
 * An immutable snapshot of everything policy depends on, each list sorted by key. ClusterNetworkPolicies
 * sort by tier, priority and name, which is also the order the compiler walks them.
 */
public record Cluster(List<Namespace> namespaces, List<Node> nodes, List<Pod> pods, List<NetworkPolicy> policies,
                      List<ClusterNetworkPolicy> clusterPolicies) {

    public static final Cluster EMPTY = new Cluster(List.of(), List.of(), List.of(), List.of(), List.of());

    public Cluster {
        namespaces = sorted(namespaces);
        nodes = sorted(nodes);
        pods = sorted(pods);
        policies = sorted(policies);
        clusterPolicies = sorted(clusterPolicies);
    }

    /** A snapshot without ClusterNetworkPolicies (everything written before they existed). */
    public Cluster(List<Namespace> namespaces, List<Node> nodes, List<Pod> pods, List<NetworkPolicy> policies) {
        this(namespaces, nodes, pods, policies, List.of());
    }

    /** The same snapshot with these ClusterNetworkPolicies instead. */
    public Cluster withClusterPolicies(List<ClusterNetworkPolicy> clusterPolicies) {
        return new Cluster(namespaces, nodes, pods, policies, clusterPolicies);
    }

    private static <T extends Comparable<T>> List<T> sorted(List<T> in) {
        return in == null ? List.of() : in.stream().sorted().toList();
    }
}
