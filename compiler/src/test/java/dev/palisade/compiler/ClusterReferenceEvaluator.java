package dev.palisade.compiler;

import dev.palisade.compiler.ReferenceEvaluator.Endpoint;
import dev.palisade.model.Cidr;
import dev.palisade.model.Cluster;
import dev.palisade.model.ClusterNetworkPolicy;
import dev.palisade.model.ClusterNetworkPolicy.Tier;
import dev.palisade.model.ClusterPeer;
import dev.palisade.model.ClusterRule;
import dev.palisade.model.ClusterRule.Action;
import dev.palisade.model.IpAddress;
import dev.palisade.model.NetworkPolicy;
import dev.palisade.model.Pod;
import dev.palisade.model.PortSpec;
import dev.palisade.model.Protocol;

import java.util.ArrayList;
import java.util.List;

/**
 * ClusterNetworkPolicy semantics for one packet, walked the slow way and written from the API's
 * documentation (sigs.k8s.io/network-policy-api v0.3.0, apis/v1beta1): no boxes, no memo, nothing shared
 * with {@link ClusterPolicyFold}. For each direction:
 * <ol>
 *   <li>the Admin tier: for priority 0, 1, ... 1000, every policy of that priority whose subject selects the
 *       pod gives its first rule (in written order) matching the peer, protocol and port; if any did, the
 *       strictest of those (Deny over Pass over Accept) is the tier's answer. Accept allows, Deny drops,
 *       Pass (or nothing) goes on;</li>
 *   <li>NetworkPolicy, as {@link ReferenceEvaluator} has it, when one isolates the pod in this direction:
 *       it decides;</li>
 *   <li>the Baseline tier, the same walk: Deny drops, anything else allows;</li>
 *   <li>otherwise allowed.</li>
 * </ol>
 * Traffic between a pod and its own node, and from a pod to itself, stays allowed (Palisade does not see it).
 */
public final class ClusterReferenceEvaluator {

    private ClusterReferenceEvaluator() {
    }

    public static boolean allowed(Cluster c, Endpoint src, Endpoint dst, Protocol proto, int port) {
        Pod srcPod = ReferenceEvaluator.policyEndpoint(src);
        Pod dstPod = ReferenceEvaluator.policyEndpoint(dst);
        if (srcPod != null && srcPod.equals(dstPod)) {
            return true;
        }
        boolean egress = srcPod == null || ReferenceEvaluator.ownNode(c, srcPod, dst.ip())
                || direction(c, false, srcPod, dst.ip(), dstPod, proto, port);
        boolean ingress = dstPod == null || ReferenceEvaluator.ownNode(c, dstPod, src.ip())
                || direction(c, true, dstPod, src.ip(), srcPod, proto, port);
        return egress && ingress;
    }

    /** The verdict of one direction for the pod {@code local}, talking with {@code peer} (a pod or null). */
    static boolean direction(Cluster c, boolean ingress, Pod local, IpAddress peer, Pod peerPod, Protocol proto, int port) {
        Action admin = tier(c, Tier.Admin, ingress, local, peer, peerPod, proto, port);
        if (admin == Action.Accept) {
            return true;
        }
        if (admin == Action.Deny) {
            return false;
        }
        boolean isolated = false;
        for (NetworkPolicy p : c.policies()) {
            if ((ingress ? p.affectsIngress() : p.affectsEgress()) && ReferenceEvaluator.selects(p, local)) {
                isolated = true;
            }
        }
        if (isolated) {
            return ingress ? ReferenceEvaluator.ingressAllows(c, local, peer, peerPod, proto, port)
                    : ReferenceEvaluator.egressAllows(c, local, peer, peerPod, proto, port);
        }
        return tier(c, Tier.Baseline, ingress, local, peer, peerPod, proto, port) != Action.Deny;
    }

    /** The action a tier takes on this packet, or null when no rule of it matches. */
    static Action tier(Cluster c, Tier tier, boolean ingress, Pod local, IpAddress peer, Pod peerPod, Protocol proto, int port) {
        for (int priority = ClusterNetworkPolicy.MIN_PRIORITY; priority <= ClusterNetworkPolicy.MAX_PRIORITY; priority++) {
            List<Action> matched = new ArrayList<>();
            for (ClusterNetworkPolicy p : c.clusterPolicies()) {
                if (p.tier() != tier || p.priority() != priority || !subjectSelects(c, p, local)) {
                    continue;
                }
                for (ClusterRule r : ingress ? p.ingress() : p.egress()) {
                    if (peerMatches(c, r, peer, peerPod) && portMatches(r, proto, port)) {
                        matched.add(r.action());
                        break;
                    }
                }
            }
            if (matched.contains(Action.Deny)) {
                return Action.Deny;
            }
            if (matched.contains(Action.Pass)) {
                return Action.Pass;
            }
            if (matched.contains(Action.Accept)) {
                return Action.Accept;
            }
        }
        return null;
    }

    static boolean subjectSelects(Cluster c, ClusterNetworkPolicy p, Pod pod) {
        return ReferenceEvaluator.matches(p.subject().namespaces(), ReferenceEvaluator.namespaceLabels(c, pod.namespace()))
                && ReferenceEvaluator.matches(p.subject().pods(), pod.labels());
    }

    static boolean peerMatches(Cluster c, ClusterRule r, IpAddress address, Pod pod) {
        for (ClusterPeer peer : r.peers()) {
            if (peer instanceof ClusterPeer.Networks n) {
                for (Cidr cidr : n.cidrs()) {
                    if (ReferenceEvaluator.inCidr(cidr, address)) {
                        return true;
                    }
                }
            } else if (peer instanceof ClusterPeer.Pods sel && pod != null
                    && ReferenceEvaluator.matches(sel.namespaces(), ReferenceEvaluator.namespaceLabels(c, pod.namespace()))
                    && ReferenceEvaluator.matches(sel.pods(), pod.labels())) {
                return true;
            }
        }
        return false;
    }

    static boolean portMatches(ClusterRule r, Protocol proto, int port) {
        if (r.ports().isEmpty()) {
            return true;
        }
        for (PortSpec s : r.ports()) {
            if (s.protocol() == proto && s instanceof PortSpec.Numbered n && n.port() <= port && port <= n.endPort()) {
                return true;
            }
        }
        return false;
    }
}
