package dev.palisade.model;

import java.util.List;
import java.util.Optional;

/** One entry of a rule's {@code from} or {@code to}. */
public sealed interface Peer extends Comparable<Peer> {

    /**
     * Pods by selector. An absent namespace selector means the policy's own namespace; a present one
     * (even empty) selects namespaces, ANDed with the pod selector.
     */
    record Pods(LabelSelector podSelector, Optional<LabelSelector> namespaceSelector) implements Peer {
        public Pods {
            podSelector = podSelector == null ? LabelSelector.EVERYTHING : podSelector;
            namespaceSelector = namespaceSelector == null ? Optional.empty() : namespaceSelector;
        }
    }

    /** An ipBlock: a CIDR minus its exceptions, matched against any address, pod IPs included. */
    record IpBlock(Cidr cidr, List<Cidr> except) implements Peer {
        public IpBlock {
            if (cidr == null) {
                throw new IllegalArgumentException("ipBlock.cidr is required");
            }
            except = except == null ? List.of() : except.stream().distinct().sorted().toList();
            for (Cidr e : except) {
                if (e.family() != cidr.family() || !cidr.contains(e.first()) || !cidr.contains(e.last())) {
                    throw new IllegalArgumentException("except " + e + " is not inside cidr " + cidr);
                }
            }
        }

        /** The matched addresses as sorted disjoint ranges. */
        public List<IpRange> ranges() {
            return cidr.range().minus(except.stream().map(Cidr::range).toList());
        }
    }

    @Override
    default int compareTo(Peer o) {
        return toString().compareTo(o.toString());
    }
}
