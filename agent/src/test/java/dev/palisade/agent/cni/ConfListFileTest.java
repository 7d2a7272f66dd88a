package dev.palisade.agent.cni;

import dev.palisade.model.Cidr;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The configuration list's layout on disk, read the way containerd reads it ({@link RuntimeConfDir}):
 * installed, after a reboot (the run directory emptied), upgraded from a regular file, left behind
 * on an uninstall.
 */
class ConfListFileTest {

    @TempDir
    Path root;
    private Path confDir;
    private Path runDir;
    private ConfListFile file;
    private String text;

    @BeforeEach
    void setUp() {
        confDir = root.resolve("etc/cni/net.d");
        runDir = root.resolve("run/palisade/cni");
        CniSettings settings = CniSettings.Preset.KIND.settings().withConfDir(confDir).withRunDir(runDir);
        file = ConfListFile.of(settings);
        text = ConfList.render(settings, List.of(Cidr.parse("10.244.1.0/24")));
    }

    /** What a reboot does to a tmpfs. */
    private void reboot() throws IOException {
        try (Stream<Path> s = Files.walk(runDir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    void aFreshNodeHasNoNetworkUntilTheInstallThenALinkIntoTheRunDirectory() throws IOException {
        assertEquals(ConfListFile.State.ABSENT, file.state());
        assertThrows(IOException.class, () -> RuntimeConfDir.load(confDir), "no configuration: not initialized");
        file.install(text);
        assertEquals(ConfListFile.State.LINKED, file.state());
        assertTrue(Files.isSymbolicLink(confDir.resolve(CniSettings.CONF_NAME)));
        assertEquals(runDir.resolve(CniSettings.CONF_NAME), Files.readSymbolicLink(confDir.resolve(CniSettings.CONF_NAME)));
        assertEquals("palisade", RuntimeConfDir.load(confDir).get("name").asText());
        assertTrue(file.installed(text));
        assertEquals(Optional.of(text), file.read());
        try (Stream<Path> s = Files.list(confDir)) {
            assertEquals(List.of(CniSettings.CONF_NAME), s.map(p -> p.getFileName().toString()).toList(), "no temp file left");
        }
    }

    @Test
    void afterARebootTheLinkDanglesAndTheRuntimeLoadsNothingUntilTheNextInstall() throws IOException {
        file.install(text);
        reboot();
        assertEquals(ConfListFile.State.DANGLING, file.state());
        assertFalse(file.installed(text));
        assertEquals(Optional.empty(), file.read());
        IOException e = assertThrows(IOException.class, () -> RuntimeConfDir.load(confDir));
        assertTrue(e.getMessage().contains("error reading"), e.getMessage());
        file.install(text);
        assertTrue(file.installed(text));
        assertTrue(RuntimeConfDir.loads(confDir));
    }

    @Test
    void anOlderAgentsRegularFileIsReplacedByTheLinkWithTheSameContent() throws IOException {
        Files.createDirectories(confDir);
        Files.writeString(confDir.resolve(CniSettings.CONF_NAME), text);
        assertEquals(ConfListFile.State.REGULAR_FILE, file.state());
        assertFalse(file.installed(text), "a regular file is not installed, even with the same content");
        file.install(text);
        assertEquals(ConfListFile.State.LINKED, file.state());
        assertEquals(Optional.of(text), file.read());
        reboot();
        assertFalse(RuntimeConfDir.loads(confDir), "once upgraded, a reboot fails closed");
    }

    @Test
    void onDepartureTheLinkBecomesARegularFileThatOutlivesAReboot() throws IOException {
        file.install(text);
        assertTrue(file.detach(Optional.empty()));
        assertEquals(ConfListFile.State.REGULAR_FILE, file.state());
        reboot();
        assertEquals(Optional.of(text), file.read());
        assertTrue(RuntimeConfDir.loads(confDir), "without an agent, new pods still get a network after a reboot");
        assertFalse(file.detach(Optional.of(text)), "a regular file is left alone");
    }

    @Test
    void aDanglingLinkIsDetachedOnlyWithTheConfigurationTheAgentLastWrote() throws IOException {
        file.install(text);
        reboot();
        assertFalse(file.detach(Optional.empty()));
        assertEquals(ConfListFile.State.DANGLING, file.state());
        assertTrue(file.detach(Optional.of(text)));
        assertEquals(Optional.of(text), file.read());
    }

    @Test
    void aLinkSomewhereElseIsNotOurs() throws IOException {
        Files.createDirectories(confDir);
        Files.createSymbolicLink(confDir.resolve(CniSettings.CONF_NAME), root.resolve("elsewhere.conflist"));
        assertEquals(ConfListFile.State.OTHER_LINK, file.state());
        assertFalse(file.detach(Optional.of(text)));
        file.install(text);
        assertEquals(ConfListFile.State.LINKED, file.state());
    }

    @Test
    void theRunDirectoryMustBeAbsoluteAndNotTheConfigurationDirectory() {
        CniSettings kind = CniSettings.Preset.KIND.settings();
        assertThrows(IllegalArgumentException.class, () -> kind.withRunDir(Path.of("run/palisade")));
        assertThrows(IllegalArgumentException.class, () -> kind.withRunDir(kind.confDir()));
        assertEquals(Path.of("/run/palisade/cni/10-palisade.conflist"), kind.runFile());
        assertEquals(Path.of("/run/palisade/cni"), CniSettings.Preset.K3S.settings().runDir());
    }
}
