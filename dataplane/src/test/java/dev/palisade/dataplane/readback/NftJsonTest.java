package dev.palisade.dataplane.readback;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.palisade.dataplane.SampleRuleSets;
import dev.palisade.dataplane.SampleTables;
import dev.palisade.dataplane.nft.Element;
import dev.palisade.dataplane.nft.Field;
import dev.palisade.dataplane.nft.KeyType;
import dev.palisade.dataplane.nft.Match;
import dev.palisade.dataplane.nft.Rule;
import dev.palisade.dataplane.nft.Table;
import dev.palisade.dataplane.nft.Value;
import dev.palisade.dataplane.nft.Verdict;
import dev.palisade.dataplane.readback.Drift.Kind;
import dev.palisade.dataplane.readback.KernelTable.KernelSet;
import dev.palisade.dataplane.render.NftRenderer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The JSON listings under src/test/resources were printed by nft 1.0.6 after loading
 * {@link SampleTables#everySetKind()} (applied.json), and after a few hand edits with the nft
 * command (drifted.json: see {@link #readsEveryKindOfHandEditAsDrift()}).
 */
class NftJsonTest {

    private static final Table SAMPLE = SampleTables.everySetKind();

    @Test
    void theKernelsListingOfATranslatedTableReadsBackEqual() {
        KernelTable k = NftJson.readTable(resource("applied.json"), "inet", "palisade");

        assertEquals(Drift.NONE, Drift.between(SAMPLE, Optional.of(k)));
        assertEquals(SAMPLE.elementCount(), k.elementCount());
        assertEquals(SAMPLE.set("in_range4").orElseThrow().elements(), k.set("in_range4").orElseThrow().elements());
        assertEquals(SAMPLE.chain("ingress4").orElseThrow().rules(),
                k.chain("ingress4").orElseThrow().rules().stream().map(r -> r.rule().orElseThrow()).toList());
    }

    @Test
    void readsEveryKindOfHandEditAsDrift() {
        // nft delete element inet palisade in_port4 { 10.0.1.10 . 10.0.2.20 . tcp . 80 }
        // nft add element inet palisade in_any4 { 10.0.1.10 . 10.9.9.9 }
        // nft insert rule inet palisade forward ip saddr 10.0.0.1 accept
        // nft add rule inet palisade ingress4 tcp dport 22 accept
        // nft add chain inet palisade sneaky
        // nft add set inet palisade extra { type ether_addr; elements = { 02:00:00:00:00:01 }; }
        // nft add map inet palisade m { type ipv4_addr : verdict; }
        // nft add set inet palisade in_iso6x { type ipv6_addr; }
        KernelTable k = NftJson.readTable(resource("drifted.json"), "inet", "palisade");

        Drift drift = Drift.between(SAMPLE, Optional.of(k));

        assertEquals(List.of(
                        "ELEMENTS_EXTRA set in_any4: 1 element not ours (10.0.1.10 . 10.9.9.9)",
                        "ELEMENTS_MISSING set in_port4: 1 element missing (10.0.1.10 . 10.0.2.20 . tcp . 80)",
                        "SET_EXTRA set extra: not ours (1 elements)",
                        "SET_EXTRA set in_iso6x: not ours (0 elements)",
                        "RULES chain forward: rule 1 is a rule outside Palisade's model [{\"match\":{\"op\":\"==\","
                                + "\"left\":{\"payload\":{\"protocol\":\"ip\",\"field\":\"saddr\"}},\"right\":\"10.0.0.1\"}},"
                                + "{\"accept\":null}] (handle 57), expected \"ct state established,related accept\""
                                + " (6 rules, expected 5)",
                        "RULES chain ingress4: rule 6 is a rule outside Palisade's model [{\"match\":{\"op\":\"==\","
                                + "\"left\":{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},\"right\":22}},"
                                + "{\"accept\":null}] (handle 58), expected nothing (6 rules, expected 5)",
                        "CHAIN_EXTRA chain sneaky: not ours (0 rules)",
                        "OBJECT_EXTRA map m: not ours"),
                drift.differences().stream().map(d -> d.kind() + " " + d).toList());
        assertTrue(drift.summary().startsWith("8 differences: set in_any4: 1 element not ours"), drift.summary());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "single address          | \"10.0.0.1\"                                        | 10.0.0.1-10.0.0.1",
            "prefix                  | {\"prefix\": {\"addr\": \"10.0.0.0\", \"len\": 8}}  | 10.0.0.0-10.255.255.255",
            "range                   | {\"range\": [\"10.0.0.1\", \"10.0.0.5\"]}           | 10.0.0.1-10.0.0.5",
            "element with a counter  | {\"elem\": {\"val\": \"10.0.0.1\", \"counter\": {\"packets\": 1, \"bytes\": 2}}} | 10.0.0.1-10.0.0.1",
    })
    void readsEveryAddressSpelling(String name, String json, String range) {
        String[] ends = range.split("-");

        Optional<Element> e = NftJson.element(node(json), List.of(KeyType.IPV4_ADDR));

        assertEquals(Optional.of(Element.of(new Value.Address(SampleRuleSets.range(ends[0], ends[1])))), e);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "protocol by name        | {\"concat\": [\"tcp\", 80]}                       | 6  | 80 | 80",
            "protocol by number      | {\"concat\": [47, 80]}                            | 47 | 80 | 80",
            "port range              | {\"concat\": [\"udp\", {\"range\": [1000, 2000]}]} | 17 | 1000 | 2000",
            "sctp                    | {\"concat\": [\"sctp\", \"5\"]}                   | 132 | 5 | 5",
    })
    void readsProtocolsAndPorts(String name, String json, int proto, int first, int last) {
        Optional<Element> e = NftJson.element(node(json), List.of(KeyType.INET_PROTO, KeyType.INET_SERVICE));

        assertEquals(Optional.of(Element.of(new Value.Proto(proto), new Value.Port(first, last))), e);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "IPv6 in an IPv4 field   | \"fd00::1\"",
            "not an address          | \"example.org\"",
            "prefix with host bits   | {\"prefix\": {\"addr\": \"10.0.0.1\", \"len\": 8}}",
            "reversed range          | {\"range\": [\"10.0.0.5\", \"10.0.0.1\"]}",
            "a set reference         | \"@other\"",
    })
    void refusesWhatIsNotAnAddressOfTheField(String name, String json) {
        assertEquals(Optional.empty(), NftJson.element(node(json), List.of(KeyType.IPV4_ADDR)));
    }

    @Test
    void keepsElementsItCannotReadAsDrift() {
        String json = """
                {"nftables": [{"table": {"family": "inet", "name": "palisade", "handle": 1}},
                 {"set": {"family": "inet", "name": "pods4", "table": "palisade", "type": "ipv4_addr",
                  "comment": "local pod addresses", "elem": ["10.0.1.10", "not-an-address"]}}]}
                """;
        KernelTable k = NftJson.readTable(json, "inet", "palisade");
        KernelSet pods4 = k.set("pods4").orElseThrow();

        assertEquals(List.of("\"not-an-address\""), pods4.unreadable());
        Drift drift = Drift.between(SAMPLE, Optional.of(k));
        assertTrue(drift.differences().stream().anyMatch(d -> d.kind() == Kind.ELEMENTS_UNREADABLE
                && d.object().equals("set pods4")), drift.summary());
    }

    @Test
    void ignoresObjectsOfOtherTables() {
        String json = """
                {"nftables": [{"table": {"family": "inet", "name": "palisade", "handle": 1}},
                 {"table": {"family": "ip", "name": "palisade", "handle": 2}},
                 {"chain": {"family": "ip", "table": "palisade", "name": "forward", "handle": 1}}]}
                """;

        KernelTable k = NftJson.readTable(json, "inet", "palisade");

        assertEquals(List.of(), k.chains());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "not JSON            | table inet palisade {",
            "no nftables array   | {\"tables\": []}",
            "not the table       | {\"nftables\": [{\"table\": {\"family\": \"inet\", \"name\": \"other\"}}]}",
    })
    void refusesAListingWithoutTheTable(String name, String json) {
        assertThrows(IllegalArgumentException.class, () -> NftJson.readTable(json, "inet", "palisade"));
    }

    /** As nft 1.0.6 prints the rules of the fail-closed layout ({@code nft -j list table}). */
    @Test
    void readsGotoVerdictsWithAndWithoutMatches() {
        Optional<Rule> dispatch = NftJson.modelRule(node("[{\"match\": {\"op\": \"==\", \"left\": {\"payload\":"
                + " {\"protocol\": \"ip\", \"field\": \"saddr\"}}, \"right\": \"@eg_iso4\"}},"
                + " {\"goto\": {\"target\": \"egress4\"}}]"), null);
        Optional<Rule> last = NftJson.modelRule(node("[{\"goto\": {\"target\": \"ingress\"}}]"), null);
        Optional<Rule> jump = NftJson.modelRule(node("[{\"jump\": {\"target\": \"ingress\"}}]"), null);

        assertEquals(Optional.of(new Rule(List.of(new Match.Lookup(List.of(Field.IP_SADDR), "eg_iso4", false)), false,
                Verdict.goTo("egress4"), null)), dispatch);
        assertEquals(Optional.of(new Rule(List.of(), false, Verdict.goTo("ingress"), null)), last);
        assertEquals("goto ingress", NftRenderer.rule(last.orElseThrow()));
        assertEquals(Optional.of(new Rule(List.of(), false, Verdict.jump("ingress"), null)), jump);
        assertTrue(!jump.equals(last), "a jump is not a goto");
        assertEquals(Optional.empty(), NftJson.modelRule(node("[{\"goto\": {}}]"), null));
    }

    @Test
    void aMissingTableIsOneDifference() {
        Drift drift = Drift.between(SAMPLE, Optional.empty());

        assertEquals("1 difference: table inet palisade: not in the kernel", drift.summary());
        assertEquals(Kind.TABLE_MISSING, drift.differences().get(0).kind());
    }

    static String resource(String name) {
        try (InputStream in = NftJsonTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("no test resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static com.fasterxml.jackson.databind.JsonNode node(String json) {
        try {
            return new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void readsTheMidStreamRuleAsNft106PrintsIt() {
        // nft -f of "tcp flags & (fin | syn | rst | ack) != syn ip saddr @in_iso4 counter drop", listed with nft -j;
        // nft lists it back as "tcp flags != syn / fin,syn,rst,ack ...", which is how the renderer writes it
        String json = """
                {"nftables": [{"table": {"family": "inet", "name": "palisade", "handle": 1}},
                 {"chain": {"family": "inet", "table": "palisade", "name": "forward", "handle": 1, "type": "filter",
                  "hook": "forward", "prio": 0, "policy": "drop"}},
                 {"rule": {"family": "inet", "table": "palisade", "chain": "forward", "handle": 3, "expr": [
                  {"match": {"op": "!=", "left": {"&": [{"payload": {"protocol": "tcp", "field": "flags"}},
                    ["fin", "syn", "rst", "ack"]]}, "right": "syn"}},
                  {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "@in_iso4"}},
                  {"counter": {"packets": 0, "bytes": 0}}, {"drop": null}]}}]}
                """;
        KernelTable k = NftJson.readTable(json, "inet", "palisade");
        Rule r = k.chain("forward").orElseThrow().rules().get(0).rule().orElseThrow();
        assertEquals(new Rule(List.of(new Match.TcpFlags(List.of("ack", "fin", "rst", "syn"), List.of("syn"), true),
                new Match.Lookup(List.of(Field.IP_SADDR), "in_iso4", false)), true, Verdict.DROP, null), r);
        assertEquals("tcp flags != syn / fin,syn,rst,ack ip saddr @in_iso4 counter drop", NftRenderer.rule(r));
    }
}
