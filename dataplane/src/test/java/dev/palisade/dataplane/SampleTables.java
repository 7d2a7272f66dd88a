package dev.palisade.dataplane;

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
import dev.palisade.model.Cidr;
import dev.palisade.model.IpAddress;
import dev.palisade.model.IpRange;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A table in the nft model, written out by hand rather than translated, so that tests of reading
 * back and comparing do not change when the translator's layout does. It is the layout of
 * November 2026 (forward and input base chains, 22 sets) holding one element or more in every kind
 * of set; src/test/resources/dev/palisade/dataplane/readback/applied.json is nft 1.0.6's JSON
 * listing of exactly this table, loaded into a kernel.
 */
public final class SampleTables {

    private static final List<KeyType> V4 = List.of(KeyType.IPV4_ADDR);
    private static final List<KeyType> V6 = List.of(KeyType.IPV6_ADDR);

    private SampleTables() {
    }

    public static Table everySetKind() {
        Map<String, List<String>> elements = Map.ofEntries(
                Map.entry("pods4", List.of("10.0.1.10", "10.0.1.11")),
                Map.entry("pods6", List.of("fd00::10")),
                Map.entry("in_iso4", List.of("10.0.1.10", "10.0.1.11")),
                Map.entry("in_any4", List.of("10.0.1.11 . 10.0.2.22")),
                Map.entry("in_cidr4", List.of("10.0.1.11 . 192.168.0.0/24")),
                Map.entry("in_port4", List.of("10.0.1.10 . 10.0.2.20 . tcp . 80")),
                Map.entry("in_range4", List.of(
                        "10.0.1.10 . 10.0.2.21 . tcp . 0-65535", "10.0.1.10 . 10.0.2.21 . udp . 1000-2000",
                        "10.0.1.10 . 10.1.0.0/16 . tcp . 0-65535", "10.0.1.10 . 10.1.0.0/16 . udp . 1000-2000",
                        "10.0.1.10 . 10.3.0.1-10.3.0.5 . tcp . 0-65535", "10.0.1.10 . 10.3.0.1-10.3.0.5 . udp . 1000-2000")),
                Map.entry("in_iso6", List.of("fd00::10")),
                Map.entry("in_range6", List.of("fd00::10 . ::/0 . sctp . 5")),
                Map.entry("eg_iso4", List.of("10.0.1.11")),
                Map.entry("eg_any4", List.of("10.0.1.11 . 10.0.2.22")),
                Map.entry("eg_cidr4", List.of("10.0.1.11 . 192.168.0.0/24")));
        List<NamedSet> sets = new ArrayList<>();
        sets.add(set("pods4", V4, false, "local pod addresses", elements));
        sets.add(set("pods6", V6, false, "local pod addresses", elements));
        for (String d : List.of("in", "eg")) {
            String dir = d.equals("in") ? "ingress" : "egress";
            for (String f : List.of("4", "6")) {
                List<KeyType> a = f.equals("4") ? V4 : V6;
                List<KeyType> pair = concat(a, a);
                List<KeyType> full = concat(pair, List.of(KeyType.INET_PROTO, KeyType.INET_SERVICE));
                sets.add(set(d + "_iso" + f, a, false, "pods isolated for " + dir, elements));
                sets.add(set(d + "_any" + f, pair, false, dir + ": pod . peer, every port", elements));
                sets.add(set(d + "_cidr" + f, pair, true, dir + ": pod . peer range, every port", elements));
                sets.add(set(d + "_port" + f, full, false, dir + ": pod . peer . protocol . port", elements));
                sets.add(set(d + "_range" + f, full, true, dir + ": pod . peer range . protocol . port range", elements));
            }
        }
        Rule established = new Rule(List.of(new Match.CtState(Set.of("established", "related"))), false, Verdict.ACCEPT, null);
        List<Rule> forward = List.of(established, dispatch(Field.IP_SADDR, "eg_iso4", "egress4"),
                dispatch(Field.IP6_SADDR, "eg_iso6", "egress6"), dispatch(Field.IP_DADDR, "in_iso4", "ingress4"),
                dispatch(Field.IP6_DADDR, "in_iso6", "ingress6"));
        List<Rule> input = List.of(established, dispatch(Field.IP_SADDR, "eg_iso4", "egress4"),
                dispatch(Field.IP6_SADDR, "eg_iso6", "egress6"));
        List<Chain> chains = List.of(
                new Chain("forward", new Chain.Hook("forward", 0, Verdict.ACCEPT), forward),
                new Chain("input", new Chain.Hook("input", 0, Verdict.ACCEPT), input),
                direction("egress4", "eg", "4", Field.IP_SADDR, Field.IP_DADDR),
                direction("egress6", "eg", "6", Field.IP6_SADDR, Field.IP6_DADDR),
                direction("ingress4", "in", "4", Field.IP_DADDR, Field.IP_SADDR),
                direction("ingress6", "in", "6", Field.IP6_DADDR, Field.IP6_SADDR));
        return new Table("inet", "palisade", "palisade: policy for node n1", sets, chains);
    }

    private static Rule dispatch(Field field, String set, String chain) {
        return new Rule(List.of(new Match.Lookup(List.of(field), set, false)), false, Verdict.jump(chain), null);
    }

    private static Chain direction(String name, String d, String f, Field local, Field peer) {
        List<Field> pair = List.of(local, peer);
        List<Field> full = List.of(local, peer, Field.L4PROTO, Field.TH_DPORT);
        String dir = d.equals("in") ? "ingress" : "egress";
        return new Chain(name, null, List.of(
                new Rule(List.of(new Match.Lookup(pair, d + "_any" + f, false)), false, Verdict.RETURN, null),
                new Rule(List.of(new Match.Lookup(pair, d + "_cidr" + f, false)), false, Verdict.RETURN, null),
                new Rule(List.of(new Match.Lookup(full, d + "_port" + f, false)), false, Verdict.RETURN, null),
                new Rule(List.of(new Match.Lookup(full, d + "_range" + f, false)), false, Verdict.RETURN, null),
                new Rule(List.of(), true, Verdict.DROP, dir + " not allowed by any policy")));
    }

    private static NamedSet set(String name, List<KeyType> type, boolean interval, String comment,
                                Map<String, List<String>> elements) {
        TreeSet<Element> parsed = new TreeSet<>();
        for (String e : elements.getOrDefault(name, List.of())) {
            parsed.add(element(e, type));
        }
        return new NamedSet(name, type, interval, parsed, comment);
    }

    /** An element in nft's notation: fields joined by " . ", addresses single, a/len or a-b, ports n or a-b. */
    public static Element element(String text, List<KeyType> type) {
        String[] fields = text.split(" \\. ");
        if (fields.length != type.size()) {
            throw new IllegalArgumentException(text + " does not fit " + type);
        }
        List<Value> values = new ArrayList<>();
        for (int i = 0; i < fields.length; i++) {
            String f = fields[i];
            values.add(switch (type.get(i)) {
                case IPV4_ADDR, IPV6_ADDR -> new Value.Address(f.contains("/") ? Cidr.parse(f).range()
                        : f.contains("-") ? new IpRange(IpAddress.parse(f.split("-")[0]), IpAddress.parse(f.split("-")[1]))
                        : IpRange.of(IpAddress.parse(f)));
                case INET_PROTO -> new Value.Proto(switch (f) {
                    case "tcp" -> 6;
                    case "udp" -> 17;
                    case "sctp" -> 132;
                    default -> Integer.parseInt(f);
                });
                case INET_SERVICE -> f.contains("-")
                        ? new Value.Port(Integer.parseInt(f.split("-")[0]), Integer.parseInt(f.split("-")[1]))
                        : new Value.Port(Integer.parseInt(f), Integer.parseInt(f));
            });
        }
        return new Element(values);
    }

    private static List<KeyType> concat(List<KeyType> a, List<KeyType> b) {
        List<KeyType> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
