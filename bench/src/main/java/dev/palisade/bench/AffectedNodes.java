package dev.palisade.bench;

import dev.palisade.compiler.ClusterIndex;
import dev.palisade.model.LabelSelector;
import dev.palisade.model.Namespace;
import dev.palisade.model.NetworkPolicy;
import dev.palisade.model.Peer;
import dev.palisade.model.Pod;
import dev.palisade.model.Rule;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Which nodes' rule sets can change when one pod's labels change, and nothing else does.
 *
 * <p>A pod's labels reach rule sets in two ways. Through the podSelectors of the policies of its
 * own namespace: its isolation and the grants installed for it, on its own node only. And as a
 * peer: a rule's pod peer whose namespace selector (or, without one, the policy's namespace)
 * covers the pod's namespace and whose pod selector matches exactly one of the old and the new
 * labels gains or loses the pod, which changes that rule's grants on every node hosting a pod the
 * policy selects. A selector matching both or neither leaves the peer set as it was. Named ports
 * follow container ports and ipBlocks follow addresses, which a label change leaves alone.
 *
 * <p>The reverse index from peers to policies depends on policies only, so it is built once and
 * stays valid while only pods change; a policy change would rebuild it.
 */
final class AffectedNodes {

    private record PeerRef(NetworkPolicy policy, LabelSelector podSelector) {
    }

    /** Peers without a namespace selector, by the policy's (and so the peer's) namespace. */
    private final Map<String, List<PeerRef>> sameNamespace = new HashMap<>();
    /** Peers with a namespace selector, grouped by that selector (few distinct ones are shared by many policies). */
    private final Map<LabelSelector, List<PeerRef>> byNamespaceSelector = new HashMap<>();

    AffectedNodes(List<NetworkPolicy> policies) {
        for (NetworkPolicy policy : policies) {
            for (List<Rule> rules : List.of(policy.ingress(), policy.egress())) {
                for (Rule rule : rules) {
                    for (Peer peer : rule.peers()) {
                        if (peer instanceof Peer.Pods pods) {
                            PeerRef ref = new PeerRef(policy, pods.podSelector());
                            if (pods.namespaceSelector().isPresent()) {
                                byNamespaceSelector.computeIfAbsent(pods.namespaceSelector().get(), k -> new ArrayList<>()).add(ref);
                            } else {
                                sameNamespace.computeIfAbsent(policy.namespace(), k -> new ArrayList<>()).add(ref);
                            }
                        }
                    }
                }
            }
        }
    }

    int distinctNamespaceSelectors() {
        return byNamespaceSelector.size();
    }

    /** The nodes to recompute after {@code before} became {@code after} (same pod, same node, new labels). */
    SortedSet<String> of(ClusterIndex index, Pod before, Pod after) {
        SortedSet<String> nodes = new TreeSet<>();
        addNode(nodes, before);
        addNode(nodes, after);
        Namespace ns = index.namespace(after.namespace()).orElseThrow();
        List<PeerRef> candidates = new ArrayList<>(sameNamespace.getOrDefault(ns.name(), List.of()));
        byNamespaceSelector.forEach((selector, refs) -> {
            if (selector.matches(ns.labels())) {
                candidates.addAll(refs);
            }
        });
        List<NetworkPolicy> policies = new ArrayList<>();
        for (PeerRef ref : candidates) {
            // Namespace labels did not change, so the pod's membership in this peer changes exactly
            // when the pod selector's verdict does; when it holds for both, the peer set is unchanged.
            if (ref.podSelector().matches(before.labels()) != ref.podSelector().matches(after.labels())) {
                policies.add(ref.policy());
            }
        }
        for (NetworkPolicy policy : policies) {
            for (Pod selected : index.selectPods(policy.namespace(), policy.podSelector())) {
                addNode(nodes, selected);
            }
        }
        return nodes;
    }

    private static void addNode(SortedSet<String> nodes, Pod pod) {
        if (pod.nodeName() != null && pod.isPolicyEndpoint()) {
            nodes.add(pod.nodeName());
        }
    }
}
