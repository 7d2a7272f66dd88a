package dev.palisade.charts;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * charts-test/prometheus/check-rules.sh: `promtool check rules` on the chart's PrometheusRule and
 * `promtool test rules` with the unit tests beside it. Every alert the chart renders must have been
 * tested, firing and silent, so the check cannot pass on a subset; and a wrong expectation or a
 * missing alert makes the script fail. Needs promtool (Debian: prometheus); without it this fails.
 */
class ChartAlertRulesTest {

    static final Path SCRIPT = Helm.REPO.resolve("charts-test/prometheus/check-rules.sh");
    private static final Pattern PER_ALERT = Pattern.compile("^check-rules: alert (\\S+): (\\d+) firing, (\\d+) silent$", Pattern.MULTILINE);

    @Test
    void everyAlertOfTheChartFiresWhereItShouldAndNowhereElse() {
        Helm.Result r = run(Map.of());
        assertEquals(0, r.code(), "check-rules.sh failed:\n" + r.out() + r.err());

        List<String> alerts = chartAlerts();
        assertTrue(alerts.size() >= 18, "alerts in the chart: " + alerts);
        assertEquals(alerts.size(), new TreeSet<>(alerts).size(), "alert names are unique: " + alerts);
        Map<String, int[]> tested = new TreeMap<>();
        Matcher m = PER_ALERT.matcher(r.out());
        while (m.find()) {
            tested.put(m.group(1), new int[]{Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))});
        }
        assertEquals(new TreeSet<>(alerts), tested.keySet(), "the alerts check-rules.sh tested are the chart's");
        tested.forEach((alert, cases) -> {
            assertTrue(cases[0] > 0, alert + " has a case where it fires");
            assertTrue(cases[1] > 0, alert + " has a case where it stays silent");
        });
        assertTrue(r.out().contains("check-rules: OK: " + alerts.size() + " alerts"), r.out());
        assertTrue(r.out().contains("SUCCESS"), "promtool test rules ran: " + r.out());
    }

    @Test
    void aWrongExpectationFailsTheCheck(@TempDir Path dir) throws IOException {
        copyTheTestsTo(dir);
        Path agent = dir.resolve("agent-alerts.test.yaml");
        String text = Files.readString(agent);
        // PalisadeAgentDown's firing case one minute early, while the alert is still pending
        String early = text.replaceFirst("eval_time: 7m\n", "eval_time: 6m\n");
        assertNotEquals(text, early);
        Files.writeString(agent, early);
        Helm.Result r = run(Map.of("PALISADE_RULE_TESTS", dir.toString()));
        assertNotEquals(0, r.code(), r.out() + r.err());
        assertTrue((r.out() + r.err()).contains("FAILED"), "promtool reports the failed test: " + r.out() + r.err());
    }

    @Test
    void anUntestedAlertFailsTheCheck(@TempDir Path dir) throws IOException {
        copyTheTestsTo(dir);
        Files.delete(dir.resolve("operator-alerts.test.yaml"));
        Helm.Result r = run(Map.of("PALISADE_RULE_TESTS", dir.toString()));
        assertNotEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("PalisadeOperatorSlowSync has no case where it fires"), r.err());
    }

    static List<String> chartAlerts() {
        return Helm.template("--set", "metrics.prometheusRule.enabled=true")
                .get("PrometheusRule", "palisade").findValuesAsText("alert");
    }

    private static Helm.Result run(Map<String, String> env) {
        Map<String, String> all = new TreeMap<>(env);
        all.put("PALISADE_HELM", Helm.binary().toString());
        Helm.Result r = Helm.exec(List.of(SCRIPT.toString()), all, 600);
        if (r.err().contains("promtool not found")) {
            fail("promtool is missing (Debian: apt-get install prometheus):\n" + r.err());
        }
        return r;
    }

    private static void copyTheTestsTo(Path dir) throws IOException {
        List<Path> tests;
        try (var files = Files.list(SCRIPT.getParent())) {
            tests = files.filter(p -> p.toString().endsWith(".test.yaml")).sorted().toList();
        }
        assertEquals(List.of("agent-alerts.test.yaml", "operator-alerts.test.yaml"),
                tests.stream().map(p -> p.getFileName().toString()).toList());
        for (Path f : tests) {
            Files.copy(f, dir.resolve(f.getFileName()));
        }
    }
}
