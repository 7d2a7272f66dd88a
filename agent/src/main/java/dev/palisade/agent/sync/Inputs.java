package dev.palisade.agent.sync;

import dev.palisade.agent.cni.NodeNetwork;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The newest desired state, handed from the watches to the sync loop: the decoded rule set and the
 * nodes. Only the newest value matters (the loop reconciles the whole state, not events), so a burst
 * of updates becomes one apply.
 */
public final class Inputs {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private RuleSetRevision ruleSet;
    private Map<String, NodeNetwork> nodes;
    private long newestRevision;
    private boolean dirty;

    public void ruleSet(RuleSetRevision r) {
        signal(() -> ruleSet = r);
    }

    /** The newest revision seen, decodable or not (for the generation lag). */
    public void newestRevision(long revision) {
        lock.lock();
        try {
            newestRevision = Math.max(newestRevision, revision);
        } finally {
            lock.unlock();
        }
    }

    /** Every node the agent watches (only its own outside CNI mode), once the watch has listed them. */
    public void nodes(Map<String, NodeNetwork> n) {
        signal(() -> nodes = Map.copyOf(n));
    }

    public Optional<RuleSetRevision> ruleSet() {
        lock.lock();
        try {
            return Optional.ofNullable(ruleSet);
        } finally {
            lock.unlock();
        }
    }

    /** Empty until the node watch has listed once. */
    public Optional<Map<String, NodeNetwork>> nodes() {
        lock.lock();
        try {
            return Optional.ofNullable(nodes);
        } finally {
            lock.unlock();
        }
    }

    public long newestRevision() {
        lock.lock();
        try {
            return newestRevision;
        } finally {
            lock.unlock();
        }
    }

    /** Wakes the loop without a change (a retry, a status to rewrite). */
    public void nudge() {
        signal(() -> { });
    }

    /** Waits until something changed or {@code nanos} passed; true when something changed. Clears the flag. */
    boolean await(long nanos) throws InterruptedException {
        lock.lock();
        try {
            long left = nanos;
            while (!dirty && left > 0) {
                left = changed.awaitNanos(left);
            }
            boolean was = dirty;
            dirty = false;
            return was;
        } finally {
            lock.unlock();
        }
    }

    private void signal(Runnable update) {
        lock.lock();
        try {
            update.run();
            dirty = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
