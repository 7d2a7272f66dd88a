package dev.palisade.dataplane.nft;

import dev.palisade.dataplane.translate.RuleSetTranslator;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.NodeRuleSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The model refuses what nft and the kernel refuse, and shortens labels so that it never has to. */
class LimitsTest {

    /** The longest node name Kubernetes accepts: a DNS subdomain of 253 characters. */
    static final String NODE_253 = "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(61);

    private static String chars(int n) {
        return "x".repeat(n);
    }

    private static void refused(String expected, Executable build) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    private static Rule rule(String comment) {
        return new Rule(List.of(), true, Verdict.DROP, comment);
    }

    private static NamedSet set(String comment) {
        return new NamedSet("s", List.of(KeyType.IPV4_ADDR), false, new TreeSet<>(), comment);
    }

    private static Table table(String name, String comment, List<Chain> chains) {
        return new Table("inet", name, comment, List.of(), chains);
    }

    @Test
    void commentsOf128BytesAreAcceptedAnd129Refused() {
        assertDoesNotThrow(() -> rule(chars(128)));
        assertDoesNotThrow(() -> set(chars(128)));
        assertDoesNotThrow(() -> table("t", chars(128), List.of()));
        refused("comment of rule is 129 bytes; nft accepts at most 128", () -> rule(chars(129)));
        refused("comment of set s is 129 bytes", () -> set(chars(129)));
        refused("comment of table t is 129 bytes", () -> table("t", chars(129), List.of()));
    }

    @Test
    void commentsAreCountedInBytesAsNftCountsThem() {
        refused("is 129 bytes", () -> rule(chars(127) + "é")); // 128 characters, but é is two bytes in UTF-8
    }

    @Test
    void namesOf255BytesAreAcceptedAnd256Refused() {
        assertDoesNotThrow(() -> table(chars(255), null, List.of(new Chain(chars(255), null, List.of()))));
        refused("table name is 256 bytes; the kernel accepts at most 255", () -> table(chars(256), null, List.of()));
        refused("chain name is 256 bytes", () -> new Chain(chars(256), null, List.of()));
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"", "1table", "two words", "quote\"d", "semi;colon"})
    void namesTheRendererCannotWriteUnquotedAreRefused(String name) {
        refused("bad table name", () -> table(name, null, List.of()));
        refused("bad chain name", () -> new Chain(name, null, List.of()));
    }

    @Test
    void aLabelThatFitsIsKeptWhole() {
        assertEquals("palisade: policy for node n1", Limits.label("palisade: policy for node ", "n1"));
        String fits = chars(128 - "head ".length());
        assertEquals("head " + fits, Limits.label("head ", fits));
    }

    @Test
    void aLongLabelKeepsItsStartAndAHashWithin128Bytes() {
        String c = Limits.label("palisade: policy for node ", NODE_253);
        assertEquals(Limits.COMMENT_MAX_BYTES, c.getBytes(StandardCharsets.UTF_8).length, c);
        assertTrue(c.startsWith("palisade: policy for node " + "a".repeat(63) + "." + "b".repeat(27)), c);
        assertTrue(c.matches(".*~[0-9a-f]{10}"), c);
        assertEquals(c, Limits.label("palisade: policy for node ", NODE_253), "deterministic");
        assertDoesNotThrow(() -> table("palisade", c, List.of()));
    }

    @Test
    void twoLongLabelsWithTheSameStartStayDistinct() {
        String a = Limits.label("node ", NODE_253);
        String b = Limits.label("node ", NODE_253.substring(0, 252) + "e");
        assertNotEquals(a, b);
        assertEquals(a.substring(0, a.length() - 10), b.substring(0, b.length() - 10), "the same recognisable start");
    }

    @Test
    void theLongestNamespaceAndPolicyNamesFitAsALabel() {
        String namespaceAndPolicy = "n".repeat(63) + "/" + "p".repeat(253) + "#0"; // namespace 63, NetworkPolicy 253
        String c = Limits.label("allowed by ", namespaceAndPolicy);
        assertEquals(Limits.COMMENT_MAX_BYTES, c.getBytes(StandardCharsets.UTF_8).length, c);
        assertDoesNotThrow(() -> rule(c));
    }

    @Test
    void aMultiByteLabelIsCutBetweenCharactersNotInsideOne() {
        String c = Limits.label("head ", "é".repeat(200));
        assertTrue(c.getBytes(StandardCharsets.UTF_8).length <= Limits.COMMENT_MAX_BYTES, c);
        assertTrue(c.startsWith("head é"), c);
        assertTrue(c.matches("head é+~[0-9a-f]{10}"), c);
    }

    @Test
    void aHeadWithNoRoomForTheLabelIsRefused() {
        refused("no room for a label", () -> Limits.label(chars(118), NODE_253));
    }

    @Test
    void aNodeWithTheLongestNameGetsATableTheModelAccepts() {
        Table t = RuleSetTranslator.translate(new NodeRuleSet(NODE_253, new TreeSet<>(), DirectionRules.NONE,
                DirectionRules.NONE));
        assertEquals(Limits.label("palisade: policy for node ", NODE_253), t.comment());
    }
}
