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
import dev.palisade.dataplane.translate.NftInterpreter.Hook;
import dev.palisade.dataplane.translate.NftInterpreter.Packet;
import dev.palisade.model.Cidr;
import dev.palisade.model.IpAddress;
import dev.palisade.model.IpRange;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The interpreter the property tests trust, checked on a hand-written table with known verdicts. */
class NftInterpreterTest {

    static Value addr(String a) {
        return new Value.Address(IpRange.of(IpAddress.parse(a)));
    }

    static Value cidr(String c) {
        return new Value.Address(Cidr.parse(c).range());
    }

    static NamedSet set(String name, boolean interval, List<KeyType> type, Element... elements) {
        return new NamedSet(name, type, interval, new TreeSet<>(List.of(elements)), null);
    }

    static Rule rule(Verdict v, Match... matches) {
        return new Rule(List.of(matches), false, v, null);
    }

    static Match lookup(String set, Field... key) {
        return new Match.Lookup(List.of(key), set, false);
    }

    /**
     * forward: established accept; 10.0.0.1 (v4) and fd00::1 (v6) jump to a chain allowing
     * tcp 80 from 10.1.0.0/16 and tcp 8000-8999 from anywhere; everything else in it is dropped;
     * 10.0.0.9 is dropped outright; input has policy drop and accepts udp/53 to 10.0.0.1.
     */
    static final Table TABLE = new Table("inet", "t", null, List.of(
            set("iso4", false, List.of(KeyType.IPV4_ADDR), Element.of(addr("10.0.0.1"))),
            set("iso6", false, List.of(KeyType.IPV6_ADDR), Element.of(addr("fd00::1"))),
            set("allow4", true, List.of(KeyType.IPV4_ADDR, KeyType.IPV4_ADDR, KeyType.INET_PROTO, KeyType.INET_SERVICE),
                    Element.of(addr("10.0.0.1"), cidr("10.1.0.0/16"), new Value.Proto(6), new Value.Port(80, 80)),
                    Element.of(addr("10.0.0.1"), cidr("0.0.0.0/0"), new Value.Proto(6), new Value.Port(8000, 8999))),
            set("blocked", false, List.of(KeyType.IPV4_ADDR), Element.of(addr("10.0.0.9"))),
            set("dns", false, List.of(KeyType.IPV4_ADDR, KeyType.INET_PROTO, KeyType.INET_SERVICE),
                    Element.of(addr("10.0.0.1"), new Value.Proto(17), new Value.Port(53, 53)))),
            List.of(
                    new Chain("forward", new Chain.Hook("forward", 0, Verdict.ACCEPT), List.of(
                            rule(Verdict.ACCEPT, new Match.CtState(Set.of("established", "related"))),
                            rule(Verdict.DROP, lookup("blocked", Field.IP_DADDR)),
                            rule(Verdict.jump("in4"), lookup("iso4", Field.IP_DADDR)),
                            rule(Verdict.jump("in6"), lookup("iso6", Field.IP6_DADDR)))),
                    new Chain("input", new Chain.Hook("input", 0, Verdict.DROP), List.of(
                            rule(Verdict.ACCEPT, lookup("dns", Field.IP_DADDR, Field.L4PROTO, Field.TH_DPORT)))),
                    new Chain("in4", null, List.of(
                            rule(Verdict.RETURN, lookup("allow4", Field.IP_DADDR, Field.IP_SADDR, Field.L4PROTO,
                                    Field.TH_DPORT)),
                            new Rule(List.of(), true, Verdict.DROP, "denied"))),
                    new Chain("in6", null, List.of(new Rule(List.of(), true, Verdict.DROP, "denied")))));

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            not isolated: policy accept             | forward | 10.9.9.9  | 10.0.0.2 | 6  | 80   | new         | true
            isolated, allowed source and port      | forward | 10.1.2.3  | 10.0.0.1 | 6  | 80   | new         | true
            isolated, source outside the range      | forward | 10.2.0.1  | 10.0.0.1 | 6  | 80   | new         | false
            isolated, wrong protocol                | forward | 10.1.2.3  | 10.0.0.1 | 17 | 80   | new         | false
            isolated, port range low edge           | forward | 8.8.8.8   | 10.0.0.1 | 6  | 8000 | new         | true
            isolated, port range high edge          | forward | 8.8.8.8   | 10.0.0.1 | 6  | 8999 | new         | true
            isolated, past the port range           | forward | 8.8.8.8   | 10.0.0.1 | 6  | 9000 | new         | false
            established skips the checks            | forward | 10.2.0.1  | 10.0.0.1 | 6  | 80   | established | true
            explicit drop                           | forward | 10.1.2.3  | 10.0.0.9 | 6  | 80   | new         | false
            v6 isolated, nothing allowed            | forward | fd00::2   | fd00::1  | 6  | 80   | new         | false
            v6 packet never matches ip daddr sets   | forward | fd00::2   | fd00::3  | 6  | 80   | new         | true
            input hook: allowed by rule             | input   | 10.1.2.3  | 10.0.0.1 | 17 | 53   | new         | true
            input hook: policy drop                 | input   | 10.1.2.3  | 10.0.0.1 | 6  | 53   | new         | false
            """)
    void verdicts(String name, String hook, String src, String dst, int proto, int port, String ct, boolean accepted) {
        Packet p = new Packet(IpAddress.parse(src), IpAddress.parse(dst), proto, port, ct);
        assertEquals(accepted, NftInterpreter.accepts(TABLE, Hook.valueOf(hook.toUpperCase()), p),
                () -> NftInterpreter.run(TABLE, Hook.valueOf(hook.toUpperCase()), p).toString());
    }

    @Test
    void negatedLookupOnTheOtherFamilyDoesNotMatch() {
        Table t = new Table("inet", "t", null, List.of(set("s", false, List.of(KeyType.IPV4_ADDR))), List.of(
                new Chain("forward", new Chain.Hook("forward", 0, Verdict.ACCEPT), List.of(
                        rule(Verdict.DROP, new Match.Lookup(List.of(Field.IP_SADDR), "s", true))))));
        assertEquals(false, NftInterpreter.accepts(t, Hook.FORWARD, Packet.first(IpAddress.parse("10.0.0.1"),
                IpAddress.parse("10.0.0.2"), 6, 1)), "not in the empty set: dropped");
        assertEquals(true, NftInterpreter.accepts(t, Hook.FORWARD, Packet.first(IpAddress.parse("fd00::1"),
                IpAddress.parse("fd00::2"), 6, 1)), "an IPv6 packet does not match 'ip saddr != @s'");
    }

    @Test
    void refusesWhatTheKernelWouldRefuse() {
        Packet p = Packet.first(IpAddress.parse("10.0.0.1"), IpAddress.parse("10.0.0.2"), 6, 1);
        Table missingSet = new Table("inet", "t", null, List.of(), List.of(
                new Chain("forward", new Chain.Hook("forward", 0, Verdict.ACCEPT), List.of(
                        rule(Verdict.DROP, lookup("nope", Field.IP_SADDR))))));
        assertThrows(IllegalStateException.class, () -> NftInterpreter.run(missingSet, Hook.FORWARD, p));
        Table wrongType = new Table("inet", "t", null, List.of(set("s", false, List.of(KeyType.IPV6_ADDR))), List.of(
                new Chain("forward", new Chain.Hook("forward", 0, Verdict.ACCEPT), List.of(
                        rule(Verdict.DROP, lookup("s", Field.IP_SADDR))))));
        assertThrows(IllegalStateException.class, () -> NftInterpreter.run(wrongType, Hook.FORWARD, p));
        Table missingChain = new Table("inet", "t", null, List.of(), List.of(
                new Chain("forward", new Chain.Hook("forward", 0, Verdict.ACCEPT), List.of(
                        rule(Verdict.jump("nope"))))));
        assertThrows(IllegalStateException.class, () -> NftInterpreter.run(missingChain, Hook.FORWARD, p));
        Table loop = new Table("inet", "t", null, List.of(), List.of(
                new Chain("forward", new Chain.Hook("forward", 0, Verdict.ACCEPT), List.of(rule(Verdict.jump("a")))),
                new Chain("a", null, List.of(rule(Verdict.jump("a"))))));
        assertThrows(IllegalStateException.class, () -> NftInterpreter.run(loop, Hook.FORWARD, p));
    }

    /**
     * The kernel's nft_do_chain: a jump pushes the rule after it, a goto pushes nothing; the end of a
     * chain or a return pops the last pushed rule, or applies the base chain's policy when none is left.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            goto, end of target: policy                    | goto  | -    | drop   | false
            goto, return in target: policy                 | goto  | ret  | drop   | false
            goto, policy accept                            | goto  | -    | accept | true
            jump, end of target: back, next rule accepts   | jump  | -    | drop   | true
            jump, return in target: back, next rule accepts| jump  | ret  | drop   | true
            jump then goto, end: back after the jump       | jgoto | -    | drop   | true
            goto then jump, end: back into the goto'd chain| gjump | -    | drop   | false
            """)
    void gotoDoesNotComeBack(String name, String how, String inTarget, String policy, boolean accepted) {
        Verdict p = policy.equals("drop") ? Verdict.DROP : Verdict.ACCEPT;
        List<Rule> target = inTarget.equals("ret") ? List.of(rule(Verdict.RETURN), rule(Verdict.ACCEPT)) : List.of();
        List<Rule> base = switch (how) {
            case "goto" -> List.of(rule(Verdict.goTo("t")), rule(Verdict.ACCEPT));
            case "jump" -> List.of(rule(Verdict.jump("t")), rule(Verdict.ACCEPT));
            case "jgoto" -> List.of(rule(Verdict.jump("via")), rule(Verdict.ACCEPT));
            default -> List.of(rule(Verdict.goTo("via")), rule(Verdict.ACCEPT));
        };
        // via: goto t (after a jump) or jump t then nothing (after a goto): the end of via falls to the policy
        List<Rule> via = how.equals("jgoto") ? List.of(rule(Verdict.goTo("t")), rule(Verdict.DROP))
                : List.of(rule(Verdict.jump("t")));
        Table t = new Table("inet", "t", null, List.of(), List.of(
                new Chain("forward", new Chain.Hook("forward", 0, p), base),
                new Chain("via", null, via),
                new Chain("t", null, target)));
        Packet packet = Packet.first(IpAddress.parse("10.0.0.1"), IpAddress.parse("10.0.0.2"), 6, 1);

        assertEquals(accepted, NftInterpreter.accepts(t, Hook.FORWARD, packet),
                () -> NftInterpreter.run(t, Hook.FORWARD, packet).toString());
    }

    @Test
    void refusesAGotoLoopAndAGotoToABaseChain() {
        Packet p = Packet.first(IpAddress.parse("10.0.0.1"), IpAddress.parse("10.0.0.2"), 6, 1);
        Table loop = new Table("inet", "t", null, List.of(), List.of(
                new Chain("forward", new Chain.Hook("forward", 0, Verdict.DROP), List.of(rule(Verdict.goTo("a")))),
                new Chain("a", null, List.of(rule(Verdict.goTo("b")))),
                new Chain("b", null, List.of(rule(Verdict.goTo("a"))))));
        assertThrows(IllegalStateException.class, () -> NftInterpreter.run(loop, Hook.FORWARD, p));
        Table toBase = new Table("inet", "t", null, List.of(), List.of(
                new Chain("forward", new Chain.Hook("forward", 0, Verdict.DROP), List.of(rule(Verdict.goTo("input")))),
                new Chain("input", new Chain.Hook("input", 0, Verdict.ACCEPT), List.of())));
        assertThrows(IllegalStateException.class, () -> NftInterpreter.run(toBase, Hook.FORWARD, p));
    }

    @Test
    void returnFromABaseChainAppliesItsPolicy() {
        Table t = new Table("inet", "t", null, List.of(), List.of(
                new Chain("input", new Chain.Hook("input", 0, Verdict.DROP), List.of(
                        rule(Verdict.RETURN), rule(Verdict.ACCEPT)))));
        assertEquals(false, NftInterpreter.accepts(t, Hook.INPUT,
                Packet.first(IpAddress.parse("10.0.0.1"), IpAddress.parse("10.0.0.2"), 6, 1)));
    }
}
