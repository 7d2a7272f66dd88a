package dev.palisade.compiler;

import dev.palisade.model.IpAddress;
import dev.palisade.model.IpRange;
import dev.palisade.model.LabelSelector;
import dev.palisade.model.Namespace;
import dev.palisade.model.NetworkPolicy;
import dev.palisade.model.Peer;
import dev.palisade.model.Pod;
import dev.palisade.model.PortSpec;
import dev.palisade.model.Rule;
import dev.palisade.ruleset.ClusterVerdicts;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;
import dev.palisade.ruleset.PeerSet;
import dev.palisade.ruleset.PortRange;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Compiles NetworkPolicy v1 into per-node rule sets. Pure: the same snapshot gives the same rule
 * set, and nothing here logs, blocks or touches the outside world.
 *
 * <p>Semantics, as the API defines them: a pod is isolated in a direction when any policy whose
 * podSelector selects it has that policy type; an isolated pod's traffic in that direction is the
 * union of the rules of every such policy; a flow between two pods needs both the source's egress
 * and the destination's ingress. Named ports resolve against the pod at the receiving end.
 */
public final class PolicyCompiler {

    private final ClusterIndex index;
    private final Map<PeerKey, PeerSet> peerSets = new ConcurrentHashMap<>();

    public PolicyCompiler(ClusterIndex index) {
        this.index = index;
    }

    public ClusterIndex index() {
        return index;
    }

    /** Every node's rule set, keyed and ordered by node name (nodes without pods get empty sets). */
    public Map<String, NodeRuleSet> compileAll() {
        SortedSet<String> names = index.nodeNames();
        names.addAll(index.nodesWithEndpoints());
        Map<String, NodeRuleSet> out = new TreeMap<>();
        names.parallelStream().map(this::compileNode).toList().forEach(r -> out.put(r.node(), r));
        return out;
    }

    public NodeRuleSet compileNode(String node) {
        List<Pod> local = index.endpointsOnNode(node);
        SortedSet<IpAddress> localIps = new TreeSet<>();
        SortedMap<IpAddress, SortedSet<String>> holders = new TreeMap<>();
        Map<String, List<Pod>> localByNamespace = new TreeMap<>();
        for (Pod p : local) {
            localIps.addAll(p.ips());
            if (!p.uid().isEmpty()) {
                p.ips().forEach(ip -> holders.computeIfAbsent(ip, k -> new TreeSet<>()).add(p.uid()));
            }
            localByNamespace.computeIfAbsent(p.namespace(), k -> new ArrayList<>()).add(p);
        }
        SortedSet<IpAddress> isolatedIn = new TreeSet<>();
        SortedSet<IpAddress> isolatedOut = new TreeSet<>();
        List<Grant> ingress = new ArrayList<>();
        List<Grant> egress = new ArrayList<>();
        for (Map.Entry<String, List<Pod>> e : localByNamespace.entrySet()) {
            // Policies of a namespace share few distinct selectors: select (and isolate) once per selector.
            Map<LabelSelector, List<Pod>> selections = new HashMap<>();
            Set<LabelSelector> isolatingIn = new HashSet<>();
            Set<LabelSelector> isolatingOut = new HashSet<>();
            for (NetworkPolicy policy : index.policiesInNamespace(e.getKey())) {
                List<Pod> selected = selections.computeIfAbsent(policy.podSelector(),
                        s -> e.getValue().stream().filter(p -> s.matches(p.labels())).toList());
                if (selected.isEmpty()) {
                    continue;
                }
                if (policy.affectsIngress()) {
                    if (isolatingIn.add(policy.podSelector())) {
                        selected.forEach(p -> isolatedIn.addAll(p.ips()));
                    }
                    for (int i = 0; i < policy.ingress().size(); i++) {
                        ingress.addAll(ingressGrants(policy, i, selected));
                    }
                }
                if (policy.affectsEgress()) {
                    if (isolatingOut.add(policy.podSelector())) {
                        selected.forEach(p -> isolatedOut.addAll(p.ips()));
                    }
                    for (int i = 0; i < policy.egress().size(); i++) {
                        egress.addAll(egressGrants(policy, i, selected));
                    }
                }
            }
        }
        NodeRuleSet rules = new NodeRuleSet(node, localIps, new DirectionRules(isolatedIn, ingress),
                new DirectionRules(isolatedOut, egress), holders);
        if (index.clusterPolicies().isEmpty()) {
            return rules;
        }
        // fresh per node: the fold memoises peer selections, which must not outlive this snapshot
        ClusterVerdicts verdicts = new ClusterPolicyFold(index).fold(rules);
        return new NodeRuleSet(node, localIps, rules.ingress().withVerdicts(verdicts.ingress()),
                rules.egress().withVerdicts(verdicts.egress()), holders);
    }

    /** Ingress: named ports resolve per selected (destination) pod, so pods group by their resolved ports. */
    private List<Grant> ingressGrants(NetworkPolicy policy, int ruleIndex, List<Pod> selected) {
        Rule rule = policy.ingress().get(ruleIndex);
        PeerSet peers = peerSet(policy.namespace(), rule.peers());
        if (peers.isEmpty()) {
            return List.of();
        }
        Map<List<PortRange>, SortedSet<IpAddress>> byPorts = new LinkedHashMap<>();
        for (Pod pod : selected) {
            Optional<List<PortRange>> ports = resolvePorts(rule.ports(), pod);
            ports.ifPresent(p -> byPorts.computeIfAbsent(p, k -> new TreeSet<>()).addAll(pod.ips()));
        }
        List<Grant> out = new ArrayList<>();
        byPorts.forEach((ports, pods) -> out.add(new Grant(policy.key(), ruleIndex, pods, peers, ports)));
        return out;
    }

    /**
     * Egress: numbered ports apply to every peer; named ports resolve per destination pod, so the
     * peers that are pods split by their resolved ports (addresses that are not pods cannot match a name).
     */
    private List<Grant> egressGrants(NetworkPolicy policy, int ruleIndex, List<Pod> selected) {
        Rule rule = policy.egress().get(ruleIndex);
        SortedSet<IpAddress> sources = new TreeSet<>();
        selected.forEach(p -> sources.addAll(p.ips()));
        PeerSet peers = peerSet(policy.namespace(), rule.peers());
        if (peers.isEmpty()) {
            return List.of();
        }
        List<Grant> out = new ArrayList<>();
        if (rule.ports().isEmpty()) {
            out.add(new Grant(policy.key(), ruleIndex, sources, peers, List.of()));
            return out;
        }
        List<PortRange> numbered = new ArrayList<>();
        List<PortSpec.Named> named = new ArrayList<>();
        for (PortSpec spec : rule.ports()) {
            if (spec instanceof PortSpec.Named n) {
                named.add(n);
            } else {
                numbered.add(numberedRange(spec));
            }
        }
        if (!numbered.isEmpty()) {
            out.add(new Grant(policy.key(), ruleIndex, sources, peers, numbered));
        }
        if (!named.isEmpty()) {
            Map<List<PortRange>, SortedSet<IpAddress>> byPorts = new TreeMap<>(
                    (a, b) -> a.toString().compareTo(b.toString()));
            for (Pod dest : peerPods(peers)) {
                List<PortRange> resolved = resolveNamed(named, dest);
                if (resolved.isEmpty()) {
                    continue;
                }
                for (IpAddress ip : dest.ips()) {
                    if (peers.contains(ip)) {
                        byPorts.computeIfAbsent(resolved, k -> new TreeSet<>()).add(ip);
                    }
                }
            }
            byPorts.forEach((ports, addrs) -> out.add(
                    new Grant(policy.key(), ruleIndex, sources, new PeerSet(false, addrs, List.of()), ports)));
        }
        return out;
    }

    /** Pod endpoints with at least one address in the peer set. */
    private List<Pod> peerPods(PeerSet peers) {
        if (peers.any()) {
            return index.allEndpoints();
        }
        SortedSet<Pod> pods = new TreeSet<>();
        for (IpAddress ip : peers.addresses()) {
            index.endpointByIp(ip).ifPresent(pods::add);
        }
        if (!peers.ranges().isEmpty()) {
            for (Pod p : index.allEndpoints()) {
                if (p.ips().stream().anyMatch(peers::contains)) {
                    pods.add(p);
                }
            }
        }
        return List.copyOf(pods);
    }

    /** The ports a rule allows towards one pod; empty Optional when a named-only rule resolves to nothing. */
    static Optional<List<PortRange>> resolvePorts(List<PortSpec> specs, Pod pod) {
        if (specs.isEmpty()) {
            return Optional.of(List.of());
        }
        List<PortRange> out = new ArrayList<>();
        List<PortSpec.Named> named = new ArrayList<>();
        for (PortSpec spec : specs) {
            if (spec instanceof PortSpec.Named n) {
                named.add(n);
            } else {
                out.add(numberedRange(spec));
            }
        }
        out.addAll(resolveNamed(named, pod));
        return out.isEmpty() ? Optional.empty() : Optional.of(out.stream().distinct().sorted().toList());
    }

    static List<PortRange> resolveNamed(List<PortSpec.Named> named, Pod pod) {
        List<PortRange> out = new ArrayList<>();
        for (PortSpec.Named n : named) {
            pod.ports().stream()
                    .filter(cp -> n.name().equals(cp.name()) && cp.protocol() == n.protocol())
                    .forEach(cp -> out.add(new PortRange(cp.protocol(), cp.port(), cp.port())));
        }
        return out.stream().distinct().sorted().toList();
    }

    static PortRange numberedRange(PortSpec spec) {
        if (spec instanceof PortSpec.AllPorts a) {
            return PortRange.all(a.protocol());
        }
        if (spec instanceof PortSpec.Numbered n) {
            return new PortRange(n.protocol(), n.port(), n.endPort());
        }
        throw new IllegalArgumentException("named port " + spec + " resolves only against a pod");
    }

    /**
     * What a peer set depends on besides the pods: its peers, and the policy's namespace only when a
     * pod peer has no namespace selector. Keying the rest without the namespace lets every policy that
     * names the same peers share one computation.
     */
    record PeerKey(String namespace, List<Peer> peers) {
        static PeerKey of(String policyNamespace, List<Peer> peers) {
            boolean namespaceDependent = peers.stream()
                    .anyMatch(p -> p instanceof Peer.Pods pods && pods.namespaceSelector().isEmpty());
            return new PeerKey(namespaceDependent ? policyNamespace : "", peers);
        }
    }

    /** The union of a rule's peers; an empty peer list is every address. Memoised until {@link #forget}. */
    PeerSet peerSet(String policyNamespace, List<Peer> peers) {
        if (peers.isEmpty()) {
            return PeerSet.ANY;
        }
        return peerSets.computeIfAbsent(PeerKey.of(policyNamespace, peers), k -> {
            SortedSet<IpAddress> addresses = new TreeSet<>();
            List<IpRange> ranges = new ArrayList<>();
            for (Peer peer : peers) {
                if (peer instanceof Peer.IpBlock b) {
                    ranges.addAll(b.ranges());
                } else if (peer instanceof Peer.Pods p) {
                    for (String ns : peerNamespaces(policyNamespace, p.namespaceSelector())) {
                        for (Pod pod : index.selectPods(ns, p.podSelector())) {
                            addresses.addAll(pod.ips());
                        }
                    }
                }
            }
            return new PeerSet(false, addresses, ranges);
        });
    }

    /** Drops the memoised peer set of a policy's rule (its pods changed); see {@link IncrementalCompiler}. */
    void forget(String policyNamespace, List<Peer> peers) {
        if (!peers.isEmpty()) {
            peerSets.remove(PeerKey.of(policyNamespace, peers));
        }
    }

    /** Drops every memoised peer set. */
    void forgetAll() {
        peerSets.clear();
    }

    private List<String> peerNamespaces(String policyNamespace, Optional<LabelSelector> selector) {
        if (selector.isEmpty()) {
            return List.of(policyNamespace);
        }
        return index.selectNamespaces(selector.get()).stream().map(Namespace::name).toList();
    }
}
