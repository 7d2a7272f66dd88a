package dev.palisade.operator.resource;

import io.fabric8.crdv2.generator.CRDGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CRDs under deploy/crds/ are generated from the resource classes; this regenerates them and fails
 * when the committed copies are stale. Rewrite them with {@code -Dpalisade.crd.write=true} and read the diff.
 */
class CrdFilesTest {

    static final Path CRDS = Path.of(System.getProperty("palisade.repo.root", "..")).resolve("deploy/crds");

    /** The generator sorts printer columns; kubectl shows them in the order the class declares them. */
    static void columnsInDeclarationOrder(io.fabric8.kubernetes.api.model.HasMetadata crd) {
        var definition = (io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition) crd;
        Class<?> type = Stream.of(PalisadeNodeRuleSet.class, PalisadeAddressSet.class, PalisadePolicyStatus.class)
                .filter(c -> definition.getSpec().getNames().getKind().equals(c.getSimpleName())).findFirst().orElseThrow();
        List<String> order = Stream.of(type.getAnnotationsByType(io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.class))
                .map(io.fabric8.crd.generator.annotation.AdditionalPrinterColumn::name).toList();
        definition.getSpec().getVersions().forEach(v -> {
            var columns = new ArrayList<>(v.getAdditionalPrinterColumns());
            columns.sort(java.util.Comparator.comparingInt(c -> order.indexOf(c.getName())));
            v.setAdditionalPrinterColumns(columns);
        });
    }

    @Test
    void committedCrdsMatchTheResourceClasses(@TempDir Path out) throws IOException {
        new CRDGenerator()
                .customResourceClasses(PalisadeNodeRuleSet.class, PalisadeAddressSet.class, PalisadePolicyStatus.class)
                .forCRDVersions("v1")
                .withPostProcessor(new io.fabric8.crdv2.generator.CRDPostProcessor() {
                    @Override
                    public io.fabric8.kubernetes.api.model.HasMetadata process(
                            io.fabric8.kubernetes.api.model.HasMetadata crd, String crdSpecVersion) {
                        columnsInDeclarationOrder(crd);
                        return crd;
                    }
                })
                .inOutputDir(out.toFile())
                .generate();
        List<Path> generated;
        try (Stream<Path> files = Files.list(out)) {
            generated = files.sorted().toList();
        }
        assertEquals(3, generated.size(), generated.toString());
        boolean write = Boolean.getBoolean("palisade.crd.write");
        List<String> stale = new ArrayList<>();
        for (Path g : generated) {
            // palisadenoderulesets.palisade.dev-v1.yml -> palisadenoderulesets.palisade.dev.yaml
            String name = g.getFileName().toString().replace("-v1.yml", ".yaml");
            String text = "# Generated from dev.palisade.operator.resource by CrdFilesTest; do not edit.\n"
                    + "# Regenerate: mvn -B test -pl operator -Dtest=CrdFilesTest -Dpalisade.crd.write=true\n"
                    + Files.readString(g);
            Path committed = CRDS.resolve(name);
            if (write) {
                Files.createDirectories(CRDS);
                Files.writeString(committed, text);
            } else if (!Files.exists(committed) || !Files.readString(committed).equals(text)) {
                stale.add(committed.toString());
            }
        }
        assertTrue(stale.isEmpty(), "stale or missing CRDs (regenerate with -Dpalisade.crd.write=true): " + stale);
    }
}
