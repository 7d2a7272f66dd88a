package dev.palisade.dataplane.sync;

import java.time.Duration;
import java.util.Locale;

/**
 * What one {@link TableSync#apply} or {@link TableSync#repair} did, for the agent's log line and
 * metrics: every field is a small enum or a number.
 *
 * @param mode            how the kernel was changed
 * @param reason          why that mode
 * @param elementsChanged elements added plus removed (incremental), every element (full), 0 (no-op)
 * @param elements        elements in the table after the change
 * @param duration        the whole call: diff, render and kernel transaction
 * @param kernelTime      the kernel transaction alone (the libnftables call); zero for a no-op
 */
public record ApplyResult(Mode mode, Reason reason, int elementsChanged, int elements, Duration duration,
                          Duration kernelTime) {

    public enum Mode {
        /** The table was replaced whole in one transaction. */
        FULL,
        /** Elements were deleted and added in one transaction; nothing else changed. */
        INCREMENTAL,
        /** The kernel already held the desired table; nothing was sent. */
        NOOP;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum Reason {
        /** The first apply of this process: replaces whatever a previous agent left, atomically. */
        FIRST_APPLY,
        /** Chains or set definitions changed: only a full replacement can change them. */
        LAYOUT_CHANGED,
        /** The previous transaction failed; the kernel may have drifted meanwhile, so do not trust deltas. */
        AFTER_FAILURE,
        /** A verification found drift; the next change replaces the table. */
        AFTER_DRIFT,
        /** {@link TableSync#repair()}: the last applied table, again. */
        REPAIR,
        /** Only set membership changed. */
        MEMBERSHIP_CHANGED,
        /** Nothing changed. */
        UNCHANGED;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    @Override
    public String toString() {
        String what = switch (mode) {
            case FULL -> "replaced the table (" + elements + " elements)";
            case INCREMENTAL -> "changed " + elementsChanged + " of " + elements + " elements";
            case NOOP -> "no change (" + elements + " elements)";
        };
        return mode.label() + " (" + reason.label() + "): " + what + " in " + millis(duration)
                + (mode == Mode.NOOP ? "" : ", kernel " + millis(kernelTime));
    }

    private static String millis(Duration d) {
        return String.format(Locale.ROOT, "%.3f ms", d.toNanos() / 1e6);
    }
}
