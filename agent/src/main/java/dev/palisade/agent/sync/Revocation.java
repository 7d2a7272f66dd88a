package dev.palisade.agent.sync;

import dev.palisade.model.IpAddress;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;
import dev.palisade.ruleset.PortRange;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Which open connections a rule-set change revokes. The table accepts {@code ct state
 * established,related} first, so the kernel never judges an established connection again: when a
 * change denies a flow that an open connection uses, the agent must delete that connection's
 * conntrack entry, and then its next packet is new to conntrack and meets the policy.
 *
 * <p>Pure: the rule sets before and after, the node's own addresses and the tracked flows in, the
 * flows to delete out. A flow is revoked when the rules before allowed it and the rules after do
 * not, judged the way the table judges it: in {@code forward}, the egress verdict of a local source
 * pod and the ingress verdict of a local destination pod. Traffic from or to the node itself never
 * passes {@code forward} and is always allowed, so it is never revoked. With no rules before (the
 * agent's first apply: what its predecessor enforced is unknown) every tracked flow is taken as
 * allowed before, so a change made while the agent was down is enforced on open connections too.
 */
public final class Revocation {

    private Revocation() {
    }

    /**
     * The local pods whose allowances may have shrunk: isolated after, and isolated before with a
     * different set of grants (or not isolated before, or before unknown). Empty means no tracked
     * flow can be revoked and the conntrack table need not be read.
     */
    public static SortedSet<IpAddress> narrowed(Optional<NodeRuleSet> before, NodeRuleSet after) {
        return narrowed(before, after, pod -> false);
    }

    /**
     * As {@link #narrowed(Optional, NodeRuleSet)}, leaving out the pods that {@code before} did not
     * list and that the pending guard held while they were unknown ({@code heldWhileUnknown}): a
     * pod that could not send or receive has no allowed connection to cut. Under pod churn on a
     * default-deny node every new pod arrives isolated, and without this each would cost a dump of
     * the node's conntrack table.
     */
    public static SortedSet<IpAddress> narrowed(Optional<NodeRuleSet> before, NodeRuleSet after,
                                                Predicate<IpAddress> heldWhileUnknown) {
        SortedSet<IpAddress> out = new TreeSet<>();
        Predicate<IpAddress> skip = pod -> before.isPresent() && !before.get().localPods().contains(pod)
                && heldWhileUnknown.test(pod);
        narrowed(before.map(NodeRuleSet::ingress), after.ingress(), skip, out);
        narrowed(before.map(NodeRuleSet::egress), after.egress(), skip, out);
        return out;
    }

    private static void narrowed(Optional<DirectionRules> before, DirectionRules after, Predicate<IpAddress> skip,
                                 SortedSet<IpAddress> out) {
        Map<IpAddress, List<Grant>> was = before.map(Revocation::byPod).orElse(Map.of());
        Map<IpAddress, List<Grant>> now = byPod(after);
        for (IpAddress pod : after.isolated()) {
            if (skip.test(pod)) {
                continue;
            }
            if (before.isEmpty() || !before.get().isolated().contains(pod)
                    || !sameAllowances(was.getOrDefault(pod, List.of()), now.getOrDefault(pod, List.of()))) {
                out.add(pod);
            }
        }
    }

    private static boolean sameAllowances(List<Grant> a, List<Grant> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).peers().equals(b.get(i).peers()) || !a.get(i).ports().equals(b.get(i).ports())) {
                return false;
            }
        }
        return true;
    }

    /** The tracked flows that {@code before} allowed and {@code after} denies. */
    public static List<TrackedFlow> revoked(Optional<NodeRuleSet> before, NodeRuleSet after, Set<IpAddress> nodeAddresses,
                                            List<TrackedFlow> tracked) {
        return revoked(before, after, pod -> false, nodeAddresses, tracked);
    }

    /** As {@link #revoked(Optional, NodeRuleSet, Set, List)}, with the pods the pending guard held left out. */
    public static List<TrackedFlow> revoked(Optional<NodeRuleSet> before, NodeRuleSet after,
                                            Predicate<IpAddress> heldWhileUnknown, Set<IpAddress> nodeAddresses,
                                            List<TrackedFlow> tracked) {
        return revoked(before, after, narrowed(before, after, heldWhileUnknown), nodeAddresses, tracked);
    }

    /** The tracked flows of the {@code narrowed} pods ({@link #narrowed}) that {@code before} allowed and {@code after} denies. */
    public static List<TrackedFlow> revoked(Optional<NodeRuleSet> before, NodeRuleSet after, SortedSet<IpAddress> narrowed,
                                            Set<IpAddress> nodeAddresses, List<TrackedFlow> tracked) {
        if (narrowed.isEmpty()) {
            return List.of();
        }
        Verdicts was = before.map(Verdicts::new).orElse(null);
        Verdicts now = new Verdicts(after);
        List<TrackedFlow> out = new ArrayList<>();
        for (TrackedFlow f : tracked) {
            if (!narrowed.contains(f.src()) && !narrowed.contains(f.dst())) {
                continue;
            }
            if (nodeAddresses.contains(f.src()) || nodeAddresses.contains(f.dst())) {
                continue; // to or from the node: never filtered
            }
            if ((was == null || was.allows(f)) && !now.allows(f)) {
                out.add(f);
            }
        }
        return out;
    }

    private static Map<IpAddress, List<Grant>> byPod(DirectionRules rules) {
        Map<IpAddress, List<Grant>> out = new HashMap<>();
        for (Grant g : rules.grants()) { // sorted: equal allowances give equal lists
            for (IpAddress pod : g.pods()) {
                out.computeIfAbsent(pod, k -> new ArrayList<>()).add(g);
            }
        }
        return out;
    }

    /** The verdicts of one rule set, indexed by local pod. */
    private static final class Verdicts {
        private final DirectionRules ingress;
        private final DirectionRules egress;
        private final Map<IpAddress, List<Grant>> ingressByPod;
        private final Map<IpAddress, List<Grant>> egressByPod;

        Verdicts(NodeRuleSet rules) {
            this.ingress = rules.ingress();
            this.egress = rules.egress();
            this.ingressByPod = byPod(ingress);
            this.egressByPod = byPod(egress);
        }

        boolean allows(TrackedFlow f) {
            return allows(egress, egressByPod, f.src(), f.dst(), f) && allows(ingress, ingressByPod, f.dst(), f.src(), f);
        }

        private static boolean allows(DirectionRules rules, Map<IpAddress, List<Grant>> byPod, IpAddress local,
                                      IpAddress peer, TrackedFlow f) {
            if (!rules.isolated().contains(local)) {
                return true;
            }
            for (Grant g : byPod.getOrDefault(local, List.of())) {
                if (g.peers().contains(peer) && portsAllow(g.ports(), f)) {
                    return true;
                }
            }
            return false;
        }

        private static boolean portsAllow(List<PortRange> ports, TrackedFlow f) {
            if (ports.isEmpty()) {
                return true;
            }
            for (PortRange r : ports) {
                if (r.protocol().number() == f.l4proto() && r.first() <= f.dport() && f.dport() <= r.last()) {
                    return true;
                }
            }
            return false;
        }
    }
}
