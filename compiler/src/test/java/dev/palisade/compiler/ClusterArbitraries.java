package dev.palisade.compiler;

import dev.palisade.compiler.ReferenceEvaluator.Address;
import dev.palisade.compiler.ReferenceEvaluator.Endpoint;
import dev.palisade.compiler.ReferenceEvaluator.PodEndpoint;
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
import dev.palisade.model.Requirement;
import dev.palisade.model.Rule;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * jqwik generators of small, dense clusters: few nodes, namespaces and pods, a small label
 * vocabulary and a small set of ports, so that selectors, ipBlocks and named ports match often and
 * every corner of the semantics is hit within a few hundred tries. Everything is built from
 * indices and small choices, so jqwik shrinks a failure to a handful of pods and one policy.
 *
 * <p>Addressing: node {@code i} is 192.168.0.(i+1) and fd00:192::(i+1) with pod CIDRs
 * 10.0.i.0/24 and fd00:10:0:i::/64; pod {@code j} on node {@code i} gets 10.0.i.(10+j) and/or
 * fd00:10:0:i::(10+j); host-network pods carry their node's addresses.
 */
public final class ClusterArbitraries {

    public static final List<String> NAMESPACE_NAMES = List.of("alpha", "beta", "gamma");
    /** Destination ports of generated flows: the ports policies name, and their neighbours. */
    public static final List<Integer> FLOW_PORTS = List.of(1, 53, 79, 80, 81, 82, 3306, 8080, 31999, 32000, 32767,
            32768, 32770, 32771, 65535);
    /** Addresses that belong to no pod or node: inside the pod CIDRs, next to them, and far away. */
    public static final List<IpAddress> EXTERNAL_ADDRESSES = Stream.of("10.0.0.200", "10.0.1.5", "10.0.9.1",
            "8.8.8.8", "192.168.0.99", "fd00:10::c8", "fd00:10:0:1::5", "2001:db8::1").map(IpAddress::parse).toList();

    enum PodKind { V4, DUAL_STACK, V6, HOST_NETWORK, NO_IP, PENDING_WITH_IP, SUCCEEDED, FAILED }

    enum PolicyTypes { DEFAULTED, INGRESS, EGRESS, INGRESS_AND_EGRESS }

    record PodSpec(int namespace, int node, Map<String, String> labels, PodKind kind, List<ContainerPort> ports) {
    }

    record PolicySpec(int namespace, LabelSelector podSelector, PolicyTypes types, List<Rule> ingress,
                      List<Rule> egress) {
    }

    /** Which kinds of endpoint a flow joins; pod to pod is the common case, so it is drawn most. */
    enum FlowKind { POD_TO_POD, POD_TO_OTHER, OTHER_TO_POD, ANY_TO_ANY }

    /** {@code declared}: use the destination pod's declared port number {@code declared - 1}, if it has one. */
    record FlowSpec(FlowKind kind, int src, int dst, int declared, Protocol protocol, int port) {
    }

    private ClusterArbitraries() {
    }

    // ---------------------------------------------------------------- clusters

    public static Arbitrary<Cluster> clusters() {
        Arbitrary<Integer> nodeCount = Arbitraries.integers().between(2, 3);
        Arbitrary<List<Map<String, String>>> namespaceLabels = namespaceLabels().list().ofMinSize(2).ofMaxSize(3);
        Arbitrary<Boolean> listEveryNamespace = Arbitraries.of(true, true, true, false);
        Arbitrary<List<PodSpec>> pods = podSpecs().list().ofMinSize(3).ofMaxSize(8);
        Arbitrary<List<PolicySpec>> policies = policySpecs().list().ofMinSize(1).ofMaxSize(5);
        return Combinators.combine(nodeCount, namespaceLabels, listEveryNamespace, pods, policies)
                .as(ClusterArbitraries::build);
    }

    public static Arbitrary<Scenario> scenarios(int maxFlows) {
        Arbitrary<FlowKind> kind = Arbitraries.frequency(Tuple.of(6, FlowKind.POD_TO_POD),
                Tuple.of(2, FlowKind.POD_TO_OTHER), Tuple.of(2, FlowKind.OTHER_TO_POD), Tuple.of(1, FlowKind.ANY_TO_ANY));
        Arbitrary<FlowSpec> flow = Combinators.combine(
                kind,
                Arbitraries.integers().between(0, 1000),
                Arbitraries.integers().between(0, 1000),
                Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(0)), Tuple.of(1, Arbitraries.integers().between(1, 4))),
                protocols(),
                Arbitraries.of(FLOW_PORTS)).as(FlowSpec::new);
        return Combinators.combine(clusters(), flow.list().ofMinSize(1).ofMaxSize(maxFlows))
                .as((c, specs) -> new Scenario(c, specs.stream().map(s -> resolve(c, s)).toList()));
    }

    static Cluster build(int nodeCount, List<Map<String, String>> nsLabels, boolean listEveryNamespace,
                         List<PodSpec> podSpecs, List<PolicySpec> policySpecs) {
        List<Namespace> namespaces = new ArrayList<>();
        for (int i = 0; i < nsLabels.size(); i++) {
            // Sometimes the last namespace is missing from the snapshot (only its pods are known).
            if (listEveryNamespace || i < nsLabels.size() - 1) {
                namespaces.add(new Namespace(NAMESPACE_NAMES.get(i), nsLabels.get(i)));
            }
        }
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < nodeCount; i++) {
            nodes.add(new Node("node-" + i, Map.of(), nodeAddresses(i),
                    List.of(Cidr.parse("10.0." + i + ".0/24"), Cidr.parse("fd00:10:0:" + i + "::/64"))));
        }
        List<Pod> pods = new ArrayList<>();
        for (int j = 0; j < podSpecs.size(); j++) {
            PodSpec s = podSpecs.get(j);
            int node = s.node() % nodeCount;
            IpAddress v4 = IpAddress.parse("10.0." + node + "." + (10 + j));
            IpAddress v6 = IpAddress.parse("fd00:10:0:" + node + "::" + Integer.toHexString(10 + j));
            List<IpAddress> ips = switch (s.kind()) {
                case V4, PENDING_WITH_IP, SUCCEEDED -> List.of(v4);
                case DUAL_STACK, FAILED -> List.of(v4, v6);
                case V6 -> List.of(v6);
                case HOST_NETWORK -> nodeAddresses(node);
                case NO_IP -> List.of();
            };
            Pod.Phase phase = switch (s.kind()) {
                case NO_IP, PENDING_WITH_IP -> Pod.Phase.Pending;
                case SUCCEEDED -> Pod.Phase.Succeeded;
                case FAILED -> Pod.Phase.Failed;
                default -> Pod.Phase.Running;
            };
            pods.add(new Pod(NAMESPACE_NAMES.get(s.namespace() % nsLabels.size()), "pod-" + j, "node-" + node,
                    s.labels(), ips, s.kind() == PodKind.HOST_NETWORK, phase, s.ports()));
        }
        List<NetworkPolicy> policies = new ArrayList<>();
        for (int k = 0; k < policySpecs.size(); k++) {
            PolicySpec s = policySpecs.get(k);
            boolean in = s.types() != PolicyTypes.EGRESS;
            boolean eg = switch (s.types()) {
                case DEFAULTED -> !s.egress().isEmpty();
                case INGRESS -> false;
                case EGRESS, INGRESS_AND_EGRESS -> true;
            };
            policies.add(new NetworkPolicy(NAMESPACE_NAMES.get(s.namespace() % nsLabels.size()), "pol-" + k,
                    s.podSelector(), in, eg, s.ingress(), s.egress()));
        }
        return new Cluster(namespaces, nodes, pods, policies);
    }

    static List<IpAddress> nodeAddresses(int i) {
        return List.of(IpAddress.parse("192.168.0." + (i + 1)), IpAddress.parse("fd00:192::" + (i + 1)));
    }

    // ---------------------------------------------------------------- flows

    /** Every address a flow can start or end at: pods (of every kind), nodes, and external addresses. */
    public static List<Endpoint> endpoints(Cluster c) {
        List<Endpoint> out = new ArrayList<>();
        for (Pod p : c.pods()) {
            p.ips().forEach(ip -> out.add(new PodEndpoint(p, ip)));
        }
        for (Node n : c.nodes()) {
            n.addresses().forEach(ip -> out.add(new Address(ip)));
        }
        EXTERNAL_ADDRESSES.forEach(ip -> out.add(new Address(ip)));
        return out;
    }

    static Flow resolve(Cluster c, FlowSpec s) {
        List<Endpoint> all = endpoints(c);
        List<Endpoint> pods = all.stream().filter(e -> e instanceof PodEndpoint).toList();
        List<Endpoint> others = all.stream().filter(e -> !(e instanceof PodEndpoint)).toList();
        boolean podSource = s.kind() == FlowKind.POD_TO_POD || s.kind() == FlowKind.POD_TO_OTHER;
        boolean podDestination = s.kind() == FlowKind.POD_TO_POD || s.kind() == FlowKind.OTHER_TO_POD;
        List<Endpoint> sources = s.kind() == FlowKind.ANY_TO_ANY || pods.isEmpty() ? all : podSource ? pods : others;
        Endpoint src = sources.get(s.src() % sources.size());
        List<Endpoint> candidates = s.kind() == FlowKind.ANY_TO_ANY ? all : podDestination ? pods : others;
        List<Endpoint> sameFamily = candidates.stream().filter(e -> e.ip().family() == src.ip().family()).toList();
        if (sameFamily.isEmpty()) {
            sameFamily = all.stream().filter(e -> e.ip().family() == src.ip().family()).toList();
        }
        Endpoint dst = sameFamily.get(s.dst() % sameFamily.size());
        // Half the flows aim at a port the destination declares, so that named ports get exercised.
        if (s.declared() > 0 && dst instanceof PodEndpoint pe && !pe.pod().ports().isEmpty()) {
            ContainerPort cp = pe.pod().ports().get((s.declared() - 1) % pe.pod().ports().size());
            return new Flow(src, dst, cp.protocol(), cp.port());
        }
        return new Flow(src, dst, s.protocol(), s.port());
    }

    // ---------------------------------------------------------------- pods

    static Arbitrary<PodSpec> podSpecs() {
        Arbitrary<PodKind> kind = Arbitraries.frequency(
                Tuple.of(5, PodKind.V4), Tuple.of(4, PodKind.DUAL_STACK), Tuple.of(1, PodKind.V6),
                Tuple.of(1, PodKind.HOST_NETWORK), Tuple.of(1, PodKind.NO_IP), Tuple.of(1, PodKind.PENDING_WITH_IP),
                Tuple.of(1, PodKind.SUCCEEDED), Tuple.of(1, PodKind.FAILED));
        return Combinators.combine(Arbitraries.integers().between(0, 2), Arbitraries.integers().between(0, 2),
                podLabels(), kind, containerPorts()).as(PodSpec::new);
    }

    static Arbitrary<Map<String, String>> podLabels() {
        return Combinators.combine(
                Arbitraries.of("web", "db", "dns").injectNull(0.3),
                Arbitraries.of("front", "back").injectNull(0.4)).as((app, tier) -> labels("app", app, "tier", tier));
    }

    static Arbitrary<Map<String, String>> namespaceLabels() {
        return Combinators.combine(
                Arbitraries.of("prod", "dev").injectNull(0.3),
                Arbitraries.of("a", "b").injectNull(0.5)).as((env, team) -> labels("env", env, "team", team));
    }

    private static Map<String, String> labels(String k1, String v1, String k2, String v2) {
        Map<String, String> m = new LinkedHashMap<>();
        if (v1 != null) {
            m.put(k1, v1);
        }
        if (v2 != null) {
            m.put(k2, v2);
        }
        return m;
    }

    /** At most one port per name (as the API requires); names are reused across protocols between pods. */
    static Arbitrary<List<ContainerPort>> containerPorts() {
        return Combinators.combine(
                Arbitraries.of("http/TCP/80", "http/TCP/81").injectNull(0.3),
                Arbitraries.of("dns/UDP/53", "dns/TCP/53").injectNull(0.5),
                Arbitraries.of("db/TCP/3306").injectNull(0.6),
                Arbitraries.of("assoc/SCTP/81").injectNull(0.7),
                Arbitraries.of("/TCP/8080").injectNull(0.7)).as((a, b, c, d, e) -> Stream.of(a, b, c, d, e)
                .filter(Objects::nonNull).map(Manifests::containerPorts).flatMap(List::stream).toList());
    }

    // ---------------------------------------------------------------- policies

    static Arbitrary<PolicySpec> policySpecs() {
        Arbitrary<PolicyTypes> types = Arbitraries.of(PolicyTypes.class);
        Arbitrary<List<Rule>> rules = rules().list().ofMinSize(0).ofMaxSize(3);
        // Policies select broadly more often than peers do, so that most pods end up isolated.
        Arbitrary<LabelSelector> podSelector = Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.just(LabelSelector.EVERYTHING)), Tuple.of(3, podSelectors()));
        return Combinators.combine(Arbitraries.integers().between(0, 2), podSelector, types, rules, rules)
                .as(PolicySpec::new);
    }

    static Arbitrary<Rule> rules() {
        return Combinators.combine(peers().list().ofMinSize(0).ofMaxSize(3), ports().list().ofMinSize(0).ofMaxSize(3))
                .as(Rule::new);
    }

    /** Scenarios whose clusters also hold 1-4 ClusterNetworkPolicies, with few priorities so that ties happen. */
    public static Arbitrary<Scenario> clusterPolicyScenarios(int maxFlows) {
        return Combinators.combine(scenarios(maxFlows), clusterPolicies().list().ofMinSize(1).ofMaxSize(4))
                .as((s, cnps) -> {
                    List<dev.palisade.model.ClusterNetworkPolicy> named = new java.util.ArrayList<>();
                    for (int i = 0; i < cnps.size(); i++) {
                        var p = cnps.get(i);
                        named.add(new dev.palisade.model.ClusterNetworkPolicy("cnp-" + i, p.tier(), p.priority(),
                                p.subject(), p.ingress(), p.egress()));
                    }
                    return new Scenario(s.cluster().withClusterPolicies(named), s.flows());
                });
    }

    static Arbitrary<dev.palisade.model.ClusterNetworkPolicy> clusterPolicies() {
        Arbitrary<dev.palisade.model.ClusterNetworkPolicy.Subject> subject = Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.just(dev.palisade.model.ClusterNetworkPolicy.Subject.EVERY_POD)),
                Tuple.of(2, namespaceSelectors().map(ns -> new dev.palisade.model.ClusterNetworkPolicy.Subject(ns, LabelSelector.EVERYTHING))),
                Tuple.of(3, Combinators.combine(namespaceSelectors(), podSelectors())
                        .as(dev.palisade.model.ClusterNetworkPolicy.Subject::new)));
        return Combinators.combine(Arbitraries.of(dev.palisade.model.ClusterNetworkPolicy.Tier.class),
                        Arbitraries.of(1, 1, 2), subject,
                        clusterRules(false).list().ofMaxSize(3), clusterRules(true).list().ofMaxSize(3))
                .as((tier, priority, subj, ingress, egress) -> new dev.palisade.model.ClusterNetworkPolicy(
                        "cnp", tier, priority, subj, ingress, egress));
    }

    static Arbitrary<dev.palisade.model.ClusterRule> clusterRules(boolean egress) {
        Arbitrary<dev.palisade.model.ClusterPeer> pods = Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(new dev.palisade.model.ClusterPeer.Pods(LabelSelector.EVERYTHING, LabelSelector.EVERYTHING))),
                Tuple.of(1, namespaceSelectors().map(ns -> new dev.palisade.model.ClusterPeer.Pods(ns, LabelSelector.EVERYTHING))),
                Tuple.of(2, Combinators.combine(namespaceSelectors(), podSelectors()).as(dev.palisade.model.ClusterPeer.Pods::new)));
        Arbitrary<dev.palisade.model.ClusterPeer> networks = ipBlocks().map(b -> (Peer.IpBlock) b)
                .list().ofMinSize(1).ofMaxSize(2)
                .map(bs -> new dev.palisade.model.ClusterPeer.Networks(bs.stream().map(Peer.IpBlock::cidr).toList()));
        Arbitrary<dev.palisade.model.ClusterPeer> peer = egress
                ? Arbitraries.frequencyOf(Tuple.of(3, pods), Tuple.of(2, networks)) : pods;
        Arbitrary<PortSpec> port = Combinators.combine(Arbitraries.of(Protocol.TCP, Protocol.TCP, Protocol.UDP, Protocol.SCTP),
                        Arbitraries.of(FLOW_PORTS), Arbitraries.of(0, 0, 1, 2, 100))
                .as((proto, p, width) -> new PortSpec.Numbered(proto, p, Math.min(65535, p + width)));
        Arbitrary<List<PortSpec>> ports = Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.just(List.of())), Tuple.of(3, port.list().ofMinSize(1).ofMaxSize(2)));
        return Combinators.combine(Arbitraries.of(dev.palisade.model.ClusterRule.Action.class),
                        peer.list().ofMinSize(1).ofMaxSize(2), ports)
                .as((action, peers, ps) -> new dev.palisade.model.ClusterRule("", action, peers, ps));
    }

    static Arbitrary<Peer> peers() {
        Arbitrary<Peer> own = podSelectors().map(s -> new Peer.Pods(s, Optional.empty()));
        Arbitrary<Peer> other = Combinators.combine(podSelectors(), namespaceSelectors())
                .as((pods, ns) -> new Peer.Pods(pods, Optional.of(ns)));
        return Arbitraries.frequencyOf(Tuple.of(3, own), Tuple.of(3, other), Tuple.of(3, ipBlocks()));
    }

    static Arbitrary<LabelSelector> podSelectors() {
        Map<String, List<String>> vocabulary = Map.of("app", List.of("web", "db", "dns"),
                "tier", List.of("front", "back"), "zone", List.of("a", "b"));
        return selectors(podLabels(), vocabulary);
    }

    static Arbitrary<LabelSelector> namespaceSelectors() {
        Map<String, List<String>> vocabulary = Map.of("env", List.of("prod", "dev"), "team", List.of("a", "b"),
                Namespace.NAME_LABEL, NAMESPACE_NAMES);
        return selectors(namespaceLabels(), vocabulary);
    }

    /** matchLabels drawn like real labels, plus 0-2 expressions of every operator over the vocabulary. */
    static Arbitrary<LabelSelector> selectors(Arbitrary<Map<String, String>> matchLabels,
                                              Map<String, List<String>> vocabulary) {
        List<String> keys = vocabulary.keySet().stream().sorted().toList();
        Arbitrary<Requirement> expression = Combinators.combine(
                Arbitraries.of(keys), Arbitraries.of(Requirement.Operator.class), Arbitraries.integers().between(1, 7))
                .as((key, op, pick) -> {
                    List<String> values = vocabulary.get(key);
                    // pick: a bit mask over the key's values, so In/NotIn take one or several of them.
                    TreeSet<String> chosen = new TreeSet<>();
                    for (int i = 0; i < values.size(); i++) {
                        if ((pick & (1 << i)) != 0) {
                            chosen.add(values.get(i));
                        }
                    }
                    if (chosen.isEmpty()) {
                        chosen.add(values.get(0));
                    }
                    boolean needsValues = op == Requirement.Operator.In || op == Requirement.Operator.NotIn;
                    return new Requirement(key, op, needsValues ? chosen : new TreeSet<>());
                });
        Arbitrary<Map<String, String>> labels = Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.just(Map.of())), Tuple.of(3, matchLabels));
        Arbitrary<List<Requirement>> expressions = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.just(List.of())), Tuple.of(2, expression.list().ofMinSize(1).ofMaxSize(2)));
        return Combinators.combine(labels, expressions).as(LabelSelector::new);
    }

    /** ipBlocks over the pod and node ranges, of every prefix length that matters, with excepts inside them. */
    static Arbitrary<Peer> ipBlocks() {
        Arbitrary<String> v4Host = Combinators.combine(Arbitraries.of("10.0.0.", "10.0.1.", "10.0.2.", "192.168.0."),
                Arbitraries.integers().between(0, 31)).as((net, host) -> net + host);
        Arbitrary<String> v6Host = Combinators.combine(
                Arbitraries.of("fd00:10:0:0::", "fd00:10:0:1::", "fd00:10:0:2::", "fd00:192::"),
                Arbitraries.integers().between(0, 31)).as((net, host) -> net + Integer.toHexString(host));
        Arbitrary<Cidr> v4 = Combinators.combine(v4Host, Arbitraries.of(0, 8, 16, 23, 24, 27, 28, 29, 30, 31, 32))
                .as((a, p) -> new Cidr(IpAddress.parse(a), p));
        Arbitrary<Cidr> v4Except = Combinators.combine(v4Host, Arbitraries.of(24, 27, 28, 29, 30, 31, 32))
                .as((a, p) -> new Cidr(IpAddress.parse(a), p));
        Arbitrary<Cidr> v6 = Combinators.combine(v6Host, Arbitraries.of(0, 16, 32, 48, 60, 64, 120, 124, 127, 128))
                .as((a, p) -> new Cidr(IpAddress.parse(a), p));
        Arbitrary<Cidr> v6Except = Combinators.combine(v6Host, Arbitraries.of(64, 120, 124, 126, 127, 128))
                .as((a, p) -> new Cidr(IpAddress.parse(a), p));
        Arbitrary<Peer> v4Block = Combinators.combine(v4, v4Except.list().ofMaxSize(3)).as(ClusterArbitraries::block);
        Arbitrary<Peer> v6Block = Combinators.combine(v6, v6Except.list().ofMaxSize(3)).as(ClusterArbitraries::block);
        return Arbitraries.frequencyOf(Tuple.of(3, v4Block), Tuple.of(1, v6Block));
    }

    /** Keeps the candidate exceptions that lie inside the CIDR (the API rejects the others). */
    private static Peer block(Cidr cidr, List<Cidr> candidates) {
        List<Cidr> except = candidates.stream()
                .filter(e -> e.prefix() >= cidr.prefix() && cidr.contains(e.first()))
                .toList();
        return new Peer.IpBlock(cidr, except);
    }

    static Arbitrary<Protocol> protocols() {
        return Arbitraries.frequency(Tuple.of(3, Protocol.TCP), Tuple.of(2, Protocol.UDP), Tuple.of(1, Protocol.SCTP));
    }

    static Arbitrary<PortSpec> ports() {
        Arbitrary<PortSpec> all = protocols().map(PortSpec.AllPorts::new);
        Arbitrary<PortSpec> single = Combinators.combine(protocols(), Arbitraries.of(53, 80, 81, 3306, 8080, 32000, 32767))
                .as((p, n) -> new PortSpec.Numbered(p, n));
        Arbitrary<PortSpec> range = Combinators.combine(protocols(),
                Arbitraries.of("79-80", "80-81", "53-80", "81-3306", "32000-32767", "32768-32770", "1-65535"))
                .as((p, r) -> {
                    String[] b = r.split("-");
                    return new PortSpec.Numbered(p, Integer.parseInt(b[0]), Integer.parseInt(b[1]));
                });
        // Mostly the protocol a name is declared with, sometimes another one, sometimes a name nobody declares.
        Arbitrary<PortSpec> named = Arbitraries.of("TCP/http", "TCP/http", "UDP/dns", "TCP/dns", "TCP/db", "SCTP/assoc",
                "UDP/http", "SCTP/db", "TCP/nope").map(t -> {
                    String[] pn = t.split("/");
                    return new PortSpec.Named(Protocol.parse(pn[0]), pn[1]);
                });
        return Arbitraries.frequencyOf(Tuple.of(1, all), Tuple.of(3, single), Tuple.of(2, range), Tuple.of(3, named));
    }
}
