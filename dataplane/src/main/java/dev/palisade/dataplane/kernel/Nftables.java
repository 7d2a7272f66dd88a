package dev.palisade.dataplane.kernel;

/**
 * The port to the kernel's nftables: scripts in, listings out.
 *
 * <p>Implemented by {@link LibNftables} (the real kernel, through libnftables) and by
 * {@link RecordingNftables} (a fake for the tests of callers).
 *
 * <p>An instance is confined to one thread: the thread that created it ({@link LibNftables}) or
 * that first used it ({@link RecordingNftables}). Using it from another thread throws
 * {@link IllegalStateException}.
 */
public interface Nftables extends AutoCloseable {

    /** What a caller asks of nft; named in errors and in the fake's record of calls. */
    enum Operation {
        RUN("run", true),
        CHECK("check", true),
        LIST("list", false),
        LIST_JSON("list (json)", false);

        private final String label;
        private final boolean script;

        Operation(String label, boolean script) {
            this.label = label;
            this.script = script;
        }

        /** True when the input is a script (errors point at its lines), false for a single command. */
        public boolean takesScript() {
            return script;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    /**
     * Applies a whole script as one kernel transaction: either every command takes effect or
     * none does.
     *
     * @throws NftablesException with nft's error text and the failing lines of the script
     */
    void run(String script);

    /**
     * Validates a script against the current kernel state without committing it (a dry run):
     * the same checks as {@link #run}, including the kernel's own, and no change.
     *
     * @throws NftablesException with nft's error text and the failing lines of the script
     */
    void check(String script);

    /**
     * Runs one {@code list ...} command (for example {@code list table inet palisade}) and
     * returns nft's text output.
     *
     * @throws IllegalArgumentException if the command is not a single {@code list} command
     * @throws NftablesException with nft's error text, for example when the object is missing
     */
    String list(String command);

    /** As {@link #list}, but returns nft's JSON output ({@code {"nftables": [...]}}). */
    String listJson(String command);

    /** Releases the kernel resources; idempotent. Any later call throws {@link IllegalStateException}. */
    @Override
    void close();
}
