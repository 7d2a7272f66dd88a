package dev.palisade.agent.sync;

/** Where the sync loop reports what the kernel holds; the watch side writes it to the status subresource. */
public interface StatusSink {

    /**
     * @param applied the revision now in the kernel (null: none yet)
     * @param error   why the newest revision is not in the kernel; null when it is
     */
    void report(RuleSetRevision applied, String error);
}
