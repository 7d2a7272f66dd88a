package dev.palisade.compiler;

import dev.palisade.model.Cluster;
import dev.palisade.model.LabelSelector;
import dev.palisade.model.Namespace;
import dev.palisade.model.NetworkPolicy;
import dev.palisade.model.Node;
import dev.palisade.model.Peer;
import dev.palisade.model.Pod;
import dev.palisade.model.PortSpec;
import dev.palisade.model.Rule;

import java.util.List;
import java.util.stream.Collectors;

/** A generated cluster and flows to ask about; prints as a readable, manifest-like summary when a property fails. */
public record Scenario(Cluster cluster, List<Flow> flows) {

    public Scenario {
        flows = List.copyOf(flows);
    }

    @Override
    public String toString() {
        return describe(cluster) + "flows:\n" + flows.stream().map(f -> "  " + f + "\n").collect(Collectors.joining());
    }

    public static String describe(Cluster c) {
        StringBuilder sb = new StringBuilder("\n");
        for (Node n : c.nodes()) {
            sb.append("node ").append(n.name()).append(' ').append(n.addresses()).append('\n');
        }
        for (Namespace n : c.namespaces()) {
            sb.append("namespace ").append(n.name()).append(' ').append(n.labels()).append('\n');
        }
        for (Pod p : c.pods()) {
            sb.append("pod ").append(p.key()).append(" on ").append(p.nodeName()).append(' ').append(p.labels())
                    .append(' ').append(p.ips()).append(' ').append(p.phase())
                    .append(p.hostNetwork() ? " hostNetwork" : "")
                    .append(" ports ").append(p.ports().stream()
                            .map(cp -> (cp.name() == null ? "" : cp.name()) + "/" + cp.protocol() + "/" + cp.port())
                            .toList())
                    .append('\n');
        }
        for (NetworkPolicy p : c.policies()) {
            sb.append("policy ").append(p.key()).append(" podSelector {").append(selector(p.podSelector()))
                    .append("} policyTypes ").append(p.affectsIngress() ? "[Ingress" : "[")
                    .append(p.affectsIngress() && p.affectsEgress() ? "," : "")
                    .append(p.affectsEgress() ? "Egress]" : "]").append('\n');
            rules(sb, "ingress", p.ingress());
            rules(sb, "egress", p.egress());
        }
        for (var p : c.clusterPolicies()) {
            sb.append("clusterpolicy ").append(p.name()).append(' ').append(p.tier()).append(' ').append(p.priority())
                    .append(" subject ns {").append(selector(p.subject().namespaces())).append("} pods {")
                    .append(selector(p.subject().pods())).append("}\n");
            for (String d : List.of("ingress", "egress")) {
                var rules = d.equals("ingress") ? p.ingress() : p.egress();
                for (int i = 0; i < rules.size(); i++) {
                    var r = rules.get(i);
                    sb.append("  ").append(d).append('[').append(i).append("] ").append(r.action()).append(" peers ")
                            .append(r.peers().stream().map(x -> x instanceof dev.palisade.model.ClusterPeer.Pods ps
                                    ? "pods {" + selector(ps.pods()) + "} in {" + selector(ps.namespaces()) + "}"
                                    : x.toString()).toList())
                            .append(" ports ").append(r.ports().stream().map(Scenario::port).toList()).append('\n');
                }
            }
        }
        return sb.toString();
    }

    private static void rules(StringBuilder sb, String direction, List<Rule> rules) {
        for (int i = 0; i < rules.size(); i++) {
            Rule r = rules.get(i);
            sb.append("  ").append(direction).append('[').append(i).append("] peers ")
                    .append(r.peers().stream().map(Scenario::peer).toList())
                    .append(" ports ").append(r.ports().stream().map(Scenario::port).toList()).append('\n');
        }
    }

    static String selector(LabelSelector s) {
        return s.isEmpty() ? "" : s.toString();
    }

    static String peer(Peer p) {
        if (p instanceof Peer.IpBlock b) {
            return "ipBlock " + b.cidr() + (b.except().isEmpty() ? "" : " except " + b.except());
        }
        Peer.Pods pods = (Peer.Pods) p;
        return "pods {" + selector(pods.podSelector()) + "}"
                + pods.namespaceSelector().map(ns -> " in namespaces {" + selector(ns) + "}").orElse("");
    }

    static String port(PortSpec p) {
        if (p instanceof PortSpec.AllPorts a) {
            return a.protocol().name();
        }
        if (p instanceof PortSpec.Named n) {
            return n.protocol() + "/" + n.name();
        }
        PortSpec.Numbered n = (PortSpec.Numbered) p;
        return n.protocol() + "/" + n.port() + (n.endPort() == n.port() ? "" : "-" + n.endPort());
    }
}
