package dev.palisade.model;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NamespaceTest {

    @Test
    void alwaysCarriesItsNameLabel() {
        assertEquals(Map.of(Namespace.NAME_LABEL, "prod"), new Namespace("prod", Map.of()).labels());
    }

    @Test
    void addsTheNameLabelToOtherLabels() {
        Namespace ns = new Namespace("prod", Map.of("env", "production"));
        assertEquals(Map.of("env", "production", Namespace.NAME_LABEL, "prod"), ns.labels());
    }

    @Test
    void theNameLabelCannotBeSpoofed() {
        Namespace ns = new Namespace("prod", Map.of(Namespace.NAME_LABEL, "other"));
        assertEquals("prod", ns.labels().get(Namespace.NAME_LABEL));
    }

    @Test
    void nullLabelsAreNoLabels() {
        assertEquals(Map.of(Namespace.NAME_LABEL, "dev"), new Namespace("dev", (Map<String, String>) null).labels());
    }

    @Test
    void aSelectorOnTheNameLabelSelectsByName() {
        LabelSelector byName = new LabelSelector(Map.of(), List.of(new Requirement(Namespace.NAME_LABEL,
                Requirement.Operator.In, new java.util.TreeSet<>(List.of("prod", "staging")))));
        assertTrue(byName.matches(new Namespace("prod", Map.of()).labels()));
        assertEquals(false, byName.matches(new Namespace("dev", Map.of()).labels()));
    }

    @Test
    void requiresAName() {
        assertThrows(IllegalArgumentException.class, () -> new Namespace("", Map.of()));
        assertThrows(IllegalArgumentException.class, () -> new Namespace(null, Map.of()));
    }
}
