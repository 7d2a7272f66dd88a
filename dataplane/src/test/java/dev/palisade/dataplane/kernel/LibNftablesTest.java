package dev.palisade.dataplane.kernel;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/** What can be checked without the kernel; the rest is in {@link LibNftablesKernelTest}. */
class LibNftablesTest {

    @Test
    void aLibraryThatCannotBeLoadedIsNamedInTheError() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> LibNftables.open(Path.of("/nonexistent/libnftables.so.1")));

        assertTrue(e.getMessage().startsWith("cannot load libnftables from /nonexistent/libnftables.so.1: "),
                e.getMessage());
    }
}
