package dev.palisade.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Usage: help, version, and picocli's messages for bad command lines. */
class PalisadeTest {

    static Stream<Arguments> badUsage() {
        return Stream.of(
                Arguments.of("no subcommand", new String[] {}, "Missing required subcommand"),
                Arguments.of("unknown subcommand", new String[] {"apply"}, "Unmatched argument at index 0: 'apply'"),
                Arguments.of("unknown option", new String[] {"compile", "--node", "n", "-f", "x.yaml", "--bogus"},
                        "Unknown option: '--bogus'"),
                Arguments.of("missing --node", new String[] {"compile", "-f", "x.yaml"}, "Missing required option: '--node=NODE'"),
                Arguments.of("missing --from", new String[] {"explain", "-f", "x", "--to", "c/d", "--port", "80"},
                        "Missing required option: '--from=NS/POD|IP'"),
                Arguments.of("port not a number", new String[] {"explain", "-f", "x", "--from", "a/b", "--to", "c/d", "--port", "http"},
                        "Invalid value for option '--port'"),
                Arguments.of("unknown protocol", new String[] {"explain", "-f", "x", "--from", "a/b", "--to", "c/d", "--port", "1",
                        "--protocol", "ICMP"}, "Invalid value for option '--protocol'"),
                Arguments.of("unknown format", new String[] {"compile", "--node", "n", "-f", "x", "--format", "yaml"},
                        "Invalid value for option '--format'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badUsage")
    void badUsageIsPicocliMessageOnOneLineAndExitTwo(String name, String[] args, String message) {
        Cli r = Cli.run(args);
        assertEquals(2, r.exit(), r::toString);
        assertEquals("", r.out(), r::toString);
        assertEquals(1, r.errLines().size(), r::toString);
        assertTrue(r.err().contains(message), r::toString);
        assertTrue(r.err().contains("--help"), "points at the help: " + r);
    }

    @Test
    void versionPrintsTheProjectVersion() {
        Cli r = Cli.run("version");
        assertEquals(0, r.exit());
        assertTrue(r.out().matches("palisade \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\n"), r::toString);
        assertEquals(r.out(), Cli.run("--version").out());
    }

    @Test
    void helpListsTheCommands() {
        Cli r = Cli.run("--help");
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("compile") && r.out().contains("explain") && r.out().contains("version"), r::toString);
        assertEquals("", r.err());
    }
}
