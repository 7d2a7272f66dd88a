package dev.palisade.dataplane.translate;

import dev.palisade.dataplane.nft.Chain;
import dev.palisade.dataplane.nft.Element;
import dev.palisade.dataplane.nft.Field;
import dev.palisade.dataplane.nft.KeyType;
import dev.palisade.dataplane.nft.Match;
import dev.palisade.dataplane.nft.NamedSet;
import dev.palisade.dataplane.nft.Rule;
import dev.palisade.dataplane.nft.Table;
import dev.palisade.dataplane.nft.Value;
import dev.palisade.dataplane.nft.Verdict;
import dev.palisade.dataplane.render.NftRenderer;
import dev.palisade.model.IpAddress;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Set;

/**
 * Walks a packet through the nftables model the way the kernel would, for tests: the base chains
 * of one hook in priority order, each rule's matches, jumps, gotos and returns, and the chain policy.
 *
 * <ul>
 *   <li>{@code ct state} matches the packet's conntrack state.</li>
 *   <li>{@code ip ...} / {@code ip6 ...} carry an implicit "the packet is IPv4 / IPv6" dependency
 *       in an {@code inet} table: on a packet of the other family the whole match fails, negated
 *       or not.</li>
 *   <li>A set lookup hits when some element holds the packet's key: exact sets by equality of
 *       every field, interval sets by every field lying inside the element's range.</li>
 *   <li>{@code accept} ends the base chain (later base chains of the hook still run), {@code drop}
 *       ends the packet. {@code jump} remembers the rule after it and runs the target;
 *       {@code goto} runs the target and remembers nothing. At the end of a chain, or on
 *       {@code return}, the walk resumes after the last remembered jump; with none left, the base
 *       chain's policy applies. So a goto'd chain that ends without a verdict falls to the policy of
 *       the base chain, unless a jump came before the goto (the kernel's {@code nft_do_chain}:
 *       {@code NFT_JUMP} pushes the jump stack, {@code NFT_GOTO} does not).</li>
 * </ul>
 *
 * It refuses what the kernel would refuse: a lookup in a missing set, a key whose fields do not
 * fit the set's type, a jump or goto to a missing or base chain, a loop.
 */
public final class NftInterpreter {

    /** A netfilter hook the table attaches to. */
    public enum Hook {
        FORWARD("forward"), INPUT("input");

        private final String nft;

        Hook(String nft) {
            this.nft = nft;
        }

        public String nft() {
            return nft;
        }
    }

    /** The header fields the rules can look at. */
    public record Packet(IpAddress src, IpAddress dst, int l4proto, int dport, String ctState, Set<String> tcpFlags) {
        public Packet {
            if (src.family() != dst.family()) {
                throw new IllegalArgumentException("packet mixes address families");
            }
            tcpFlags = Set.copyOf(tcpFlags);
        }

        /** A packet in that conntrack state; a TCP one carries SYN when new, ACK otherwise. */
        public Packet(IpAddress src, IpAddress dst, int l4proto, int dport, String ctState) {
            this(src, dst, l4proto, dport, ctState, l4proto != 6 ? Set.of() : ctState.equals("new") ? Set.of("syn")
                    : Set.of("ack"));
        }

        /** The first packet of a connection. */
        public static Packet first(IpAddress src, IpAddress dst, int l4proto, int dport) {
            return new Packet(src, dst, l4proto, dport, "new");
        }

        /** A TCP packet of the middle of a connection that conntrack does not know (no SYN): new to it. */
        public static Packet midStream(IpAddress src, IpAddress dst, int dport) {
            return new Packet(src, dst, 6, dport, "new", Set.of("ack", "psh"));
        }
    }

    /** The final verdict and the rules that matched on the way, for failure messages. */
    public record Trace(boolean accepted, List<String> steps) {
        @Override
        public String toString() {
            return (accepted ? "ACCEPT" : "DROP") + " via " + steps;
        }
    }

    private static final int MAX_JUMP_DEPTH = 16;
    /** The kernel refuses loops when a rule is added; a walk longer than this means a loop the model let through. */
    private static final int MAX_TRANSFERS = 1024;

    private enum Outcome { ACCEPT, DROP, CONTINUE }

    private NftInterpreter() {
    }

    public static Trace run(Table table, Hook hook, Packet packet) {
        List<String> steps = new ArrayList<>();
        List<Chain> bases = table.chains().stream()
                .filter(c -> c.isBase() && c.hook().hook().equals(hook.nft()))
                .sorted(Comparator.comparingInt(c -> c.hook().priority()))
                .toList();
        for (Chain base : bases) {
            Outcome o = runChain(table, base, packet, steps);
            if (o == Outcome.CONTINUE) {
                Verdict policy = base.hook().policy();
                steps.add(base.name() + ": policy " + policy.kind());
                o = terminal(policy);
            }
            if (o == Outcome.DROP) {
                return new Trace(false, steps);
            }
        }
        return new Trace(true, steps);
    }

    public static boolean accepts(Table table, Hook hook, Packet packet) {
        return run(table, hook, packet).accepted();
    }

    private static Outcome terminal(Verdict policy) {
        return switch (policy.kind()) {
            case ACCEPT -> Outcome.ACCEPT;
            case DROP -> Outcome.DROP;
            default -> throw new IllegalStateException("a chain policy is accept or drop, not " + policy.kind());
        };
    }

    /** Where to resume after a {@code jump}: the calling chain and the index of the rule after the jump. */
    private record Frame(Chain chain, int next) {
    }

    /**
     * Runs a base chain the way {@code nft_do_chain} does: ACCEPT or DROP when a terminal verdict was
     * reached, CONTINUE when the packet falls off the base chain (its end, or a {@code return} with
     * no jump to return to), where the caller applies the policy. {@code jump} pushes the rule after
     * it; {@code goto} pushes nothing, so the end of a goto'd chain (or its {@code return}) resumes
     * after the last jump, or falls to the base chain's policy when there was none.
     */
    private static Outcome runChain(Table table, Chain base, Packet packet, List<String> steps) {
        Deque<Frame> stack = new ArrayDeque<>();
        Chain chain = base;
        int at = 0;
        int transfers = 0;
        while (true) {
            if (at >= chain.rules().size()) {
                if (stack.isEmpty()) {
                    return Outcome.CONTINUE;
                }
                Frame back = stack.pop();
                chain = back.chain();
                at = back.next();
                continue;
            }
            Rule rule = chain.rules().get(at);
            at++;
            if (!rule.matches().stream().allMatch(m -> matches(table, m, packet))) {
                continue;
            }
            steps.add(chain.name() + ": " + NftRenderer.rule(rule));
            Verdict v = rule.verdict();
            switch (v.kind()) {
                case ACCEPT:
                    return Outcome.ACCEPT;
                case DROP:
                    return Outcome.DROP;
                case RETURN:
                    at = Integer.MAX_VALUE; // as the end of the chain: pop a frame or fall to the policy
                    break;
                case JUMP:
                case GOTO:
                    if (stack.size() >= MAX_JUMP_DEPTH || ++transfers > MAX_TRANSFERS) {
                        throw new IllegalStateException("jump loop through " + chain.name());
                    }
                    Chain target = table.chain(v.target())
                            .orElseThrow(() -> new IllegalStateException(v.kind() + " to missing chain " + v.target()));
                    if (target.isBase()) {
                        throw new IllegalStateException(v.kind() + " to base chain " + target.name());
                    }
                    if (v.kind() == Verdict.Kind.JUMP) {
                        stack.push(new Frame(chain, at));
                    }
                    chain = target;
                    at = 0;
                    break;
                default:
                    throw new IllegalStateException("unknown verdict " + v);
            }
        }
    }

    static boolean matches(Table table, Match m, Packet p) {
        if (m instanceof Match.CtState ct) {
            return ct.states().contains(p.ctState());
        }
        if (m instanceof Match.TcpFlags tf) {
            if (p.l4proto() != 6) {
                return false; // the implicit "meta l4proto tcp"
            }
            boolean equal = tf.mask().stream().filter(p.tcpFlags()::contains).toList().equals(tf.value());
            return equal != tf.negated();
        }
        Match.Lookup l = (Match.Lookup) m;
        NamedSet set = table.set(l.set())
                .orElseThrow(() -> new IllegalStateException("lookup in missing set @" + l.set()));
        if (set.type().size() != l.key().size()) {
            throw new IllegalStateException("key " + l.key() + " does not fit set " + set.name() + " " + set.type());
        }
        for (int i = 0; i < l.key().size(); i++) {
            if (typeOf(l.key().get(i)) != set.type().get(i)) {
                throw new IllegalStateException("field " + l.key().get(i) + " does not fit " + set.type().get(i)
                        + " in set " + set.name());
            }
        }
        List<Object> key = new ArrayList<>();
        for (Field f : l.key()) {
            Object v = value(f, p);
            if (v == null) {
                return false; // the implicit protocol dependency fails: no match, negated or not
            }
            key.add(v);
        }
        boolean hit = false;
        for (Element e : set.elements()) {
            if (holds(e, key)) {
                hit = true;
                break;
            }
        }
        return hit != l.negated();
    }

    private static boolean holds(Element e, List<Object> key) {
        for (int i = 0; i < key.size(); i++) {
            if (!contains(e.key().get(i), key.get(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean contains(Value v, Object point) {
        if (v instanceof Value.Address a) {
            return a.range().contains((IpAddress) point);
        }
        if (v instanceof Value.Proto pr) {
            return pr.contains((Integer) point);
        }
        Value.Port port = (Value.Port) v;
        int x = (Integer) point;
        return port.first() <= x && x <= port.last();
    }

    /** The packet's value of a field, or null when the field's family dependency does not hold. */
    private static Object value(Field f, Packet p) {
        boolean v4 = p.src().isV4();
        return switch (f) {
            case IP_SADDR -> v4 ? p.src() : null;
            case IP_DADDR -> v4 ? p.dst() : null;
            case IP6_SADDR -> v4 ? null : p.src();
            case IP6_DADDR -> v4 ? null : p.dst();
            case L4PROTO -> p.l4proto();
            case TH_DPORT -> p.dport();
        };
    }

    private static KeyType typeOf(Field f) {
        return switch (f) {
            case IP_SADDR, IP_DADDR -> KeyType.IPV4_ADDR;
            case IP6_SADDR, IP6_DADDR -> KeyType.IPV6_ADDR;
            case L4PROTO -> KeyType.INET_PROTO;
            case TH_DPORT -> KeyType.INET_SERVICE;
        };
    }
}
