package dev.palisade.dataplane;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The dataplane's pure half (model, translation, rendering, read-back comparison) must not reach
 * the kernel half (the port and the sync shell around it).
 */
class LayeringTest {

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.palisade.dataplane");

    @Test
    void pure_packages_do_not_touch_the_kernel_or_ffi() {
        noClasses().that().resideInAnyPackage("..dataplane.nft..", "..dataplane.translate..", "..dataplane.render..",
                        "..dataplane.readback..")
                .should().dependOnClassesThat().resideInAnyPackage("..dataplane.kernel..", "..dataplane.sync..", "jnr..",
                        "org.slf4j..")
                .check(CLASSES);
    }

    @Test
    void only_the_read_back_parses_json() {
        noClasses().that().resideOutsideOfPackage("..dataplane.readback..")
                .should().dependOnClassesThat().resideInAnyPackage("com.fasterxml..")
                .check(CLASSES);
    }

    @Test
    void the_model_knows_nothing_of_translation_or_rendering() {
        noClasses().that().resideInAPackage("..dataplane.nft..")
                .should().dependOnClassesThat().resideInAnyPackage("..dataplane.translate..", "..dataplane.render..")
                .check(CLASSES);
    }
}
