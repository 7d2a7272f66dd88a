package dev.palisade.ruleset;

import java.util.List;

/**
 * The ClusterNetworkPolicy verdicts of one node, per direction (sorted). Empty when no ClusterNetworkPolicy
 * selects a pod of the node. Not yet carried by {@link NodeRuleSet} on the wire: see
 * docs/design/cluster-network-policy.md, "Status".
 */
public record ClusterVerdicts(String node, List<ClusterVerdict> ingress, List<ClusterVerdict> egress) {

    public ClusterVerdicts {
        ingress = ingress.stream().sorted().toList();
        egress = egress.stream().sorted().toList();
    }

    public boolean isEmpty() {
        return ingress.isEmpty() && egress.isEmpty();
    }

    public List<ClusterVerdict> direction(boolean ingressDirection) {
        return ingressDirection ? ingress : egress;
    }
}
