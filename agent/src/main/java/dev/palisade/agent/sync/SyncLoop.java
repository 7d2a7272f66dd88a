package dev.palisade.agent.sync;

import dev.palisade.agent.cni.CniPlane;
import dev.palisade.agent.cni.NodeNetwork;
import dev.palisade.agent.telemetry.AgentMetrics;
import dev.palisade.dataplane.kernel.Nftables;
import dev.palisade.dataplane.nft.Table;
import dev.palisade.dataplane.readback.Drift;
import dev.palisade.dataplane.render.NftRenderer;
import dev.palisade.dataplane.sync.ApplyException;
import dev.palisade.dataplane.sync.ApplyResult;
import dev.palisade.dataplane.sync.Backoff;
import dev.palisade.dataplane.sync.TableSync;
import dev.palisade.dataplane.translate.Layout;
import dev.palisade.model.Cidr;
import dev.palisade.model.IpAddress;
import dev.palisade.ruleset.NodeRuleSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * The agent's one kernel thread. It owns the libnftables context (which is confined to the thread
 * that opened it, in that thread's network namespace) and so everything that changes the node's
 * kernel: the policy table through {@link TableSync}, and in CNI mode the NAT table, the routes and
 * the CNI configuration through {@link CniPlane}.
 *
 * <p>It reconciles the whole newest state, never single events: each pass takes the newest decoded
 * rule set and nodes from {@link Inputs}, builds the desired table and lets {@link TableSync} apply
 * it (the first apply of the process replaces the table whole; later ones send element deltas when
 * only membership changed). A refused transaction changes nothing; the loop keeps the last good
 * state, reports the error on the status and retries with {@link Backoff}. Every
 * {@code verifyInterval} it verifies the table and replaces it if it drifted: when the namespace's
 * nftables generation has not moved since the agent's own last commit, nothing can have changed and
 * the (at 100,000 elements, seconds long) read-back is skipped; it is done when the generation moved
 * and at least every {@code fullVerifyInterval}. It never deletes or flushes a table: not on error,
 * not on start, not on stop; the one exception is {@link #closeAndDeleteTable}, for an agent that
 * is being uninstalled from its node.
 */
public final class SyncLoop implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SyncLoop.class);
    private static final int ERROR_TEXT_LIMIT = 600;
    private static final int LARGE_TABLE = 20_000;
    private static final String OWN_TABLE = Layout.FAMILY + " " + Layout.TABLE;
    private static final String OWN_NAT_TABLE = "inet " + dev.palisade.agent.cni.NatTable.NAME;

    /**
     * What the loop needs of the agent's configuration. {@code hearCommits}: verify at once after any
     * nftables commit in the namespace that is not the agent's own ({@link RulesetEvents}), not only
     * every {@code verifyInterval}. {@code watchRoutes} (with the guard on): watch the node's host
     * routes to its pods ({@link PodRoutes}) and hold the address of a pod whose route went as
     * unknown until a rule set lists its new pod ({@link AddressReuse}).
     */
    public record Settings(String node, boolean guard, List<Cidr> pendingCidrs, Duration verifyInterval,
                           Duration fullVerifyInterval, Backoff backoff, Optional<String> netns, boolean hearCommits,
                           boolean watchRoutes) {
        public Settings {
            Objects.requireNonNull(node, "node");
            pendingCidrs = List.copyOf(pendingCidrs);
        }

        /** Hearing the kernel's notifications, nftables commits and route changes both, or neither. */
        public Settings(String node, boolean guard, List<Cidr> pendingCidrs, Duration verifyInterval,
                        Duration fullVerifyInterval, Backoff backoff, Optional<String> netns, boolean hearKernel) {
            this(node, guard, pendingCidrs, verifyInterval, fullVerifyInterval, backoff, netns, hearKernel, hearKernel);
        }

        public Settings(String node, boolean guard, List<Cidr> pendingCidrs, Duration verifyInterval,
                        Duration fullVerifyInterval, Backoff backoff, Optional<String> netns) {
            this(node, guard, pendingCidrs, verifyInterval, fullVerifyInterval, backoff, netns, false, false);
        }
    }

    /** The namespace's nftables generation ({@link KernelGeneration#read}); negative when unknown. */
    public static long kernelGeneration() {
        try {
            return KernelGeneration.read();
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return -1;
        }
    }

    private final Settings settings;
    private final Supplier<Nftables> kernel;
    private final LongSupplier generation;
    private final Conntrack conntrack;
    private final Optional<CniPlane> cni;
    private final Inputs inputs;
    private final AgentMetrics metrics;
    private final StatusSink status;
    private final Thread thread;
    private final CompletableFuture<Void> firstFullApply = new CompletableFuture<>();
    private final RandomGenerator random = RandomGenerator.getDefault();
    private volatile boolean closed;
    private volatile boolean deleteOnClose;
    private final CompletableFuture<Boolean> tableDeleted = new CompletableFuture<>();
    private volatile boolean fatal;
    private volatile long heartbeat = System.nanoTime();
    private volatile boolean cniConfigured;
    /** Set by the events thread when it heard a commit that may not be ours: verify at the next pass. */
    private final AtomicBoolean commitHeard = new AtomicBoolean();
    private RulesetEvents events;
    private PodRoutes routes;

    // confined to the loop's thread
    private TableSync sync;
    private Nftables nft;
    private RuleSetRevision translatedFrom;
    private List<Cidr> translatedPending;
    private Set<IpAddress> translatedHeld = Set.of();
    /** The local pod addresses held as unknown in the applied table: their pod is gone ({@link AddressReuse}). */
    private Set<IpAddress> appliedHeld = Set.of();
    private SortedMap<IpAddress, AddressReuse.Held> held = new TreeMap<>();
    /** The host routes the held addresses were last judged against; null before the first listing. */
    private SortedMap<IpAddress, Integer> routesSeen;
    private Table desired;
    private Table applied;
    private RuleSetRevision appliedRevision;
    private int failures;
    private long nextRetry;
    private long nextVerify = Long.MAX_VALUE;
    private boolean cniInPlace;
    private Map<String, NodeNetwork> cniNodes;
    private boolean waitingLogged;
    /** The generation right after the agent's own last commit or read-back; -1: unknown. */
    private long trustedGeneration = -1;
    private long nextFullVerify;
    /** A revocation that failed: the rules it started from (empty: unknown), retried at {@link #nextRevokeRetry}. */
    private Optional<NodeRuleSet> revokeFrom;
    private long nextRevokeRetry;
    private int revokeFailures;

    /**
     * @param kernel     opens the nftables port, on the loop's thread, once it is in the node's namespace
     * @param generation the nftables generation of that namespace, read on the loop's thread; negative
     *                   when unknown (every verification then reads the table back)
     * @param conntrack  the node's connection tracking, used on the loop's thread: open connections
     *                   that a change denies are cut ({@link Revocation})
     */
    public SyncLoop(Settings settings, Supplier<Nftables> kernel, LongSupplier generation, Conntrack conntrack,
                    Optional<CniPlane> cni, Inputs inputs, AgentMetrics metrics, StatusSink status) {
        this.settings = settings;
        this.kernel = kernel;
        this.generation = generation;
        this.conntrack = conntrack;
        this.cni = cni;
        this.inputs = inputs;
        this.metrics = metrics;
        this.status = status;
        this.thread = new Thread(this::run, "palisade-sync");
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /**
     * True once the first full apply succeeded and, in CNI mode, the CNI configuration is written (a
     * node whose pods cannot be wired is not ready).
     */
    public boolean ready() {
        return firstFullApply.isDone() && !firstFullApply.isCompletedExceptionally() && (cni.isEmpty() || cniConfigured);
    }

    public CompletableFuture<Void> firstFullApply() {
        return firstFullApply;
    }

    /** The loop thread runs and has passed its loop recently. */
    public boolean healthy() {
        long staleAfter = settings.verifyInterval().multipliedBy(2).plusSeconds(60).toNanos();
        return !fatal && thread.isAlive() && System.nanoTime() - heartbeat < staleAfter;
    }

    private void run() {
        try {
            settings.netns().ifPresent(NetnsEntry::enter);
            nft = kernel.get();
        } catch (RuntimeException | Error e) {
            fatal = true;
            firstFullApply.completeExceptionally(e);
            LOG.error("cannot open nftables{}: {}", settings.netns().map(n -> " in network namespace " + n).orElse(""),
                    e.toString());
            return;
        }
        sync = new TableSync(nft);
        if (settings.hearCommits()) {
            hearCommits();
        }
        if (settings.watchRoutes() && settings.guard()) {
            watchRoutes();
        }
        LOG.info("sync loop for node {} started{}", settings.node(),
                settings.netns().map(n -> " in network namespace " + n).orElse(""));
        try {
            while (!closed) {
                heartbeat = System.nanoTime();
                try {
                    pass();
                } catch (RuntimeException e) {
                    // a bug or an unexpected kernel answer: keep the last good state, back off, try again
                    failures++;
                    nextRetry = System.nanoTime() + settings.backoff().delay(failures, random).toNanos();
                    LOG.error("sync pass failed (attempt {}); the kernel keeps its last good state", failures, e);
                }
                inputs.await(waitNanos());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (events != null) {
                events.close();
            }
            if (routes != null) {
                routes.close();
            }
            if (deleteOnClose) {
                deleteTable();
            }
            nft.close(); // unless just deleted, the tables stay in the kernel and keep enforcing
        }
    }

    /**
     * The policy table, pending guard included, in one transaction. The NAT table is not touched: it
     * only rewrites the source of pod traffic leaving the cluster, drops nothing, and in CNI mode the
     * pods that keep running on the node need it to reach the outside.
     */
    private void deleteTable() {
        long start = System.nanoTime();
        try {
            nft.run(NftRenderer.deleteScript(Layout.FAMILY, Layout.TABLE));
            LOG.info("deleted table {} in one transaction ({} ms): node {} no longer enforces network policies{}",
                    OWN_TABLE, (System.nanoTime() - start) / 1_000_000, settings.node(),
                    cni.isPresent() ? "; table " + OWN_NAT_TABLE + ", the routes to other nodes' pods and the CNI "
                            + "configuration stay, so the node's pods keep their network" : "");
            tableDeleted.complete(true);
        } catch (RuntimeException e) {
            LOG.error("cannot delete table {}: it stays in the kernel and keeps enforcing, pending guard included; "
                    + "delete it by hand on node {} (nft delete table {}): {}", OWN_TABLE, settings.node(), OWN_TABLE,
                    e.getMessage());
            tableDeleted.complete(false);
        }
    }

    /**
     * Subscribes to the namespace's nftables commits. The kernel names the committing thread and, in
     * the messages before it, the tables the commit touched; a commit of one of the agent's tables by
     * another thread (a hand flush, another program) asks for a verification at once, so a table
     * changed by hand is repaired in milliseconds rather than at the next tick. The verification
     * itself reads the generation first and skips the read-back when it is still the one of the
     * agent's own last commit, so a commit that only looks foreign (the agent in a pid namespace of
     * its own, where the kernel's thread ids are not its) costs a netlink query. Without the
     * subscription the periodic verification remains.
     */
    private void hearCommits() {
        long self = RulesetEvents.kernelThreadId();
        try {
            events = new RulesetEvents(settings.netns(), (generation, pid, process, tables) -> {
                // another table's commits (kube-proxy's, say, many a second on a busy node) cannot change ours
                boolean ours = tables.isEmpty() || tables.get().contains(OWN_TABLE) || tables.get().contains(OWN_NAT_TABLE);
                if ((pid != self || pid < 0) && ours) {
                    commitHeard.set(true);
                    inputs.nudge();
                }
            }).start();
        } catch (RuntimeException | Error e) {
            LOG.warn("cannot hear nftables commits ({}); a table changed by hand is repaired at the next verification, "
                    + "every {} s", e.getMessage(), settings.verifyInterval().toSeconds());
        }
    }

    /**
     * Watches the namespace's host routes to single addresses. When a pod's sandbox is torn down its
     * route goes (or, once the address is reused, leads through another veth), and the address is held
     * as unknown by the pending guard until a rule set lists its new holder: otherwise a new pod that
     * got the address inherits the deleted pod's allowances until the operator publishes the deletion.
     */
    private void watchRoutes() {
        try {
            routes = new PodRoutes(settings.netns(), inputs::podRoutes).start();
        } catch (RuntimeException | Error e) {
            LOG.warn("cannot watch the node's routes ({}); a new pod that reuses a deleted pod's address inherits its "
                    + "allowances until the next rule set", e.getMessage());
        }
    }

    /**
     * The local pod addresses to hold as unknown for {@code revision}: those whose route went or
     * changed interface since the last look while the rules in force listed them, less those that
     * {@code revision} releases (it lists another pod there, or nothing).
     */
    private SortedMap<IpAddress, AddressReuse.Held> heldFor(RuleSetRevision revision) {
        Optional<SortedMap<IpAddress, Integer>> now = inputs.podRoutes();
        if (now.isPresent() && now.get() != routesSeen) {
            if (routesSeen != null) {
                RuleSetRevision known = appliedRevision != null ? appliedRevision : revision;
                SortedMap<IpAddress, AddressReuse.Held> before = held;
                held = AddressReuse.retire(held, routesSeen, now.get(), known.rules(), known.revision());
                held.keySet().stream().filter(a -> !before.containsKey(a)).forEach(a -> LOG.info(
                        "pod address {} lost its route (its pod is gone): held as unknown until a rule set lists the pod "
                                + "that holds it now", a));
            }
            routesSeen = now.get();
        }
        SortedMap<IpAddress, AddressReuse.Held> kept = AddressReuse.release(held, revision.rules(), revision.revision());
        held.keySet().stream().filter(a -> !kept.containsKey(a)).forEach(a -> LOG.info(
                "pod address {} released: revision {} lists {}", a, revision.revision(),
                revision.rules().localPods().contains(a) ? "its new pod" : "no pod there"));
        held = kept;
        return held;
    }

    private long waitNanos() {
        long now = System.nanoTime();
        long until = nextVerify;
        if (nextRetry != 0) {
            until = Math.min(until, nextRetry);
        }
        if (revokeFrom != null) {
            until = Math.min(until, nextRevokeRetry);
        }
        if (firstFullApply.isDone() && cni.isPresent() && !cniInPlace) {
            until = Math.min(until, now + settings.backoff().delay(Math.max(1, failures), random).toNanos());
        }
        return Math.max(1_000_000L, until - now);
    }

    private void pass() {
        long now = System.nanoTime();
        Optional<RuleSetRevision> rs = inputs.ruleSet();
        Optional<Map<String, NodeNetwork>> nodes = inputs.nodes();
        boolean needNodes = (settings.guard() && settings.pendingCidrs().isEmpty()) || cni.isPresent();
        if (rs.isEmpty() || (needNodes && nodes.isEmpty())) {
            if (!waitingLogged) {
                LOG.info("waiting for {}", rs.isEmpty() ? "node " + settings.node() + "'s PalisadeNodeRuleSet"
                        : "the Node objects (pod CIDRs for the pending guard)");
                waitingLogged = true;
            }
            return;
        }
        RuleSetRevision revision = rs.get();
        List<Cidr> pending = pendingCidrs(nodes);
        Set<IpAddress> heldNow = settings.guard() ? Set.copyOf(heldFor(revision).keySet()) : Set.of();
        if (revision != translatedFrom || !pending.equals(translatedPending) || !heldNow.equals(translatedHeld)) {
            desired = DesiredTable.of(revision.rules(), settings.guard(), pending, heldNow);
            translatedFrom = revision;
            translatedPending = pending;
            translatedHeld = heldNow;
        }
        boolean retryDue = nextRetry != 0 && now >= nextRetry;
        if (!desired.equals(applied) && (nextRetry == 0 || retryDue)) {
            apply(revision);
        } else if (desired.equals(applied) && revision != appliedRevision) {
            appliedRevision = revision; // same table, newer revision (e.g. only a peer's name changed)
            metrics.ruleSet(revision.revision(), inputs.newestRevision(), revision.grants(), revision.rules().localPods().size());
            status.report(revision, null);
        } else {
            metrics.newestRevision(inputs.newestRevision());
        }
        if (revokeFrom != null && appliedRevision != null && now >= nextRevokeRetry) {
            revokeOpenConnections(revokeFrom, appliedRevision.rules());
        }
        if (!firstFullApply.isDone()) {
            return;
        }
        boolean verifyDue = now >= nextVerify | commitHeard.getAndSet(false);
        if (cni.isPresent()) {
            Map<String, NodeNetwork> n = nodes.orElse(Map.of());
            if (verifyDue || !cniInPlace || !n.equals(cniNodes)) {
                cniInPlace = cni.get().sync(n, nft, verifyDue);
                cniNodes = n;
                cniConfigured = cni.get().configured();
                metrics.readiness(ready());
            }
        }
        if (verifyDue) {
            verify();
            nextVerify = System.nanoTime() + settings.verifyInterval().toNanos();
        }
    }

    private List<Cidr> pendingCidrs(Optional<Map<String, NodeNetwork>> nodes) {
        if (!settings.guard()) {
            return List.of();
        }
        if (!settings.pendingCidrs().isEmpty()) {
            return settings.pendingCidrs();
        }
        NodeNetwork self = nodes.orElse(Map.of()).get(settings.node());
        if (self == null || self.podCidrs().isEmpty()) {
            if (translatedPending == null || !translatedPending.isEmpty()) {
                LOG.warn("node {} has no spec.podCIDRs: the pending guard covers nothing (pass --pending-cidr for a "
                        + "CNI that allocates elsewhere)", settings.node());
            }
            return List.of();
        }
        return self.podCidrs();
    }

    private void apply(RuleSetRevision revision) {
        try {
            long before = generation.getAsLong();
            Optional<NodeRuleSet> enforced = revokeFrom != null ? revokeFrom
                    : Optional.ofNullable(appliedRevision).map(RuleSetRevision::rules);
            Set<IpAddress> nowHeld = translatedHeld;
            ApplyResult r = sync.apply(desired);
            trustGeneration(before, r);
            NativeMemory.trim();
            compactAfterLarge(r);
            applied = desired;
            appliedRevision = revision;
            failures = 0;
            nextRetry = 0;
            metrics.applied(r.mode().label(), r.duration().toNanos() / 1e9, r.elements());
            metrics.ruleSet(revision.revision(), inputs.newestRevision(), revision.grants(), revision.rules().localPods().size());
            LOG.info("revision {} ({}): {}", revision.revision(), shortHash(revision.hash()), r);
            revokeOpenConnections(enforced, revision.rules());
            cutHeld(nowHeld.stream().filter(a -> !appliedHeld.contains(a)).collect(Collectors.toCollection(TreeSet::new)));
            appliedHeld = nowHeld;
            metrics.heldAddresses(nowHeld.size());
            status.report(revision, null);
            if (!firstFullApply.isDone() && r.mode() == ApplyResult.Mode.FULL) {
                nextVerify = System.nanoTime() + settings.verifyInterval().toNanos();
                nextFullVerify = System.nanoTime() + settings.fullVerifyInterval().toNanos();
                firstFullApply.complete(null);
                metrics.readiness(ready());
            }
        } catch (ApplyException e) {
            failures++;
            Duration delay = settings.backoff().delay(failures, random);
            nextRetry = System.nanoTime() + delay.toNanos();
            metrics.applyFailed(e.mode().label());
            LOG.warn("revision {} ({}) not applied (attempt {}, retry in {} ms); the kernel keeps {}: {}",
                    revision.revision(), shortHash(revision.hash()), failures, delay.toMillis(),
                    appliedRevision == null ? "what it had" : "revision " + appliedRevision.revision(), e.getMessage());
            status.report(appliedRevision, "revision " + revision.revision() + " not applied: " + truncate(e.getMessage()));
        }
    }

    /**
     * After a full replacement or a read-back of a large table, the render and the parsed listing
     * leave a hundred megabytes of garbage at 100,000 elements; a collection now lets the heap
     * shrink back (G1 with {@code -XX:MaxHeapFreeRatio} gives the memory back at once) instead of
     * staying at its peak on every node. Rare (start, layout change, read-back), so the pause is no
     * concern.
     */
    private static void compactAfterLarge(ApplyResult r) {
        if (r.mode() == ApplyResult.Mode.FULL) {
            compactAfterLarge(r.elements());
        }
    }

    private static void compactAfterLarge(int elements) {
        if (elements >= LARGE_TABLE) {
            System.gc();
        }
    }

    /**
     * Our commit is the only one since {@code before} when the generation moved by exactly one (a
     * no-op commits nothing); otherwise someone else committed too and the next verification reads back.
     */
    private void trustGeneration(long before, ApplyResult r) {
        long after = generation.getAsLong();
        long ours = r.mode() == ApplyResult.Mode.NOOP ? 0 : 1;
        trustedGeneration = before >= 0 && after == before + ours ? after : -1;
    }

    private void verify() {
        if (applied == null) {
            return;
        }
        long now = System.nanoTime();
        long gen = generation.getAsLong();
        if (gen >= 0 && gen == trustedGeneration && now < nextFullVerify) {
            // no commit in this namespace since our own: the table is exactly what we committed
            metrics.verified("unchanged");
            return;
        }
        try {
            nextFullVerify = now + settings.fullVerifyInterval().toNanos();
            Drift drift = sync.verify();
            NativeMemory.trim();
            compactAfterLarge(applied.elementCount());
            if (drift.isEmpty()) {
                trustedGeneration = gen;
                metrics.verified("in_sync");
                LOG.debug("table in sync with revision {}", appliedRevision.revision());
                return;
            }
            metrics.verified("drift");
            LOG.warn("the kernel's table drifted from revision {}: {}; replacing it", appliedRevision.revision(),
                    truncate(drift.summary()));
            long before = generation.getAsLong();
            ApplyResult r = sync.repair();
            trustGeneration(before, r);
            NativeMemory.trim();
            compactAfterLarge(r);
            metrics.driftRepaired();
            metrics.applied(r.mode().label(), r.duration().toNanos() / 1e9, r.elements());
            LOG.info("repaired: {}", r);
        } catch (ApplyException e) {
            metrics.applyFailed(e.mode().label());
            failures++;
            nextRetry = System.nanoTime() + settings.backoff().delay(failures, random).toNanos();
            applied = null; // the next pass replaces the table whole (TableSync knows it must)
            LOG.warn("repair refused by the kernel (retrying): {}", e.getMessage());
        } catch (RuntimeException e) {
            metrics.verified("error");
            LOG.warn("cannot read the table back: {}", e.toString());
        }
    }

    /**
     * Cuts the open connections whose flow {@code enforced} allowed and {@code now} denies: their
     * conntrack entries are deleted, exactly those, so their next packet is new to conntrack and meets
     * the table. Reads the conntrack table only when some local pod's allowances shrank. A failure is
     * retried with backoff from the same starting rules.
     */
    private void revokeOpenConnections(Optional<NodeRuleSet> enforced, NodeRuleSet now) {
        List<Cidr> held = translatedPending == null ? List.of() : translatedPending;
        Predicate<IpAddress> heldWhileUnknown = pod -> held.stream().anyMatch(c -> c.range().contains(pod));
        SortedSet<IpAddress> narrowed = Revocation.narrowed(enforced, now, heldWhileUnknown);
        if (narrowed.isEmpty()) {
            revokeFrom = null;
            return;
        }
        long start = System.nanoTime();
        try {
            List<TrackedFlow> revoked = Revocation.revoked(enforced, now, narrowed, conntrack.nodeAddresses(),
                    conntrack.flows());
            int deleted = revoked.isEmpty() ? 0 : conntrack.delete(revoked);
            metrics.revoked(deleted);
            revokeFrom = null;
            revokeFailures = 0;
            if (!revoked.isEmpty()) {
                LOG.info("revoked {} open connection(s) in {} ms: {}", deleted, (System.nanoTime() - start) / 1_000_000,
                        truncate(revoked.toString()));
            }
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            metrics.revokeFailed();
            revokeFailures++;
            revokeFrom = enforced;
            Duration delay = settings.backoff().delay(revokeFailures, random);
            nextRevokeRetry = System.nanoTime() + delay.toNanos();
            LOG.warn("cannot revoke open connections (attempt {}, retry in {} ms): {}", revokeFailures, delay.toMillis(),
                    e.toString());
        }
    }

    /**
     * Deletes the conntrack entries from or to addresses just held: the connections of their gone pod.
     * {@code forward} accepts {@code established} before the guard, so such an entry (a UDP flow a
     * client keeps sending on, say) would carry its packets on to the address's new pod. Best effort:
     * a failure is logged and counted with the revocations; the entries then time out as before.
     */
    private void cutHeld(SortedSet<IpAddress> addresses) {
        if (addresses.isEmpty()) {
            return;
        }
        try {
            List<TrackedFlow> gone = conntrack.flows().stream()
                    .filter(f -> addresses.contains(f.src()) || addresses.contains(f.dst())).toList();
            int deleted = gone.isEmpty() ? 0 : conntrack.delete(gone);
            metrics.revoked(deleted);
            if (deleted > 0) {
                LOG.info("deleted {} conntrack entr{} of held address(es) {}", deleted, deleted == 1 ? "y" : "ies", addresses);
            }
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            metrics.revokeFailed();
            LOG.warn("cannot delete the conntrack entries of held address(es) {}: {}", addresses, e.toString());
        }
    }

    private static String shortHash(String hash) {
        return hash.length() > 12 ? hash.substring(0, 12) : hash;
    }

    private static String truncate(String s) {
        return s == null || s.length() <= ERROR_TEXT_LIMIT ? s : s.substring(0, ERROR_TEXT_LIMIT) + "...";
    }

    /** Stops the loop; the kernel's tables stay as they are and keep enforcing. */
    @Override
    public void close() {
        stop(Duration.ofSeconds(10));
    }

    /**
     * Stops the loop and, as its thread's last act, deletes the policy table in one transaction:
     * only for an agent that is being uninstalled from its node. A pass under way finishes first, so
     * nothing is applied after the deletion. In CNI mode the NAT table, the routes and the CNI
     * configuration stay, so the pods on the node keep their network.
     *
     * @param timeout how long to wait for the loop's thread (a full apply of a large table takes seconds)
     * @return true when the table is gone; false when the kernel refused, the loop never opened the
     *         kernel, or it did not stop in time
     */
    public boolean closeAndDeleteTable(Duration timeout) {
        deleteOnClose = true;
        stop(timeout);
        if (thread.isAlive() || !tableDeleted.isDone()) {
            LOG.error("the sync loop did not delete table {} within {} s; it stays in the kernel", OWN_TABLE,
                    timeout.toSeconds());
            return false;
        }
        return tableDeleted.join();
    }

    private void stop(Duration timeout) {
        closed = true;
        inputs.nudge();
        try {
            thread.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
