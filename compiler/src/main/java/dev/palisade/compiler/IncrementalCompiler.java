package dev.palisade.compiler;

import dev.palisade.model.Cluster;
import dev.palisade.model.ClusterNetworkPolicy;
import dev.palisade.model.LabelSelector;
import dev.palisade.model.Namespace;
import dev.palisade.model.NetworkPolicy;
import dev.palisade.model.Node;
import dev.palisade.model.Peer;
import dev.palisade.model.Pod;
import dev.palisade.model.PortSpec;
import dev.palisade.model.Rule;
import dev.palisade.ruleset.NodeRuleSet;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Every Node object's rule set, kept current as objects change by recompiling only the nodes a
 * change can reach. After any sequence of updates the rule sets equal what {@link PolicyCompiler}
 * gives on a snapshot of the same state ({@code IncrementalCompilerPropertyTest}); what it saves is
 * the work on everything else. Deterministic and free of I/O, like the rest of the compiler; it
 * holds state, so one thread updates it at a time.
 *
 * <p>Which nodes a change reaches, and why:
 * <ul>
 *   <li>a pod: its old and its new node (local addresses, isolation, the grants installed for it);</li>
 *   <li>a pod as a peer: a rule's pod peer covering the pod's namespace whose pod selector matches
 *       the pod before or after gains, loses or changes it (unless it matched both times with the
 *       same addresses and ports): every node hosting a pod the rule's policy selects;</li>
 *   <li>a pod as a named-port destination: an egress rule with named ports resolves them against the
 *       pods its peers reach, also through ipBlocks or "any peer", so a pod whose addresses or ports
 *       changed reaches such rules whose peers may hold its address;</li>
 *   <li>a policy: the nodes hosting a pod its old or its new version selects;</li>
 *   <li>a namespace's labels: every pod peer whose namespace selector's verdict on them changed, as
 *       above, if the namespace has pods;</li>
 *   <li>a Node object: a new one gets a rule set, a deleted one loses it;</li>
 *   <li>a ClusterNetworkPolicy, and, while any exists (before or after the update), a pod or a namespace's
 *       labels: every node. Which nodes a pod reaches through a cluster policy's subjects and peers is not
 *       tracked (yet): this is correct and costs a full recompile of every node per such batch, which the
 *       sync loop's batching bounds; a cluster without ClusterNetworkPolicies pays nothing for it.</li>
 * </ul>
 * A policy's selected nodes are looked up once per update, after all of its changes: a node that
 * hosted a selected pod earlier in the update but not at its end is reached through that pod's own
 * change.
 */
public final class IncrementalCompiler {

    /**
     * What changed: each changed object's state now, by key (namespace and node name, "namespace/name"
     * of policies and pods), or an empty Optional when it is gone. Objects equal to what the compiler
     * holds are no change.
     */
    public record Delta(SortedMap<String, Optional<Namespace>> namespaces, SortedMap<String, Optional<Node>> nodes,
                        SortedMap<String, Optional<NetworkPolicy>> policies, SortedMap<String, Optional<Pod>> pods,
                        SortedMap<String, Optional<ClusterNetworkPolicy>> clusterPolicies) {

        public Delta {
            namespaces = Collections.unmodifiableSortedMap(new TreeMap<>(namespaces));
            nodes = Collections.unmodifiableSortedMap(new TreeMap<>(nodes));
            policies = Collections.unmodifiableSortedMap(new TreeMap<>(policies));
            pods = Collections.unmodifiableSortedMap(new TreeMap<>(pods));
            clusterPolicies = Collections.unmodifiableSortedMap(new TreeMap<>(clusterPolicies));
        }

        /** No ClusterNetworkPolicy changes. */
        public Delta(SortedMap<String, Optional<Namespace>> namespaces, SortedMap<String, Optional<Node>> nodes,
                     SortedMap<String, Optional<NetworkPolicy>> policies, SortedMap<String, Optional<Pod>> pods) {
            this(namespaces, nodes, policies, pods, new TreeMap<>());
        }

        public boolean isEmpty() {
            return namespaces.isEmpty() && nodes.isEmpty() && policies.isEmpty() && pods.isEmpty()
                    && clusterPolicies.isEmpty();
        }

        public int size() {
            return namespaces.size() + nodes.size() + policies.size() + pods.size() + clusterPolicies.size();
        }
    }

    /**
     * What an update did: the rule sets of the nodes it recompiled (some may equal what they were),
     * the nodes whose Node object is gone, and the policies it added, changed or removed.
     */
    public record Update(SortedMap<String, NodeRuleSet> recompiled, SortedSet<String> removed,
                         SortedSet<String> policiesChanged) {
        public Update {
            recompiled = Collections.unmodifiableSortedMap(new TreeMap<>(recompiled));
            removed = Collections.unmodifiableSortedSet(new TreeSet<>(removed));
            policiesChanged = Collections.unmodifiableSortedSet(new TreeSet<>(policiesChanged));
        }
    }

    /** A pod peer of some rule of a policy: the pod selector, and the namespace selector if any. */
    private record PeerRef(String policy, LabelSelector podSelector) {
    }

    private final ClusterIndex index;
    private final PolicyCompiler compiler;
    private final SortedMap<String, NodeRuleSet> ruleSets = new TreeMap<>();
    /** Pod peers without a namespace selector, by the policy's (so the peer's) namespace. */
    private final Map<String, List<PeerRef>> sameNamespacePeers = new HashMap<>();
    /** Pod peers with a namespace selector, by that selector (few distinct ones, shared by many policies). */
    private final Map<LabelSelector, List<PeerRef>> namespaceSelectedPeers = new HashMap<>();
    /** Policies with an egress rule that names a port, by key. */
    private final SortedMap<String, NetworkPolicy> namedEgress = new TreeMap<>();
    /** Those of them where such a rule reaches pods by address too ("any peer" or an ipBlock). */
    private final SortedMap<String, NetworkPolicy> namedEgressByAddress = new TreeMap<>();

    /** Compiles every Node object of the snapshot. */
    public IncrementalCompiler(Cluster cluster) {
        this.index = new ClusterIndex(cluster);
        this.compiler = new PolicyCompiler(index);
        for (NetworkPolicy p : cluster.policies()) {
            register(p);
        }
        compile(index.nodeNames());
    }

    /** The state compiled so far; read it only between updates. */
    public ClusterIndex index() {
        return index;
    }

    /** Every Node object's current rule set, by node name. */
    public SortedMap<String, NodeRuleSet> ruleSets() {
        return Collections.unmodifiableSortedMap(ruleSets);
    }

    public Update apply(Delta delta) {
        SortedSet<String> dirty = new TreeSet<>();
        SortedSet<String> removed = new TreeSet<>();
        SortedSet<String> affected = new TreeSet<>();
        SortedSet<String> policiesChanged = new TreeSet<>();
        /** (namespace, pod selector) of policy versions that came or went: their nodes at the end. */
        List<Map.Entry<String, LabelSelector>> selections = new ArrayList<>();

        boolean clusterPoliciesBefore = !index.clusterPolicies().isEmpty();
        // Whether a change can reach a ClusterNetworkPolicy's subjects or peers: not tracked per node (yet).
        boolean reachesClusterPolicies = false;
        for (Map.Entry<String, Optional<ClusterNetworkPolicy>> e : delta.clusterPolicies().entrySet()) {
            ClusterNetworkPolicy old = e.getValue().isPresent() ? index.putClusterPolicy(e.getValue().get())
                    : index.removeClusterPolicy(e.getKey());
            reachesClusterPolicies |= !Objects.equals(old, e.getValue().orElse(null));
        }
        for (Map.Entry<String, Optional<Namespace>> e : delta.namespaces().entrySet()) {
            Map<String, String> before = index.namespace(e.getKey()).map(Namespace::labels).orElse(null);
            namespace(e.getKey(), e.getValue().orElse(null), affected);
            reachesClusterPolicies |= !Objects.equals(before, index.namespace(e.getKey()).map(Namespace::labels).orElse(null));
        }
        delta.nodes().forEach((name, now) -> {
            if (now.isPresent()) {
                if (index.node(name).isEmpty()) {
                    dirty.add(name);
                }
                index.putNode(now.get());
            } else if (index.node(name).isPresent()) {
                index.removeNode(name);
                ruleSets.remove(name);
                removed.add(name);
            }
        });
        delta.policies().forEach((key, now) -> {
            String[] nsName = key.split("/", 2);
            NetworkPolicy old = now.isPresent() ? index.putPolicy(now.get()) : index.removePolicy(nsName[0], nsName[1]);
            if (Objects.equals(old, now.orElse(null))) {
                return;
            }
            policiesChanged.add(key);
            if (old != null) {
                unregister(old);
                selections.add(Map.entry(old.namespace(), old.podSelector()));
            }
            if (now.isPresent()) {
                register(now.get());
                selections.add(Map.entry(now.get().namespace(), now.get().podSelector()));
            }
        });
        for (Map.Entry<String, Optional<Pod>> e : delta.pods().entrySet()) {
            reachesClusterPolicies |= !Objects.equals(index.pod(e.getKey()).orElse(null), e.getValue().orElse(null));
            pod(e.getKey(), e.getValue().orElse(null), dirty, affected);
        }

        for (String key : affected) {
            policy(key).ifPresent(p -> selections.add(Map.entry(p.namespace(), p.podSelector())));
        }
        for (Map.Entry<String, LabelSelector> s : selections) {
            for (Pod p : index.selectPods(s.getKey(), s.getValue())) {
                if (p.nodeName() != null) {
                    dirty.add(p.nodeName());
                }
            }
        }
        if (reachesClusterPolicies && (clusterPoliciesBefore || !index.clusterPolicies().isEmpty())) {
            dirty.addAll(index.nodeNames());
        }
        dirty.retainAll(index.nodeNames());
        return new Update(compile(dirty), removed, policiesChanged);
    }

    private SortedMap<String, NodeRuleSet> compile(SortedSet<String> nodes) {
        SortedMap<String, NodeRuleSet> out = new TreeMap<>();
        nodes.parallelStream().map(compiler::compileNode).toList().forEach(rs -> out.put(rs.node(), rs));
        ruleSets.putAll(out);
        return out;
    }

    private void namespace(String name, Namespace now, SortedSet<String> affected) {
        Map<String, String> before = index.namespace(name).map(Namespace::labels).orElse(null);
        if (now != null) {
            index.putNamespace(now);
        } else {
            index.removeNamespace(name);
        }
        Map<String, String> after = index.namespace(name).map(Namespace::labels).orElse(null);
        if (Objects.equals(before, after) || !index.hasEndpoints(name)) {
            return;
        }
        namespaceSelectedPeers.forEach((selector, refs) -> {
            if (matches(selector, before) != matches(selector, after)) {
                refs.forEach(ref -> affect(ref.policy(), affected));
            }
        });
    }

    private void pod(String key, Pod now, SortedSet<String> dirty, SortedSet<String> affected) {
        Pod old = index.pod(key).orElse(null);
        if (Objects.equals(old, now)) {
            return;
        }
        Pod any = now != null ? now : old;
        Map<String, String> nsBefore = index.namespace(any.namespace()).map(Namespace::labels).orElse(null);
        boolean shared = sharesAddress(old);
        if (now != null) {
            index.putPod(now);
        } else {
            index.removePod(key);
        }
        shared |= sharesAddress(now);
        Map<String, String> nsAfter = index.namespace(any.namespace()).map(Namespace::labels).orElse(null);
        Pod before = endpoint(old);
        Pod after = endpoint(now);
        if (before != null && before.nodeName() != null) {
            dirty.add(before.nodeName());
        }
        if (after != null && after.nodeName() != null) {
            dirty.add(after.nodeName());
        }
        boolean sameAsPeer = before != null && after != null && before.ips().equals(after.ips())
                && before.ports().equals(after.ports());
        for (PeerRef ref : sameNamespacePeers.getOrDefault(any.namespace(), List.of())) {
            peerChange(ref, true, true, before, after, sameAsPeer, affected);
        }
        namespaceSelectedPeers.forEach((selector, refs) -> {
            boolean coveredBefore = matches(selector, nsBefore);
            boolean coveredAfter = matches(selector, nsAfter);
            if (coveredBefore || coveredAfter) {
                refs.forEach(ref -> peerChange(ref, coveredBefore, coveredAfter, before, after, sameAsPeer, affected));
            }
        });
        if (!sameAsPeer && (before != null || after != null)) {
            // An address two endpoints hold resolves named ports against the first: any such rule may change.
            for (NetworkPolicy p : (shared ? namedEgress : namedEgressByAddress).values()) {
                if (!affected.contains(p.key()) && (shared || reachesByAddress(p, before) || reachesByAddress(p, after))) {
                    affect(p.key(), affected);
                }
            }
        }
    }

    private void peerChange(PeerRef ref, boolean coveredBefore, boolean coveredAfter, Pod before, Pod after,
                            boolean sameAsPeer, SortedSet<String> affected) {
        boolean memberBefore = coveredBefore && before != null && ref.podSelector().matches(before.labels());
        boolean memberAfter = coveredAfter && after != null && ref.podSelector().matches(after.labels());
        if ((memberBefore || memberAfter) && !(memberBefore && memberAfter && sameAsPeer)) {
            affect(ref.policy(), affected);
        }
    }

    /** The policy's grants change: forget its memoised peer sets, recompile the nodes it selects. */
    private void affect(String policy, SortedSet<String> affected) {
        if (!affected.add(policy)) {
            return;
        }
        policy(policy).ifPresent(this::forgetPeerSets);
    }

    private void forgetPeerSets(NetworkPolicy p) {
        p.ingress().forEach(r -> compiler.forget(p.namespace(), r.peers()));
        p.egress().forEach(r -> compiler.forget(p.namespace(), r.peers()));
    }

    private Optional<NetworkPolicy> policy(String key) {
        String[] nsName = key.split("/", 2);
        return index.policy(nsName[0], nsName[1]);
    }

    /** Whether an egress rule with named ports may reach the pod through "any peer" or an ipBlock. */
    private static boolean reachesByAddress(NetworkPolicy policy, Pod pod) {
        if (pod == null) {
            return false;
        }
        for (Rule rule : policy.egress()) {
            if (!namesAPort(rule)) {
                continue;
            }
            if (rule.peers().isEmpty()) {
                return true;
            }
            for (Peer peer : rule.peers()) {
                if (peer instanceof Peer.IpBlock b && pod.ips().stream().anyMatch(ip -> b.cidr().contains(ip))) {
                    return true;
                }
            }
        }
        return false;
    }

    private boolean sharesAddress(Pod pod) {
        return pod != null && pod.isPolicyEndpoint() && pod.ips().stream().anyMatch(index::sharedAddress);
    }

    private static Pod endpoint(Pod pod) {
        return pod != null && pod.isPolicyEndpoint() ? pod : null;
    }

    private static boolean matches(LabelSelector selector, Map<String, String> labels) {
        return labels != null && selector.matches(labels);
    }

    private static boolean namesAPort(Rule rule) {
        return rule.ports().stream().anyMatch(p -> p instanceof PortSpec.Named);
    }

    private void register(NetworkPolicy policy) {
        forEachPodPeer(policy, (ref, nsSelector) -> {
            if (nsSelector.isPresent()) {
                namespaceSelectedPeers.computeIfAbsent(nsSelector.get(), k -> new ArrayList<>()).add(ref);
            } else {
                sameNamespacePeers.computeIfAbsent(policy.namespace(), k -> new ArrayList<>()).add(ref);
            }
        });
        if (policy.egress().stream().anyMatch(IncrementalCompiler::namesAPort)) {
            namedEgress.put(policy.key(), policy);
        }
        if (policy.egress().stream().anyMatch(r -> namesAPort(r)
                && (r.peers().isEmpty() || r.peers().stream().anyMatch(p -> p instanceof Peer.IpBlock)))) {
            namedEgressByAddress.put(policy.key(), policy);
        }
    }

    private void unregister(NetworkPolicy policy) {
        forEachPodPeer(policy, (ref, nsSelector) -> {
            Map<?, List<PeerRef>> map = nsSelector.isPresent() ? namespaceSelectedPeers : sameNamespacePeers;
            Object k = nsSelector.isPresent() ? nsSelector.get() : policy.namespace();
            List<PeerRef> refs = map.get(k);
            if (refs != null) {
                refs.remove(ref);
                if (refs.isEmpty()) {
                    map.remove(k);
                }
            }
        });
        namedEgress.remove(policy.key());
        namedEgressByAddress.remove(policy.key());
        // Memoised results only this policy may have asked for; others sharing them recompute.
        forgetPeerSets(policy);
        index.forgetSelection(policy.namespace(), policy.podSelector());
    }

    private interface PeerVisitor {
        void visit(PeerRef ref, Optional<LabelSelector> namespaceSelector);
    }

    private static void forEachPodPeer(NetworkPolicy policy, PeerVisitor visitor) {
        for (List<Rule> rules : List.of(policy.ingress(), policy.egress())) {
            for (Rule rule : rules) {
                for (Peer peer : rule.peers()) {
                    if (peer instanceof Peer.Pods pods) {
                        visitor.visit(new PeerRef(policy.key(), pods.podSelector()), pods.namespaceSelector());
                    }
                }
            }
        }
    }
}
