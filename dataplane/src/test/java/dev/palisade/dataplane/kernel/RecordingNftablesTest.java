package dev.palisade.dataplane.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import dev.palisade.dataplane.kernel.Nftables.Operation;
import dev.palisade.dataplane.kernel.RecordingNftables.Call;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RecordingNftablesTest {

    private final RecordingNftables nft = new RecordingNftables();

    @Test
    void recordsEveryCallInOrder() {
        nft.check("add table inet palisade\n");
        nft.run("add table inet palisade\n");
        nft.list("list table inet palisade");
        nft.listJson("list ruleset");

        assertEquals(List.of(
                new Call(Operation.CHECK, "add table inet palisade\n", false),
                new Call(Operation.RUN, "add table inet palisade\n", false),
                new Call(Operation.LIST, "list table inet palisade", false),
                new Call(Operation.LIST_JSON, "list ruleset", false)), nft.calls());
        assertEquals(List.of("add table inet palisade\n"), nft.appliedScripts());
    }

    @Test
    void listingsReturnTheStateTheTestSet() {
        assertEquals("", nft.list("list ruleset"));
        assertEquals("{\"nftables\": []}", nft.listJson("list ruleset"));

        nft.setState("table inet palisade {\n}\n");
        nft.setJsonState("{\"nftables\": [{\"table\": {\"family\": \"inet\", \"name\": \"palisade\"}}]}");
        nft.run("delete table inet palisade\n");

        assertEquals("table inet palisade {\n}\n", nft.list("list ruleset"));
        assertEquals("{\"nftables\": [{\"table\": {\"family\": \"inet\", \"name\": \"palisade\"}}]}",
                nft.listJson("list ruleset"));
    }

    @Test
    void failsTheNextCallsWithTheGivenTextThenRecovers() {
        String script = "add table inet palisade\nadd rule inet palisade c ip saddr @nope accept\n";
        nft.failNext(2, "<script>:2:35-39: Error: No such file or directory\n");

        NftablesException first = assertThrows(NftablesException.class, () -> nft.run(script));
        NftablesException second = assertThrows(NftablesException.class, () -> nft.list("list ruleset"));
        nft.run(script);

        assertEquals(Operation.RUN, first.operation());
        assertEquals(List.of(2), first.failingLines());
        assertEquals("add rule inet palisade c ip saddr @nope accept", first.errors().get(0).scriptLine());
        assertEquals(Operation.LIST, second.operation());
        assertEquals(List.of(true, true, false), nft.calls().stream().map(Call::failed).toList());
        assertEquals(List.of(script), nft.appliedScripts());
    }

    @ParameterizedTest
    @ValueSource(strings = {"flush ruleset", "list ruleset; flush ruleset", "list ruleset\nflush ruleset", "listruleset"})
    void refusesAnythingButOneListCommand(String command) {
        assertThrows(IllegalArgumentException.class, () -> nft.list(command));
        assertThrows(IllegalArgumentException.class, () -> nft.listJson(command));
        assertEquals(List.of(), nft.calls());
    }

    @Test
    void refusesAScriptWithANulCharacter() {
        assertThrows(IllegalArgumentException.class, () -> nft.run("add table inet palisade\0"));
        assertThrows(IllegalArgumentException.class, () -> nft.check(null));
    }

    @Test
    void isBoundToTheFirstThreadThatUsesIt() throws Exception {
        CompletableFuture.runAsync(() -> nft.run("add table inet palisade\n")).get();

        assertThrows(IllegalStateException.class, () -> nft.run("add table inet palisade\n"));
        assertThrows(IllegalStateException.class, nft::close);
        // inspection works from any thread
        assertEquals(1, nft.calls().size());
    }

    @Test
    void aFakeNobodyUsedMayBeClosedFromAnyThread() throws ExecutionException, InterruptedException {
        CompletableFuture.runAsync(nft::close).get();

        assertTrue(nft.isClosed());
    }

    @Test
    void closeIsIdempotentAndEndsUse() {
        nft.run("add table inet palisade\n");
        nft.close();
        nft.close();

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> nft.list("list ruleset"));
        assertEquals("nftables fake is closed", e.getMessage());
    }

    @Test
    void failNextNeedsAPositiveCount() {
        assertThrows(IllegalArgumentException.class, () -> nft.failNext(0, "Error: x"));
    }
}
