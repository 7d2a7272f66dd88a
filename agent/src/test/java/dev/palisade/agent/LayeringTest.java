package dev.palisade.agent;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The agent's stages point one way: watch (the API server) hands values to sync (the kernel), which
 * drives cni; telemetry serves all. The kernel side never sees fabric8, the API side never sees the
 * kernel port, and the pure pieces (the guard, the CNI configuration, routes, the NAT script, the
 * uninstall decision) touch neither.
 */
class LayeringTest {

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.palisade.agent");

    @Test
    void theKernelSideNeverTalksToTheApiServer() {
        noClasses().that().resideInAnyPackage("..agent.sync..", "..agent.cni..", "..agent.telemetry..")
                .should().dependOnClassesThat().resideInAnyPackage("io.fabric8..", "..agent.watch..")
                .check(CLASSES);
    }

    @Test
    void theApiSideNeverTouchesTheKernel() {
        noClasses().that().resideInAPackage("..agent.watch..")
                .should().dependOnClassesThat().resideInAnyPackage("..dataplane.kernel..", "jnr..")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("dev.palisade.agent.sync.SyncLoop")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("dev.palisade.agent.cni.CniPlane")
                .check(CLASSES);
    }

    @Test
    void cniDoesNotDependOnTheSyncLoop() {
        noClasses().that().resideInAPackage("..agent.cni..")
                .should().dependOnClassesThat().resideInAnyPackage("..agent.sync..")
                .check(CLASSES);
    }

    @Test
    void thePurePiecesAreFunctionsOfValues() {
        noClasses().that().haveFullyQualifiedName("dev.palisade.agent.sync.PendingGuard")
                .or().haveFullyQualifiedName("dev.palisade.agent.sync.DesiredTable")
                .or().haveFullyQualifiedName("dev.palisade.agent.cni.ConfList")
                .or().haveFullyQualifiedName("dev.palisade.agent.cni.Route")
                .or().haveFullyQualifiedName("dev.palisade.agent.cni.NatTable")
                .or().haveNameMatching("dev\\.palisade\\.agent\\.watch\\.Departure(\\$.*)?")
                .should().dependOnClassesThat().resideInAnyPackage("..dataplane.kernel..", "..dataplane.sync..", "jnr..",
                        "org.slf4j..", "io.fabric8..")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.nio.file.Files")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.lang.ProcessBuilder")
                .check(CLASSES);
    }
}
