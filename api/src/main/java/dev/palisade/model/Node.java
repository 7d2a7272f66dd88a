package dev.palisade.model;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/** A node: its name, labels, internal addresses and pod CIDRs. */
public record Node(String name, SortedMap<String, String> labels, List<IpAddress> addresses, List<Cidr> podCidrs)
        implements Comparable<Node> {

    public Node(String name, Map<String, String> labels, List<IpAddress> addresses, List<Cidr> podCidrs) {
        this(name, Labels.copy(labels), addresses, podCidrs);
    }

    public Node {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("node name is required");
        }
        labels = Labels.copy(labels);
        addresses = addresses == null ? List.of() : addresses.stream().distinct().sorted().toList();
        podCidrs = podCidrs == null ? List.of() : podCidrs.stream().distinct().sorted().toList();
    }

    @Override
    public int compareTo(Node o) {
        return name.compareTo(o.name);
    }
}
