package dev.palisade.operator;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** The operator's functional core (publish, status) stays pure: no API client, no logging, no shells. */
class OperatorArchitectureTest {

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.palisade.operator");

    @Test
    void coreDoesNotTouchTheOutsideWorld() {
        noClasses().that().resideInAnyPackage("..operator.publish..", "..operator.status..")
                .should().dependOnClassesThat().resideInAnyPackage("io.fabric8.kubernetes.client..", "org.slf4j..",
                        "..operator.watch..", "..operator.sync..", "..operator.telemetry..")
                .check(CLASSES);
    }

    @Test
    void wireRecordsDoNotNeedTheClient() {
        noClasses().that().resideInAPackage("..operator.resource..").and().haveSimpleNameEndingWith("Wire")
                .should().dependOnClassesThat().resideInAnyPackage("io.fabric8.kubernetes.client..")
                .check(CLASSES);
    }
}
