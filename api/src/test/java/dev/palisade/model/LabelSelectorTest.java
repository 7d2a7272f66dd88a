package dev.palisade.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LabelSelectorTest {

    /** "k=v,k2=v2" (null: no labels). */
    static Map<String, String> labels(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        if (text == null) {
            return out;
        }
        for (String kv : text.split(",")) {
            String[] p = kv.split("=", 2);
            out.put(p[0].trim(), p.length > 1 ? p[1].trim() : "");
        }
        return out;
    }

    static Requirement requirement(String key, String op, String values) {
        Set<String> vs = values == null ? Set.of() : Set.copyOf(Arrays.asList(values.split(",", -1)));
        return new Requirement(key, Requirement.Operator.parse(op), new java.util.TreeSet<>(vs));
    }

    @ParameterizedTest(name = "{0}: {1} {2} ({3}) on [{4}] = {5}")
    @CsvSource(delimiter = '|', textBlock = """
            In matches a listed value            | app | In           | web,db | app=web         | true
            In rejects another value             | app | In           | web,db | app=dns         | false
            In rejects a missing key             | app | In           | web    |                 | false
            In with the empty value              | app | In           | ''     | app=            | true
            NotIn matches another value          | app | NotIn        | web    | app=db          | true
            NotIn rejects a listed value         | app | NotIn        | web,db | app=db          | false
            NotIn matches a missing key          | app | NotIn        | web    | tier=web        | true
            Exists matches any value             | app | Exists       |        | app=x           | true
            Exists matches the empty value       | app | Exists       |        | app=            | true
            Exists rejects a missing key         | app | Exists       |        | tier=x          | false
            DoesNotExist matches a missing key   | app | DoesNotExist |        | tier=x          | true
            DoesNotExist matches no labels       | app | DoesNotExist |        |                 | true
            DoesNotExist rejects a present key   | app | DoesNotExist |        | app=            | false
            keys are case sensitive              | app | In           | web    | App=web         | false
            values are case sensitive            | app | In           | web    | app=Web         | false
            prefixed key                         | example.com/app | Exists |   | example.com/app=1 | true
            """)
    void requirementMatches(String name, String key, String op, String values, String podLabels, boolean expected) {
        Requirement r = requirement(key, op, values);
        assertEquals(expected, r.matches(labels(podLabels)));
        assertEquals(expected, new LabelSelector(Map.of(), List.of(r)).matches(labels(podLabels)),
                "a selector with only this expression agrees");
    }

    @ParameterizedTest(name = "{0}: matchLabels [{1}] on [{2}] = {3}")
    @CsvSource(delimiter = '|', textBlock = """
            empty selector matches no labels     |                   |                   | true
            empty selector matches any labels    |                   | app=web,tier=x    | true
            one label matches                    | app=web           | app=web,tier=x    | true
            one label wrong value                | app=web           | app=db            | false
            one label missing                    | app=web           | tier=x            | false
            all labels must match                | app=web,tier=x    | app=web           | false
            all labels matching                  | app=web,tier=x    | tier=x,app=web    | true
            empty value matches only empty value | app=              | app=web           | false
            empty value                          | app=              | app=              | true
            """)
    void matchLabels(String name, String selector, String podLabels, boolean expected) {
        assertEquals(expected, LabelSelector.of(labels(selector)).matches(labels(podLabels)));
    }

    @Test
    void matchLabelsAndExpressionsAreAnded() {
        LabelSelector s = new LabelSelector(Map.of("app", "web"),
                List.of(requirement("tier", "In", "front"), requirement("debug", "DoesNotExist", null)));
        assertTrue(s.matches(labels("app=web,tier=front")));
        assertEquals(false, s.matches(labels("app=web,tier=back")));
        assertEquals(false, s.matches(labels("app=db,tier=front")));
        assertEquals(false, s.matches(labels("app=web,tier=front,debug=1")));
    }

    @Test
    void emptySelectorIsEmpty() {
        assertTrue(LabelSelector.EVERYTHING.isEmpty());
        assertTrue(new LabelSelector((Map<String, String>) null, null).isEmpty());
        assertEquals(LabelSelector.EVERYTHING, new LabelSelector(Map.of(), List.of()));
    }

    @Test
    void equalSelectorsWhateverTheExpressionOrder() {
        Requirement a = requirement("a", "Exists", null);
        Requirement b = requirement("b", "In", "y,x");
        assertEquals(new LabelSelector(Map.of(), List.of(a, b)), new LabelSelector(Map.of(), List.of(b, a)));
        assertEquals(requirement("b", "In", "x,y"), b);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            In without values           | app | In           |
            NotIn without values        | app | NotIn        |
            Exists with values          | app | Exists       | x
            DoesNotExist with values    | app | DoesNotExist | x
            bad key                     | -a  | Exists       |
            bad value                   | app | In           | -x
            """)
    void rejectsInvalidRequirements(String name, String key, String op, String values) {
        assertThrows(IllegalArgumentException.class, () -> requirement(key, op, values));
    }

    @Test
    void rejectsUnknownOperator() {
        assertThrows(IllegalArgumentException.class, () -> Requirement.Operator.parse("Gt"));
        assertThrows(IllegalArgumentException.class, () -> Requirement.Operator.parse("in"));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', textBlock = """
            empty key                | ''
            empty prefix             | /app
            upper-case prefix        | Example.com/app
            name starts with dash    | -app
            name with space          | 'a b'
            name over 63 characters  | aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
            """)
    void rejectsInvalidKeysInMatchLabels(String name, String key) {
        assertThrows(IllegalArgumentException.class, () -> LabelSelector.of(Map.of(key, "v")));
    }
}
