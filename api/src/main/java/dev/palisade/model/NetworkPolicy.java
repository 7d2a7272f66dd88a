package dev.palisade.model;

import java.util.List;

/**
 * A NetworkPolicy after defaulting: {@code affectsIngress}/{@code affectsEgress} are the effective
 * policyTypes (Ingress always, Egress when egress rules are present, unless policyTypes is given).
 */
public record NetworkPolicy(String namespace, String name, LabelSelector podSelector,
                            boolean affectsIngress, boolean affectsEgress,
                            List<Rule> ingress, List<Rule> egress) implements Comparable<NetworkPolicy> {

    public NetworkPolicy {
        if (namespace == null || namespace.isEmpty() || name == null || name.isEmpty()) {
            throw new IllegalArgumentException("policy namespace and name are required");
        }
        podSelector = podSelector == null ? LabelSelector.EVERYTHING : podSelector;
        ingress = ingress == null ? List.of() : List.copyOf(ingress);
        egress = egress == null ? List.of() : List.copyOf(egress);
    }

    public String key() {
        return namespace + "/" + name;
    }

    @Override
    public int compareTo(NetworkPolicy o) {
        int c = namespace.compareTo(o.namespace);
        return c != 0 ? c : name.compareTo(o.name);
    }
}
