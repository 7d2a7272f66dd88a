package dev.palisade.agent.sync;

import dev.palisade.agent.cni.NodeNetwork;
import dev.palisade.model.IpAddress;

import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The newest desired state, handed from the watches to the sync loop: the decoded rule set, the
 * nodes, and the node's host routes to its pods ({@link PodRoutes}). Only the newest value matters (the loop reconciles the whole state, not events), so a burst
 * of updates becomes one apply.
 */
public final class Inputs {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private RuleSetRevision ruleSet;
    private Map<String, NodeNetwork> nodes;
    private SortedMap<IpAddress, Integer> podRoutes;
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

    /** The node's host routes to single addresses, address to interface index ({@link PodRoutes}). */
    public void podRoutes(SortedMap<IpAddress, Integer> routes) {
        lock.lock();
        try {
            if (routes.equals(podRoutes)) {
                return; // a link or route change elsewhere (an address, another table): nothing for the loop
            }
        } finally {
            lock.unlock();
        }
        signal(() -> podRoutes = routes);
    }

    /** Empty until the routes were first listed (or when they are not watched). */
    public Optional<SortedMap<IpAddress, Integer>> podRoutes() {
        lock.lock();
        try {
            return Optional.ofNullable(podRoutes);
        } finally {
            lock.unlock();
        }
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
