package dev.palisade.charts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.palisade.agent.telemetry.AgentMetrics;
import dev.palisade.operator.telemetry.OperatorMetrics;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The alerts, the Grafana dashboard and the operations doc use the metric names the programs
 * really expose (read from a scrape of OperatorMetrics and AgentMetrics, whose own tests pin them),
 * every metric is documented, and every alert is explained.
 */
class MetricNamesTest {

    private static final Pattern NAME = Pattern.compile("palisade_(?:operator|agent)_[a-z_]+");
    private static final Pattern TYPE = Pattern.compile("^# TYPE (\\S+) (\\S+)$", Pattern.MULTILINE);

    private static final Pattern BUILDER = Pattern.compile(
            "(Counter|Gauge|Histogram|Summary)\\.builder\\(\\)\\s*\\.name\\(\"(palisade_[a-z_]+)\"\\)");

    /**
     * Metric families with their types ("name counter"), as the programs register them: every
     * builder in operator/ and agent/ main sources. A fresh scrape of OperatorMetrics and
     * AgentMetrics (families without labels show at once) must agree with them.
     */
    static TreeSet<String> families() {
        TreeSet<String> names = new TreeSet<>();
        for (String module : List.of("operator", "agent")) {
            try (Stream<Path> files = Files.walk(Helm.REPO.resolve(module).resolve("src/main/java"))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    Matcher m = BUILDER.matcher(read(f));
                    while (m.find()) {
                        names.add(m.group(2) + " " + m.group(1).toLowerCase(Locale.ROOT));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return names;
    }

    static TreeSet<String> scraped() {
        TreeSet<String> names = new TreeSet<>();
        for (String text : List.of(new OperatorMetrics().text(), new AgentMetrics().text())) {
            Matcher m = TYPE.matcher(text);
            while (m.find()) {
                names.add(m.group(1) + " " + m.group(2));
            }
        }
        return names;
    }

    /** Every series name a query may use: counters with _total, histograms with _bucket, _sum, _count. */
    static Set<String> seriesNames() {
        Set<String> series = new TreeSet<>();
        for (String family : families()) {
            String[] f = family.split(" ");
            switch (f[1]) {
                case "counter" -> series.add(f[0].endsWith("_total") ? f[0] : f[0] + "_total");
                case "histogram" -> {
                    series.add(f[0] + "_bucket");
                    series.add(f[0] + "_sum");
                    series.add(f[0] + "_count");
                }
                default -> series.add(f[0]);
            }
        }
        return series;
    }

    /** Names as a person writes them in docs: the family, counters with _total. */
    static Set<String> documentedNames() {
        Set<String> names = new TreeSet<>();
        for (String family : families()) {
            String[] f = family.split(" ");
            names.add(f[1].equals("counter") && !f[0].endsWith("_total") ? f[0] + "_total" : f[0]);
        }
        return names;
    }

    @Test
    void theRegisteredNamesAreWhatTheProgramsExpose() {
        TreeSet<String> registered = families();
        assertTrue(registered.size() >= 20, "metric families found in the sources: " + registered);
        Set<String> exposed = new TreeSet<>();
        scraped().forEach(f -> exposed.add(f.replaceFirst("_total counter$", " counter")));
        Set<String> normalised = new TreeSet<>();
        registered.forEach(f -> normalised.add(f.replaceFirst("_total counter$", " counter")));
        assertTrue(exposed.size() >= 10, "a fresh scrape shows the unlabelled families: " + exposed);
        assertEquals(Set.of(), minus(exposed, normalised), "exposed but not found as a builder in the sources");
    }

    @Test
    void alertsUseRealMetricNames() {
        Rendered r = Helm.template("--set", "metrics.prometheusRule.enabled=true");
        JsonNode spec = r.get("PrometheusRule", "palisade").path("spec");
        Set<String> queried = names(String.join("\n", spec.findValuesAsText("expr")));
        assertTrue(queried.size() >= 10, "metrics the alerts query: " + queried);
        assertTrue(seriesNames().containsAll(queried), "unknown series in the alerts' expressions: " + minus(queried, seriesNames()));
        Set<String> known = new TreeSet<>(seriesNames());
        known.addAll(documentedNames());
        Set<String> mentioned = names(spec.toString());
        assertTrue(known.containsAll(mentioned), "unknown metric names in the alerts' texts: " + minus(mentioned, known));
    }

    @Test
    void dashboardUsesRealMetricNamesAndIsValidJson() throws IOException {
        Path file = Helm.REPO.resolve("docs/grafana/palisade.json");
        JsonNode dashboard = new ObjectMapper().readTree(file.toFile());
        assertEquals("palisade", dashboard.path("uid").asText());
        List<String> exprs = new ArrayList<>();
        dashboard.findValues("expr").forEach(e -> exprs.add(e.asText()));
        Set<String> used = names(String.join("\n", exprs));
        assertTrue(used.size() >= 10, "the dashboard shows the metrics: " + used);
        assertTrue(seriesNames().containsAll(used), "unknown metric names in the dashboard: " + minus(used, seriesNames()));
    }

    @Test
    void operationsDocDocumentsEveryMetricAndEveryAlert() {
        String doc = read(Helm.REPO.resolve("docs/operations.md"));
        Set<String> missing = minus(documentedNames(), names(doc));
        assertEquals(Set.of(), missing, "metrics not in docs/operations.md");
        Set<String> mentioned = new TreeSet<>(names(doc));
        mentioned.removeAll(seriesNames());
        mentioned.removeAll(documentedNames());
        assertEquals(Set.of(), mentioned, "docs/operations.md names metrics that do not exist");

        Rendered r = Helm.template("--set", "metrics.prometheusRule.enabled=true");
        List<String> alerts = r.get("PrometheusRule", "palisade").findValuesAsText("alert");
        assertTrue(alerts.size() >= 10);
        for (String alert : alerts) {
            assertTrue(doc.contains("`" + alert + "`"), alert + " is not explained in docs/operations.md");
        }
    }

    /**
     * charts-test/prometheus/metric-families.sh, the list a check against a real Prometheus reads,
     * prints each family the programs register, once, with its type.
     */
    @Test
    void metricFamiliesShListsEveryFamilyWithItsType() {
        Helm.Result r = Helm.exec(List.of(Helm.REPO.resolve("charts-test/prometheus/metric-families.sh").toString(), "--types"),
                Map.of(), 60).orFail("metric-families.sh --types");
        Set<String> expected = new TreeSet<>();
        for (String family : families()) {
            String[] f = family.split(" ");
            expected.add((f[1].equals("counter") && !f[0].endsWith("_total") ? f[0] + "_total" : f[0]) + " " + f[1]);
        }
        List<String> printed = r.out().lines().toList();
        assertEquals(Set.of(), minus(expected, new TreeSet<>(printed)),
                "families (name type) without a row \"| `name` | type |\" in the metric tables of docs/operations.md");
        assertEquals(Set.of(), minus(new TreeSet<>(printed), expected), "rows of the metric tables that no program registers");
        assertEquals(expected.size(), printed.size(), "one line per family: " + printed);
    }

    @Test
    void troubleshootingDocNamesOnlyRealMetrics() {
        Set<String> mentioned = new TreeSet<>(names(read(Helm.REPO.resolve("docs/troubleshooting.md"))));
        mentioned.removeAll(seriesNames());
        mentioned.removeAll(documentedNames());
        assertEquals(Set.of(), mentioned, "docs/troubleshooting.md names metrics that do not exist");
    }

    private static Set<String> names(String text) {
        Set<String> names = new TreeSet<>();
        Matcher m = NAME.matcher(text);
        while (m.find()) {
            names.add(m.group());
        }
        return names;
    }

    private static Set<String> minus(Set<String> a, Set<String> b) {
        Set<String> d = new TreeSet<>(a);
        d.removeAll(b);
        return d;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
