package dev.palisade.compiler;

import dev.palisade.model.Cidr;
import dev.palisade.model.Cluster;
import dev.palisade.model.ContainerPort;
import dev.palisade.model.IpAddress;
import dev.palisade.model.LabelSelector;
import dev.palisade.model.Namespace;
import dev.palisade.model.NetworkPolicy;
import dev.palisade.model.Node;
import dev.palisade.model.Peer;
import dev.palisade.model.Pod;
import dev.palisade.model.PortSpec;
import dev.palisade.model.Protocol;
import dev.palisade.model.Rule;

import java.util.List;
import java.util.Map;

/**
 * NetworkPolicy v1 semantics, point-wise and deliberately naive: one question about one flow,
 * answered by walking the snapshot with nothing precomputed. It shares no code with
 * {@link ClusterIndex} or {@link PolicyCompiler}, so the two can only agree by both being right.
 *
 * <ul>
 *   <li>A flow needs the source's egress and the destination's ingress. Only policy endpoints
 *       (pods that are not host-network, have an address and have not finished) are subject to
 *       policy and match pod selectors; anything else is a bare address.</li>
 *   <li>A pod is isolated in a direction when a policy of its namespace selects it and has that
 *       policy type; it then allows what any rule of any such policy allows.</li>
 *   <li>A rule allows a peer when its peer list is empty or one peer matches: a pod peer by
 *       namespace (its own, or the selected ones) and pod labels, an ipBlock by address, pod
 *       addresses included.</li>
 *   <li>A rule allows a port when its port list is empty or one entry matches the protocol and the
 *       port; a named port means the destination pod's container port of that name and protocol.</li>
 *   <li>Traffic between a pod and its own node (the node's addresses) is always allowed, both
 *       ways ("traffic to and from the node where a Pod is running is always allowed"), and a pod
 *       cannot block traffic to itself.</li>
 * </ul>
 */
public final class ReferenceEvaluator {

    /** One end of a flow: a pod speaking from one of its addresses, or a bare address. */
    public sealed interface Endpoint permits PodEndpoint, Address {
        IpAddress ip();
    }

    /** A pod, at one of its addresses. Host-network and finished pods count as bare addresses. */
    public record PodEndpoint(Pod pod, IpAddress ip) implements Endpoint {
        public PodEndpoint {
            if (!pod.ips().contains(ip)) {
                throw new IllegalArgumentException(ip + " is not an address of " + pod.key());
            }
        }

        @Override
        public String toString() {
            return pod.key() + "@" + ip;
        }
    }

    /** An address that belongs to no pod: a node, something outside the cluster. */
    public record Address(IpAddress ip) implements Endpoint {
        @Override
        public String toString() {
            return ip.toString();
        }
    }

    private ReferenceEvaluator() {
    }

    public static boolean allowed(Cluster c, Endpoint src, Endpoint dst, Protocol proto, int port) {
        Pod srcPod = policyEndpoint(src);
        Pod dstPod = policyEndpoint(dst);
        if (srcPod != null && srcPod.equals(dstPod)) {
            return true;
        }
        boolean egress = srcPod == null || ownNode(c, srcPod, dst.ip())
                || egressAllows(c, srcPod, dst.ip(), dstPod, proto, port);
        boolean ingress = dstPod == null || ownNode(c, dstPod, src.ip())
                || ingressAllows(c, dstPod, src.ip(), srcPod, proto, port);
        return egress && ingress;
    }

    static Pod policyEndpoint(Endpoint e) {
        if (e instanceof PodEndpoint pe) {
            Pod p = pe.pod();
            boolean finished = p.phase() == Pod.Phase.Succeeded || p.phase() == Pod.Phase.Failed;
            if (!p.hostNetwork() && !p.ips().isEmpty() && !finished) {
                return p;
            }
        }
        return null;
    }

    /** Whether the address is one of the pod's own node's addresses. */
    static boolean ownNode(Cluster c, Pod pod, IpAddress address) {
        for (Node n : c.nodes()) {
            if (n.name().equals(pod.nodeName()) && n.addresses().contains(address)) {
                return true;
            }
        }
        return false;
    }

    static boolean ingressAllows(Cluster c, Pod dst, IpAddress src, Pod srcPod, Protocol proto, int port) {
        boolean isolated = false;
        for (NetworkPolicy p : c.policies()) {
            if (!p.affectsIngress() || !selects(p, dst)) {
                continue;
            }
            isolated = true;
            for (Rule r : p.ingress()) {
                if (peerMatches(c, p.namespace(), r.peers(), src, srcPod) && portMatches(r.ports(), dst, proto, port)) {
                    return true;
                }
            }
        }
        return !isolated;
    }

    static boolean egressAllows(Cluster c, Pod src, IpAddress dst, Pod dstPod, Protocol proto, int port) {
        boolean isolated = false;
        for (NetworkPolicy p : c.policies()) {
            if (!p.affectsEgress() || !selects(p, src)) {
                continue;
            }
            isolated = true;
            for (Rule r : p.egress()) {
                if (peerMatches(c, p.namespace(), r.peers(), dst, dstPod) && portMatches(r.ports(), dstPod, proto, port)) {
                    return true;
                }
            }
        }
        return !isolated;
    }

    static boolean selects(NetworkPolicy p, Pod pod) {
        return p.namespace().equals(pod.namespace()) && matches(p.podSelector(), pod.labels());
    }

    /** {@code pod} is the policy endpoint at {@code address}, or null for a bare address. */
    static boolean peerMatches(Cluster c, String policyNamespace, List<Peer> peers, IpAddress address, Pod pod) {
        if (peers.isEmpty()) {
            return true;
        }
        for (Peer peer : peers) {
            if (peer instanceof Peer.IpBlock b) {
                if (inCidr(b.cidr(), address) && b.except().stream().noneMatch(e -> inCidr(e, address))) {
                    return true;
                }
            } else if (peer instanceof Peer.Pods sel && pod != null) {
                boolean namespaceOk = sel.namespaceSelector()
                        .map(ns -> matches(ns, namespaceLabels(c, pod.namespace())))
                        .orElse(pod.namespace().equals(policyNamespace));
                if (namespaceOk && matches(sel.podSelector(), pod.labels())) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Port entries match the destination port; a name needs the destination pod (null: not a pod). */
    static boolean portMatches(List<PortSpec> ports, Pod dst, Protocol proto, int port) {
        if (ports.isEmpty()) {
            return true;
        }
        for (PortSpec spec : ports) {
            if (spec.protocol() != proto) {
                continue;
            }
            if (spec instanceof PortSpec.AllPorts) {
                return true;
            }
            if (spec instanceof PortSpec.Numbered n && n.port() <= port && port <= n.endPort()) {
                return true;
            }
            if (spec instanceof PortSpec.Named n && dst != null) {
                for (ContainerPort cp : dst.ports()) {
                    if (n.name().equals(cp.name()) && cp.protocol() == proto && cp.port() == port) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    static Map<String, String> namespaceLabels(Cluster c, String name) {
        for (Namespace n : c.namespaces()) {
            if (n.name().equals(name)) {
                return n.labels();
            }
        }
        return Map.of(Namespace.NAME_LABEL, name);
    }

    /** Label selector matching, written out from the API definition rather than calling LabelSelector. */
    static boolean matches(LabelSelector s, Map<String, String> labels) {
        for (Map.Entry<String, String> e : s.matchLabels().entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        for (var r : s.matchExpressions()) {
            boolean has = labels.containsKey(r.key());
            boolean ok = switch (r.operator()) {
                case In -> has && r.values().contains(labels.get(r.key()));
                case NotIn -> !has || !r.values().contains(labels.get(r.key()));
                case Exists -> has;
                case DoesNotExist -> !has;
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Containment by comparing the masked bits, independent of Cidr's own range arithmetic. */
    static boolean inCidr(Cidr cidr, IpAddress a) {
        if (a.family() != cidr.family()) {
            return false;
        }
        int prefix = cidr.prefix();
        java.math.BigInteger x = bits(a);
        java.math.BigInteger n = bits(cidr.network());
        int width = a.family().bits();
        return x.shiftRight(width - prefix).equals(n.shiftRight(width - prefix));
    }

    private static java.math.BigInteger bits(IpAddress a) {
        return new java.math.BigInteger(Long.toUnsignedString(a.hi())).shiftLeft(64)
                .or(new java.math.BigInteger(Long.toUnsignedString(a.lo())));
    }
}
