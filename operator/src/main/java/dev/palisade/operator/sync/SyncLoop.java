package dev.palisade.operator.sync;

import dev.palisade.operator.publish.RuleSetEncoder;
import dev.palisade.operator.telemetry.OperatorMetrics;
import dev.palisade.operator.watch.ClusterCache;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

/**
 * The single thread that turns events into syncs. Informer handlers only mark it dirty; it waits until
 * no event has come for {@code quiet} (or {@code maxDelay} has passed since the first unhandled one),
 * then runs one {@link Reconciler} pass over what changed. A burst of ten thousand pod events is one
 * pass. Policy, namespace and node changes go first: they wait only {@link #URGENT_QUIET_NANOS} (a
 * multi-document apply arrives as one burst), and their pass leaves pending pod changes for the next
 * one, so a policy never waits for pod churn to settle. It runs passes only while this replica leads
 * and every informer has synced; a failed pass is logged once, counted, and retried from scratch with
 * exponential backoff.
 */
public final class SyncLoop implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SyncLoop.class);
    private static final long MAX_BACKOFF_MS = 30_000;
    /** How long a policy, namespace or node change waits for more of its kind. */
    static final long URGENT_QUIET_NANOS = 5_000_000L;

    private final ClusterCache cache;
    private final Reconciler reconciler;
    private final OperatorMetrics metrics;
    private final long quietNanos;
    private final long maxDelayNanos;
    private final Thread thread;

    private final Object lock = new Object();
    private boolean inputDirty;
    private boolean urgentDirty;
    private long urgentFirstNanos;
    private long urgentLastNanos;
    private boolean ownDirty;
    private boolean adopt;
    private final Set<String> changedRuleSets = new HashSet<>();
    private long firstDirtyNanos;
    private long lastEventNanos;
    private boolean leader;
    private volatile boolean running = true;

    public SyncLoop(KubernetesClient client, ClusterCache cache, RuleSetEncoder encoder, OperatorMetrics metrics,
                    String identity, Duration quiet, Duration maxDelay) {
        this.cache = cache;
        this.reconciler = new Reconciler(client, cache, encoder, metrics, identity, () -> ownChanged(null));
        this.metrics = metrics;
        this.quietNanos = quiet.toNanos();
        this.maxDelayNanos = maxDelay.toNanos();
        this.thread = new Thread(this::run, "palisade-sync");
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** A namespace, node, pod or policy changed. */
    public void inputChanged(ClusterCache.Input kind) {
        synchronized (lock) {
            if (kind == ClusterCache.Input.pods) {
                dirty();
                inputDirty = true;
            } else {
                long now = System.nanoTime();
                if (!urgentDirty) {
                    urgentFirstNanos = now;
                }
                urgentDirty = true;
                urgentLastNanos = now;
                lock.notifyAll();
            }
        }
    }

    /** One of the operator's own resources changed; {@code ruleSet} names a PalisadeNodeRuleSet, or is null. */
    public void ownChanged(String ruleSet) {
        synchronized (lock) {
            dirty();
            ownDirty = true;
            if (ruleSet != null) {
                changedRuleSets.add(ruleSet);
            }
        }
    }

    public void leading(boolean isLeader) {
        synchronized (lock) {
            leader = isLeader;
            if (isLeader) {
                dirty();
                adopt = true;
            }
            lock.notifyAll();
        }
        metrics.leader(isLeader);
    }

    public boolean isLeader() {
        synchronized (lock) {
            return leader;
        }
    }

    /** Alive: the thread runs and is not stuck (a pass may take long at scale, so only a dead thread fails). */
    public boolean healthy() {
        return running && thread.isAlive();
    }

    private void dirty() {
        long now = System.nanoTime();
        if (!inputDirty && !ownDirty && !adopt) {
            firstDirtyNanos = now;
        }
        lastEventNanos = now;
        lock.notifyAll();
    }

    private boolean anyDirty() {
        return inputDirty || urgentDirty || ownDirty || adopt;
    }

    private void run() {
        long backoffMs = 100;
        while (running) {
            boolean adopting;
            boolean whole;
            Set<String> changed;
            double lagSeconds;
            try {
                synchronized (lock) {
                    while (running && !(leader && anyDirty() && cache.synced())) {
                        metrics.informers(cache.syncState());
                        lock.wait(200);
                    }
                    long wait;
                    while (running && (wait = untilDue(System.nanoTime())) > 0) {
                        lock.wait(Math.max(1, wait / 1_000_000), (int) (wait % 1_000_000));
                    }
                    if (!running) {
                        return;
                    }
                    if (!leader) {
                        continue;
                    }
                    long now = System.nanoTime();
                    // Pod changes (and everything else) when their own delay is up; else the urgent ones alone.
                    whole = adopt || (inputDirty || ownDirty) && untilWholeDue(now) <= 0;
                    adopting = adopt;
                    changed = new HashSet<>(changedRuleSets);
                    long first = whole && urgentDirty ? Math.min(firstDirtyNanos, urgentFirstNanos)
                            : whole ? firstDirtyNanos : urgentFirstNanos;
                    lagSeconds = (now - first) / 1e9;
                    urgentDirty = false;
                    if (whole) {
                        inputDirty = false;
                        ownDirty = false;
                        adopt = false;
                        changedRuleSets.clear();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            metrics.queueLag(lagSeconds);
            metrics.informers(cache.syncState());
            long t0 = System.nanoTime();
            try {
                if (adopting) {
                    reconciler.adoptCache();
                }
                for (String node : changed) {
                    reconciler.ruleSetChanged(node);
                }
                Reconciler.Outcome o = reconciler.pass(whole, whole);
                if (o.failed() > 0) {
                    throw new IllegalStateException(o.failed() + " rule sets could not be published");
                }
                metrics.sync(true);
                backoffMs = 100;
                if (o.statusDeferred()) {
                    synchronized (lock) {
                        // Status is due after this burst: a pass without changes computes it.
                        dirty();
                        ownDirty = true;
                    }
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                if (o.changes() > 0 || o.written() + o.deleted() + o.statuses() + o.events() > 0) {
                    LOG.info("sync: {} changes{}, {} of {} nodes recompiled, {} rule sets written, {} deleted, "
                                    + "{} address sets created, {} deleted, {} policy statuses, {} events; "
                                    + "compile {} s, total {} s, lag {} s",
                            o.changes(), whole ? "" : " (policies first)", o.recompiled(), o.nodes(), o.written(),
                            o.deleted(), o.setsCreated(), o.setsDeleted(), o.statuses(), o.events(),
                            String.format("%.3f", o.compileSeconds()), String.format("%.3f", seconds),
                            String.format("%.3f", lagSeconds));
                }
            } catch (RuntimeException e) {
                metrics.sync(false);
                LOG.warn("sync failed, retrying in {} ms: {}", backoffMs, e.getMessage());
                LOG.debug("sync failure", e);
                synchronized (lock) {
                    // Start over from the cluster's state: what was written before the failure is in the cache.
                    adopt = true;
                    dirty();
                }
                sleep(backoffMs);
                backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
            }
        }
    }

    /** Nanoseconds until a pass is due (zero or less: now). */
    private long untilDue(long now) {
        long wait = Long.MAX_VALUE;
        if (urgentDirty) {
            wait = urgentLastNanos + URGENT_QUIET_NANOS - now;
        }
        if (inputDirty || ownDirty || adopt) {
            wait = Math.min(wait, untilWholeDue(now));
        }
        return wait;
    }

    private long untilWholeDue(long now) {
        return Math.min(lastEventNanos + quietNanos - now, firstDirtyNanos + maxDelayNanos - now);
    }

    private void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /** Nodes this leader has published, with their hashes. Test and diagnostics use. */
    public java.util.Map<String, String> published() {
        return reconciler.publishedHashes();
    }

    @Override
    public void close() {
        running = false;
        synchronized (lock) {
            lock.notifyAll();
        }
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        reconciler.close();
    }
}
