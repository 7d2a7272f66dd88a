package dev.palisade.model;

import java.util.List;

/** An immutable snapshot of everything policy depends on, each list sorted by key. */
public record Cluster(List<Namespace> namespaces, List<Node> nodes, List<Pod> pods, List<NetworkPolicy> policies) {

    public static final Cluster EMPTY = new Cluster(List.of(), List.of(), List.of(), List.of());

    public Cluster {
        namespaces = sorted(namespaces);
        nodes = sorted(nodes);
        pods = sorted(pods);
        policies = sorted(policies);
    }

    private static <T extends Comparable<T>> List<T> sorted(List<T> in) {
        return in == null ? List.of() : in.stream().sorted().toList();
    }
}
