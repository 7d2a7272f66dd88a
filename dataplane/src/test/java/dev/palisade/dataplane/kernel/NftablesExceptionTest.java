package dev.palisade.dataplane.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;

import dev.palisade.dataplane.kernel.NftablesException.NftError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class NftablesExceptionTest {

    private static final String SCRIPT = """
            add table inet palisade
            add chain inet palisade c
            add rule inet palisade c ip saddr @nope accept
            add rule inet palisade c tcp dport 99999 accept
            """;

    static Stream<Arguments> locatedErrors() {
        return Stream.of(
                Arguments.of("nft -f - (stdin)",
                        "/dev/stdin:3:35-39: Error: No such file or directory\n"
                                + "add rule inet palisade c ip saddr @nope accept\n"
                                + "                                  ^^^^^\n",
                        3, "No such file or directory"),
                Arguments.of("command line, older releases",
                        "<cmdline>:4:36-40: Error: Service out of range\n", 4, "Service out of range"),
                Arguments.of("memfd script, as LibNftables reports it",
                        "<script>:2:1-25: Error: Could not process rule: File exists\n", 2,
                        "Could not process rule: File exists"),
                Arguments.of("file path with a single column",
                        "/etc/palisade/rules.nft:1:5: Error: syntax error, unexpected newline\n", 1,
                        "syntax error, unexpected newline"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("locatedErrors")
    void findsTheLineNftBlamed(String caseName, String nftText, int line, String message) {
        NftablesException e = new NftablesException(Nftables.Operation.RUN, SCRIPT, nftText);

        assertEquals(List.of(line), e.failingLines());
        assertEquals(List.of(new NftError(line, message, SCRIPT.split("\n")[line - 1])), e.errors());
        assertTrue(e.getMessage().contains("line " + line + ": " + SCRIPT.split("\n")[line - 1].strip()), e.getMessage());
        assertEquals(nftText, e.nftText());
    }

    @Test
    void reportsEveryErrorInOrderAndEachLineOnce() {
        String nftText = """
                <script>:4:36-40: Error: Service out of range
                add rule inet palisade c tcp dport 99999 accept
                                                   ^^^^^
                <script>:3:35-39: Error: No such file or directory
                add rule inet palisade c ip saddr @nope accept
                                                  ^^^^^
                <script>:3:1-3: Error: Second complaint about the same line
                """;

        NftablesException e = new NftablesException(Nftables.Operation.CHECK, SCRIPT, nftText);

        assertEquals(List.of(3, 4), e.failingLines());
        assertEquals(List.of(4, 3, 3), e.errors().stream().map(NftError::line).toList());
        assertEquals("""
                nft check failed: Service out of range (and 2 more errors)
                  line 4: add rule inet palisade c tcp dport 99999 accept   <- Service out of range
                  line 3: add rule inet palisade c ip saddr @nope accept   <- No such file or directory
                  line 3: add rule inet palisade c ip saddr @nope accept   <- Second complaint about the same line
                nft said:
                """ + nftText.stripTrailing(), e.getMessage());
    }

    @Test
    void anErrorWithoutPositionHasNoLine() {
        // what libnftables 1.0.6 prints for input given as a buffer: no position, and the first line of the buffer
        String nftText = "Error: No such file or directory\nlist table inet nope\n                ^^^^\n";

        NftablesException e = new NftablesException(Nftables.Operation.LIST, "list table inet nope", nftText);

        assertEquals(List.of(), e.failingLines());
        assertEquals(List.of(new NftError(0, "No such file or directory", "")), e.errors());
        assertEquals("nft list failed for \"list table inet nope\": No such file or directory\nnft said:\n"
                + nftText.stripTrailing(), e.getMessage());
    }

    @Test
    void ignoresWarningsAndIncludeTrailsButNotTheErrorsAfterThem() {
        String nftText = """
                In file included from <script>:1:1-20:
                /etc/extra.nft:1:1-3: Warning: deprecated
                <script>:2:5-9: Error: Could not resolve hostname
                """;

        NftablesException e = new NftablesException(Nftables.Operation.RUN, SCRIPT, nftText);

        assertEquals(List.of(2), e.failingLines());
        assertEquals(1, e.errors().size());
    }

    @Test
    void aLinePastTheEndOfTheScriptIsReportedAsSuch() {
        NftablesException e = new NftablesException(Nftables.Operation.RUN, "add table inet palisade",
                "<script>:9:1-1: Error: syntax error, unexpected end of file\n");

        assertEquals(List.of(9), e.failingLines());
        assertEquals("", e.errors().get(0).scriptLine());
        assertTrue(e.getMessage().contains("line 9: (past the end of the script)"), e.getMessage());
    }

    @Test
    void keepsIndentationInTheLineAndDropsACarriageReturn() {
        NftablesException e = new NftablesException(Nftables.Operation.RUN, "table inet t {\r\n    chain c\r\n}\r\n",
                "<script>:2:5-9: Error: bad chain\n");

        assertEquals("    chain c", e.errors().get(0).scriptLine());
    }

    @Test
    void saysSoWhenNftGaveNoText() {
        NftablesException e = new NftablesException(Nftables.Operation.RUN, SCRIPT, "");

        assertEquals("nft run failed and libnftables gave no error text", e.getMessage());
        assertEquals(List.of(), e.errors());
    }
}
