package dev.palisade.conformance;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The cluster a test class stands up, as plain values: nodes with their pod CIDRs, namespaces with
 * labels, pods with labels, declared container ports and addresses, and "external" hosts (non-pod
 * addresses hanging off a node, standing in for the internet). {@link Topology} builds it in the
 * kernel and {@link Manifests} renders it as the Kubernetes objects {@code palisade compile} reads.
 *
 * <p>Keys name probe endpoints: {@code ns/name} for pods, {@code node:NAME} for a node's own network
 * namespace (where host-network pods live) and {@code ext:NAME} for external hosts.
 */
public record ClusterSpec(String name, int fabric, List<NodeSpec> nodes, List<NamespaceSpec> namespaces,
                          List<PodSpec> pods, List<ExternalSpec> externals) {

    public static final String NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

    public ClusterSpec {
        nodes = List.copyOf(nodes);
        namespaces = List.copyOf(namespaces);
        pods = List.copyOf(pods);
        externals = List.copyOf(externals);
    }

    /** A node: {@code 192.168.FABRIC.index} and {@code fd00:FABRIC::index} on the fabric bridge. */
    public record NodeSpec(String name, int index, String podCidr4, String podCidr6, String ip4, String ip6) {
        public String key() {
            return "node:" + name;
        }
    }

    /** A namespace; {@code labels} already include {@value #NAMESPACE_NAME_LABEL}, as the API server adds it. */
    public record NamespaceSpec(String name, Map<String, String> labels) {
        public NamespaceSpec {
            labels = Collections.unmodifiableMap(new TreeMap<>(labels));
        }
    }

    /** A declared container port: what named ports in policies resolve against. */
    public record PortDecl(String name, Proto protocol, int port) {
    }

    public record PodSpec(String namespace, String name, String node, Map<String, String> labels,
                          List<PortDecl> ports, boolean hostNetwork, String ip4, String ip6) {
        public PodSpec {
            labels = Collections.unmodifiableMap(new TreeMap<>(labels));
            ports = List.copyOf(ports);
        }

        public String key() {
            return namespace + "/" + name;
        }
    }

    public record ExternalSpec(String name, String node, String ip4, String ip6) {
        public String key() {
            return "ext:" + name;
        }
    }

    public NodeSpec node(String name) {
        return nodes.stream().filter(n -> n.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node " + name));
    }

    public Optional<PodSpec> pod(String key) {
        return pods.stream().filter(p -> p.key().equals(key)).findFirst();
    }

    public NamespaceSpec namespace(String name) {
        return namespaces.stream().filter(n -> n.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no namespace " + name));
    }

    public static Builder builder(String name, int fabric) {
        return new Builder(name, fabric);
    }

    public static final class Builder {
        private final String name;
        private final int fabric;
        private final List<NodeSpec> nodes = new ArrayList<>();
        private final Map<String, NamespaceSpec> namespaces = new LinkedHashMap<>();
        private final List<PodSpec> pods = new ArrayList<>();
        private final List<ExternalSpec> externals = new ArrayList<>();
        private final Map<String, Integer> nextHost = new TreeMap<>();

        private Builder(String name, int fabric) {
            if (fabric < 1 || fabric > 249) {
                throw new IllegalArgumentException("fabric must be 1-249 (192.168.250+ are for externals)");
            }
            this.name = name;
            this.fabric = fabric;
        }

        public Builder node(String node, String podCidr4, String podCidr6) {
            int index = nodes.size() + 1;
            nodes.add(new NodeSpec(node, index, podCidr4, podCidr6, "192.168." + fabric + "." + index,
                    "fd00:" + fabric + "::" + index));
            return this;
        }

        public Builder namespace(String ns, Map<String, String> labels) {
            Map<String, String> all = new TreeMap<>(labels);
            all.put(NAMESPACE_NAME_LABEL, ns);
            namespaces.put(ns, new NamespaceSpec(ns, all));
            return this;
        }

        /** A pod at the next free host address of its node's pod CIDRs (from .10 on). */
        public Builder pod(String key, String node, Map<String, String> labels, List<PortDecl> ports) {
            return pod(key, node, labels, ports, null);
        }

        /** A pod at an explicit IPv4 address (inside its node's pod CIDR); IPv6 is allocated. */
        public Builder pod(String key, String node, Map<String, String> labels, List<PortDecl> ports, String ip4) {
            NodeSpec n = nodeSpec(node);
            int host = nextHost.merge(node, 10, (a, b) -> a + 1);
            String v4 = ip4 != null ? ip4 : hostAddress(n.podCidr4(), host);
            if (!contains(n.podCidr4(), v4)) {
                throw new IllegalArgumentException(v4 + " is outside " + node + "'s pod CIDR " + n.podCidr4());
            }
            String[] parts = key.split("/", 2);
            requireNamespace(parts[0]);
            pods.add(new PodSpec(parts[0], parts[1], node, labels, ports, false, v4, hostAddress(n.podCidr6(), host)));
            return this;
        }

        /** A host-network pod: its IPs are its node's, so policy must treat it as node traffic. */
        public Builder hostNetworkPod(String key, String node, Map<String, String> labels, List<PortDecl> ports) {
            NodeSpec n = nodeSpec(node);
            String[] parts = key.split("/", 2);
            requireNamespace(parts[0]);
            pods.add(new PodSpec(parts[0], parts[1], node, labels, ports, true, n.ip4(), n.ip6()));
            return this;
        }

        public Builder external(String ext, String node, String ip4, String ip6) {
            nodeSpec(node);
            externals.add(new ExternalSpec(ext, node, ip4, ip6));
            return this;
        }

        public ClusterSpec build() {
            return new ClusterSpec(name, fabric, nodes, List.copyOf(namespaces.values()), pods, externals);
        }

        private NodeSpec nodeSpec(String node) {
            return nodes.stream().filter(n -> n.name().equals(node)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("declare node " + node + " first"));
        }

        private void requireNamespace(String ns) {
            if (!namespaces.containsKey(ns)) {
                throw new IllegalArgumentException("declare namespace " + ns + " first");
            }
        }
    }

    static String hostAddress(String cidr, int host) {
        String[] parts = cidr.split("/");
        BigInteger base = new BigInteger(1, bytes(parts[0]));
        byte[] raw = base.add(BigInteger.valueOf(host)).toByteArray();
        int len = parts[0].contains(":") ? 16 : 4;
        byte[] out = new byte[len];
        for (int i = 0; i < Math.min(len, raw.length); i++) {
            out[len - 1 - i] = raw[raw.length - 1 - i];
        }
        try {
            String text = InetAddress.getByAddress(out).getHostAddress();
            return len == 16 ? compressV6(text) : text;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(cidr, e);
        }
    }

    static boolean contains(String cidr, String ip) {
        String[] parts = cidr.split("/");
        byte[] net = bytes(parts[0]);
        byte[] addr = bytes(ip);
        if (net.length != addr.length) {
            return false;
        }
        int bits = Integer.parseInt(parts[1]);
        int shift = net.length * 8 - bits;
        return new BigInteger(1, net).shiftRight(shift).equals(new BigInteger(1, addr).shiftRight(shift));
    }

    private static byte[] bytes(String literal) {
        try {
            return InetAddress.getByName(literal).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP literal: " + literal, e);
        }
    }

    /** Java prints fd10:30:1:0:0:0:0:a; the rest of the world (and nft) prints fd10:30:1::a. */
    static String compressV6(String full) {
        String[] groups = full.split(":");
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < groups.length; ) {
            if (groups[i].equals("0")) {
                int j = i;
                while (j < groups.length && groups[j].equals("0")) {
                    j++;
                }
                if (j - i > bestLen && j - i > 1) {
                    bestStart = i;
                    bestLen = j - i;
                }
                i = j;
            } else {
                i++;
            }
        }
        if (bestStart < 0) {
            return full;
        }
        String head = String.join(":", List.of(groups).subList(0, bestStart));
        String tail = String.join(":", List.of(groups).subList(bestStart + bestLen, groups.length));
        return head + "::" + tail;
    }
}
