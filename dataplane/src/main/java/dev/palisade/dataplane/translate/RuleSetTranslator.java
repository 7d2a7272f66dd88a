package dev.palisade.dataplane.translate;

import dev.palisade.dataplane.nft.Chain;
import dev.palisade.dataplane.nft.Element;
import dev.palisade.dataplane.nft.Field;
import dev.palisade.dataplane.nft.KeyType;
import dev.palisade.dataplane.nft.Limits;
import dev.palisade.dataplane.nft.Match;
import dev.palisade.dataplane.nft.NamedSet;
import dev.palisade.dataplane.nft.Rule;
import dev.palisade.dataplane.nft.Table;
import dev.palisade.dataplane.nft.Value;
import dev.palisade.dataplane.nft.Verdict;
import dev.palisade.dataplane.translate.Layout.Direction;
import dev.palisade.dataplane.translate.Layout.Kind;
import dev.palisade.model.IpAddress;
import dev.palisade.model.IpAddress.Family;
import dev.palisade.model.IpRange;
import dev.palisade.ruleset.ClusterVerdict;
import dev.palisade.ruleset.ClusterVerdict.Decision;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;
import dev.palisade.ruleset.PortRange;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Translates a node's rule set into the owned nftables table. Pure and deterministic.
 *
 * <p>Each grant expands into set elements keyed by (local pod, peer, protocol, port): exact pod
 * peers and single ports go to hash sets, ipBlock ranges and endPort ranges to interval sets. The
 * kernel's interval backend for concatenations rejects overlapping elements, so interval elements
 * are cut into disjoint boxes here.
 */
public final class RuleSetTranslator {

    private static final IpRange ALL_V4 = new IpRange(IpAddress.parse("0.0.0.0"), IpAddress.parse("255.255.255.255"));
    private static final IpRange ALL_V6 = new IpRange(IpAddress.parse("::"),
            IpAddress.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));

    private RuleSetTranslator() {
    }

    public static Table translate(NodeRuleSet rules) {
        List<NamedSet> sets = new ArrayList<>();
        for (Family f : Family.values()) {
            sets.add(addressSet(Layout.podsSet(f), f, rules.localPods(), "local pod addresses"));
        }
        // Without ClusterNetworkPolicy verdicts the table is exactly what it was before they existed.
        boolean cluster = !rules.ingress().verdicts().isEmpty() || !rules.egress().verdicts().isEmpty();
        for (Direction d : Direction.values()) {
            DirectionRules dr = d == Direction.INGRESS ? rules.ingress() : rules.egress();
            for (Family f : Family.values()) {
                sets.addAll(directionSets(d, f, dr));
                if (cluster) {
                    sets.add(verdictSet(d, f, dr.verdicts(), Decision.ACCEPT));
                    sets.add(verdictSet(d, f, dr.verdicts(), Decision.DENY));
                }
            }
        }
        String comment = Limits.label("palisade: policy for node ", rules.node()); // node names may be 253 characters
        return new Table(Layout.FAMILY, Layout.TABLE, comment, sets, chains(cluster));
    }

    /** Every IP protocol number but TCP (6), UDP (17) and SCTP (132): what "other protocols" covers. */
    private static final List<Value.Proto> OTHER_PROTOCOLS = List.of(new Value.Proto(0, 5), new Value.Proto(7, 16),
            new Value.Proto(18, 131), new Value.Proto(133, 255));

    /**
     * The verdicts of one decision as interval elements local . peer range . protocol (range) . port range.
     * The compiler never lets an ACCEPT and a DENY cover the same point, so the two sets can be looked up in
     * either order; inside one set, boxes are still cut disjoint as pipapo requires.
     */
    private static NamedSet verdictSet(Direction d, Family f, List<ClusterVerdict> verdicts, Decision decision) {
        Map<IpAddress, Map<Value.Proto, List<Box>>> boxes = new TreeMap<>();
        for (ClusterVerdict v : verdicts) {
            if (v.decision() != decision) {
                continue;
            }
            List<IpRange> peers = new ArrayList<>();
            v.peers().addresses().stream().filter(a -> a.family() == f).forEach(a -> peers.add(IpRange.of(a)));
            if (v.peers().any()) {
                peers.add(f == Family.V4 ? ALL_V4 : ALL_V6);
            }
            v.peers().ranges().stream().filter(r -> r.family() == f).forEach(peers::add);
            for (IpAddress local : v.pods()) {
                if (local.family() != f) {
                    continue;
                }
                Map<Value.Proto, List<Box>> byProto = boxes.computeIfAbsent(local, k -> new TreeMap<>());
                for (IpRange peer : peers) {
                    for (PortRange pr : v.ports()) {
                        byProto.computeIfAbsent(new Value.Proto(pr.protocol().number()), k -> new ArrayList<>())
                                .add(new Box(peer, pr.first(), pr.last()));
                    }
                    if (v.otherProtocols()) {
                        for (Value.Proto other : OTHER_PROTOCOLS) {
                            byProto.computeIfAbsent(other, k -> new ArrayList<>()).add(new Box(peer, 0, 65535));
                        }
                    }
                }
            }
        }
        SortedSet<Element> elements = new TreeSet<>();
        boxes.forEach((local, byProto) -> byProto.forEach((proto, list) -> {
            for (Box b : disjoint(list)) {
                elements.add(Element.of(address(local), new Value.Address(b.peers), proto, new Value.Port(b.first, b.last)));
            }
        }));
        String dir = d == Direction.INGRESS ? "ingress" : "egress";
        KeyType addr = addrType(f);
        return new NamedSet(Layout.set(d, decision == Decision.ACCEPT ? Kind.CLUSTER_ACCEPT : Kind.CLUSTER_DENY, f),
                List.of(addr, addr, KeyType.INET_PROTO, KeyType.INET_SERVICE), true, elements,
                dir + ": ClusterNetworkPolicy " + (decision == Decision.ACCEPT ? "accepts" : "denies")
                        + " pod . peer range . protocols . ports");
    }

    private static NamedSet addressSet(String name, Family f, Set<IpAddress> addresses, String comment) {
        SortedSet<Element> elements = new TreeSet<>();
        for (IpAddress a : addresses) {
            if (a.family() == f) {
                elements.add(Element.of(address(a)));
            }
        }
        return new NamedSet(name, List.of(addrType(f)), false, elements, comment);
    }

    private static List<NamedSet> directionSets(Direction d, Family f, DirectionRules dr) {
        SortedSet<Element> any = new TreeSet<>();
        SortedSet<Element> port = new TreeSet<>();
        Map<IpAddress, List<IpRange>> cidrs = new TreeMap<>();
        Map<IpAddress, Map<Integer, List<Box>>> boxes = new TreeMap<>();
        for (Grant g : dr.grants()) {
            List<IpAddress> exactPeers = g.peers().addresses().stream().filter(a -> a.family() == f).toList();
            List<IpRange> rangePeers = g.peers().any() ? List.of(f == Family.V4 ? ALL_V4 : ALL_V6)
                    : g.peers().ranges().stream().filter(r -> r.family() == f).toList();
            if (exactPeers.isEmpty() && rangePeers.isEmpty()) {
                continue;
            }
            for (IpAddress local : g.pods()) {
                if (local.family() != f) {
                    continue;
                }
                if (g.ports().isEmpty()) {
                    exactPeers.forEach(p -> any.add(Element.of(address(local), address(p))));
                    cidrs.computeIfAbsent(local, k -> new ArrayList<>()).addAll(rangePeers);
                    continue;
                }
                for (PortRange pr : g.ports()) {
                    Map<Integer, List<Box>> byProto = boxes.computeIfAbsent(local, k -> new TreeMap<>());
                    for (IpAddress p : exactPeers) {
                        if (pr.isSingle()) {
                            port.add(Element.of(address(local), address(p), proto(pr), new Value.Port(pr.first(), pr.last())));
                        } else {
                            byProto.computeIfAbsent(pr.protocol().number(), k -> new ArrayList<>())
                                    .add(new Box(IpRange.of(p), pr.first(), pr.last()));
                        }
                    }
                    for (IpRange r : rangePeers) {
                        byProto.computeIfAbsent(pr.protocol().number(), k -> new ArrayList<>())
                                .add(new Box(r, pr.first(), pr.last()));
                    }
                }
            }
        }
        SortedSet<Element> cidr = new TreeSet<>();
        cidrs.forEach((local, ranges) -> IpRange.normalise(ranges)
                .forEach(r -> cidr.add(Element.of(address(local), new Value.Address(r)))));
        SortedSet<Element> range = new TreeSet<>();
        boxes.forEach((local, byProto) -> byProto.forEach((protoNumber, list) -> {
            for (Box b : disjoint(list)) {
                range.add(Element.of(address(local), new Value.Address(b.peers), new Value.Proto(protoNumber),
                        new Value.Port(b.first, b.last)));
            }
        }));
        KeyType addr = addrType(f);
        String dir = d == Direction.INGRESS ? "ingress" : "egress";
        List<NamedSet> out = new ArrayList<>();
        out.add(addressSet(Layout.set(d, Kind.ISO, f), f, dr.isolated(), "pods isolated for " + dir));
        out.add(new NamedSet(Layout.set(d, Kind.ANY, f), List.of(addr, addr), false, any,
                dir + ": pod . peer, every port"));
        out.add(new NamedSet(Layout.set(d, Kind.CIDR, f), List.of(addr, addr), true, cidr,
                dir + ": pod . peer range, every port"));
        out.add(new NamedSet(Layout.set(d, Kind.PORT, f),
                List.of(addr, addr, KeyType.INET_PROTO, KeyType.INET_SERVICE), false, port,
                dir + ": pod . peer . protocol . port"));
        out.add(new NamedSet(Layout.set(d, Kind.RANGE, f),
                List.of(addr, addr, KeyType.INET_PROTO, KeyType.INET_SERVICE), true, range,
                dir + ": pod . peer range . protocol . port range"));
        return out;
    }

    /** A rectangle of peer addresses times a port range, for one local pod and protocol. */
    private record Box(IpRange peers, int first, int last) {
    }

    /**
     * Cuts overlapping boxes into disjoint ones covering the same points: split the port axis at
     * every box edge, take the union of peer ranges over each slice, and merge neighbouring slices
     * whose unions are equal.
     */
    static List<Box> disjoint(List<Box> boxes) {
        TreeSet<Integer> edges = new TreeSet<>();
        for (Box b : boxes) {
            edges.add(b.first);
            edges.add(b.last + 1);
        }
        List<Integer> cuts = new ArrayList<>(edges);
        List<Box> out = new ArrayList<>();
        List<IpRange> openPeers = null;
        int openFirst = -1;
        int openLast = -1;
        for (int i = 0; i + 1 < cuts.size(); i++) {
            int from = cuts.get(i);
            int to = cuts.get(i + 1) - 1;
            List<IpRange> covering = new ArrayList<>();
            for (Box b : boxes) {
                if (b.first <= from && b.last >= to) {
                    covering.add(b.peers);
                }
            }
            List<IpRange> peers = IpRange.normalise(covering);
            if (openPeers != null && openPeers.equals(peers) && openLast + 1 == from) {
                openLast = to;
                continue;
            }
            flush(out, openPeers, openFirst, openLast);
            openPeers = peers;
            openFirst = from;
            openLast = to;
        }
        flush(out, openPeers, openFirst, openLast);
        return out;
    }

    private static void flush(List<Box> out, List<IpRange> peers, int first, int last) {
        if (peers == null) {
            return;
        }
        for (IpRange r : peers) {
            out.add(new Box(r, first, last));
        }
    }

    /**
     * Only {@code forward} is hooked. Kubernetes always allows traffic between a pod and the node it
     * runs on, in both directions ("traffic to and from the node where a Pod is running is always
     * allowed, regardless of the IP address of the Pod or the node"): the node's own traffic to its
     * pods leaves through {@code output} and a pod's traffic to its node arrives through
     * {@code input}, and neither is filtered.
     *
     * <p>Fails closed: {@code forward}'s policy is {@code drop} and every verdict after the conntrack
     * rule is reached by {@code goto}, which leaves nothing to come back to. A chain that ends without
     * a verdict therefore falls to the policy: a chain emptied by hand ({@code nft flush chain}) or a
     * table emptied by hand ({@code nft flush table}) drops new connections instead of letting them
     * through. The only {@code accept} for a first packet is the last rule of {@code ingress}; the
     * egress chains reach it by {@code goto ingress} on a hit, so a same-node flow still needs both
     * verdicts. The per-packet path is the same lookups as with jump and return.
     */
    private static List<Chain> chains(boolean cluster) {
        List<Chain> out = new ArrayList<>();
        List<Rule> forward = new ArrayList<>();
        forward.add(new Rule(List.of(new Match.CtState(Set.of("established", "related"))), false, Verdict.ACCEPT,
                null));
        for (Family f : Family.values()) {
            forward.addAll(midStream(f));
        }
        if (cluster) {
            for (Family f : Family.values()) {
                forward.addAll(clusterVerdicts(Direction.EGRESS, f, Verdict.goTo(Layout.INGRESS)));
            }
        }
        for (Family f : Family.values()) {
            forward.add(dispatch(Direction.EGRESS, f));
        }
        forward.add(new Rule(List.of(), false, Verdict.goTo(Layout.INGRESS), null));
        out.add(new Chain(Layout.FORWARD, new Chain.Hook("forward", 0, Verdict.DROP), forward));
        for (Family f : Family.values()) {
            out.add(directionChain(Direction.EGRESS, f, Verdict.goTo(Layout.INGRESS)));
        }
        List<Rule> ingress = new ArrayList<>();
        if (cluster) {
            for (Family f : Family.values()) {
                ingress.addAll(clusterVerdicts(Direction.INGRESS, f, Verdict.ACCEPT));
            }
        }
        for (Family f : Family.values()) {
            ingress.add(dispatch(Direction.INGRESS, f));
        }
        ingress.add(new Rule(List.of(), false, Verdict.ACCEPT, null));
        out.add(new Chain(Layout.INGRESS, null, ingress));
        for (Family f : Family.values()) {
            out.add(directionChain(Direction.INGRESS, f, Verdict.ACCEPT));
        }
        return out;
    }

    /**
     * A TCP packet without SYN that conntrack does not know (conntrack takes such a packet up as a new
     * connection, in that packet's direction) is dropped when its own direction is not policed but
     * the opposite one is: sent by an ingress-isolated pod, or to an egress-isolated one, to or from a
     * peer whose direction no policy polices. Such a packet can only belong to a connection that the
     * other end opened, and that connection's direction is the policed one, which the rules can no
     * longer confirm. Without this, when the agent deletes a revoked connection's conntrack entry and
     * the server speaks first, the server's packet would start a new entry in the reverse direction,
     * and the client's packets would then pass as its replies: the revoked connection would live on.
     * A packet whose own direction is policed goes through the policy as usual. The cost: a
     * connection whose entry vanished (say, a hand flush) resumes when its opening side sends next,
     * which TCP's retransmission does; UDP has no such marker, so a revoked UDP flow whose server
     * sends first can live on.
     */
    private static List<Rule> midStream(Family f) {
        boolean v4 = f == Family.V4;
        Field saddr = v4 ? Field.IP_SADDR : Field.IP6_SADDR;
        Field daddr = v4 ? Field.IP_DADDR : Field.IP6_DADDR;
        Match notSyn = new Match.TcpFlags(List.of("fin", "syn", "rst", "ack"), List.of("syn"), true);
        Match unpoliced1 = new Match.Lookup(List.of(saddr), Layout.set(Direction.EGRESS, Kind.ISO, f), true);
        Match unpoliced2 = new Match.Lookup(List.of(daddr), Layout.set(Direction.INGRESS, Kind.ISO, f), true);
        return List.of(
                new Rule(List.of(notSyn, unpoliced1, unpoliced2, new Match.Lookup(List.of(saddr),
                        Layout.set(Direction.INGRESS, Kind.ISO, f), false)), true, Verdict.DROP,
                        "tcp mid-stream unknown to conntrack, from an ingress-isolated pod"),
                new Rule(List.of(notSyn, unpoliced1, unpoliced2, new Match.Lookup(List.of(daddr),
                        Layout.set(Direction.EGRESS, Kind.ISO, f), false)), true, Verdict.DROP,
                        "tcp mid-stream unknown to conntrack, to an egress-isolated pod"));
    }

    /**
     * The ClusterNetworkPolicy verdicts of one direction, before its isolation dispatch: a DENY drops (counted),
     * an ACCEPT decides the direction ({@code goto ingress} for egress, {@code accept} for ingress). Two interval
     * lookups whatever the number of policies, priorities and rules: the tiers are already folded.
     */
    private static List<Rule> clusterVerdicts(Direction d, Family f, Verdict onAccept) {
        List<Field> full = List.of(localField(d, f), peerField(d, f), Field.L4PROTO, Field.TH_DPORT);
        String dir = d == Direction.INGRESS ? "ingress" : "egress";
        return List.of(
                new Rule(List.of(new Match.Lookup(full, Layout.set(d, Kind.CLUSTER_DENY, f), false)), true, Verdict.DROP,
                        dir + " denied by a ClusterNetworkPolicy"),
                new Rule(List.of(new Match.Lookup(full, Layout.set(d, Kind.CLUSTER_ACCEPT, f), false)), false, onAccept,
                        null));
    }

    /** {@code ip saddr @eg_iso4 goto egress4} and the like: an isolated pod's packet goes to its direction's checks. */
    private static Rule dispatch(Direction d, Family f) {
        return new Rule(List.of(new Match.Lookup(List.of(localField(d, f)), Layout.set(d, Kind.ISO, f), false)),
                false, Verdict.goTo(d.chain(f)), null);
    }

    /** The four lookups, each with {@code onHit}, then the counted drop. */
    private static Chain directionChain(Direction d, Family f, Verdict onHit) {
        Field local = localField(d, f);
        Field peer = peerField(d, f);
        List<Field> pair = List.of(local, peer);
        List<Field> full = List.of(local, peer, Field.L4PROTO, Field.TH_DPORT);
        String dir = d == Direction.INGRESS ? "ingress" : "egress";
        List<Rule> rules = List.of(
                new Rule(List.of(new Match.Lookup(pair, Layout.set(d, Kind.ANY, f), false)), false, onHit, null),
                new Rule(List.of(new Match.Lookup(pair, Layout.set(d, Kind.CIDR, f), false)), false, onHit, null),
                new Rule(List.of(new Match.Lookup(full, Layout.set(d, Kind.PORT, f), false)), false, onHit, null),
                new Rule(List.of(new Match.Lookup(full, Layout.set(d, Kind.RANGE, f), false)), false, onHit, null),
                new Rule(List.of(), true, Verdict.DROP, dir + " not allowed by any policy"));
        return new Chain(d.chain(f), null, rules);
    }

    private static Field localField(Direction d, Family f) {
        boolean v4 = f == Family.V4;
        if (d == Direction.INGRESS) {
            return v4 ? Field.IP_DADDR : Field.IP6_DADDR;
        }
        return v4 ? Field.IP_SADDR : Field.IP6_SADDR;
    }

    private static Field peerField(Direction d, Family f) {
        boolean v4 = f == Family.V4;
        if (d == Direction.INGRESS) {
            return v4 ? Field.IP_SADDR : Field.IP6_SADDR;
        }
        return v4 ? Field.IP_DADDR : Field.IP6_DADDR;
    }

    private static KeyType addrType(Family f) {
        return f == Family.V4 ? KeyType.IPV4_ADDR : KeyType.IPV6_ADDR;
    }

    private static Value address(IpAddress a) {
        return new Value.Address(IpRange.of(a));
    }

    private static Value proto(PortRange pr) {
        return new Value.Proto(pr.protocol().number());
    }
}
