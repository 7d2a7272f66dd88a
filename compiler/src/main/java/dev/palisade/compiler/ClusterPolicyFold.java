package dev.palisade.compiler;

import dev.palisade.model.ClusterNetworkPolicy;
import dev.palisade.model.ClusterNetworkPolicy.Tier;
import dev.palisade.model.ClusterPeer;
import dev.palisade.model.ClusterRule;
import dev.palisade.model.ClusterRule.Action;
import dev.palisade.model.IpAddress;
import dev.palisade.model.IpRange;
import dev.palisade.model.Namespace;
import dev.palisade.model.Pod;
import dev.palisade.model.PortSpec;
import dev.palisade.model.Protocol;
import dev.palisade.ruleset.ClusterVerdict;
import dev.palisade.ruleset.ClusterVerdict.Decision;
import dev.palisade.ruleset.ClusterVerdicts;
import dev.palisade.ruleset.NodeRuleSet;
import dev.palisade.ruleset.PeerSet;
import dev.palisade.ruleset.PortRange;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Folds the tiers of ClusterNetworkPolicy into per-node verdicts at compile time, so that the dataplane
 * needs one lookup per direction however many policies and priorities there are.
 *
 * <p>For each local pod and direction, the rules that apply (those of every policy whose subject selects the
 * pod) cut the space of (peer address, protocol, port) into boxes on which every rule either matches
 * entirely or not at all: the address axis at every edge of every peer range, the port axis of TCP, UDP and
 * SCTP at every edge of every port range, plus one box for every other protocol. Each box is decided by
 * walking the tiers once for a point of it:
 * <ol>
 *   <li>Admin tier, priority ascending; inside one policy, the first matching rule. Policies of equal
 *       priority are all consulted and the strictest of their first matches wins (Deny, then Pass, then
 *       Accept): the API leaves the choice to the implementation, and this one depends neither on names nor
 *       on the order objects arrived in, and never lets a tie widen access.
 *       Accept and Deny are final; Pass, or no match, goes on.</li>
 *   <li>NetworkPolicy: a pod isolated in this direction gets no verdict for the box; the grants decide.</li>
 *   <li>Baseline tier, the same walk; only Deny matters, since Accept, Pass and no match all end in the
 *       default allow for a pod no NetworkPolicy isolates.</li>
 * </ol>
 * Boxes with the same decision and deciding rule are merged back into verdicts. Pods with the same applying
 * rules and the same isolation share the computation.
 */
public final class ClusterPolicyFold {

    private static final int OTHER = -1; // protocol slot of every protocol but TCP, UDP and SCTP

    private final ClusterIndex index;
    private final Map<ClusterPeer, List<IpRange>> peerRanges = new ConcurrentHashMap<>();

    public ClusterPolicyFold(ClusterIndex index) {
        this.index = index;
    }

    /** The verdicts of one node, given its NetworkPolicy rule set (for isolation). */
    public ClusterVerdicts fold(NodeRuleSet ruleSet) {
        List<ClusterNetworkPolicy> policies = index.clusterPolicies();
        if (policies.isEmpty()) {
            return new ClusterVerdicts(ruleSet.node(), List.of(), List.of());
        }
        List<ClusterVerdict> ingress = new ArrayList<>();
        List<ClusterVerdict> egress = new ArrayList<>();
        for (boolean in : new boolean[] {true, false}) {
            SortedSet<IpAddress> isolated = (in ? ruleSet.ingress() : ruleSet.egress()).isolated();
            // pods sharing the applying policies and isolation share one fold
            Map<String, Group> groups = new TreeMap<>();
            for (Pod pod : index.endpointsOnNode(ruleSet.node())) {
                List<ClusterNetworkPolicy> applying = policies.stream()
                        .filter(p -> !p.rules(in).isEmpty() && selects(p, pod)).toList();
                if (applying.isEmpty()) {
                    continue;
                }
                boolean podIsolated = pod.ips().stream().anyMatch(isolated::contains);
                String key = podIsolated + applying.stream().map(ClusterNetworkPolicy::name).toList().toString();
                groups.computeIfAbsent(key, k -> new Group(applying, podIsolated)).pods.addAll(pod.ips());
            }
            for (Group g : groups.values()) {
                (in ? ingress : egress).addAll(foldGroup(g, in));
            }
        }
        return new ClusterVerdicts(ruleSet.node(), mergePods(ingress), mergePods(egress));
    }

    /** Verdicts of different pod groups that say the same thing about the same peers and ports become one. */
    private static List<ClusterVerdict> mergePods(List<ClusterVerdict> verdicts) {
        Map<String, ClusterVerdict> merged = new TreeMap<>();
        for (ClusterVerdict v : verdicts) {
            String key = v.decision() + " " + v.rule() + " " + v.peers() + " " + v.ports() + " " + v.otherProtocols();
            merged.merge(key, v, (a, b) -> {
                SortedSet<IpAddress> pods = new TreeSet<>(a.pods());
                pods.addAll(b.pods());
                return new ClusterVerdict(a.decision(), a.rule(), pods, a.peers(), a.ports(), a.otherProtocols());
            });
        }
        return new ArrayList<>(merged.values());
    }

    private static final class Group {
        final List<ClusterNetworkPolicy> policies;
        final boolean isolated;
        final SortedSet<IpAddress> pods = new TreeSet<>();

        Group(List<ClusterNetworkPolicy> policies, boolean isolated) {
            this.policies = policies;
            this.isolated = isolated;
        }
    }

    /** A rule with its peers resolved to sorted disjoint ranges. */
    private record Resolved(ClusterNetworkPolicy policy, ClusterRule rule, String ref, List<IpRange> peers) {
        boolean matches(IpAddress peer, int protocol, int port) {
            return containsAddress(peers, peer) && portMatches(rule.ports(), protocol, port);
        }
    }

    private record Box(int protocol, int first, int last) {
    }

    private record Outcome(Decision decision, String rule) {
    }

    private List<ClusterVerdict> foldGroup(Group g, boolean in) {
        List<Resolved> rules = new ArrayList<>();
        for (ClusterNetworkPolicy p : g.policies) {
            List<ClusterRule> list = p.rules(in);
            for (int i = 0; i < list.size(); i++) {
                rules.add(new Resolved(p, list.get(i), p.name() + "#" + (in ? "ingress" : "egress") + "[" + i + "]",
                        resolve(list.get(i))));
            }
        }
        List<IpAddress> starts = addressStarts(rules);
        List<Box> boxes = portBoxes(rules);
        // outcome -> box -> address ranges it decides
        Map<Outcome, Map<Box, List<IpRange>>> decided = new TreeMap<>(Comparator
                .comparing(Outcome::rule).thenComparing(Outcome::decision));
        for (int i = 0; i < starts.size(); i++) {
            IpAddress start = starts.get(i);
            IpAddress next = i + 1 < starts.size() && starts.get(i + 1).family() == start.family() ? starts.get(i + 1) : null;
            IpRange interval = new IpRange(start, next == null ? last(start.family()) : next.previous());
            for (Box box : boxes) {
                Outcome o = decide(rules, g.isolated, start, box.protocol(), box.first());
                if (o != null) {
                    decided.computeIfAbsent(o, k -> new TreeMap<>(Comparator.comparingInt(Box::protocol)
                            .thenComparingInt(Box::first))).computeIfAbsent(box, k -> new ArrayList<>()).add(interval);
                }
            }
        }
        List<ClusterVerdict> out = new ArrayList<>();
        for (Map.Entry<Outcome, Map<Box, List<IpRange>>> e : decided.entrySet()) {
            // boxes with equal peer sets become one verdict
            Map<List<IpRange>, List<Box>> byPeers = new TreeMap<>(Comparator.comparing(Object::toString));
            e.getValue().forEach((box, ranges) -> byPeers.computeIfAbsent(IpRange.normalise(ranges), k -> new ArrayList<>()).add(box));
            byPeers.forEach((ranges, bs) -> out.add(verdict(e.getKey(), g.pods, ranges, bs)));
        }
        return out;
    }

    private static ClusterVerdict verdict(Outcome o, SortedSet<IpAddress> pods, List<IpRange> ranges, List<Box> boxes) {
        SortedSet<IpAddress> addresses = new TreeSet<>();
        List<IpRange> wide = new ArrayList<>();
        for (IpRange r : ranges) {
            if (r.isSingle()) {
                addresses.add(r.first());
            } else {
                wide.add(r);
            }
        }
        boolean other = false;
        List<PortRange> ports = new ArrayList<>();
        PortRange open = null;
        for (Box b : boxes) { // sorted by protocol and first port, so neighbours merge
            if (b.protocol() == OTHER) {
                other = true;
                continue;
            }
            Protocol p = protocol(b.protocol());
            if (open != null && open.protocol() == p && open.last() + 1 == b.first()) {
                open = new PortRange(p, open.first(), b.last());
            } else {
                if (open != null) {
                    ports.add(open);
                }
                open = new PortRange(p, b.first(), b.last());
            }
        }
        if (open != null) {
            ports.add(open);
        }
        return new ClusterVerdict(o.decision(), o.rule(), pods, new PeerSet(false, addresses, wide), ports, other);
    }

    /** The walk of the tiers for one point, as described on the class; null when NetworkPolicy (or the default) decides. */
    private static Outcome decide(List<Resolved> rules, boolean isolated, IpAddress peer, int protocol, int port) {
        Resolved admin = firstMatch(rules, Tier.Admin, peer, protocol, port);
        if (admin != null && admin.rule().action() != Action.Pass) {
            return new Outcome(admin.rule().action() == Action.Accept ? Decision.ACCEPT : Decision.DENY, admin.ref());
        }
        if (isolated) {
            return null;
        }
        Resolved baseline = firstMatch(rules, Tier.Baseline, peer, protocol, port);
        if (baseline != null && baseline.rule().action() == Action.Deny) {
            return new Outcome(Decision.DENY, baseline.ref());
        }
        return null;
    }

    /** The deciding rule of a tier: the lowest priority with a match; among its policies, the strictest first match. */
    private static Resolved firstMatch(List<Resolved> rules, Tier tier, IpAddress peer, int protocol, int port) {
        Resolved best = null;
        Set<String> decidedPolicies = new HashSet<>();
        for (Resolved r : rules) { // policies in tier, priority, name order; rules in order
            if (r.policy().tier() != tier) {
                continue;
            }
            if (best != null && r.policy().priority() != best.policy().priority()) {
                break;
            }
            if (decidedPolicies.contains(r.policy().name()) || !r.matches(peer, protocol, port)) {
                continue;
            }
            decidedPolicies.add(r.policy().name());
            if (best == null || strictness(r.rule().action()) > strictness(best.rule().action())) {
                best = r;
            }
        }
        return best;
    }

    private static int strictness(Action a) {
        return switch (a) {
            case Accept -> 0;
            case Pass -> 1;
            case Deny -> 2;
        };
    }

    // ------------------------------------------------------------------------------ the boxes

    private static List<IpAddress> addressStarts(List<Resolved> rules) {
        SortedSet<IpAddress> starts = new TreeSet<>();
        for (Resolved r : rules) {
            for (IpRange range : r.peers()) {
                starts.add(range.first());
                IpAddress after = range.last().next();
                if (after != null) {
                    starts.add(after);
                }
            }
        }
        return new ArrayList<>(starts);
    }

    private static List<Box> portBoxes(List<Resolved> rules) {
        List<Box> boxes = new ArrayList<>();
        for (Protocol p : Protocol.values()) {
            SortedSet<Integer> starts = new TreeSet<>(List.of(0));
            for (Resolved r : rules) {
                for (PortSpec s : r.rule().ports()) {
                    if (s instanceof PortSpec.Numbered n && n.protocol() == p) {
                        starts.add(n.port());
                        if (n.endPort() < 65535) {
                            starts.add(n.endPort() + 1);
                        }
                    }
                }
            }
            List<Integer> list = new ArrayList<>(starts);
            for (int i = 0; i < list.size(); i++) {
                boxes.add(new Box(p.number(), list.get(i), i + 1 < list.size() ? list.get(i + 1) - 1 : 65535));
            }
        }
        boxes.add(new Box(OTHER, 0, 65535));
        return boxes;
    }

    private static boolean portMatches(List<PortSpec> ports, int protocol, int port) {
        if (ports.isEmpty()) {
            return true;
        }
        for (PortSpec s : ports) {
            if (s.protocol().number() != protocol) {
                continue;
            }
            if (s instanceof PortSpec.AllPorts
                    || (s instanceof PortSpec.Numbered n && n.port() <= port && port <= n.endPort())) {
                return true;
            }
        }
        return false;
    }

    private static Protocol protocol(int number) {
        for (Protocol p : Protocol.values()) {
            if (p.number() == number) {
                return p;
            }
        }
        throw new IllegalArgumentException("protocol " + number);
    }

    private static IpAddress last(IpAddress.Family family) {
        return family == IpAddress.Family.V4 ? IpAddress.parse("255.255.255.255")
                : IpAddress.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    }

    private static boolean containsAddress(List<IpRange> sorted, IpAddress a) {
        int lo = 0;
        int hi = sorted.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            IpRange r = sorted.get(mid);
            if (a.compareTo(r.first()) < 0) {
                hi = mid - 1;
            } else if (a.compareTo(r.last()) > 0) {
                lo = mid + 1;
            } else {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------------------ selection

    private boolean selects(ClusterNetworkPolicy p, Pod pod) {
        return p.subject().namespaces().matches(namespaceLabels(pod.namespace())) && p.subject().pods().matches(pod.labels());
    }

    private Map<String, String> namespaceLabels(String namespace) {
        return index.namespace(namespace).<Map<String, String>>map(Namespace::labels).orElse(Map.of(Namespace.NAME_LABEL, namespace));
    }

    /** A rule's peers as sorted disjoint address ranges (pod addresses as single-address ranges). */
    private List<IpRange> resolve(ClusterRule rule) {
        List<IpRange> all = new ArrayList<>();
        for (ClusterPeer peer : rule.peers()) {
            all.addAll(peerRanges.computeIfAbsent(peer, this::resolvePeer));
        }
        return IpRange.normalise(all);
    }

    private List<IpRange> resolvePeer(ClusterPeer peer) {
        if (peer instanceof ClusterPeer.Networks n) {
            return n.ranges();
        }
        ClusterPeer.Pods sel = (ClusterPeer.Pods) peer;
        List<IpRange> out = new ArrayList<>();
        for (Pod p : index.allEndpoints()) {
            if (sel.namespaces().matches(namespaceLabels(p.namespace())) && sel.pods().matches(p.labels())) {
                p.ips().forEach(ip -> out.add(IpRange.of(ip)));
            }
        }
        return Collections.unmodifiableList(IpRange.normalise(out));
    }
}
