package dev.palisade.dataplane.sync;

import dev.palisade.dataplane.kernel.NftablesException;

/**
 * The kernel refused a transaction. Nothing changed: the kernel keeps the last good state, which
 * {@link TableSync} keeps as its own, and its next apply replaces the table whole. The cause
 * carries nft's error text and the failing script lines.
 */
public final class ApplyException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final ApplyResult.Mode mode;
    private final ApplyResult.Reason reason;

    ApplyException(ApplyResult.Mode mode, ApplyResult.Reason reason, String what, NftablesException cause) {
        super(what + " failed; the kernel keeps the last good state and the next apply replaces the table: "
                + cause.getMessage(), cause);
        this.mode = mode;
        this.reason = reason;
    }

    /** The transaction that failed: {@link ApplyResult.Mode#FULL} or {@link ApplyResult.Mode#INCREMENTAL}. */
    public ApplyResult.Mode mode() {
        return mode;
    }

    public ApplyResult.Reason reason() {
        return reason;
    }

    /** nft's error, with its text and failing lines. */
    public NftablesException nftError() {
        return (NftablesException) getCause();
    }
}
