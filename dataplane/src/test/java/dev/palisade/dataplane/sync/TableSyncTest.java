package dev.palisade.dataplane.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.palisade.dataplane.SampleRuleSets;
import dev.palisade.dataplane.SampleTables;
import dev.palisade.dataplane.kernel.Nftables.Operation;
import dev.palisade.dataplane.kernel.RecordingNftables;
import dev.palisade.dataplane.nft.Table;
import dev.palisade.dataplane.readback.Drift;
import dev.palisade.dataplane.render.NftRenderer;
import dev.palisade.dataplane.sync.ApplyResult.Mode;
import dev.palisade.dataplane.sync.ApplyResult.Reason;
import dev.palisade.dataplane.translate.RuleSetTranslator;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The sync's decisions against the recording fake: what it sends, and what it keeps as the last good state. */
class TableSyncTest {

    private static final Table TWO_PEERS = table("10.0.2.2", "10.0.2.3");
    private static final Table OTHER_PEERS = table("10.0.2.3", "10.0.2.4");
    private static final String NO_SUCH_TABLE = "Error: No such file or directory\n"
            + "list table inet palisade\n                   ^^^^^^^^\n";
    private static final String KERNEL_REFUSED = "<script>:2:1-60: Error: Could not process rule: File exists\n";

    private final RecordingNftables nft = new RecordingNftables();
    private final TableSync sync = new TableSync(nft);

    @Test
    void theFirstApplyReplacesTheTableInOneTransactionWithoutDeletingFirst() {
        ApplyResult r = sync.apply(TWO_PEERS);

        assertEquals(Mode.FULL, r.mode());
        assertEquals(Reason.FIRST_APPLY, r.reason());
        assertEquals(TWO_PEERS.elementCount(), r.elementsChanged());
        assertEquals(List.of(NftRenderer.replaceScript(TWO_PEERS)), nft.appliedScripts());
        // one script: "add table" makes the "delete table" of the same transaction valid, and the
        // old table enforces until the whole script commits
        assertTrue(nft.appliedScripts().get(0).contains("add table inet palisade\ndelete table inet palisade\ntable inet"));
        assertEquals(TWO_PEERS, sync.lastApplied().orElseThrow());
    }

    @Test
    void aMembershipChangeSendsOnlyTheElementDelta() {
        sync.apply(TWO_PEERS);

        ApplyResult r = sync.apply(OTHER_PEERS);

        assertEquals(Mode.INCREMENTAL, r.mode());
        assertEquals(2, r.elementsChanged());
        assertEquals("delete element inet palisade in_port4 { 10.0.1.2 . 10.0.2.2 . tcp . 5432 }\n"
                + "add element inet palisade in_port4 { 10.0.1.2 . 10.0.2.4 . tcp . 5432 }\n", nft.appliedScripts().get(1));
        // and nothing was listed on the way
        assertTrue(nft.calls().stream().noneMatch(c -> c.operation() == Operation.LIST_JSON || c.operation() == Operation.LIST));
    }

    @Test
    void anUnchangedTableSendsNothing() {
        sync.apply(TWO_PEERS);

        ApplyResult r = sync.apply(table("10.0.2.3", "10.0.2.2"));

        assertEquals(Mode.NOOP, r.mode());
        assertEquals(0, r.elementsChanged());
        assertEquals(1, nft.calls().size());
    }

    @Test
    void aLayoutChangeReplacesTheTable() {
        sync.apply(TWO_PEERS);
        Table renamedNode = new Table(TWO_PEERS.family(), TWO_PEERS.name(), "palisade: policy for node n2",
                TWO_PEERS.sets(), TWO_PEERS.chains());

        ApplyResult r = sync.apply(renamedNode);

        assertEquals(Mode.FULL, r.mode());
        assertEquals(Reason.LAYOUT_CHANGED, r.reason());
        assertEquals(NftRenderer.replaceScript(renamedNode), nft.appliedScripts().get(1));
    }

    @Test
    void aRefusedTransactionKeepsTheLastGoodStateAndTheNextApplyIsFull() {
        sync.apply(TWO_PEERS);
        nft.failNext(1, KERNEL_REFUSED);

        ApplyException e = assertThrows(ApplyException.class, () -> sync.apply(OTHER_PEERS));

        assertEquals(Mode.INCREMENTAL, e.mode());
        assertEquals(List.of(2), e.nftError().failingLines());
        assertTrue(e.getMessage().startsWith("incremental update of table inet palisade (2 elements added or removed)"
                + " failed; the kernel keeps the last good state and the next apply replaces the table: nft run failed:"
                + " Could not process rule: File exists\n  line 2: add element inet palisade in_port4"), e.getMessage());
        assertEquals(TWO_PEERS, sync.lastApplied().orElseThrow());

        ApplyResult retry = sync.apply(OTHER_PEERS);

        assertEquals(Mode.FULL, retry.mode());
        assertEquals(Reason.AFTER_FAILURE, retry.reason());
        assertEquals(List.of(NftRenderer.replaceScript(TWO_PEERS), NftRenderer.replaceScript(OTHER_PEERS)),
                nft.appliedScripts());
    }

    @Test
    void afterAFailureEvenTheSameTableIsAppliedInFull() {
        sync.apply(TWO_PEERS);
        nft.failNext(1, KERNEL_REFUSED);
        assertThrows(ApplyException.class, () -> sync.apply(OTHER_PEERS));

        ApplyResult r = sync.apply(TWO_PEERS);

        assertEquals(Mode.FULL, r.mode());
        assertEquals(Reason.AFTER_FAILURE, r.reason());
    }

    @Test
    void aFailedFirstApplyLeavesNothingApplied() {
        nft.failNext(1, KERNEL_REFUSED);

        ApplyException e = assertThrows(ApplyException.class, () -> sync.apply(TWO_PEERS));

        assertEquals(Mode.FULL, e.mode());
        assertEquals(Reason.FIRST_APPLY, e.reason());
        assertTrue(sync.lastApplied().isEmpty());
        assertEquals(Reason.FIRST_APPLY, sync.apply(TWO_PEERS).reason());
    }

    @Test
    void verifyReportsNoDriftWhenTheKernelHoldsWhatWasApplied() {
        Table sample = SampleTables.everySetKind();
        sync.apply(sample);
        nft.setJsonState(resource("/dev/palisade/dataplane/readback/applied.json"));

        assertEquals(Drift.NONE, sync.verify());
        assertEquals(Mode.NOOP, sync.apply(sample).mode());
    }

    @Test
    void driftMakesTheNextApplyFullAndRepairReplacesTheTable() {
        Table sample = SampleTables.everySetKind();
        sync.apply(sample);
        nft.setJsonState(resource("/dev/palisade/dataplane/readback/drifted.json"));

        Drift drift = sync.verify();

        assertEquals(8, drift.differences().size());
        ApplyResult repaired = sync.repair();
        assertEquals(Mode.FULL, repaired.mode());
        assertEquals(Reason.REPAIR, repaired.reason());
        assertEquals(NftRenderer.replaceScript(sample), nft.appliedScripts().get(1));
    }

    @Test
    void driftFoundButNotRepairedMakesTheNextChangeFull() {
        Table sample = SampleTables.everySetKind();
        sync.apply(sample);
        nft.setJsonState(resource("/dev/palisade/dataplane/readback/drifted.json"));
        sync.verify();

        ApplyResult r = sync.apply(sample);

        assertEquals(Mode.FULL, r.mode());
        assertEquals(Reason.AFTER_DRIFT, r.reason());
    }

    @Test
    void aMissingTableIsDriftNotAnError() {
        sync.apply(TWO_PEERS);
        nft.failNext(1, NO_SUCH_TABLE);

        Drift drift = sync.verify();

        assertEquals("1 difference: table inet palisade: not in the kernel", drift.summary());
    }

    @Test
    void aFailedListingIsAnError() {
        sync.apply(TWO_PEERS);
        nft.failNext(1, "Error: Operation not permitted\n");

        assertThrows(dev.palisade.dataplane.kernel.NftablesException.class, sync::verify);
    }

    @Test
    void verifyAndRepairNeedAnAppliedTable() {
        assertThrows(IllegalStateException.class, sync::verify);
        assertThrows(IllegalStateException.class, sync::repair);
        assertTrue(nft.calls().isEmpty());
    }

    @Test
    void readsWhatAPreviousAgentLeft() {
        nft.setJsonState(resource("/dev/palisade/dataplane/readback/applied.json"));

        assertEquals(22, sync.read("inet", "palisade").orElseThrow().sets().size());
        nft.failNext(1, NO_SUCH_TABLE);
        assertTrue(sync.read("inet", "palisade").isEmpty());
        // reading is not applying: nothing was sent, and the first apply is still a full replacement
        assertTrue(nft.appliedScripts().isEmpty());
        assertEquals(Reason.FIRST_APPLY, sync.apply(TWO_PEERS).reason());
    }

    @Test
    void refusesAnotherTable() {
        sync.apply(TWO_PEERS);
        Table other = new Table("ip", "palisade", TWO_PEERS.comment(), TWO_PEERS.sets(), TWO_PEERS.chains());

        assertThrows(IllegalArgumentException.class, () -> sync.apply(other));
    }

    @Test
    void neverFlushesOrDeletesOutsideTheReplacementTransaction() {
        sync.apply(TWO_PEERS);
        nft.failNext(1, KERNEL_REFUSED);
        assertThrows(ApplyException.class, () -> sync.apply(OTHER_PEERS));
        sync.apply(OTHER_PEERS);
        sync.apply(TWO_PEERS);
        sync.repair();

        for (String script : nft.appliedScripts()) {
            assertFalse(script.contains("flush"), script);
            assertFalse(script.startsWith("delete table"), script);
            if (script.contains("delete table")) {
                assertTrue(script.contains("delete table inet palisade\ntable inet palisade {"), script);
            }
        }
    }

    @Test
    void resultsReadAsOneLogLine() {
        ApplyResult r = sync.apply(TWO_PEERS);

        assertTrue(r.toString().matches("full \\(first_apply\\): replaced the table \\(4 elements\\) in [0-9.]+ ms,"
                + " kernel [0-9.]+ ms"), r.toString());
    }

    private static Table table(String... peers) {
        return RuleSetTranslator.translate(SampleRuleSets.allowFrom("10.0.1.2", 5432, peers));
    }

    private static String resource(String name) {
        try (InputStream in = TableSyncTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
