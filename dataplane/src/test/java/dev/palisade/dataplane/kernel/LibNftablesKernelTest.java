package dev.palisade.dataplane.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The real libnftables against the real kernel, in a network namespace of its own so the host's
 * ruleset is never touched. Every nft call runs on the namespace's thread.
 */
@Tag("kernel")
class LibNftablesKernelTest {

    /** Recreates the owned table whole: add (so delete cannot fail) and delete, then define, in one transaction. */
    private static final String SCRIPT = """
            add table inet palisade
            delete table inet palisade
            table inet palisade {
              set allowed {
                type ipv4_addr
                flags interval
                elements = { 10.0.0.0/8, 192.168.1.1 }
              }
              chain input {
                type filter hook input priority 0; policy accept;
                ip saddr @allowed accept
              }
            }
            """;

    private static final String LISTING = """
            table inet palisade {
            \tset allowed {
            \t\ttype ipv4_addr
            \t\tflags interval
            \t\telements = { 10.0.0.0/8, 192.168.1.1 }
            \t}

            \tchain input {
            \t\ttype filter hook input priority filter; policy accept;
            \t\tip saddr @allowed accept
            \t}
            }
            """;

    private static TestNetns netns;
    private static NetnsThread inNetns;
    private static LibNftables nft;

    @BeforeAll
    static void enterFreshNamespace() {
        assumeTrue(TestNetns.runningAsRoot(), "kernel tests need root");
        netns = TestNetns.create();
        inNetns = NetnsThread.enter(netns.name());
        nft = inNetns.call(LibNftables::open);
    }

    @AfterAll
    static void deleteNamespace() {
        try {
            if (nft != null) {
                inNetns.run(nft::close);
            }
        } finally {
            try {
                if (inNetns != null) {
                    inNetns.close();
                }
            } finally {
                if (netns != null) {
                    netns.close();
                }
            }
        }
    }

    @BeforeEach
    void removeOwnedTable() {
        run("add table inet palisade\ndelete table inet palisade\n");
    }

    @Test
    void appliesAScriptAndListsItBackAsText() {
        run(SCRIPT);

        assertEquals(LISTING, list("list table inet palisade"));
    }

    @Test
    void listsJson() {
        run(SCRIPT);

        String json = inNetns.call(() -> nft.listJson("list table inet palisade"));

        assertTrue(json.startsWith("{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\""), json);
        assertTrue(json.contains("{\"set\": {\"family\": \"inet\", \"name\": \"allowed\", \"table\": \"palisade\""), json);
        assertTrue(json.contains("\"elem\": [{\"prefix\": {\"addr\": \"10.0.0.0\", \"len\": 8}}, \"192.168.1.1\"]"), json);
        assertTrue(json.contains("\"hook\": \"input\", \"prio\": 0, \"policy\": \"accept\""), json);
        // the JSON flag is per call: the next listing is text again
        assertEquals(LISTING, list("list table inet palisade"));
    }

    @Test
    void runningTheSameScriptTwiceGivesTheSameState() {
        run(SCRIPT);
        String once = list("list ruleset");

        run(SCRIPT);

        assertEquals(once, list("list ruleset"));
    }

    @Test
    void aScriptReplacesTheTableRatherThanMergingIntoIt() {
        run(SCRIPT);

        run(SCRIPT.replace("10.0.0.0/8, 192.168.1.1", "172.16.0.0/12"));

        assertEquals(LISTING.replace("10.0.0.0/8, 192.168.1.1", "172.16.0.0/12"), list("list table inet palisade"));
    }

    @Test
    void aFailingScriptThrowsWithNftsTextAndTheLineAndChangesNothing() {
        run(SCRIPT);
        String before = list("list ruleset");
        String bad = SCRIPT.replace("ip saddr @allowed accept", "ip saddr @nosuchset accept");

        NftablesException e = assertThrows(NftablesException.class, () -> run(bad));

        assertEquals(List.of(11), e.failingLines());
        assertEquals("    ip saddr @nosuchset accept", e.errors().get(0).scriptLine());
        assertEquals("No such file or directory", e.errors().get(0).message());
        assertTrue(e.nftText().startsWith("<script>:11:14-23: Error: No such file or directory\n"), e.nftText());
        assertTrue(e.getMessage().contains("line 11: ip saddr @nosuchset accept"), e.getMessage());
        // the delete at line 2 was rolled back with the rest: the transaction is atomic
        assertEquals(before, list("list ruleset"));
    }

    @Test
    void reportsEveryErrorOfAScript() {
        String bad = """
                add table inet palisade
                add chain inet palisade c
                add rule inet palisade c ip saddr @nope accept
                add rule inet palisade c tcp dport 99999 accept
                """;

        NftablesException e = assertThrows(NftablesException.class, () -> run(bad));

        assertEquals(List.of(3, 4), e.failingLines());
        assertEquals("Service out of range", e.errors().get(1).message());
        assertEquals("", list("list ruleset"));
    }

    @Test
    void anErrorFromTheKernelIsAttributedToItsLine() {
        run(SCRIPT);
        String before = list("list ruleset");
        String bad = "add table inet palisade\nflush set inet palisade allowed\n\n  create table inet palisade\n";

        NftablesException e = assertThrows(NftablesException.class, () -> run(bad));

        assertEquals(List.of(4), e.failingLines());
        assertEquals("Could not process rule: File exists", e.errors().get(0).message());
        assertEquals(before, list("list ruleset"));
    }

    @Test
    void checkOfABadScriptFailsWithTheLine() {
        run(SCRIPT);
        String before = list("list ruleset");
        String bad = SCRIPT.replace("ip saddr @allowed accept", "ip saddr @nosuchset accept");

        NftablesException e = assertThrows(NftablesException.class, () -> inNetns.run(() -> nft.check(bad)));

        assertEquals(Nftables.Operation.CHECK, e.operation());
        assertEquals(List.of(11), e.failingLines());
        assertEquals(before, list("list ruleset"));
    }

    @Test
    void checkOfAGoodScriptChangesNothing() {
        run(SCRIPT);
        String before = list("list ruleset");

        inNetns.run(() -> nft.check(SCRIPT.replace("10.0.0.0/8, 192.168.1.1", "172.16.0.0/12")
                + "add table inet palisade_dry_run\n"));

        assertEquals(before, list("list ruleset"));
        // and a later run is a real one: the dry-run flag does not stick
        run(SCRIPT.replace("10.0.0.0/8, 192.168.1.1", "172.16.0.0/12"));
        assertEquals(LISTING.replace("10.0.0.0/8, 192.168.1.1", "172.16.0.0/12"), list("list table inet palisade"));
    }

    @Test
    void checkAsksTheKernel() {
        run(SCRIPT);

        // userspace accepts "create" of an existing table; only the kernel says EEXIST
        NftablesException e = assertThrows(NftablesException.class,
                () -> inNetns.run(() -> nft.check("create table inet palisade\n")));

        assertEquals("Could not process rule: File exists", e.errors().get(0).message());
    }

    @Test
    void listingAMissingTableThrowsWithTheCommand() {
        NftablesException e = assertThrows(NftablesException.class, () -> list("list table inet nosuchtable"));

        assertEquals(Nftables.Operation.LIST, e.operation());
        assertEquals(List.of(), e.failingLines());
        assertTrue(e.getMessage().startsWith(
                "nft list failed for \"list table inet nosuchtable\": No such file or directory"), e.getMessage());
    }

    @Test
    void theTableIsInTheTestNamespaceAndNotOnTheHost() {
        String table = "palisade_" + netns.name().substring("palisade-t-".length());
        run("add table inet " + table + "\n");

        assertTrue(netns.execInside("nft", "list", "tables").contains("table inet " + table + "\n"));
        assertFalse(TestNetns.execOnHost("nft", "list", "tables").contains("table inet " + table + "\n"));
    }

    @Test
    void refusesCallsFromAnotherThread() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> nft.list("list ruleset"));

        assertTrue(e.getMessage().contains("not thread safe"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> nft.run(SCRIPT));
        assertThrows(IllegalStateException.class, () -> nft.close());
        assertEquals("", list("list ruleset")); // still usable from its own thread
    }

    @Test
    void closeIsIdempotentAndEndsUse() {
        inNetns.run(() -> {
            LibNftables other = LibNftables.open();
            other.close();
            other.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> other.list("list ruleset"));
            assertEquals("libnftables context is closed", e.getMessage());
        });
    }

    @Test
    void loadsTheLibraryFromAConfiguredPath() {
        String listing = inNetns.call(() -> {
            try (LibNftables byPath = LibNftables.open(LibNftables.DEFAULT_LIBRARY_PATH)) {
                return byPath.list("list tables");
            }
        });

        assertEquals("", listing);
    }

    private static void run(String script) {
        inNetns.run(() -> nft.run(script));
    }

    private static String list(String command) {
        return inNetns.call(() -> nft.list(command));
    }
}
