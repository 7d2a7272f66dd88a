package dev.palisade.dataplane.readback;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.palisade.dataplane.nft.Chain;
import dev.palisade.dataplane.nft.Element;
import dev.palisade.dataplane.nft.Field;
import dev.palisade.dataplane.nft.KeyType;
import dev.palisade.dataplane.nft.Match;
import dev.palisade.dataplane.nft.Rule;
import dev.palisade.dataplane.nft.Value;
import dev.palisade.dataplane.nft.Verdict;
import dev.palisade.dataplane.readback.KernelTable.KernelChain;
import dev.palisade.dataplane.readback.KernelTable.KernelRule;
import dev.palisade.dataplane.readback.KernelTable.KernelSet;
import dev.palisade.model.Cidr;
import dev.palisade.model.IpAddress;
import dev.palisade.model.IpRange;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Reads nft's JSON listing of one table ({@code nft -j list table <family> <name>}, schema version
 * 1) into a {@link KernelTable}.
 *
 * <p>Why JSON and not the text listing: the text is for people. It wraps element lists at a width,
 * prints hash-set elements in hash order, merges adjacent ranges in some set types, and changes
 * spelling between releases (priorities, service names). The JSON gives each element as a
 * structure ({@code {"prefix": {"addr": .., "len": ..}}}, {@code {"range": [a, b]}},
 * {@code {"concat": [...]}}), which reads into the same {@link Value}s the translator produces, so
 * comparing is equality of values and does not depend on formatting.
 *
 * <p>Rules are read into the nft model when they use only what the model expresses (set lookups on
 * the fields of {@link Field}, {@code ct state}, a counter, a verdict, a comment); any other rule is
 * kept as nft's JSON, and cannot equal a rule of ours.
 */
public final class NftJson {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * What nft prints for {@code inet_proto} values it has a name for. Palisade only writes the
     * protocols a NetworkPolicy can name; a protocol outside this list reads as unreadable (drift),
     * which is right, since it cannot be one of ours.
     */
    private static final Map<String, Integer> PROTOCOL_NAMES = Map.of("tcp", 6, "udp", 17, "sctp", 132);

    private NftJson() {
    }

    /**
     * The table {@code family name} in {@code json}.
     *
     * @throws IllegalArgumentException when the text is not nft JSON or does not hold that table
     */
    public static KernelTable readTable(String json, String family, String name) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("nft printed JSON that does not parse: " + e.getOriginalMessage(), e);
        }
        JsonNode items = root == null ? null : root.get("nftables");
        if (items == null || !items.isArray()) {
            throw new IllegalArgumentException("nft JSON has no \"nftables\" array");
        }
        boolean tableSeen = false;
        List<KernelSet> sets = new ArrayList<>();
        Map<String, ChainBuilder> chains = new LinkedHashMap<>();
        List<String> others = new ArrayList<>();
        for (JsonNode item : items) {
            String kind = item.fieldNames().hasNext() ? item.fieldNames().next() : "";
            JsonNode body = item.get(kind);
            if (kind.equals("metainfo")) {
                continue;
            }
            String itemTable = kind.equals("table") ? text(body, "name") : text(body, "table");
            if (!family.equals(text(body, "family")) || !name.equals(itemTable)) {
                continue; // another table's object: "list table" never prints one, but be strict
            }
            switch (kind) {
                case "table" -> tableSeen = true;
                case "set" -> sets.add(set(body));
                case "chain" -> chains.put(text(body, "name"), new ChainBuilder(body));
                case "rule" -> {
                    ChainBuilder c = chains.computeIfAbsent(text(body, "chain"), n -> new ChainBuilder(null));
                    c.rules.add(rule(body));
                }
                default -> others.add(kind + " " + text(body, "name"));
            }
        }
        if (!tableSeen) {
            throw new IllegalArgumentException("nft JSON does not hold table " + family + " " + name);
        }
        List<KernelChain> chainList = new ArrayList<>();
        chains.forEach((chainName, b) -> chainList.add(b.build(chainName)));
        return new KernelTable(family, name, sets, chainList, others);
    }

    private static final class ChainBuilder {
        final JsonNode definition;
        final List<KernelRule> rules = new ArrayList<>();

        ChainBuilder(JsonNode definition) {
            this.definition = definition;
        }

        KernelChain build(String chainName) {
            if (definition == null || !definition.has("hook")) {
                return new KernelChain(chainName, null, null, rules);
            }
            Verdict policy = switch (text(definition, "policy")) {
                case "drop" -> Verdict.DROP;
                default -> Verdict.ACCEPT;
            };
            Chain.Hook hook = new Chain.Hook(text(definition, "hook"), definition.path("prio").asInt(), policy);
            return new KernelChain(chainName, text(definition, "type"), hook, rules);
        }
    }

    // ---- sets ----

    private static KernelSet set(JsonNode body) {
        List<String> type = new ArrayList<>();
        JsonNode t = body.path("type");
        if (t.isArray()) {
            t.forEach(x -> type.add(x.asText()));
        } else {
            type.add(t.asText());
        }
        Set<String> flags = new TreeSet<>();
        JsonNode f = body.path("flags");
        if (f.isArray()) {
            f.forEach(x -> flags.add(x.asText()));
        } else if (f.isTextual()) {
            flags.add(f.asText());
        }
        List<KeyType> keyTypes = keyTypes(type);
        SortedSet<Element> elements = new TreeSet<>();
        List<String> unreadable = new ArrayList<>();
        for (JsonNode e : body.path("elem")) {
            Optional<Element> element = keyTypes == null ? Optional.empty() : element(e, keyTypes);
            if (element.isPresent()) {
                elements.add(element.get());
            } else {
                unreadable.add(e.toString());
            }
        }
        return new KernelSet(text(body, "name"), type, flags, body.has("comment") ? text(body, "comment") : null,
                elements, unreadable);
    }

    /** The model's key types for nft's type names, or null when one is not in the model. */
    private static List<KeyType> keyTypes(List<String> names) {
        List<KeyType> out = new ArrayList<>();
        for (String n : names) {
            KeyType match = null;
            for (KeyType k : KeyType.values()) {
                if (k.nft().equals(n)) {
                    match = k;
                }
            }
            if (match == null) {
                return null;
            }
            out.add(match);
        }
        return out;
    }

    static Optional<Element> element(JsonNode node, List<KeyType> types) {
        JsonNode n = node;
        if (n.has("elem")) { // an element with attributes (counter, timeout, comment)
            n = n.path("elem").path("val");
        }
        List<JsonNode> fields = new ArrayList<>();
        if (types.size() == 1) {
            fields.add(n);
        } else {
            JsonNode concat = n.path("concat");
            if (!concat.isArray() || concat.size() != types.size()) {
                return Optional.empty();
            }
            concat.forEach(fields::add);
        }
        List<Value> values = new ArrayList<>();
        for (int i = 0; i < types.size(); i++) {
            Optional<Value> v = value(fields.get(i), types.get(i));
            if (v.isEmpty()) {
                return Optional.empty();
            }
            values.add(v.get());
        }
        return Optional.of(new Element(values));
    }

    private static Optional<Value> value(JsonNode n, KeyType type) {
        try {
            return switch (type) {
                case IPV4_ADDR -> address(n, IpAddress.Family.V4);
                case IPV6_ADDR -> address(n, IpAddress.Family.V6);
                case INET_PROTO -> protocol(n);
                case INET_SERVICE -> port(n);
            };
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // a value the model's records refuse: unreadable, so drift
        }
    }

    private static Optional<Value> address(JsonNode n, IpAddress.Family family) {
        IpRange range;
        if (n.isTextual()) {
            range = IpRange.of(IpAddress.parse(n.asText()));
        } else if (n.has("prefix")) {
            JsonNode p = n.get("prefix");
            if (!p.path("addr").isTextual() || !p.path("len").isInt()) {
                return Optional.empty();
            }
            Cidr c = new Cidr(IpAddress.parse(p.get("addr").asText()), p.get("len").asInt());
            if (!c.network().equals(IpAddress.parse(p.get("addr").asText()))) {
                return Optional.empty(); // host bits set: not a prefix nft would print
            }
            range = c.range();
        } else if (n.has("range") && n.get("range").size() == 2
                && n.get("range").get(0).isTextual() && n.get("range").get(1).isTextual()) {
            range = new IpRange(IpAddress.parse(n.get("range").get(0).asText()),
                    IpAddress.parse(n.get("range").get(1).asText()));
        } else {
            return Optional.empty();
        }
        return range.family() == family ? Optional.of(new Value.Address(range)) : Optional.empty();
    }

    private static Optional<Value> protocol(JsonNode n) {
        JsonNode r = n.path("range");
        if (r.isArray() && r.size() == 2) {
            Optional<Value> first = protocol(r.get(0));
            Optional<Value> last = protocol(r.get(1));
            if (first.isPresent() && last.isPresent()) {
                return Optional.of(new Value.Proto(((Value.Proto) first.get()).first(), ((Value.Proto) last.get()).last()));
            }
            return Optional.empty();
        }
        if (n.isInt()) {
            return Optional.of(new Value.Proto(n.asInt()));
        }
        if (n.isTextual()) {
            Integer number = PROTOCOL_NAMES.get(n.asText());
            if (number != null) {
                return Optional.of(new Value.Proto(number));
            }
            if (n.asText().matches("[0-9]{1,3}")) {
                return Optional.of(new Value.Proto(Integer.parseInt(n.asText())));
            }
        }
        return Optional.empty();
    }

    private static Optional<Value> port(JsonNode n) {
        if (n.isInt()) {
            return Optional.of(new Value.Port(n.asInt(), n.asInt()));
        }
        if (n.isTextual() && n.asText().matches("[0-9]{1,5}")) {
            int p = Integer.parseInt(n.asText());
            return Optional.of(new Value.Port(p, p));
        }
        JsonNode r = n.path("range");
        if (r.isArray() && r.size() == 2 && r.get(0).isInt() && r.get(1).isInt()) {
            return Optional.of(new Value.Port(r.get(0).asInt(), r.get(1).asInt()));
        }
        return Optional.empty();
    }

    // ---- rules ----

    private static KernelRule rule(JsonNode body) {
        JsonNode expr = body.path("expr");
        String comment = body.has("comment") ? text(body, "comment") : null;
        return new KernelRule(body.path("handle").asLong(), modelRule(expr, comment), expr.toString());
    }

    /** Matches, then an optional counter, then one verdict, in that order: the only shape Palisade writes. */
    static Optional<Rule> modelRule(JsonNode expr, String comment) {
        if (!expr.isArray() || expr.isEmpty()) {
            return Optional.empty();
        }
        List<Match> matches = new ArrayList<>();
        boolean counter = false;
        for (int i = 0; i < expr.size() - 1; i++) {
            JsonNode e = expr.get(i);
            if (e.has("match") && !counter) {
                Optional<Match> m = match(e.get("match"));
                if (m.isEmpty()) {
                    return Optional.empty();
                }
                matches.add(m.get());
            } else if (e.has("counter") && !counter && e.size() == 1) {
                counter = true;
            } else {
                return Optional.empty();
            }
        }
        Optional<Verdict> verdict = verdict(expr.get(expr.size() - 1));
        if (verdict.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Rule(matches, counter, verdict.get(), comment));
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // beyond what the model allows (a comment nft could not have written): not ours
        }
    }

    private static Optional<Match> match(JsonNode m) {
        String op = text(m, "op");
        JsonNode left = m.path("left");
        JsonNode right = m.path("right");
        if (left.has("ct") && "state".equals(text(left.get("ct"), "key"))) {
            if (!op.equals("in") && !op.equals("==")) {
                return Optional.empty();
            }
            Set<String> states = new TreeSet<>();
            if (right.isArray()) {
                right.forEach(s -> states.add(s.asText()));
            } else if (right.isTextual()) {
                states.add(right.asText());
            } else {
                return Optional.empty();
            }
            return Optional.of(new Match.CtState(states));
        }
        if (left.has("&") && left.get("&").isArray() && left.get("&").size() == 2) {
            return tcpFlags(left.get("&"), right, op);
        }
        if (!right.isTextual() || !right.asText().startsWith("@") || !(op.equals("==") || op.equals("!="))) {
            return Optional.empty();
        }
        List<Field> key = new ArrayList<>();
        if (left.has("concat")) {
            for (JsonNode f : left.get("concat")) {
                Optional<Field> field = field(f);
                if (field.isEmpty()) {
                    return Optional.empty();
                }
                key.add(field.get());
            }
        } else {
            Optional<Field> field = field(left);
            if (field.isEmpty()) {
                return Optional.empty();
            }
            key.add(field.get());
        }
        return Optional.of(new Match.Lookup(key, right.asText().substring(1), op.equals("!=")));
    }

    /** {@code tcp flags & (mask) ==|!= value}: {"&": [{"payload": {"protocol": "tcp", "field": "flags"}}, mask]}. */
    private static Optional<Match> tcpFlags(JsonNode and, JsonNode right, String op) {
        JsonNode payload = and.get(0).path("payload");
        if (!"tcp".equals(text(payload, "protocol")) || !"flags".equals(text(payload, "field"))
                || !(op.equals("==") || op.equals("!="))) {
            return Optional.empty();
        }
        Optional<List<String>> mask = flags(and.get(1));
        Optional<List<String>> value = flags(right);
        if (mask.isEmpty() || value.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Match.TcpFlags(mask.get(), value.get(), op.equals("!=")));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** A flag ("syn"), a list of them (["fin", "syn"]) or an or-expression ({"|": [...]}). */
    private static Optional<List<String>> flags(JsonNode n) {
        if (n.isTextual()) {
            return Optional.of(List.of(n.asText()));
        }
        JsonNode list = n.has("|") ? n.get("|") : n;
        if (!list.isArray()) {
            return Optional.empty();
        }
        List<String> out = new ArrayList<>();
        for (JsonNode f : list) {
            if (!f.isTextual()) {
                return Optional.empty();
            }
            out.add(f.asText());
        }
        return Optional.of(out);
    }

    private static Optional<Field> field(JsonNode n) {
        String spelling;
        if (n.has("payload")) {
            spelling = text(n.get("payload"), "protocol") + " " + text(n.get("payload"), "field");
        } else if (n.has("meta")) {
            spelling = "meta " + text(n.get("meta"), "key");
        } else {
            return Optional.empty();
        }
        for (Field f : Field.values()) {
            if (f.nft().equals(spelling)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    private static Optional<Verdict> verdict(JsonNode e) {
        if (e.size() != 1) {
            return Optional.empty();
        }
        if (e.has("accept")) {
            return Optional.of(Verdict.ACCEPT);
        }
        if (e.has("drop")) {
            return Optional.of(Verdict.DROP);
        }
        if (e.has("return")) {
            return Optional.of(Verdict.RETURN);
        }
        if (e.has("jump") && e.get("jump").path("target").isTextual()) {
            return Optional.of(Verdict.jump(e.get("jump").get("target").asText()));
        }
        if (e.has("goto") && e.get("goto").path("target").isTextual()) {
            return Optional.of(Verdict.goTo(e.get("goto").get("target").asText()));
        }
        return Optional.empty();
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n == null ? null : n.get(field);
        return v == null || v.isNull() ? "" : v.asText();
    }
}
