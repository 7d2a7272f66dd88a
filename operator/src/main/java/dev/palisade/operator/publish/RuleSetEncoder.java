package dev.palisade.operator.publish;

import dev.palisade.model.IpAddress;
import dev.palisade.model.IpRange;
import dev.palisade.operator.resource.AddressSetSpec;
import dev.palisade.operator.resource.DirectionWire;
import dev.palisade.operator.resource.GrantWire;
import dev.palisade.operator.resource.NodeRuleSetSpec;
import dev.palisade.operator.resource.PeersWire;
import dev.palisade.operator.resource.RuleSetWire;
import dev.palisade.operator.resource.VerdictWire;
import dev.palisade.ruleset.ClusterVerdict;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;
import dev.palisade.ruleset.PeerSet;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns compiled rule sets into what the operator publishes: one {@link RuleSetWire} per node with its
 * content hash, and the shared address-set parts that large peer sets are moved into. Pure and
 * deterministic: the same rule sets give the same bytes, hashes and part names.
 *
 * <p>A peer set with more than {@link Limits#inlinePeerEntries} entries is stored by reference. It is
 * split into 2^k parts by a hash of each entry (so adding one pod rewrites one part, not all of them),
 * each holding about half of {@link Limits#partEntries} on average and named by the hash of its content.
 * A node whose rule set still renders larger than {@link Limits#nodeBudgetBytes} has every peer set
 * moved out; what remains grows with its local pods and grants only, never with the cluster.
 */
public final class RuleSetEncoder {

    /** Size limits; see docs/design/ruleset-contract.md for the figures behind the defaults. */
    /**
     * @param maxObjectBytes the largest rule set published as one object: leave room under the API
     *                       server's 1.5 MiB for metadata and managed fields (a node over it is fitted
     *                       by {@link OversizeGuard})
     */
    public record Limits(int inlinePeerEntries, int partEntries, int nodeBudgetBytes, int maxObjectBytes) {
        public static final int MAX_OBJECT_BYTES = 1_400_000;
        public static final Limits DEFAULT = new Limits(16, 16_384, 256 * 1024);

        public Limits {
            if (inlinePeerEntries < 0 || partEntries < 2 || nodeBudgetBytes < 1 || maxObjectBytes < 1) {
                throw new IllegalArgumentException("bad encoder limits");
            }
        }

        public Limits(int inlinePeerEntries, int partEntries, int nodeBudgetBytes) {
            this(inlinePeerEntries, partEntries, nodeBudgetBytes, MAX_OBJECT_BYTES);
        }
    }

    /** One node's rule set as published, without the revision (which depends on what was there before). */
    public record EncodedNode(String node, RuleSetWire ruleSet, String hash, int bytes, NodeRuleSetSpec.Summary summary,
                              SortedSet<String> addressSets) {
        public NodeRuleSetSpec spec(long revision) {
            return new NodeRuleSetSpec(node, revision, hash, summary, ruleSet);
        }
    }

    /** The whole desired state: every node's rule set and every address-set part they reference. */
    public record Desired(SortedMap<String, EncodedNode> nodes, SortedMap<String, AddressSetSpec> addressSets) {
        public Desired {
            nodes = Collections.unmodifiableSortedMap(new TreeMap<>(nodes));
            addressSets = Collections.unmodifiableSortedMap(new TreeMap<>(addressSets));
        }
    }

    public static final String ADDRESS_SET_PREFIX = "as-";

    private final Limits limits;

    public RuleSetEncoder(Limits limits) {
        this.limits = limits;
    }

    public Limits limits() {
        return limits;
    }

    public Desired encode(Collection<NodeRuleSet> ruleSets) {
        Run run = new Run();
        SortedMap<String, EncodedNode> nodes = new TreeMap<>();
        for (NodeRuleSet rs : ruleSets) {
            nodes.put(rs.node(), run.node(rs));
        }
        SortedMap<String, AddressSetSpec> used = new TreeMap<>();
        nodes.values().forEach(n -> n.addressSets().forEach(name -> used.put(name, run.parts.get(name))));
        return new Desired(nodes, used);
    }

    /** The state of one encode: parts found so far, memoised per peer set (the compiler shares instances). */
    private final class Run {
        private final Map<PeerSet, List<String>> byIdentity = new IdentityHashMap<>();
        private final Map<PeerSet, List<String>> byContent = new HashMap<>();
        private final Map<String, AddressSetSpec> parts = new HashMap<>();

        EncodedNode node(NodeRuleSet rs) {
            EncodedNode e = node(rs, limits.inlinePeerEntries());
            if (e.bytes() > limits.nodeBudgetBytes() && limits.inlinePeerEntries() > 0) {
                e = node(rs, 0);
            }
            return e;
        }

        private EncodedNode node(NodeRuleSet rs, int inlineLimit) {
            SortedSet<String> sets = new TreeSet<>();
            RuleSetWire wire = new RuleSetWire(addresses(rs.localPods()),
                    direction(rs.ingress(), inlineLimit, sets), direction(rs.egress(), inlineLimit, sets), holders(rs));
            byte[] bytes = CanonicalJson.bytes(wire);
            String hash = CanonicalJson.sha256(bytes);
            int grants = wire.ingress().grants().size() + wire.egress().grants().size();
            int inline = 0;
            for (DirectionWire d : List.of(wire.ingress(), wire.egress())) {
                for (GrantWire g : d.grants()) {
                    inline += g.peers().inlineEntries();
                }
                for (VerdictWire v : d.verdicts()) {
                    inline += v.peers().inlineEntries();
                }
            }
            NodeRuleSetSpec.Summary summary = new NodeRuleSetSpec.Summary(wire.localPods().size(), grants, inline,
                    sets.size(), hash.substring(0, 12));
            return new EncodedNode(rs.node(), wire, hash, bytes.length, summary, Collections.unmodifiableSortedSet(sets));
        }

        private DirectionWire direction(DirectionRules d, int inlineLimit, SortedSet<String> sets) {
            List<GrantWire> grants = new ArrayList<>(d.grants().size());
            for (Grant g : d.grants()) {
                grants.add(new GrantWire(g.policy(), g.rule(), addresses(g.pods()), peers(g.peers(), inlineLimit, sets),
                        g.ports().stream().map(WireText::port).toList()));
            }
            // Verdict peers go the way of grant peers (inline when small, shared parts when large): a Deny of a
            // whole namespace's pods would otherwise carry every address on every node it reaches.
            List<VerdictWire> verdicts = new ArrayList<>(d.verdicts().size());
            for (ClusterVerdict v : d.verdicts()) {
                verdicts.add(new VerdictWire(v.decision().name(), v.rule(), addresses(v.pods()),
                        peers(v.peers(), inlineLimit, sets), v.ports().stream().map(WireText::port).toList(),
                        v.otherProtocols()));
            }
            return new DirectionWire(addresses(d.isolated()), grants, verdicts);
        }

        private PeersWire peers(PeerSet p, int inlineLimit, SortedSet<String> sets) {
            if (p.any()) {
                return PeersWire.ANY;
            }
            int entries = p.addresses().size() + p.ranges().size();
            if (entries <= inlineLimit || entries == 0) {
                return new PeersWire(null, addresses(p.addresses()), ranges(p.ranges()), List.of());
            }
            List<String> names = byIdentity.computeIfAbsent(p, k -> byContent.computeIfAbsent(k, this::split));
            sets.addAll(names);
            return new PeersWire(null, List.of(), List.of(), names);
        }

        /** The parts of a large peer set: entries bucketed by hash, each bucket named by its content. */
        private List<String> split(PeerSet p) {
            int entries = p.addresses().size() + p.ranges().size();
            int buckets = partsFor(entries, limits.partEntries());
            List<List<String>> addrs = new ArrayList<>();
            List<List<String>> rngs = new ArrayList<>();
            for (int i = 0; i < buckets; i++) {
                addrs.add(new ArrayList<>());
                rngs.add(new ArrayList<>());
            }
            for (IpAddress a : p.addresses()) {
                String s = WireText.address(a);
                addrs.get(bucket(s, buckets)).add(s);
            }
            for (IpRange r : p.ranges()) {
                String s = WireText.range(r);
                rngs.get(bucket(s, buckets)).add(s);
            }
            SortedSet<String> names = new TreeSet<>();
            for (int i = 0; i < buckets; i++) {
                if (addrs.get(i).isEmpty() && rngs.get(i).isEmpty()) {
                    continue;
                }
                AddressSetSpec part = new AddressSetSpec(addrs.get(i), rngs.get(i));
                String name = ADDRESS_SET_PREFIX + CanonicalJson.sha256(part).substring(0, 16);
                parts.putIfAbsent(name, part);
                names.add(name);
            }
            return List.copyOf(names);
        }
    }

    /** A power of two, so that a part's mean size is between a quarter and half of {@code partEntries}. */
    static int partsFor(int entries, int partEntries) {
        if (entries <= partEntries) {
            return 1;
        }
        long wanted = (2L * entries + partEntries - 1) / partEntries;
        int p = Integer.highestOneBit((int) Math.min(wanted, 1 << 20));
        return p < wanted ? p << 1 : p;
    }

    /** Entry text to bucket: String.hashCode is specified by the JLS, so this is stable across JVMs. */
    static int bucket(String entry, int buckets) {
        int h = entry.hashCode() * 0x9E3779B9;
        return (h ^ (h >>> 16)) & (buckets - 1);
    }

    /** Sorted by address, then uid: the contract's order, so equal rule sets give equal bytes. */
    private static List<String> holders(NodeRuleSet rs) {
        List<String> out = new ArrayList<>();
        rs.holders().forEach((address, uids) -> uids.forEach(uid -> out.add(WireText.holder(address, uid))));
        return out;
    }

    private static List<String> addresses(SortedSet<IpAddress> set) {
        List<String> out = new ArrayList<>(set.size());
        for (IpAddress a : set) {
            out.add(WireText.address(a));
        }
        return out;
    }

    private static List<String> ranges(List<IpRange> ranges) {
        List<String> out = new ArrayList<>(ranges.size());
        for (IpRange r : ranges) {
            out.add(WireText.range(r));
        }
        return out;
    }
}
