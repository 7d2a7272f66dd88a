package dev.palisade.compiler;

import dev.palisade.model.ClusterNetworkPolicy;
import dev.palisade.model.ClusterPeer;
import dev.palisade.model.ClusterRule;
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

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Decides one flow point-wise, for {@code palisade explain}: is a packet from a source to a
 * destination on a protocol and port allowed, and why. This is a second reading of the semantics in
 * {@link PolicyCompiler}'s javadoc, written from the API documentation against single endpoints
 * rather than by compiling sets, so that the two can be checked against each other.
 *
 * <ul>
 *   <li>A flow needs the source's egress and the destination's ingress. A pod is isolated in a
 *       direction when a policy of its namespace selects it and has that policy type; then the flow
 *       needs one rule, of any such policy, whose peers and ports match.</li>
 *   <li>Addresses that are not pods, host-network pods and finished pods are never isolated.</li>
 *   <li>Traffic from one of the destination pod's own node addresses is always allowed (kubelet probes).</li>
 *   <li>Pod peers: podSelector in the policy's namespace, or in the namespaces a namespaceSelector
 *       picks (both ANDed). ipBlock peers: the CIDR minus its exceptions, pod addresses included.</li>
 *   <li>Ports: none listed is every port and protocol; {@code endPort} makes a range; a named port
 *       resolves against the destination pod's container ports of the same protocol.</li>
 * </ul>
 *
 * <p>Pods in manifests often have no IP yet. They are explained by their labels, as if they had one;
 * only ipBlock peers, which need an address, cannot match them.
 */
public final class Explainer {

    private final ClusterIndex index;

    public Explainer(ClusterIndex index) {
        this.index = index;
    }

    /** One end of a flow: a pod (optionally pinned to one of its addresses), or an address that is no pod. */
    public sealed interface Endpoint {

        record PodEndpoint(Pod pod, Optional<IpAddress> address) implements Endpoint {
            public PodEndpoint {
                if (pod == null) {
                    throw new IllegalArgumentException("pod is required");
                }
                address = address == null ? Optional.empty() : address;
            }
        }

        record Address(IpAddress address) implements Endpoint {
            public Address {
                if (address == null) {
                    throw new IllegalArgumentException("address is required");
                }
            }
        }
    }

    /** A rule of a policy, as messages name it: "ns/policy ingress[0]". */
    public record RuleRef(String policy, String direction, int index) {
        @Override
        public String toString() {
            return policy + " " + direction + "[" + index + "]";
        }
    }

    /** How one rule of an isolating policy fared against the flow. */
    public record RuleCheck(RuleRef rule, boolean peerMatches, boolean portMatches) {
        public boolean allows() {
            return peerMatches && portMatches;
        }

        @Override
        public String toString() {
            if (allows()) {
                return rule + ": allows";
            }
            if (!peerMatches && !portMatches) {
                return rule + ": neither peer nor port matches";
            }
            return rule + ": " + (peerMatches ? "port does not match" : "peer does not match");
        }
    }

    /**
     * The verdict of one direction at one endpoint: whether it lets the flow through, whether the
     * endpoint is isolated in that direction and by which policies, each rule checked, and a sentence.
     */
    public record Verdict(String direction, String endpoint, boolean allowed, boolean isolated,
                          List<String> isolatedBy, List<RuleCheck> rules, String summary) {
        public Verdict {
            isolatedBy = List.copyOf(isolatedBy);
            rules = List.copyOf(rules);
        }

        public List<RuleRef> allowedBy() {
            return rules.stream().filter(RuleCheck::allows).map(RuleCheck::rule).toList();
        }
    }

    /**
     * The answer: allowed when both the source's egress and the destination's ingress let it through.
     * The addresses are the ones the flow was judged with (empty for a pod without one).
     */
    public record Explanation(boolean allowed, String flow, Optional<IpAddress> sourceAddress,
                              Optional<IpAddress> destinationAddress, Verdict egress, Verdict ingress) {

        /** Human-readable lines: "allowed" or "denied" first, then the flow and the reasons. */
        public List<String> lines() {
            List<String> out = new ArrayList<>();
            out.add(allowed ? "allowed" : "denied");
            out.add("flow: " + flow);
            for (Verdict v : List.of(egress, ingress)) {
                out.add(v.direction() + " of " + v.endpoint() + ": " + v.summary());
                for (String policy : v.isolatedBy()) {
                    List<RuleCheck> checks = v.rules().stream().filter(r -> r.rule().policy().equals(policy)).toList();
                    if (checks.isEmpty()) {
                        out.add("  " + policy + " isolates it and has no " + v.direction() + " rules");
                    }
                    checks.forEach(r -> out.add("  " + r));
                }
            }
            return out;
        }
    }

    // ------------------------------------------------------------------------------- endpoints

    /** Any pod of the snapshot by namespace and name, policy endpoint or not. */
    public Optional<Endpoint> pod(String namespace, String name) {
        return index.cluster().pods().stream()
                .filter(p -> p.namespace().equals(namespace) && p.name().equals(name))
                .findFirst()
                .map(p -> new Endpoint.PodEndpoint(p, Optional.empty()));
    }

    /** An address: the pod that owns it when one does (an address of a pod is that pod), else a plain address. */
    public Endpoint address(IpAddress address) {
        return index.endpointByIp(address)
                .<Endpoint>map(p -> new Endpoint.PodEndpoint(p, Optional.of(address)))
                .orElseGet(() -> new Endpoint.Address(address));
    }

    // ------------------------------------------------------------------------------- the flow

    public Explanation explain(Endpoint from, Endpoint to, Protocol protocol, int port) {
        if (protocol == null) {
            throw new IllegalArgumentException("protocol is required");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " out of range 1-65535");
        }
        IpAddress[] pair = addresses(from, to);
        Flow flow = new Flow(from, pair[0], to, pair[1], protocol, port);
        Verdict egress = egress(flow);
        Verdict ingress = ingress(flow);
        String text = describe(from, pair[0]) + " -> " + describe(to, pair[1]) + " " + protocol.lower() + "/" + port;
        return new Explanation(egress.allowed() && ingress.allowed(), text, Optional.ofNullable(pair[0]),
                Optional.ofNullable(pair[1]), egress, ingress);
    }

    /** A flow with the concrete source and destination addresses chosen (null when a pod has none). */
    private record Flow(Endpoint from, IpAddress src, Endpoint to, IpAddress dst, Protocol protocol, int port) {
    }

    private Verdict egress(Flow flow) {
        String who = describe(flow.from(), flow.src());
        Optional<String> notApplicable = notPolicyPod(flow.from());
        if (notApplicable.isPresent()) {
            return open("egress", who, notApplicable.get() + ": egress is not restricted");
        }
        Pod pod = ((Endpoint.PodEndpoint) flow.from()).pod();
        Optional<String> toNode = ownNode(flow.to(), flow.dst(), pod);
        if (toNode.isPresent()) {
            return open("egress", who, "traffic to the pod's own node " + toNode.get() + " is always allowed");
        }
        return decide("egress", who, pod, flow, NetworkPolicy::affectsEgress, NetworkPolicy::egress,
                flow.to(), flow.dst());
    }

    private Verdict ingress(Flow flow) {
        String who = describe(flow.to(), flow.dst());
        Optional<String> notApplicable = notPolicyPod(flow.to());
        if (notApplicable.isPresent()) {
            return open("ingress", who, notApplicable.get() + ": ingress is not restricted");
        }
        Pod pod = ((Endpoint.PodEndpoint) flow.to()).pod();
        Optional<String> fromNode = ownNode(flow.from(), flow.src(), pod);
        if (fromNode.isPresent()) {
            return open("ingress", who, "traffic from the pod's own node " + fromNode.get()
                    + " is always allowed (kubelet probes)");
        }
        return decide("ingress", who, pod, flow, NetworkPolicy::affectsIngress, NetworkPolicy::ingress,
                flow.from(), flow.src());
    }

    /**
     * The common part of both directions: find the policies isolating {@code pod} in the direction,
     * then check each of their rules against the far end ({@code peer} at {@code peerAddress}).
     */
    private Verdict decide(String direction, String who, Pod pod, Flow flow,
                           java.util.function.Predicate<NetworkPolicy> hasType,
                           java.util.function.Function<NetworkPolicy, List<Rule>> rulesOf,
                           Endpoint peer, IpAddress peerAddress) {
        boolean ingress = direction.equals("ingress");
        Optional<TierMatch> admin = tier(ClusterNetworkPolicy.Tier.Admin, ingress, pod, flow, peer, peerAddress);
        String passed = "";
        if (admin.isPresent() && admin.get().action() != ClusterRule.Action.Pass) {
            boolean accepted = admin.get().action() == ClusterRule.Action.Accept;
            return new Verdict(direction, who, accepted, false, List.of(), List.of(),
                    (accepted ? "accepted by " : "denied by ") + admin.get().describe(direction));
        }
        if (admin.isPresent()) {
            passed = "passed by " + admin.get().describe(direction) + " to NetworkPolicy; ";
        }
        List<String> isolatedBy = new ArrayList<>();
        List<RuleCheck> checks = new ArrayList<>();
        for (NetworkPolicy policy : index.policiesInNamespace(pod.namespace())) {
            if (!hasType.test(policy) || !policy.podSelector().matches(pod.labels())) {
                continue;
            }
            isolatedBy.add(policy.key());
            List<Rule> rules = rulesOf.apply(policy);
            for (int i = 0; i < rules.size(); i++) {
                Rule rule = rules.get(i);
                boolean peerOk = peerMatches(policy.namespace(), rule.peers(), peer, peerAddress);
                boolean portOk = portMatches(rule.ports(), flow.to(), flow.protocol(), flow.port());
                checks.add(new RuleCheck(new RuleRef(policy.key(), direction, i), peerOk, portOk));
            }
        }
        if (isolatedBy.isEmpty()) {
            String notIsolated = "not isolated: no policy selects it with policyType "
                    + (direction.equals("egress") ? "Egress" : "Ingress");
            Optional<TierMatch> baseline = tier(ClusterNetworkPolicy.Tier.Baseline, ingress, pod, flow, peer, peerAddress);
            if (baseline.isPresent()) {
                boolean denied = baseline.get().action() == ClusterRule.Action.Deny;
                String verb = switch (baseline.get().action()) {
                    case Accept -> "accepted by ";
                    case Deny -> "denied by ";
                    case Pass -> "passed to the default allow by ";
                };
                return new Verdict(direction, who, !denied, false, List.of(), List.of(),
                        passed + notIsolated + "; " + verb + baseline.get().describe(direction));
            }
            return open(direction, who, passed + notIsolated);
        }
        List<RuleRef> allowing = checks.stream().filter(RuleCheck::allows).map(RuleCheck::rule).toList();
        String summary = allowing.isEmpty()
                ? "isolated, and no " + direction + " rule allows the flow"
                : "allowed by " + String.join(", ", allowing.stream().map(RuleRef::toString).toList());
        return new Verdict(direction, who, !allowing.isEmpty(), true, isolatedBy, checks, passed + summary);
    }

    // ------------------------------------------------------------------- ClusterNetworkPolicy tiers

    /** The rule of a ClusterNetworkPolicy that decided a tier for the flow. */
    private record TierMatch(ClusterNetworkPolicy policy, int index, ClusterRule rule) {
        ClusterRule.Action action() {
            return rule.action();
        }

        String describe(String direction) {
            return "ClusterNetworkPolicy " + policy.name() + " (" + policy.tier() + " tier, priority " + policy.priority()
                    + ") " + direction + "[" + index + "]" + (rule.name().isEmpty() ? "" : " \"" + rule.name() + "\"");
        }
    }

    /**
     * The deciding rule of a tier: at the lowest priority where some policy selecting the pod has a matching rule,
     * each such policy's first matching rule, and of those the strictest (Deny, then Pass, then Accept); see
     * docs/design/cluster-network-policy.md, "Equal priorities".
     */
    private Optional<TierMatch> tier(ClusterNetworkPolicy.Tier tier, boolean ingress, Pod pod, Flow flow,
                                     Endpoint peer, IpAddress peerAddress) {
        TierMatch best = null;
        for (ClusterNetworkPolicy p : index.clusterPolicies()) { // tier, priority, name order
            if (p.tier() != tier || (best != null && p.priority() != best.policy().priority())) {
                if (best != null) {
                    break;
                }
                continue;
            }
            if (!p.subject().namespaces().matches(namespaceLabels(pod.namespace())) || !p.subject().pods().matches(pod.labels())) {
                continue;
            }
            List<ClusterRule> rules = p.rules(ingress);
            for (int i = 0; i < rules.size(); i++) {
                ClusterRule r = rules.get(i);
                if (clusterPeerMatches(r, peer, peerAddress) && portMatches(r.ports(), flow.to(), flow.protocol(), flow.port())) {
                    if (best == null || strictness(r.action()) > strictness(best.action())) {
                        best = new TierMatch(p, i, r);
                    }
                    break;
                }
            }
        }
        return Optional.ofNullable(best);
    }

    private static int strictness(ClusterRule.Action a) {
        return switch (a) {
            case Accept -> 0;
            case Pass -> 1;
            case Deny -> 2;
        };
    }

    private boolean clusterPeerMatches(ClusterRule rule, Endpoint far, IpAddress farAddress) {
        for (ClusterPeer peer : rule.peers()) {
            if (peer instanceof ClusterPeer.Networks n) {
                if (farAddress != null && n.cidrs().stream().anyMatch(c -> c.contains(farAddress))) {
                    return true;
                }
            } else if (peer instanceof ClusterPeer.Pods sel && far instanceof Endpoint.PodEndpoint p
                    && notPolicyPod(far).isEmpty()
                    && sel.namespaces().matches(namespaceLabels(p.pod().namespace())) && sel.pods().matches(p.pod().labels())) {
                return true;
            }
        }
        return false;
    }

    private Map<String, String> namespaceLabels(String namespace) {
        return index.namespace(namespace).map(Namespace::labels)
                .orElseGet(() -> new Namespace(namespace, Map.of()).labels());
    }

    private static Verdict open(String direction, String who, String summary) {
        return new Verdict(direction, who, true, false, List.of(), List.of(), summary);
    }

    /** Why policy does not apply to an endpoint, if it does not. */
    private Optional<String> notPolicyPod(Endpoint e) {
        if (e instanceof Endpoint.Address a) {
            return Optional.of(index.cluster().nodes().stream().filter(n -> n.addresses().contains(a.address()))
                    .findFirst().map(n -> "not a pod (an address of node " + n.name() + ")").orElse("not a pod"));
        }
        Pod pod = ((Endpoint.PodEndpoint) e).pod();
        if (pod.hostNetwork()) {
            return Optional.of("host-network pod");
        }
        if (pod.phase() == Pod.Phase.Succeeded || pod.phase() == Pod.Phase.Failed) {
            return Optional.of("finished pod (" + pod.phase() + ")");
        }
        return Optional.empty();
    }

    /**
     * The pod's node, named with the address, when the far end of the flow ({@code other} at
     * {@code address}) is that node: Kubernetes always allows traffic between a pod and its node.
     */
    private Optional<String> ownNode(Endpoint other, IpAddress address, Pod pod) {
        if (pod.nodeName() == null) {
            return Optional.empty();
        }
        Optional<Node> node = index.node(pod.nodeName());
        if (address != null && node.isPresent() && node.get().addresses().contains(address)) {
            return Optional.of(node.get().name() + " (" + address + ")");
        }
        // A host-network pod on the same node speaks with the node's addresses, listed in the manifests or not.
        if (other instanceof Endpoint.PodEndpoint p && p.pod().hostNetwork() && pod.nodeName().equals(p.pod().nodeName())) {
            return Optional.of(pod.nodeName());
        }
        return Optional.empty();
    }

    // ------------------------------------------------------------------------------- matching

    /** Whether any of a rule's peers matches the far end; no peers means every peer. */
    private boolean peerMatches(String policyNamespace, List<Peer> peers, Endpoint far, IpAddress farAddress) {
        if (peers.isEmpty()) {
            return true;
        }
        for (Peer peer : peers) {
            if (peer instanceof Peer.IpBlock block) {
                if (farAddress != null && block.cidr().contains(farAddress)
                        && block.except().stream().noneMatch(e -> e.contains(farAddress))) {
                    return true;
                }
            } else if (peer instanceof Peer.Pods pods) {
                if (podPeerMatches(policyNamespace, pods, far)) {
                    return true;
                }
            }
        }
        return false;
    }

    private boolean podPeerMatches(String policyNamespace, Peer.Pods peer, Endpoint far) {
        if (!(far instanceof Endpoint.PodEndpoint p) || notPolicyPod(far).isPresent()) {
            return false;
        }
        Pod pod = p.pod();
        boolean namespaceOk;
        if (peer.namespaceSelector().isEmpty()) {
            namespaceOk = pod.namespace().equals(policyNamespace);
        } else {
            Map<String, String> labels = index.namespace(pod.namespace()).map(Namespace::labels)
                    .orElseGet(() -> new Namespace(pod.namespace(), Map.of()).labels());
            namespaceOk = peer.namespaceSelector().get().matches(labels);
        }
        LabelSelector podSelector = peer.podSelector();
        return namespaceOk && podSelector.matches(pod.labels());
    }

    /** Whether a rule's ports admit the flow; named ports resolve against the destination pod. */
    private static boolean portMatches(List<PortSpec> ports, Endpoint destination, Protocol protocol, int port) {
        if (ports.isEmpty()) {
            return true;
        }
        for (PortSpec spec : ports) {
            if (spec.protocol() != protocol) {
                continue;
            }
            if (spec instanceof PortSpec.AllPorts) {
                return true;
            }
            if (spec instanceof PortSpec.Numbered n && n.port() <= port && port <= n.endPort()) {
                return true;
            }
            if (spec instanceof PortSpec.Named named && destination instanceof Endpoint.PodEndpoint p) {
                for (ContainerPort cp : p.pod().ports()) {
                    if (named.name().equals(cp.name()) && cp.protocol() == protocol && cp.port() == port) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    // ------------------------------------------------------------------------------- addresses

    /**
     * The concrete addresses of the flow. A pod named without an address uses its address of the
     * family the other end has (IPv4 first when both are dual-stack); null when it has none.
     */
    private static IpAddress[] addresses(Endpoint from, Endpoint to) {
        List<IpAddress> src = candidates(from);
        List<IpAddress> dst = candidates(to);
        for (IpAddress.Family family : IpAddress.Family.values()) {
            Optional<IpAddress> s = src.stream().filter(a -> a.family() == family).findFirst();
            Optional<IpAddress> d = dst.stream().filter(a -> a.family() == family).findFirst();
            if (s.isPresent() && d.isPresent()) {
                return new IpAddress[] {s.get(), d.get()};
            }
        }
        // No common family (or an end without addresses): take what each end has.
        return new IpAddress[] {src.isEmpty() ? null : src.get(0), dst.isEmpty() ? null : dst.get(0)};
    }

    private static List<IpAddress> candidates(Endpoint e) {
        if (e instanceof Endpoint.Address a) {
            return List.of(a.address());
        }
        Endpoint.PodEndpoint p = (Endpoint.PodEndpoint) e;
        return p.address().map(List::of).orElse(p.pod().ips());
    }

    private static String describe(Endpoint e, IpAddress chosen) {
        if (e instanceof Endpoint.PodEndpoint p) {
            return p.pod().key() + (chosen == null ? " (no IP)" : " (" + chosen + ")");
        }
        return chosen.toString();
    }
}
