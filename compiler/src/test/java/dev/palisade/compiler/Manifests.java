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
import dev.palisade.model.Requirement;
import dev.palisade.model.Rule;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Terse builders for hand-written test snapshots, reading roughly like the manifests they stand
 * for: {@code pod("prod/web", "n1", "app=web", "10.0.1.10", "http/TCP/80")}.
 */
public final class Manifests {

    private Manifests() {
    }

    /** "k=v,k2=v2"; null or blank is no labels. */
    public static Map<String, String> labels(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            return out;
        }
        for (String kv : text.split(",")) {
            String[] p = kv.split("=", 2);
            out.put(p[0].trim(), p.length > 1 ? p[1].trim() : "");
        }
        return out;
    }

    public static List<IpAddress> ips(String text) {
        if (text == null || text.isBlank()) {
            return List.of();
        }
        return Arrays.stream(text.split(",")).map(String::trim).map(IpAddress::parse).toList();
    }

    public static IpAddress ip(String text) {
        return IpAddress.parse(text);
    }

    /** "name/PROTO/port,..." (name may be empty: "/TCP/80"). */
    public static List<ContainerPort> containerPorts(String text) {
        if (text == null || text.isBlank()) {
            return List.of();
        }
        List<ContainerPort> out = new ArrayList<>();
        for (String s : text.split(",")) {
            String[] p = s.trim().split("/");
            out.add(new ContainerPort(p[0], Protocol.parse(p[1]), Integer.parseInt(p[2])));
        }
        return out;
    }

    public static Namespace namespace(String name, String labels) {
        return new Namespace(name, labels(labels));
    }

    public static Node node(String name, String addresses) {
        return new Node(name, Map.of(), ips(addresses), List.of());
    }

    public static Pod pod(String key, String node, String labels, String ips, String ports) {
        return pod(key, node, labels, ips, ports, false, Pod.Phase.Running);
    }

    public static Pod pod(String key, String node, String labels, String ips, String ports, boolean hostNetwork,
                          Pod.Phase phase) {
        String[] nn = key.split("/", 2);
        return new Pod(nn[0], nn[1], node, labels(labels), ips(ips), hostNetwork, phase, containerPorts(ports));
    }

    public static Cluster cluster(List<Namespace> namespaces, List<Node> nodes, List<Pod> pods,
                                  List<NetworkPolicy> policies) {
        return new Cluster(namespaces, nodes, pods, policies);
    }

    // ---- selectors ----

    /** matchLabels from "k=v,...", plus expressions. */
    public static LabelSelector selector(String matchLabels, Requirement... expressions) {
        return new LabelSelector(labels(matchLabels), List.of(expressions));
    }

    public static Requirement in(String key, String... values) {
        return new Requirement(key, Requirement.Operator.In, new TreeSet<>(List.of(values)));
    }

    public static Requirement notIn(String key, String... values) {
        return new Requirement(key, Requirement.Operator.NotIn, new TreeSet<>(List.of(values)));
    }

    public static Requirement exists(String key) {
        return new Requirement(key, Requirement.Operator.Exists, new TreeSet<>());
    }

    public static Requirement doesNotExist(String key) {
        return new Requirement(key, Requirement.Operator.DoesNotExist, new TreeSet<>());
    }

    // ---- policies ----

    /** policyTypes: [Ingress]. */
    public static NetworkPolicy ingressPolicy(String key, LabelSelector podSelector, Rule... rules) {
        return policy(key, podSelector, true, false, List.of(rules), List.of());
    }

    /** policyTypes: [Egress]. */
    public static NetworkPolicy egressPolicy(String key, LabelSelector podSelector, Rule... rules) {
        return policy(key, podSelector, false, true, List.of(), List.of(rules));
    }

    public static NetworkPolicy policy(String key, LabelSelector podSelector, boolean ingressType, boolean egressType,
                                       List<Rule> ingress, List<Rule> egress) {
        String[] nn = key.split("/", 2);
        return new NetworkPolicy(nn[0], nn[1], podSelector, ingressType, egressType, ingress, egress);
    }

    /** A rule with peers ({@code List.of()}: every peer) and ports (none: every port). */
    public static Rule rule(List<Peer> peers, PortSpec... ports) {
        return new Rule(peers, List.of(ports));
    }

    public static List<Peer> peers(Peer... peers) {
        return List.of(peers);
    }

    /** {@code podSelector} alone: pods of the policy's namespace. */
    public static Peer pods(LabelSelector podSelector) {
        return new Peer.Pods(podSelector, Optional.empty());
    }

    /** {@code namespaceSelector} alone: every pod of the selected namespaces. */
    public static Peer namespaces(LabelSelector namespaceSelector) {
        return new Peer.Pods(LabelSelector.EVERYTHING, Optional.of(namespaceSelector));
    }

    /** Both selectors in one peer: ANDed. */
    public static Peer podsIn(LabelSelector namespaceSelector, LabelSelector podSelector) {
        return new Peer.Pods(podSelector, Optional.of(namespaceSelector));
    }

    public static Peer ipBlock(String cidr, String... except) {
        return new Peer.IpBlock(Cidr.parse(cidr), Arrays.stream(except).map(Cidr::parse).toList());
    }

    public static PortSpec tcp(int port) {
        return new PortSpec.Numbered(Protocol.TCP, port);
    }

    public static PortSpec port(Protocol protocol, int port) {
        return new PortSpec.Numbered(protocol, port);
    }

    public static PortSpec range(Protocol protocol, int port, int endPort) {
        return new PortSpec.Numbered(protocol, port, endPort);
    }

    public static PortSpec named(Protocol protocol, String name) {
        return new PortSpec.Named(protocol, name);
    }

    public static PortSpec allOf(Protocol protocol) {
        return new PortSpec.AllPorts(protocol);
    }
}
