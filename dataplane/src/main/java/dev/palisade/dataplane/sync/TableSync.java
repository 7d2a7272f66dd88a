package dev.palisade.dataplane.sync;

import dev.palisade.dataplane.kernel.Nftables;
import dev.palisade.dataplane.kernel.NftablesException;
import dev.palisade.dataplane.nft.Table;
import dev.palisade.dataplane.nft.TableDelta;
import dev.palisade.dataplane.readback.Drift;
import dev.palisade.dataplane.readback.KernelTable;
import dev.palisade.dataplane.readback.NftJson;
import dev.palisade.dataplane.render.NftRenderer;
import dev.palisade.dataplane.sync.ApplyResult.Mode;
import dev.palisade.dataplane.sync.ApplyResult.Reason;

import java.time.Duration;
import java.util.Optional;

/**
 * Owns the kernel's copy of one table: applies desired tables, reads the table back and repairs it.
 *
 * <ul>
 *   <li>The first {@link #apply} of the process replaces the table whole, in one transaction
 *   ({@link NftRenderer#replaceScript}). Whatever a previous agent left keeps enforcing until that
 *   transaction commits: nothing is deleted or flushed first, so a restart opens no hole.</li>
 *   <li>Later applies send only the element delta against the last applied table, in one
 *   transaction and without listing the kernel first; a no-op when nothing changed; a full
 *   replacement when chains or set definitions changed.</li>
 *   <li>A refused transaction changed nothing (the kernel commits all of it or none). The last
 *   applied table stays the last good state, the next apply is a full replacement (the kernel may
 *   have drifted since), and {@link ApplyException} carries nft's error to the caller, who retries
 *   with {@link Backoff}.</li>
 *   <li>{@link #verify} compares the kernel's table with the last applied one; {@link #repair}
 *   replaces it.</li>
 * </ul>
 *
 * <p>Nothing here ever deletes or flushes the table on its own: not on error, not on start, and
 * there is no shutdown hook. When the agent stops, the table stays and keeps enforcing.
 *
 * <p>Confined, like its {@link Nftables}, to one thread. It does not own the port: closing the port
 * is the caller's business and leaves the kernel's table as it is.
 */
public final class TableSync {

    private final Nftables nft;
    private Table lastApplied;
    /** Non-null when the next apply must replace the table whole, and why. */
    private Reason fullReplacementNeeded = Reason.FIRST_APPLY;

    public TableSync(Nftables nft) {
        if (nft == null) {
            throw new IllegalArgumentException("nftables port is required");
        }
        this.nft = nft;
    }

    /** The table the kernel last committed through this instance, empty before the first apply. */
    public Optional<Table> lastApplied() {
        return Optional.ofNullable(lastApplied);
    }

    /**
     * Makes the kernel hold {@code desired}, in one transaction or none.
     *
     * @throws ApplyException when the kernel refused the transaction (nothing changed)
     * @throws IllegalArgumentException when {@code desired} names another table than the last one
     */
    public ApplyResult apply(Table desired) {
        if (desired == null) {
            throw new IllegalArgumentException("desired table is required");
        }
        if (lastApplied != null && !(lastApplied.family().equals(desired.family())
                && lastApplied.name().equals(desired.name()))) {
            throw new IllegalArgumentException("this sync owns table " + id(lastApplied) + ", not " + id(desired));
        }
        long start = System.nanoTime();
        if (fullReplacementNeeded != null) {
            return replace(desired, fullReplacementNeeded, start);
        }
        Optional<TableDelta> delta = TableDelta.between(lastApplied, desired);
        if (delta.isEmpty()) {
            return replace(desired, Reason.LAYOUT_CHANGED, start);
        }
        if (delta.get().isEmpty()) {
            lastApplied = desired; // equal membership and shape; keep the newest value
            return new ApplyResult(Mode.NOOP, Reason.UNCHANGED, 0, desired.elementCount(), since(start), Duration.ZERO);
        }
        TableDelta d = delta.get();
        String script = NftRenderer.deltaScript(desired, d);
        Duration kernel = run(script, Mode.INCREMENTAL, Reason.MEMBERSHIP_CHANGED,
                "incremental update of " + id(desired) + " (" + d.size() + " elements added or removed)");
        lastApplied = desired;
        return new ApplyResult(Mode.INCREMENTAL, Reason.MEMBERSHIP_CHANGED, d.size(), desired.elementCount(),
                since(start), kernel);
    }

    /**
     * Replaces the kernel's table with the last applied one, in one transaction: what to do when
     * {@link #verify} found drift.
     *
     * @throws IllegalStateException before the first successful apply
     * @throws ApplyException when the kernel refused the transaction (nothing changed)
     */
    public ApplyResult repair() {
        Table table = requireApplied("repair");
        return replace(table, Reason.REPAIR, System.nanoTime());
    }

    /**
     * Reads the table back and compares it with the last applied one. A non-empty drift makes the
     * next apply a full replacement; call {@link #repair} to fix it now.
     *
     * @throws IllegalStateException before the first successful apply
     * @throws NftablesException when the listing itself fails
     */
    public Drift verify() {
        Table table = requireApplied("verify");
        Drift drift = Drift.between(table, read(table.family(), table.name()));
        if (!drift.isEmpty() && fullReplacementNeeded == null) {
            fullReplacementNeeded = Reason.AFTER_DRIFT;
        }
        return drift;
    }

    /**
     * The table {@code family name} as the kernel holds it, empty when there is none: for a
     * starting agent to see what its predecessor left enforcing.
     *
     * @throws NftablesException when the listing fails for another reason than a missing table
     */
    public Optional<KernelTable> read(String family, String name) {
        String json;
        try {
            json = nft.listJson("list table " + family + " " + name);
        } catch (NftablesException e) {
            if (e.errors().stream().anyMatch(err -> err.message().equals("No such file or directory"))) {
                return Optional.empty();
            }
            throw e;
        }
        return Optional.of(NftJson.readTable(json, family, name));
    }

    private ApplyResult replace(Table desired, Reason reason, long start) {
        String script = NftRenderer.replaceScript(desired);
        Duration kernel = run(script, Mode.FULL, reason,
                "full replacement of " + id(desired) + " (" + reason.label() + ", " + desired.elementCount()
                        + " elements)");
        lastApplied = desired;
        fullReplacementNeeded = null;
        return new ApplyResult(Mode.FULL, reason, desired.elementCount(), desired.elementCount(), since(start), kernel);
    }

    /** One transaction; on any failure the next apply must be a full replacement. */
    private Duration run(String script, Mode mode, Reason reason, String what) {
        long start = System.nanoTime();
        try {
            nft.run(script);
        } catch (NftablesException e) {
            fullReplacementNeeded = afterFailure();
            throw new ApplyException(mode, reason, what, e);
        } catch (RuntimeException e) {
            fullReplacementNeeded = afterFailure();
            throw e;
        }
        return since(start);
    }

    /** Until one apply succeeded, every retry is still the first apply of this process. */
    private Reason afterFailure() {
        return lastApplied == null ? Reason.FIRST_APPLY : Reason.AFTER_FAILURE;
    }

    private Table requireApplied(String operation) {
        if (lastApplied == null) {
            throw new IllegalStateException("cannot " + operation + " before the first successful apply");
        }
        return lastApplied;
    }

    private static Duration since(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private static String id(Table t) {
        return "table " + t.family() + " " + t.name();
    }
}
