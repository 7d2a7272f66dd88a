package dev.palisade.compiler;

import dev.palisade.model.Cluster;
import dev.palisade.model.ClusterNetworkPolicy;
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
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Lookup structures over a cluster's state. Selector results are memoised (equal selectors give
 * equal answers on the same state), which is what keeps a full compile of a large cluster near
 * linear: thousands of policies share a handful of distinct selectors.
 *
 * <p>Built from a {@link Cluster} snapshot, it is a read-only view. {@link IncrementalCompiler},
 * its only writer, also updates it in place one object at a time (package-private {@code put} and
 * {@code remove} methods), dropping exactly the memoised selections an update can change: a pod
 * change drops its namespace's pod selections, a namespace change the namespace selections. Reads
 * may run in parallel; updates must not run while anything reads.
 */
public final class ClusterIndex {

    /** Namespaces the input lists, by name. */
    private final SortedMap<String, Namespace> listed = new TreeMap<>();
    /** Listed namespaces plus those only known from their pods (which carry only the name label). */
    private final SortedMap<String, Namespace> namespaces = new TreeMap<>();
    private final Map<String, Pod> pods = new HashMap<>();
    /** Pods (endpoints or not) per namespace: a namespace with pods is known even when not listed. */
    private final Map<String, Integer> podCounts = new HashMap<>();
    private final Map<String, SortedSet<Pod>> endpointsByNamespace = new HashMap<>();
    private final Map<String, SortedSet<Pod>> endpointsByNode = new HashMap<>();
    /** The endpoint owning each address: the first in pod order of those holding it, as in a snapshot. */
    private final Map<IpAddress, Pod> endpointByIp = new HashMap<>();
    /** Every holder of the addresses that more than one endpoint holds (rare: an address being reused). */
    private final Map<IpAddress, SortedSet<Pod>> sharedIps = new HashMap<>();
    private final Map<String, SortedMap<String, NetworkPolicy>> policiesByNamespace = new HashMap<>();
    private final SortedMap<String, Node> nodes = new TreeMap<>();
    /** label key -> value -> namespaces carrying it, by name: candidates for matchLabels. */
    private final Map<String, Map<String, SortedMap<String, Namespace>>> namespacesByLabel = new HashMap<>();
    private final Map<LabelSelector, List<Namespace>> namespaceSelections = new ConcurrentHashMap<>();
    private final Map<String, Map<LabelSelector, List<Pod>>> podSelections = new ConcurrentHashMap<>();
    /** The snapshot this index was built from, until the first update; rebuilt on demand after. */
    private volatile Cluster cluster;
    /** By name. Not indexed further: the fold walks them per node. */
    private final SortedMap<String, ClusterNetworkPolicy> clusterPoliciesByName = new TreeMap<>();
    /** Their values in evaluation order (tier, priority, name), rebuilt on change. */
    private volatile List<ClusterNetworkPolicy> clusterPolicies;

    public ClusterIndex(Cluster cluster) {
        cluster.clusterPolicies().forEach(p -> clusterPoliciesByName.put(p.name(), p));
        this.clusterPolicies = cluster.clusterPolicies();
        for (Namespace n : cluster.namespaces()) {
            putNamespace(n);
        }
        for (Node n : cluster.nodes()) {
            putNode(n);
        }
        for (Pod p : cluster.pods()) {
            putPod(p);
        }
        for (NetworkPolicy p : cluster.policies()) {
            putPolicy(p);
        }
        this.cluster = cluster;
    }

    /** The state as a snapshot: the input itself until the index is updated, then rebuilt (linear in the cluster). */
    public Cluster cluster() {
        Cluster c = cluster;
        if (c == null) {
            List<NetworkPolicy> all = new ArrayList<>();
            policiesByNamespace.values().forEach(m -> all.addAll(m.values()));
            c = new Cluster(new ArrayList<>(listed.values()), new ArrayList<>(nodes.values()),
                    new ArrayList<>(pods.values()), all, clusterPolicies);
            cluster = c;
        }
        return c;
    }

    /** The ClusterNetworkPolicies of the snapshot, in evaluation order (tier, priority, name). */
    public List<ClusterNetworkPolicy> clusterPolicies() {
        return clusterPolicies;
    }

    public Optional<Namespace> namespace(String name) {
        return Optional.ofNullable(namespaces.get(name));
    }

    public Optional<Node> node(String name) {
        return Optional.ofNullable(nodes.get(name));
    }

    /** Names of the Node objects, in order. */
    public SortedSet<String> nodeNames() {
        return new TreeSet<>(nodes.keySet());
    }

    /** Names of the nodes that host at least one policy endpoint, in order. */
    public SortedSet<String> nodesWithEndpoints() {
        return new TreeSet<>(endpointsByNode.keySet());
    }

    /** A pod by "namespace/name", endpoint or not. */
    public Optional<Pod> pod(String key) {
        return Optional.ofNullable(pods.get(key));
    }

    /** Pods that policy applies to (see {@link Pod#isPolicyEndpoint()}) scheduled on the node, in pod order. */
    public List<Pod> endpointsOnNode(String node) {
        SortedSet<Pod> on = endpointsByNode.get(node);
        return on == null ? List.of() : List.copyOf(on);
    }

    /** The namespace's policies, in name order. */
    public List<NetworkPolicy> policiesInNamespace(String namespace) {
        SortedMap<String, NetworkPolicy> in = policiesByNamespace.get(namespace);
        return in == null ? List.of() : List.copyOf(in.values());
    }

    public Optional<NetworkPolicy> policy(String namespace, String name) {
        SortedMap<String, NetworkPolicy> in = policiesByNamespace.get(namespace);
        return in == null ? Optional.empty() : Optional.ofNullable(in.get(name));
    }

    /** Every policy, in namespace and name order. */
    public List<NetworkPolicy> policies() {
        List<NetworkPolicy> out = new ArrayList<>();
        new TreeMap<>(policiesByNamespace).values().forEach(m -> out.addAll(m.values()));
        return out;
    }

    /** The policy endpoint that owns an address, if any. */
    public Optional<Pod> endpointByIp(IpAddress ip) {
        return Optional.ofNullable(endpointByIp.get(ip));
    }

    boolean hasEndpoints(String namespace) {
        return endpointsByNamespace.containsKey(namespace);
    }

    /** Whether more than one policy endpoint holds the address (a snapshot in the middle of a reuse). */
    boolean sharedAddress(IpAddress ip) {
        return sharedIps.containsKey(ip);
    }

    public List<Pod> allEndpoints() {
        return endpointsByNamespace.values().stream().flatMap(SortedSet::stream).sorted().toList();
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
            SortedMap<String, Namespace> carrying = namespacesByLabel.getOrDefault(e.getKey(), Map.of())
                    .getOrDefault(e.getValue(), new TreeMap<>());
            if (carrying.size() < best.size()) {
                best = carrying.values();
            }
        }
        return best;
    }

    /** Policy endpoints of one namespace matching a pod selector, in pod order. */
    public List<Pod> selectPods(String namespace, LabelSelector selector) {
        return podSelections.computeIfAbsent(namespace, k -> new ConcurrentHashMap<>())
                .computeIfAbsent(selector, s -> {
                    SortedSet<Pod> in = endpointsByNamespace.get(namespace);
                    return in == null ? List.of() : in.stream().filter(p -> s.matches(p.labels())).toList();
                });
    }

    // ------------------------------------------------------------------ updates (IncrementalCompiler only)

    /** Drops a memoised pod selection that may no longer be asked for (its policy is gone). */
    void forgetSelection(String namespace, LabelSelector selector) {
        Map<LabelSelector, List<Pod>> in = podSelections.get(namespace);
        if (in != null) {
            in.remove(selector);
        }
    }

    /** Adds or replaces a ClusterNetworkPolicy; returns the one it replaced, or null. */
    ClusterNetworkPolicy putClusterPolicy(ClusterNetworkPolicy p) {
        cluster = null;
        ClusterNetworkPolicy old = clusterPoliciesByName.put(p.name(), p);
        clusterPolicies = clusterPoliciesByName.values().stream().sorted().toList();
        return old;
    }

    /** Removes a ClusterNetworkPolicy by name; returns it, or null. */
    ClusterNetworkPolicy removeClusterPolicy(String name) {
        cluster = null;
        ClusterNetworkPolicy old = clusterPoliciesByName.remove(name);
        clusterPolicies = clusterPoliciesByName.values().stream().sorted().toList();
        return old;
    }

    /** Adds or replaces a listed namespace; returns the labels the namespace had (implicit or not), or null. */
    Namespace putNamespace(Namespace n) {
        cluster = null;
        listed.put(n.name(), n);
        return replaceNamespace(n);
    }

    /** A listed namespace is gone; its pods, if any, keep it known with its name label only. */
    Namespace removeNamespace(String name) {
        cluster = null;
        if (listed.remove(name) == null) {
            return namespaces.get(name);
        }
        return replaceNamespace(podCounts.containsKey(name) ? new Namespace(name, Map.of()) : null, name);
    }

    private Namespace replaceNamespace(Namespace n) {
        return replaceNamespace(n, n.name());
    }

    private Namespace replaceNamespace(Namespace n, String name) {
        Namespace old = n == null ? namespaces.remove(name) : namespaces.put(name, n);
        if (Objects.equals(old, n)) {
            return old;
        }
        if (old != null) {
            old.labels().forEach((k, v) -> {
                Map<String, SortedMap<String, Namespace>> byValue = namespacesByLabel.get(k);
                SortedMap<String, Namespace> carrying = byValue.get(v);
                carrying.remove(name);
                if (carrying.isEmpty()) {
                    byValue.remove(v);
                    if (byValue.isEmpty()) {
                        namespacesByLabel.remove(k);
                    }
                }
            });
        }
        if (n != null) {
            n.labels().forEach((k, v) -> namespacesByLabel.computeIfAbsent(k, x -> new HashMap<>())
                    .computeIfAbsent(v, x -> new TreeMap<>()).put(name, n));
        }
        namespaceSelections.clear();
        return old;
    }

    void putNode(Node n) {
        cluster = null;
        nodes.put(n.name(), n);
    }

    void removeNode(String name) {
        cluster = null;
        nodes.remove(name);
    }

    /** Adds or replaces a pod; returns the pod it replaced, or null. */
    Pod putPod(Pod p) {
        Pod old = detach(p.key());
        pods.put(p.key(), p);
        podCounts.merge(p.namespace(), 1, Integer::sum);
        // A pod in a namespace the input does not list still has the namespace's name label.
        if (!namespaces.containsKey(p.namespace())) {
            replaceNamespace(new Namespace(p.namespace(), Map.of()));
        }
        if (p.isPolicyEndpoint()) {
            endpointsByNamespace.computeIfAbsent(p.namespace(), k -> new TreeSet<>()).add(p);
            if (p.nodeName() != null) {
                endpointsByNode.computeIfAbsent(p.nodeName(), k -> new TreeSet<>()).add(p);
            }
            for (IpAddress ip : p.ips()) {
                holdAddress(ip, p);
            }
            podSelections.remove(p.namespace());
        }
        forgetImplicitNamespace(old);
        return old;
    }

    /** Removes a pod by "namespace/name"; returns it, or null. */
    Pod removePod(String key) {
        Pod old = detach(key);
        forgetImplicitNamespace(old);
        return old;
    }

    private Pod detach(String key) {
        cluster = null;
        Pod old = pods.remove(key);
        if (old == null) {
            return null;
        }
        podCounts.computeIfPresent(old.namespace(), (k, n) -> n == 1 ? null : n - 1);
        if (old.isPolicyEndpoint()) {
            removeFrom(endpointsByNamespace, old.namespace(), old);
            if (old.nodeName() != null) {
                removeFrom(endpointsByNode, old.nodeName(), old);
            }
            for (IpAddress ip : old.ips()) {
                releaseAddress(ip, old);
            }
            podSelections.remove(old.namespace());
        }
        return old;
    }

    private void forgetImplicitNamespace(Pod old) {
        if (old != null && !listed.containsKey(old.namespace()) && !podCounts.containsKey(old.namespace())) {
            replaceNamespace(null, old.namespace());
        }
    }

    private void holdAddress(IpAddress ip, Pod p) {
        Pod owner = endpointByIp.putIfAbsent(ip, p);
        if (owner != null) {
            SortedSet<Pod> holders = sharedIps.computeIfAbsent(ip, k -> new TreeSet<>(List.of(owner)));
            holders.add(p);
            endpointByIp.put(ip, holders.first());
        }
    }

    private void releaseAddress(IpAddress ip, Pod p) {
        SortedSet<Pod> holders = sharedIps.get(ip);
        if (holders == null) {
            endpointByIp.remove(ip);
            return;
        }
        holders.remove(p);
        endpointByIp.put(ip, holders.first());
        if (holders.size() == 1) {
            sharedIps.remove(ip);
        }
    }

    private static <K> void removeFrom(Map<K, SortedSet<Pod>> map, K key, Pod pod) {
        SortedSet<Pod> set = map.get(key);
        if (set != null) {
            set.remove(pod);
            if (set.isEmpty()) {
                map.remove(key);
            }
        }
    }

    /** Adds or replaces a policy; returns the one it replaced, or null. */
    NetworkPolicy putPolicy(NetworkPolicy p) {
        cluster = null;
        return policiesByNamespace.computeIfAbsent(p.namespace(), k -> new TreeMap<>()).put(p.name(), p);
    }

    /** Removes a policy by namespace and name; returns it, or null. */
    NetworkPolicy removePolicy(String namespace, String name) {
        cluster = null;
        SortedMap<String, NetworkPolicy> in = policiesByNamespace.get(namespace);
        if (in == null) {
            return null;
        }
        NetworkPolicy old = in.remove(name);
        if (in.isEmpty()) {
            policiesByNamespace.remove(namespace);
        }
        return old;
    }
}
