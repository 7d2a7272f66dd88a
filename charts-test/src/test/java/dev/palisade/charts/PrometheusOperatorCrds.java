package dev.palisade.charts;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * prometheus-operator's CustomResourceDefinitions for the kinds the chart renders, from
 * hack/provision-prometheus-operator-crds.sh (the files of its Go module, fetched from the module
 * proxy on the first run, then cached). Without them the tests fail, never skip.
 */
final class PrometheusOperatorCrds {

    /** The plurals of the kinds the chart's monitoring templates render. */
    static final List<String> PLURALS = List.of("servicemonitors", "podmonitors", "prometheusrules");

    private static Path dir;

    private PrometheusOperatorCrds() {
    }

    /** The CRD files of {@link #PLURALS}. */
    static synchronized List<Path> files() {
        if (dir == null) {
            Helm.Result r = Helm.exec(List.of(Helm.REPO.resolve("hack/provision-prometheus-operator-crds.sh").toString()), Map.of(), 600);
            if (r.code() != 0) {
                fail("hack/provision-prometheus-operator-crds.sh failed (it fetches the CRDs from the Go module proxy):\n" + r.err());
            }
            dir = Path.of(r.out().strip());
        }
        List<Path> files = PLURALS.stream().map(p -> dir.resolve("monitoring.coreos.com_" + p + ".yaml")).toList();
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                fail(f + " is missing after hack/provision-prometheus-operator-crds.sh");
            }
        }
        return files;
    }
}
