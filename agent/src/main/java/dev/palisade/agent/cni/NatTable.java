package dev.palisade.agent.cni;

import dev.palisade.dataplane.nft.Limits;
import dev.palisade.model.Cidr;
import dev.palisade.model.IpAddress.Family;
import dev.palisade.model.IpRange;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The agent's second owned table, {@code inet palisade-nat} (CNI mode only): masquerade pod traffic
 * that leaves the cluster's pod CIDRs. A table of its own rather than chains in {@code inet palisade}:
 * the policy table is a function of the rule-set contract alone (the translator's), replaced whole
 * on layout changes and compared element by element for drift, while this one is a function of the
 * nodes' pod CIDRs and exists only in CNI mode; with another CNI, it must not exist at all. Pure: the
 * script replaces the table in one transaction ({@code add; delete; table {...}}), like the policy
 * table, so packets never see it half-built.
 */
public final class NatTable {

    public static final String FAMILY = "inet";
    public static final String NAME = "palisade-nat";

    private NatTable() {
    }

    public static String script(String node, List<Cidr> clusterCidrs) {
        StringBuilder sb = new StringBuilder();
        sb.append("add table ").append(FAMILY).append(' ').append(NAME).append('\n');
        sb.append("delete table ").append(FAMILY).append(' ').append(NAME).append('\n');
        sb.append("table ").append(FAMILY).append(' ').append(NAME).append(" {\n");
        // node names may be 253 characters, nft's comments 128
        sb.append("\tcomment \"").append(Limits.label("palisade: pod masquerade for node ", node)).append("\"\n");
        for (Family f : Family.values()) {
            String v = f == Family.V4 ? "4" : "6";
            List<IpRange> ranges = IpRange.normalise(clusterCidrs.stream().filter(c -> c.family() == f)
                    .map(Cidr::range).toList());
            sb.append("\tset cluster").append(v).append(" {\n");
            sb.append("\t\ttype ").append(f == Family.V4 ? "ipv4_addr" : "ipv6_addr").append("\n");
            sb.append("\t\tflags interval\n");
            sb.append("\t\tcomment \"the cluster's pod CIDRs\"\n");
            if (!ranges.isEmpty()) {
                sb.append("\t\telements = { ").append(ranges.stream()
                        .map(r -> r.first() + "-" + r.last()).collect(Collectors.joining(", "))).append(" }\n");
            }
            sb.append("\t}\n");
        }
        sb.append("\tchain postrouting {\n");
        sb.append("\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
        sb.append("\t\tip saddr @cluster4 ip daddr != @cluster4 masquerade comment \"pod traffic leaving the cluster\"\n");
        sb.append("\t\tip6 saddr @cluster6 ip6 daddr != @cluster6 masquerade comment \"pod traffic leaving the cluster\"\n");
        sb.append("\t}\n");
        sb.append("}\n");
        return sb.toString();
    }
}
