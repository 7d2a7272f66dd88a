package dev.palisade.model;

import java.util.List;

/** One entry of a ClusterNetworkPolicy rule's {@code from} or {@code to}. */
public sealed interface ClusterPeer {

    /** Pods by namespace selector AND pod selector ({@code namespaces:} is this with an empty pod selector). */
    record Pods(LabelSelector namespaces, LabelSelector pods) implements ClusterPeer {
        public Pods {
            namespaces = namespaces == null ? LabelSelector.EVERYTHING : namespaces;
            pods = pods == null ? LabelSelector.EVERYTHING : pods;
        }
    }

    /** CIDRs, matched against any address, pod IPs included (egress only in the API). */
    record Networks(List<Cidr> cidrs) implements ClusterPeer {
        public Networks {
            cidrs = cidrs == null ? List.of() : cidrs.stream().distinct().sorted().toList();
            if (cidrs.isEmpty()) {
                throw new IllegalArgumentException("networks needs at least one CIDR");
            }
        }

        public List<IpRange> ranges() {
            return IpRange.normalise(cidrs.stream().map(Cidr::range).toList());
        }
    }
}
