package dev.palisade.bench;

import dev.palisade.compiler.ClusterIndex;
import dev.palisade.compiler.PolicyCompiler;
import dev.palisade.dataplane.nft.NamedSet;
import dev.palisade.dataplane.nft.Table;
import dev.palisade.dataplane.render.NftRenderer;
import dev.palisade.dataplane.translate.RuleSetTranslator;
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
import dev.palisade.ruleset.NodeRuleSet;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The rule set of bench/packet-path.sh: the nft script Palisade renders for one node of a cluster
 * with 10,000 policies over 100,000 peer pods, in which the benchmark's client and server pods
 * (both on that node, as in the network namespaces the script builds) are allowed to talk.
 *
 * <p>Shape. The node hosts 100 "local" pods, one per team namespace, plus the client and the
 * server. Each team namespace holds 1,000 peer pods on other nodes (10 per app label) and 100
 * policies selecting its local pod, half ingress and half egress, each allowing one app's 10 pods:
 * 60% on one TCP port (hash set {@code *_port4}), 20% on every port plus an ipBlock with except
 * ({@code *_any4} and {@code *_cidr4}), 20% on an endPort range plus an ipBlock with except
 * ({@code *_range4}). Every peer address is used by exactly one policy, so the sets hold about
 * 100,000 pod-peer elements. The client may reach the server on TCP 5200-5210 (an endPort range
 * in both directions): its first packet misses the any, cidr and port sets and hits the range set,
 * for egress and again for ingress, which is the longest walk a packet can take.
 *
 * <p>Two variants isolate where a first packet's cost comes from: {@code --small} leaves out the
 * 10,000 team policies (same chains, sets holding only the client and server), and
 * {@code --single-ports} allows the client on TCP 5201 and 5202 as single ports, so its first
 * packet stops at the hash set {@code *_port4} and never reaches the big {@code *_range4} sets.
 */
public final class PacketPathRuleSet {

    static final String NODE = "bench-node";
    static final IpAddress CLIENT = IpAddress.parse("10.244.0.10");
    static final IpAddress SERVER = IpAddress.parse("10.244.0.20");
    static final int FIRST_PORT = 5200;
    static final int LAST_PORT = 5210;

    private static final int TEAMS = 100;
    private static final int APPS = 100;
    private static final int PODS_PER_APP = 10;

    private PacketPathRuleSet() {
    }

    public static void main(String[] args) throws IOException {
        List<String> flags = List.of(args).subList(Math.min(1, args.length), args.length);
        if (args.length < 1 || args[0].startsWith("--") || !Set.of("--small", "--single-ports").containsAll(flags)) {
            System.err.println("usage: PacketPathRuleSet OUTPUT.nft [--small] [--single-ports]");
            System.exit(2);
        }
        long t0 = System.nanoTime();
        Cluster cluster = cluster(!flags.contains("--small"), flags.contains("--single-ports"));
        long t1 = System.nanoTime();
        NodeRuleSet rules = new PolicyCompiler(new ClusterIndex(cluster)).compileNode(NODE);
        long t2 = System.nanoTime();
        Table table = RuleSetTranslator.translate(rules);
        String script = NftRenderer.replaceScript(table);
        long t3 = System.nanoTime();
        Files.writeString(Path.of(args[0]), script, StandardCharsets.UTF_8);

        Set<IpAddress> peers = new HashSet<>();
        rules.ingress().grants().forEach(g -> peers.addAll(g.peers().addresses()));
        rules.egress().grants().forEach(g -> peers.addAll(g.peers().addresses()));
        System.out.printf(Locale.ROOT, "cluster: %,d pods, %,d policies; node %s: %,d local pods, %,d grants (%,d ingress, %,d egress), %,d distinct peer pod addresses%n",
                cluster.pods().size(), cluster.policies().size(), NODE, rules.localPods().size(),
                rules.ingress().grants().size() + rules.egress().grants().size(),
                rules.ingress().grants().size(), rules.egress().grants().size(), peers.size());
        long total = 0;
        StringBuilder sets = new StringBuilder();
        for (NamedSet s : table.sets()) {
            total += s.elements().size();
            if (!s.elements().isEmpty()) {
                sets.append(String.format(Locale.ROOT, " %s=%,d", s.name(), s.elements().size()));
            }
        }
        System.out.printf(Locale.ROOT, "set elements (rendered): %,d:%s%n", total, sets);
        // The script compares this with what the kernel holds after nft -f.
        Files.writeString(Path.of(args[0] + ".count"), Long.toString(total), StandardCharsets.UTF_8);
        System.out.printf(Locale.ROOT, "generate %.1f s, compileNode %.0f ms, translate+render %.0f ms; script %,d bytes -> %s%n",
                (t1 - t0) / 1e9, (t2 - t1) / 1e6, (t3 - t2) / 1e6, script.length(), args[0]);
    }

    static Cluster cluster(boolean teams, boolean singlePorts) {
        List<Namespace> namespaces = new ArrayList<>();
        List<Pod> pods = new ArrayList<>();
        List<NetworkPolicy> policies = new ArrayList<>();
        List<Node> nodes = new ArrayList<>();
        nodes.add(new Node(NODE, Map.of(), List.of(), List.of(Cidr.parse("10.244.0.0/24"))));

        namespaces.add(new Namespace("bench", Map.of()));
        pods.add(new Pod("bench", "client", NODE, Map.of("app", "client"), List.of(CLIENT), false, Pod.Phase.Running, List.of()));
        pods.add(new Pod("bench", "server", NODE, Map.of("app", "server"), List.of(SERVER), false, Pod.Phase.Running,
                List.of(new ContainerPort("iperf", Protocol.TCP, 5201))));
        List<PortSpec> benchPorts = singlePorts
                ? List.of(new PortSpec.Numbered(Protocol.TCP, 5201), new PortSpec.Numbered(Protocol.TCP, 5202))
                : List.of(new PortSpec.Numbered(Protocol.TCP, FIRST_PORT, LAST_PORT));
        policies.add(new NetworkPolicy("bench", "server-from-client", LabelSelector.of(Map.of("app", "server")), true, false,
                List.of(new Rule(List.of(new Peer.Pods(LabelSelector.of(Map.of("app", "client")), Optional.empty())), benchPorts)),
                List.of()));
        policies.add(new NetworkPolicy("bench", "client-to-server", LabelSelector.of(Map.of("app", "client")), false, true,
                List.of(), List.of(new Rule(List.of(new Peer.Pods(LabelSelector.of(Map.of("app", "server")), Optional.empty())),
                        benchPorts))));

        if (!teams) {
            return new Cluster(namespaces, nodes, pods, policies);
        }
        LabelSelector local = LabelSelector.of(Map.of("app", "local"));
        for (int t = 0; t < TEAMS; t++) {
            String ns = String.format("team-%03d", t);
            namespaces.add(new Namespace(ns, Map.of("team", ns)));
            pods.add(new Pod(ns, "local", NODE, Map.of("app", "local"),
                    List.of(new IpAddress(IpAddress.Family.V4, 0, 0x0AF40064L + t)), false, Pod.Phase.Running, List.of()));
            for (int a = 0; a < APPS; a++) {
                LabelSelector app = LabelSelector.of(Map.of("app", "svc-" + a));
                List<Peer> peers = new ArrayList<>(List.of(new Peer.Pods(app, Optional.empty())));
                List<PortSpec> ports;
                int kind = (a / 2) % 5;
                if (kind < 3) {
                    ports = List.of(new PortSpec.Numbered(Protocol.TCP, 8000 + a));
                } else if (kind == 3) {
                    peers.add(ipBlock(172, 16, a));
                    ports = List.of();
                } else {
                    peers.add(ipBlock(172, 17, a));
                    ports = List.of(new PortSpec.Numbered(Protocol.TCP, 10000 + 10 * a, 10005 + 10 * a));
                }
                Rule rule = new Rule(peers, ports);
                boolean ingress = a % 2 == 0;
                policies.add(new NetworkPolicy(ns, "allow-svc-" + a, local, ingress, !ingress,
                        ingress ? List.of(rule) : List.of(), ingress ? List.of() : List.of(rule)));
            }
        }
        // Peer pod i lives in team i % 100 with app (i / 100) % 100, so the 10 pods of one app are
        // 10,000 addresses apart and never merge into ranges; 250 pods per remote node /24.
        int peerPods = TEAMS * APPS * PODS_PER_APP;
        for (int i = 0; i < peerPods; i++) {
            int node = i / 250;
            if (i % 250 == 0) {
                nodes.add(new Node(String.format("remote-%03d", node), Map.of(), List.of(),
                        List.of(new Cidr(new IpAddress(IpAddress.Family.V4, 0, 0x0A800000L + ((long) node << 8)), 24))));
            }
            IpAddress ip = new IpAddress(IpAddress.Family.V4, 0, 0x0A800000L + ((long) node << 8) + i % 250 + 1);
            pods.add(new Pod(String.format("team-%03d", i % TEAMS), "svc-" + i, String.format("remote-%03d", node),
                    Map.of("app", "svc-" + (i / TEAMS) % APPS), List.of(ip), false, Pod.Phase.Running, List.of()));
        }
        return new Cluster(namespaces, nodes, pods, policies);
    }

    /** 172.x.(2a).0/24 except its .128/27: two ranges, never adjacent to another app's. */
    private static Peer ipBlock(int first, int second, int a) {
        String net = first + "." + second + "." + (2 * a) + ".";
        return new Peer.IpBlock(Cidr.parse(net + "0/24"), List.of(Cidr.parse(net + "128/27")));
    }
}
