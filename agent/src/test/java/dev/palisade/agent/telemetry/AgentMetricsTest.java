package dev.palisade.agent.telemetry;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Metric names are API: dashboards and alerts use them. A rename must change this test. */
class AgentMetricsTest {

    @Test
    void namesAndLabelsArePinned() {
        AgentMetrics m = new AgentMetrics();
        m.applied("full", 0.012, 42);
        m.applied("incremental", 0.001, 43);
        m.applyFailed("incremental");
        m.ruleSet(7, 9, 5, 3);
        m.verified("in_sync");
        m.driftRepaired();
        m.statusWritten(true);
        m.ruleSetError("address_set_missing");
        m.ready();
        m.routes(2);
        m.cniError("routes");
        String text = m.text();

        SortedSet<String> families = new TreeSet<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                families.add(line.substring("# TYPE ".length()));
            }
        }
        assertEquals(new TreeSet<>(List.of(
                "palisade_agent_applied_revision gauge",
                "palisade_agent_apply_duration_seconds histogram",
                "palisade_agent_apply_total counter",
                "palisade_agent_cleanup_armed gauge",
                "palisade_agent_cni_errors_total counter",
                "palisade_agent_conntrack_revoke_failures_total counter",
                "palisade_agent_conntrack_revoked_total counter",
                "palisade_agent_drift_repairs_total counter",
                "palisade_agent_generation_lag gauge",
                "palisade_agent_held_addresses gauge",
                "palisade_agent_last_apply_success_timestamp_seconds gauge",
                "palisade_agent_local_pods gauge",
                "palisade_agent_ready gauge",
                "palisade_agent_routes gauge",
                "palisade_agent_rules gauge",
                "palisade_agent_ruleset_errors_total counter",
                "palisade_agent_set_elements gauge",
                "palisade_agent_status_writes_total counter",
                "palisade_agent_verify_total counter")), families, text);

        assertTrue(text.contains("palisade_agent_apply_total{mode=\"incremental\",result=\"error\"} 1.0"), text);
        assertTrue(text.contains("palisade_agent_apply_total{mode=\"full\",result=\"ok\"} 1.0"), text);
        assertTrue(text.contains("palisade_agent_apply_total{mode=\"noop\",result=\"ok\"} 0.0"), text);
        assertTrue(text.contains("palisade_agent_apply_duration_seconds_count{mode=\"full\"} 1"), text);
        assertTrue(text.contains("palisade_agent_set_elements 43.0"), text);
        assertTrue(text.contains("palisade_agent_rules 5.0"), text);
        assertTrue(text.contains("palisade_agent_generation_lag 2.0"), text);
        assertTrue(text.contains("palisade_agent_applied_revision 7.0"), text);
        assertTrue(text.contains("palisade_agent_drift_repairs_total 1.0"), text);
        assertTrue(text.contains("palisade_agent_ready 1.0"), text);
        assertTrue(text.contains("palisade_agent_verify_total{result=\"in_sync\"} 1.0"), text);
        assertTrue(text.contains("palisade_agent_cleanup_armed 0.0"), text);
        m.cleanupArmed();
        assertTrue(m.text().contains("palisade_agent_cleanup_armed 1.0"));
    }

    @Test
    void generationLagFollowsTheNewestRevision() {
        AgentMetrics m = new AgentMetrics();
        m.ruleSet(3, 3, 0, 0);
        m.newestRevision(5);
        assertTrue(m.text().contains("palisade_agent_generation_lag 2.0"));
    }

    @Test
    void readinessFollowsWhatReadyzAnswersBothWays() {
        AgentMetrics m = new AgentMetrics();
        assertTrue(m.text().contains("palisade_agent_ready 0"), m.text());
        m.readiness(true);
        assertTrue(m.text().contains("palisade_agent_ready 1"), m.text());
        m.readiness(false); // in CNI mode, the configuration list gone again
        assertTrue(m.text().contains("palisade_agent_ready 0"), m.text());
    }
}
