package dev.palisade.compiler;

import dev.palisade.model.Cluster;
import dev.palisade.model.IpAddress;
import dev.palisade.model.LabelSelector;
import dev.palisade.model.Namespace;
import dev.palisade.model.NetworkPolicy;
import dev.palisade.model.Node;
import dev.palisade.model.Pod;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Lookup structures over one immutable {@link Cluster} snapshot. Selector results are memoised
 * (equal selectors give equal answers on the same snapshot), which is what keeps a full compile of
 * a large cluster near linear: thousands of policies share a handful of distinct selectors.
 */
public final class ClusterIndex {

    private final Cluster cluster;
    private final Map<String, Namespace> namespaces;
    private final Map<String, List<Pod>> endpointsByNamespace;
    private final Map<String, List<Pod>> endpointsByNode;
    private final Map<String, List<NetworkPolicy>> policiesByNamespace;
    private final Map<IpAddress, Pod> endpointByIp;
    private final Map<String, Node> nodes;
    /** label key -> value -> namespaces carrying it, in name order: candidates for matchLabels. */
    private final Map<String, Map<String, List<Namespace>>> namespacesByLabel;
    private final Map<LabelSelector, List<Namespace>> namespaceSelections = new ConcurrentHashMap<>();
    private final Map<List<Object>, List<Pod>> podSelections = new ConcurrentHashMap<>();

    public ClusterIndex(Cluster cluster) {
        this.cluster = cluster;
        Map<String, Namespace> ns = new TreeMap<>();
        for (Namespace n : cluster.namespaces()) {
            ns.put(n.name(), n);
        }
        Map<String, List<Pod>> byNs = new HashMap<>();
        Map<String, List<Pod>> byNode = new HashMap<>();
        Map<IpAddress, Pod> byIp = new HashMap<>();
        for (Pod p : cluster.pods()) {
            // A pod in a namespace the snapshot does not list still has the namespace's name label.
            ns.computeIfAbsent(p.namespace(), name -> new Namespace(name, Map.of()));
            if (!p.isPolicyEndpoint()) {
                continue;
            }
            byNs.computeIfAbsent(p.namespace(), k -> new ArrayList<>()).add(p);
            if (p.nodeName() != null) {
                byNode.computeIfAbsent(p.nodeName(), k -> new ArrayList<>()).add(p);
            }
            for (IpAddress ip : p.ips()) {
                byIp.putIfAbsent(ip, p);
            }
        }
        Map<String, List<NetworkPolicy>> pol = new HashMap<>();
        for (NetworkPolicy p : cluster.policies()) {
            pol.computeIfAbsent(p.namespace(), k -> new ArrayList<>()).add(p);
        }
        Map<String, Node> nodeMap = new TreeMap<>();
        for (Node n : cluster.nodes()) {
            nodeMap.put(n.name(), n);
        }
        this.namespaces = ns;
        Map<String, Map<String, List<Namespace>>> byLabel = new HashMap<>();
        for (Namespace n : ns.values()) {
            n.labels().forEach((k, v) -> byLabel.computeIfAbsent(k, x -> new HashMap<>())
                    .computeIfAbsent(v, x -> new ArrayList<>()).add(n));
        }
        this.namespacesByLabel = byLabel;
        this.endpointsByNamespace = byNs;
        this.endpointsByNode = byNode;
        this.policiesByNamespace = pol;
        this.endpointByIp = byIp;
        this.nodes = nodeMap;
    }

    public Cluster cluster() {
        return cluster;
    }

    public Optional<Namespace> namespace(String name) {
        return Optional.ofNullable(namespaces.get(name));
    }

    public Optional<Node> node(String name) {
        return Optional.ofNullable(nodes.get(name));
    }

    /** Pods that policy applies to (see {@link Pod#isPolicyEndpoint()}) scheduled on the node. */
    public List<Pod> endpointsOnNode(String node) {
        return endpointsByNode.getOrDefault(node, List.of());
    }

    public List<Pod> endpointsInNamespace(String namespace) {
        return endpointsByNamespace.getOrDefault(namespace, List.of());
    }

    public List<NetworkPolicy> policiesInNamespace(String namespace) {
        return policiesByNamespace.getOrDefault(namespace, List.of());
    }

    /** The policy endpoint that owns an address, if any. */
    public Optional<Pod> endpointByIp(IpAddress ip) {
        return Optional.ofNullable(endpointByIp.get(ip));
    }

    public List<Pod> allEndpoints() {
        return endpointsByNamespace.values().stream().flatMap(List::stream).sorted().toList();
    }

    /**
     * Namespaces matching a selector. A selector with matchLabels only needs to look at the
     * namespaces carrying its rarest pair, not at every namespace: with thousands of distinct
     * selectors over tens of thousands of namespaces, the full scan dominated a cluster's compile.
     */
    public List<Namespace> selectNamespaces(LabelSelector selector) {
        return namespaceSelections.computeIfAbsent(selector, s -> candidates(s).stream()
                .filter(n -> s.matches(n.labels())).toList());
    }

    private Collection<Namespace> candidates(LabelSelector s) {
        Collection<Namespace> best = namespaces.values();
        for (Map.Entry<String, String> e : s.matchLabels().entrySet()) {
            List<Namespace> carrying = namespacesByLabel.getOrDefault(e.getKey(), Map.of())
                    .getOrDefault(e.getValue(), List.of());
            if (carrying.size() < best.size()) {
                best = carrying;
            }
        }
        return best;
    }

    /** Policy endpoints of one namespace matching a pod selector. */
    public List<Pod> selectPods(String namespace, LabelSelector selector) {
        return podSelections.computeIfAbsent(List.of(namespace, selector), k -> endpointsInNamespace(namespace).stream()
                .filter(p -> selector.matches(p.labels())).toList());
    }
}
