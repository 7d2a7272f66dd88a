package dev.palisade.model;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * A pod as policy sees it: where it runs, its labels, its IPs (status.podIPs) and declared ports;
 * and its {@code metadata.uid} ("" when unknown, as in manifests), which tells a pod from the one
 * that held its name or its address before it.
 */
public record Pod(String namespace, String name, String nodeName, SortedMap<String, String> labels,
                  List<IpAddress> ips, boolean hostNetwork, Phase phase, List<ContainerPort> ports, String uid)
        implements Comparable<Pod> {

    public enum Phase {
        Pending, Running, Succeeded, Failed, Unknown;

        public static Phase parse(String text) {
            if (text == null || text.isEmpty()) {
                return Pending;
            }
            for (Phase p : values()) {
                if (p.name().equals(text)) {
                    return p;
                }
            }
            return Unknown;
        }
    }

    public Pod(String namespace, String name, String nodeName, Map<String, String> labels,
               List<IpAddress> ips, boolean hostNetwork, Phase phase, List<ContainerPort> ports, String uid) {
        this(namespace, name, nodeName, Labels.copy(labels), ips, hostNetwork, phase, ports, uid);
    }

    /** A pod without a known uid. */
    public Pod(String namespace, String name, String nodeName, Map<String, String> labels,
               List<IpAddress> ips, boolean hostNetwork, Phase phase, List<ContainerPort> ports) {
        this(namespace, name, nodeName, Labels.copy(labels), ips, hostNetwork, phase, ports, "");
    }

    public Pod {
        if (namespace == null || namespace.isEmpty() || name == null || name.isEmpty()) {
            throw new IllegalArgumentException("pod namespace and name are required");
        }
        labels = Labels.copy(labels);
        ips = ips == null ? List.of() : ips.stream().distinct().sorted().toList();
        ports = ports == null ? List.of() : ports.stream().sorted().toList();
        phase = phase == null ? Phase.Pending : phase;
        uid = uid == null ? "" : uid;
    }

    /**
     * Whether policy treats this pod as a pod: host-network pods are node traffic, pods without an
     * IP have nothing to match, and finished pods may have their IPs reused by others.
     */
    public boolean isPolicyEndpoint() {
        return !hostNetwork && !ips.isEmpty() && phase != Phase.Succeeded && phase != Phase.Failed;
    }

    public String key() {
        return namespace + "/" + name;
    }

    @Override
    public int compareTo(Pod o) {
        int c = namespace.compareTo(o.namespace);
        return c != 0 ? c : name.compareTo(o.name);
    }
}
