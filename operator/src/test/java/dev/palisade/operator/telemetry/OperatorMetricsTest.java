package dev.palisade.operator.telemetry;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Metric names and types are API (dashboards and alerts use them): changing one must change this test. */
class OperatorMetricsTest {

    @Test
    void namesAndTypesArePinned() {
        OperatorMetrics m = new OperatorMetrics();
        m.compiled(0.01);
        m.published("PalisadeNodeRuleSet", OperatorMetrics.Result.updated);
        m.rulesetWritten(4096);
        m.queueLag(0.2);
        m.informers(Map.of("pods", true));
        m.leader(true);
        m.sync(true);
        m.eventPosted();
        m.statusWritten(true);
        String text = m.text();
        Set<String> types = new TreeSet<>();
        Matcher t = Pattern.compile("(?m)^# TYPE (\\S+) (\\S+)$").matcher(text);
        while (t.find()) {
            types.add(t.group(1) + " " + t.group(2));
        }
        assertEquals(new TreeSet<>(List.of(
                "palisade_operator_compile_duration_seconds histogram",
                "palisade_operator_publish_total counter",
                "palisade_operator_ruleset_bytes histogram",
                "palisade_operator_queue_lag_seconds gauge",
                "palisade_operator_informer_synced gauge",
                "palisade_operator_leader gauge",
                "palisade_operator_syncs_total counter",
                "palisade_operator_policy_events_total counter",
                "palisade_operator_status_writes_total counter",
                "palisade_operator_policies_over_limit gauge")), types);
        assertTrue(text.contains("palisade_operator_publish_total{kind=\"PalisadeNodeRuleSet\",result=\"updated\"} 1.0"), text);
        assertTrue(text.contains("palisade_operator_informer_synced{resource=\"pods\"} 1.0"), text);
        assertTrue(text.contains("palisade_operator_compile_duration_seconds_count 1"), text);
    }
}
