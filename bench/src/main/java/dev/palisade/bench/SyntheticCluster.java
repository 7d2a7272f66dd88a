package dev.palisade.bench;

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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * A deterministic synthetic cluster for the compile benchmark: the same seed gives the same
 * snapshot. Shape: three system namespaces (kube-system with CoreDNS, monitoring with Prometheus,
 * ingress-nginx) and application namespaces labelled team/env; pods labelled app/role/tier with
 * named container ports, one IPv4 each from their node's /24; every namespace gets a mix of the
 * policies people write (see {@link Kind}).
 */
public final class SyntheticCluster {

    /** The policy shapes, with their weight in percent among application-namespace policies. */
    enum Kind {
        /** podSelector {}, Ingress, no rules */
        DENY_INGRESS(18),
        /** podSelector {}, Ingress and Egress, no rules */
        DENY_ALL(5),
        /** app=A from app=A on TCP 8080 and the named port grpc */
        SAME_APP(15),
        /** role=backend from role=frontend in the namespaces of one team and env, named port http */
        FROM_TEAM(12),
        /** every pod from Prometheus in the monitoring namespace, named port metrics */
        FROM_MONITORING(10),
        /** role=frontend from every ingress-nginx pod, TCP 8080 */
        FROM_INGRESS(8),
        /** every pod to CoreDNS, UDP and TCP 53 */
        EGRESS_DNS(10),
        /** role=backend to the internet: 0.0.0.0/0 except the private ranges, TCP 443 */
        EGRESS_INTERNET(5),
        /** role=backend to role=db and role=cache of the namespace, named ports postgres and redis */
        EGRESS_DB(8),
        /** tier=api from an ipBlock with except on a NodePort-like endPort range, and same namespace on 8000-8100 */
        ENDPORT_IPBLOCK(5),
        /** role in (backend, worker) from env in (prod, staging) namespaces of one team, any port */
        MATCH_EXPRESSIONS(4);

        final int weight;

        Kind(int weight) {
            this.weight = weight;
        }
    }

    static final String[] ROLES = {"frontend", "backend", "db", "cache", "worker"};
    private static final int[] ROLE_WEIGHTS = {25, 35, 12, 8, 20};
    static final String[] ENVS = {"prod", "staging", "dev"};
    private static final int TEAMS = 500;
    private static final int SYSTEM_PODS = 10;

    private final int namespaces;
    private final int pods;
    private final int policies;
    private final int nodes;
    private final Random random;

    public SyntheticCluster(int namespaces, int pods, int policies, int nodes, long seed) {
        if (namespaces < 4 || nodes < 1 || pods < 3 * SYSTEM_PODS + (namespaces - 3) || policies < 9) {
            throw new IllegalArgumentException("cluster too small for its shape");
        }
        if (nodes > 65536) {
            throw new IllegalArgumentException("at most 65,536 nodes (one /24 each in 10.0.0.0/8)");
        }
        this.namespaces = namespaces;
        this.pods = pods;
        this.policies = policies;
        this.nodes = nodes;
        this.random = new Random(seed);
    }

    public Cluster generate() {
        List<Namespace> nsList = new ArrayList<>();
        nsList.add(new Namespace("kube-system", Map.of()));
        nsList.add(new Namespace("monitoring", Map.of("team", "platform", "env", "prod")));
        nsList.add(new Namespace("ingress-nginx", Map.of("team", "platform", "env", "prod")));
        int apps = namespaces - 3;
        for (int i = 0; i < apps; i++) {
            nsList.add(new Namespace(appNamespace(i), Map.of("team", team(random.nextInt(TEAMS)),
                    "env", ENVS[pick(new int[] {40, 30, 30})])));
        }

        List<Node> nodeList = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            nodeList.add(new Node(nodeName(i), Map.of("topology.kubernetes.io/zone", "zone-" + (i % 3)),
                    List.of(new IpAddress(IpAddress.Family.V4, 0, 0xC0A80000L + i + 1)),
                    List.of(new Cidr(nodeCidrBase(i), 24))));
        }

        // Pods per namespace: every application namespace gets two, the rest go to a skewed few
        // (u^2), so some namespaces hold hundreds of pods as real clusters do.
        int[] podsPerNs = new int[apps];
        java.util.Arrays.fill(podsPerNs, 2);
        int extra = pods - 3 * SYSTEM_PODS - 2 * apps;
        for (int i = 0; i < extra; i++) {
            double u = random.nextDouble();
            podsPerNs[(int) (u * u * apps)]++;
        }
        int[] nodeFill = new int[nodes];
        List<Pod> podList = new ArrayList<>();
        for (int i = 0; i < SYSTEM_PODS; i++) {
            podList.add(pod("kube-system", i < 4 ? "coredns-" + i : "kube-proxy-" + i,
                    i < 4 ? Map.of("k8s-app", "kube-dns") : Map.of("k8s-app", "kube-proxy"),
                    i < 4 ? List.of(new ContainerPort("dns", Protocol.UDP, 53), new ContainerPort("dns-tcp", Protocol.TCP, 53),
                            new ContainerPort("metrics", Protocol.TCP, 9153)) : List.of(), nodeFill));
            podList.add(pod("monitoring", (i < 2 ? "prometheus-" : "grafana-") + i,
                    Map.of("app", i < 2 ? "prometheus" : "grafana"),
                    List.of(new ContainerPort("web", Protocol.TCP, i < 2 ? 9090 : 3000)), nodeFill));
            podList.add(pod("ingress-nginx", "controller-" + i, Map.of("app", "ingress-nginx"),
                    List.of(new ContainerPort("http", Protocol.TCP, 80), new ContainerPort("https", Protocol.TCP, 443)),
                    nodeFill));
        }
        for (int n = 0; n < apps; n++) {
            int count = podsPerNs[n];
            int appCount = Math.max(1, Math.min(20, count / 4));
            for (int p = 0; p < count; p++) {
                int app = random.nextInt(appCount);
                String role = ROLES[pick(ROLE_WEIGHTS)];
                podList.add(pod(appNamespace(n), "app-" + app + "-" + p, labels(app, role), ports(role), nodeFill));
            }
        }

        List<NetworkPolicy> policyList = new ArrayList<>(systemPolicies());
        int appPolicies = policies - policyList.size();
        int[] weights = new int[Kind.values().length];
        for (Kind k : Kind.values()) {
            weights[k.ordinal()] = k.weight;
        }
        for (int i = 0; i < appPolicies; i++) {
            int n = (int) ((long) i * apps / appPolicies);
            Kind kind = Kind.values()[pick(weights)];
            int appCount = Math.max(1, Math.min(20, podsPerNs[n] / 4));
            policyList.add(policy(appNamespace(n), kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + "-" + i,
                    kind, appCount));
        }
        return new Cluster(nsList, nodeList, podList, policyList);
    }

    /** Labels of an application pod: app, role, and the tier that follows from the role. */
    static Map<String, String> labels(int app, String role) {
        return Map.of("app", "app-" + app, "role", role, "tier", tier(role));
    }

    static String tier(String role) {
        return switch (role) {
            case "frontend" -> "web";
            case "db", "cache" -> "data";
            default -> "api";
        };
    }

    private static List<ContainerPort> ports(String role) {
        return switch (role) {
            case "frontend" -> List.of(new ContainerPort("http", Protocol.TCP, 8080),
                    new ContainerPort("metrics", Protocol.TCP, 9090));
            case "backend" -> List.of(new ContainerPort("http", Protocol.TCP, 8080),
                    new ContainerPort("grpc", Protocol.TCP, 9000), new ContainerPort("metrics", Protocol.TCP, 9090));
            case "db" -> List.of(new ContainerPort("postgres", Protocol.TCP, 5432),
                    new ContainerPort("metrics", Protocol.TCP, 9187));
            case "cache" -> List.of(new ContainerPort("redis", Protocol.TCP, 6379),
                    new ContainerPort("metrics", Protocol.TCP, 9121));
            default -> List.of(new ContainerPort("metrics", Protocol.TCP, 9090));
        };
    }

    private Pod pod(String namespace, String name, Map<String, String> labels, List<ContainerPort> ports, int[] nodeFill) {
        int node = random.nextInt(nodes);
        while (nodeFill[node] >= 253) {
            node = (node + 1) % nodes;
        }
        int host = ++nodeFill[node];
        IpAddress ip = new IpAddress(IpAddress.Family.V4, 0, nodeCidrBase(node).lo() + host);
        return new Pod(namespace, name, nodeName(node), labels, List.of(ip), false, Pod.Phase.Running, ports);
    }

    private List<NetworkPolicy> systemPolicies() {
        List<NetworkPolicy> out = new ArrayList<>();
        LabelSelector dns = LabelSelector.of(Map.of("k8s-app", "kube-dns"));
        // DNS from every pod of every namespace: one peer set holding every pod address.
        out.add(new NetworkPolicy("kube-system", "allow-dns", dns, true, false,
                List.of(new Rule(List.of(new Peer.Pods(LabelSelector.EVERYTHING, Optional.of(LabelSelector.EVERYTHING))),
                        List.of(new PortSpec.Numbered(Protocol.UDP, 53), new PortSpec.Numbered(Protocol.TCP, 53)))),
                List.of()));
        out.add(new NetworkPolicy("kube-system", "deny-ingress", LabelSelector.EVERYTHING, true, false, List.of(), List.of()));
        out.add(new NetworkPolicy("kube-system", "allow-metrics", dns, true, false,
                List.of(new Rule(List.of(fromNamespace("monitoring", LabelSelector.of(Map.of("app", "prometheus")))),
                        List.of(new PortSpec.Named(Protocol.TCP, "metrics")))),
                List.of()));
        out.add(new NetworkPolicy("monitoring", "deny-ingress", LabelSelector.EVERYTHING, true, false, List.of(), List.of()));
        out.add(new NetworkPolicy("monitoring", "grafana-from-ingress", LabelSelector.of(Map.of("app", "grafana")), true, false,
                List.of(new Rule(List.of(fromNamespace("ingress-nginx", LabelSelector.EVERYTHING)),
                        List.of(new PortSpec.Named(Protocol.TCP, "web")))),
                List.of()));
        out.add(new NetworkPolicy("monitoring", "prometheus-from-grafana", LabelSelector.of(Map.of("app", "prometheus")),
                true, false, List.of(new Rule(List.of(new Peer.Pods(LabelSelector.of(Map.of("app", "grafana")), Optional.empty())),
                List.of(new PortSpec.Numbered(Protocol.TCP, 9090)))), List.of()));
        out.add(new NetworkPolicy("ingress-nginx", "allow-all-ingress", LabelSelector.EVERYTHING, true, false,
                List.of(Rule.ALLOW_ALL), List.of()));
        out.add(new NetworkPolicy("ingress-nginx", "egress-to-apps", LabelSelector.EVERYTHING, false, true, List.of(),
                List.of(new Rule(List.of(new Peer.Pods(LabelSelector.of(Map.of("role", "frontend")),
                        Optional.of(LabelSelector.EVERYTHING))), List.of(new PortSpec.Named(Protocol.TCP, "http"))))));
        out.add(new NetworkPolicy("ingress-nginx", "egress-dns", LabelSelector.EVERYTHING, false, true, List.of(),
                List.of(dnsRule())));
        return out;
    }

    private NetworkPolicy policy(String namespace, String name, Kind kind, int appCount) {
        LabelSelector backend = LabelSelector.of(Map.of("role", "backend"));
        switch (kind) {
            case DENY_INGRESS:
                return new NetworkPolicy(namespace, name, LabelSelector.EVERYTHING, true, false, List.of(), List.of());
            case DENY_ALL:
                return new NetworkPolicy(namespace, name, LabelSelector.EVERYTHING, true, true, List.of(), List.of());
            case SAME_APP: {
                LabelSelector app = LabelSelector.of(Map.of("app", "app-" + random.nextInt(appCount)));
                return new NetworkPolicy(namespace, name, app, true, false,
                        List.of(new Rule(List.of(new Peer.Pods(app, Optional.empty())),
                                List.of(new PortSpec.Numbered(Protocol.TCP, 8080), new PortSpec.Named(Protocol.TCP, "grpc")))),
                        List.of());
            }
            case FROM_TEAM: {
                LabelSelector teamEnv = LabelSelector.of(Map.of("team", team(random.nextInt(TEAMS)),
                        "env", ENVS[random.nextInt(ENVS.length)]));
                return new NetworkPolicy(namespace, name, backend, true, false,
                        List.of(new Rule(List.of(new Peer.Pods(LabelSelector.of(Map.of("role", "frontend")), Optional.of(teamEnv))),
                                List.of(new PortSpec.Named(Protocol.TCP, "http")))),
                        List.of());
            }
            case FROM_MONITORING:
                return new NetworkPolicy(namespace, name, LabelSelector.EVERYTHING, true, false,
                        List.of(new Rule(List.of(fromNamespace("monitoring", LabelSelector.of(Map.of("app", "prometheus")))),
                                List.of(new PortSpec.Named(Protocol.TCP, "metrics")))),
                        List.of());
            case FROM_INGRESS:
                return new NetworkPolicy(namespace, name, LabelSelector.of(Map.of("role", "frontend")), true, false,
                        List.of(new Rule(List.of(fromNamespace("ingress-nginx", LabelSelector.EVERYTHING)),
                                List.of(new PortSpec.Numbered(Protocol.TCP, 8080)))),
                        List.of());
            case EGRESS_DNS:
                return new NetworkPolicy(namespace, name, LabelSelector.EVERYTHING, false, true, List.of(), List.of(dnsRule()));
            case EGRESS_INTERNET:
                return new NetworkPolicy(namespace, name, backend, false, true, List.of(),
                        List.of(new Rule(List.of(new Peer.IpBlock(Cidr.parse("0.0.0.0/0"),
                                List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("172.16.0.0/12"), Cidr.parse("192.168.0.0/16")))),
                                List.of(new PortSpec.Numbered(Protocol.TCP, 443)))));
            case EGRESS_DB:
                return new NetworkPolicy(namespace, name, backend, false, true, List.of(), List.of(
                        new Rule(List.of(new Peer.Pods(LabelSelector.of(Map.of("role", "db")), Optional.empty())),
                                List.of(new PortSpec.Named(Protocol.TCP, "postgres"))),
                        new Rule(List.of(new Peer.Pods(LabelSelector.of(Map.of("role", "cache")), Optional.empty())),
                                List.of(new PortSpec.Named(Protocol.TCP, "redis")))));
            case ENDPORT_IPBLOCK: {
                int hole = random.nextInt(256);
                return new NetworkPolicy(namespace, name, LabelSelector.of(Map.of("tier", "api")), true, false, List.of(
                        new Rule(List.of(new Peer.IpBlock(Cidr.parse("10.0.0.0/8"), List.of(Cidr.parse("10." + hole + ".0.0/16")))),
                                List.of(new PortSpec.Numbered(Protocol.TCP, 30000, 32767))),
                        new Rule(List.of(new Peer.Pods(LabelSelector.EVERYTHING, Optional.empty())),
                                List.of(new PortSpec.Numbered(Protocol.TCP, 8000, 8100)))),
                        List.of());
            }
            case MATCH_EXPRESSIONS: {
                LabelSelector pods = new LabelSelector(Map.of(), List.of(
                        new Requirement("role", Requirement.Operator.In, new java.util.TreeSet<>(Set.of("backend", "worker")))));
                LabelSelector nsSel = new LabelSelector(Map.of("team", team(random.nextInt(TEAMS))), List.of(
                        new Requirement("env", Requirement.Operator.In, new java.util.TreeSet<>(Set.of("prod", "staging")))));
                return new NetworkPolicy(namespace, name, pods, true, false,
                        List.of(new Rule(List.of(new Peer.Pods(LabelSelector.EVERYTHING, Optional.of(nsSel))), List.of())),
                        List.of());
            }
            default:
                throw new IllegalStateException("unhandled kind " + kind);
        }
    }

    private static Rule dnsRule() {
        return new Rule(List.of(fromNamespace("kube-system", LabelSelector.of(Map.of("k8s-app", "kube-dns")))),
                List.of(new PortSpec.Numbered(Protocol.UDP, 53), new PortSpec.Numbered(Protocol.TCP, 53)));
    }

    private static Peer fromNamespace(String namespace, LabelSelector pods) {
        return new Peer.Pods(pods, Optional.of(LabelSelector.of(Map.of(Namespace.NAME_LABEL, namespace))));
    }

    private int pick(int[] weights) {
        int total = 0;
        for (int w : weights) {
            total += w;
        }
        int r = random.nextInt(total);
        for (int i = 0; i < weights.length; i++) {
            r -= weights[i];
            if (r < 0) {
                return i;
            }
        }
        throw new IllegalStateException();
    }

    static String appNamespace(int i) {
        return String.format("ns-%05d", i);
    }

    private static String team(int i) {
        return "team-" + i;
    }

    static String nodeName(int i) {
        return String.format("node-%05d", i);
    }

    private static IpAddress nodeCidrBase(int i) {
        return new IpAddress(IpAddress.Family.V4, 0, 0x0A000000L + ((long) i << 8));
    }

    /** Counts by kind, for the benchmark's description of its input. */
    static Map<String, Integer> policyMix(Cluster c) {
        Map<String, Integer> out = new TreeMap<>();
        for (NetworkPolicy p : c.policies()) {
            String n = p.name();
            int dash = n.lastIndexOf('-');
            String kind = p.namespace().startsWith("ns-") ? n.substring(0, dash) : "system";
            out.merge(kind, 1, Integer::sum);
        }
        return out;
    }
}
