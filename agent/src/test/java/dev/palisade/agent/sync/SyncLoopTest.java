package dev.palisade.agent.sync;

import dev.palisade.agent.cni.NodeNetwork;
import dev.palisade.agent.telemetry.AgentMetrics;
import dev.palisade.dataplane.kernel.Nftables;
import dev.palisade.dataplane.kernel.RecordingNftables;
import dev.palisade.dataplane.sync.Backoff;
import dev.palisade.model.Cidr;
import dev.palisade.model.IpAddress;
import dev.palisade.model.Protocol;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;
import dev.palisade.ruleset.PeerSet;
import dev.palisade.ruleset.PortRange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The loop against the recording fake: which transactions it sends, what it reports, when it retries. */
class SyncLoopTest {

    /**
     * How long a test waits for an outcome: generous, because the machine may be loaded; a passing
     * run never waits for it, and how fast the loop is belongs in benchmarks, not here.
     */
    static final Duration DEADLINE = Duration.ofSeconds(60);

    private static final Backoff FAST = new Backoff(Duration.ofMillis(20), Duration.ofMillis(100), 2.0, 0.0);

    private final RecordingNftables nft = new RecordingNftables();
    private final Inputs inputs = new Inputs();
    private final AgentMetrics metrics = new AgentMetrics();
    private final List<String> reports = Collections.synchronizedList(new ArrayList<>());
    private final FakeConntrack conntrack = new FakeConntrack();
    private SyncLoop loop;
    /** The fake kernel's nftables generation; -1: unknown (every verification reads back). */
    private volatile java.util.function.LongSupplier generationSource = () -> -1;

    @AfterEach
    void stop() {
        if (loop != null) {
            loop.close();
        }
    }

    private void start(Duration verify) {
        loop = new SyncLoop(new SyncLoop.Settings("n1", true, List.of(), verify, Duration.ofHours(1), FAST, Optional.empty()),
                () -> nft, () -> generationSource.getAsLong(), conntrack, Optional.empty(), inputs, metrics,
                (applied, error) -> reports.add((applied == null ? "-" : applied.revision() + "/" + applied.hash())
                        + (error == null ? "" : " error")));
        loop.start();
    }

    /** Waits for the first full apply (an outcome, not a time bound) and rethrows what made it fail. */
    private void firstApply() throws Exception {
        loop.firstFullApply().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    }

    private static RuleSetRevision revision(long n, String... pods) {
        TreeSet<IpAddress> local = new TreeSet<>();
        for (String p : pods) {
            local.add(IpAddress.parse(p));
        }
        Grant g = new Grant("default/web", 0, local, new PeerSet(false, new TreeSet<>(List.of(IpAddress.parse("10.244.2.9"))),
                List.of()), List.of(new PortRange(Protocol.TCP, 80, 80)));
        DirectionRules in = new DirectionRules(local, List.of(g));
        return new RuleSetRevision(n, "hash" + n, new NodeRuleSet("n1", local, in, DirectionRules.NONE));
    }

    private void nodes() {
        inputs.nodes(Map.of("n1", new NodeNetwork("n1", List.of(Cidr.parse("10.244.1.0/24")),
                List.of(IpAddress.parse("10.0.0.1")))));
    }

    /** A conntrack table in memory; the node's address is 10.0.0.1. */
    private static final class FakeConntrack implements Conntrack {
        final List<TrackedFlow> table = Collections.synchronizedList(new ArrayList<>());
        final java.util.concurrent.atomic.AtomicInteger listings = new java.util.concurrent.atomic.AtomicInteger();
        volatile int failures;

        @Override
        public List<TrackedFlow> flows() {
            listings.incrementAndGet();
            if (failures > 0) {
                failures--;
                throw new IllegalStateException("netlink dump failed: errno 105");
            }
            synchronized (table) {
                return List.copyOf(table);
            }
        }

        @Override
        public java.util.Set<IpAddress> nodeAddresses() {
            return java.util.Set.of(IpAddress.parse("10.0.0.1"));
        }

        @Override
        public int delete(List<TrackedFlow> flows) {
            int n = 0;
            for (TrackedFlow f : flows) {
                n += table.remove(f) ? 1 : 0;
            }
            return n;
        }

        boolean holds(String flow) {
            synchronized (table) {
                return table.stream().anyMatch(f -> f.toString().equals(flow));
            }
        }
    }

    private static TrackedFlow tcp(String src, String dst, int dport) {
        return new TrackedFlow(6, IpAddress.parse(src), IpAddress.parse(dst), dport, new byte[] {(byte) dport},
                java.util.OptionalInt.empty());
    }

    @Test
    void theFirstApplyCutsOpenConnectionsItsRulesDenyButNotTheNodesOwnNorAllowedOnes() throws Exception {
        conntrack.table.addAll(List.of(tcp("10.244.2.9", "10.244.1.5", 80), tcp("10.244.3.3", "10.244.1.5", 80),
                tcp("10.0.0.1", "10.244.1.5", 8080), tcp("10.244.2.9", "10.244.1.5", 443)));
        start(Duration.ofHours(1));
        nodes();
        inputs.ruleSet(revision(1, "10.244.1.5"));
        firstApply();
        eventually(() -> metrics.revokedCount() == 2, metrics::text);
        assertTrue(conntrack.holds("tcp 10.244.2.9 -> 10.244.1.5:80"), conntrack.table::toString);
        assertTrue(conntrack.holds("tcp 10.0.0.1 -> 10.244.1.5:8080"), "the node's own traffic is never revoked");
        assertFalse(conntrack.holds("tcp 10.244.3.3 -> 10.244.1.5:80"));
        assertFalse(conntrack.holds("tcp 10.244.2.9 -> 10.244.1.5:443"));
    }

    @Test
    void aChangeThatOnlyWidensNeverReadsTheConntrackTable() throws Exception {
        start(Duration.ofHours(1));
        nodes();
        inputs.ruleSet(revision(1, "10.244.1.5"));
        firstApply();
        eventually(() -> conntrack.listings.get() == 1, () -> "listings " + conntrack.listings.get());
        inputs.ruleSet(revision(2, "10.244.1.5", "10.244.1.6")); // .5 keeps its grant; .6 is new
        eventually(() -> reports.contains("2/hash2"), reports::toString);
        assertEquals(1, conntrack.listings.get(), "a new pod the pending guard held has nothing to cut: no dump");
        inputs.ruleSet(revision(3, "10.244.1.5", "10.244.1.6", "10.250.0.7")); // new, outside the guarded pod CIDR
        eventually(() -> reports.contains("3/hash3"), reports::toString);
        assertEquals(2, conntrack.listings.get(), "a new isolated pod the guard did not hold is checked");
        RuleSetRevision wider = new RuleSetRevision(4, "hash4", new NodeRuleSet("n1", revision(3, "10.244.1.5",
                "10.244.1.6", "10.250.0.7").rules().localPods(), DirectionRules.NONE, DirectionRules.NONE));
        inputs.ruleSet(wider);
        eventually(() -> reports.contains("4/hash4"), reports::toString);
        assertEquals(2, conntrack.listings.get(), "nothing narrowed: no dump");
    }

    @Test
    void aFailedRevocationIsCountedAndRetried() throws Exception {
        start(Duration.ofHours(1));
        nodes();
        inputs.ruleSet(new RuleSetRevision(1, "hash1", new NodeRuleSet("n1", revision(1, "10.244.1.5").rules().localPods(),
                DirectionRules.NONE, DirectionRules.NONE)));
        firstApply();
        conntrack.table.add(tcp("10.244.3.3", "10.244.1.5", 80));
        conntrack.failures = 1;
        inputs.ruleSet(revision(2, "10.244.1.5"));
        eventually(() -> metrics.revokedCount() == 1, metrics::text);
        assertTrue(metrics.text().contains("palisade_agent_conntrack_revoke_failures_total 1.0"), metrics.text());
        assertTrue(conntrack.table.isEmpty(), conntrack.table::toString);
    }

    @Test
    void waitsForTheNodesPodCidrBeforeTheFirstApplySoARestartNeverDropsTheGuard() throws Exception {
        start(Duration.ofHours(1));
        inputs.ruleSet(revision(1, "10.244.1.5"));
        Thread.sleep(200);
        assertTrue(nft.appliedScripts().isEmpty(), "applied without knowing the pending ranges");
        assertFalse(loop.ready());
        nodes();
        firstApply();
        String first = nft.appliedScripts().get(0);
        assertTrue(first.contains("add table inet palisade\ndelete table inet palisade\n"), first);
        assertTrue(first.contains("10.244.1.0/24"), first);
        assertTrue(loop.ready());
        eventually(() -> reports.contains("1/hash1"), reports::toString);
    }

    @Test
    void membershipChangesAreIncrementalAndEachAppliedRevisionIsReported() throws Exception {
        start(Duration.ofHours(1));
        nodes();
        inputs.ruleSet(revision(1, "10.244.1.5"));
        firstApply();
        inputs.ruleSet(revision(2, "10.244.1.5", "10.244.1.6"));
        eventually(() -> nft.appliedScripts().size() == 2, () -> nft.calls().toString());
        String delta = nft.appliedScripts().get(1);
        assertTrue(delta.startsWith("add element inet palisade "), delta);
        assertFalse(delta.contains("delete table"), delta);
        eventually(() -> reports.contains("2/hash2"), reports::toString);
        assertEquals(1.0, metrics.applyCount("incremental", "ok"));
    }

    /** A revision listing {@code pods}, each held by the pod of the given uid ("address=uid"). */
    private static RuleSetRevision withHolders(long n, String... podUids) {
        java.util.SortedMap<IpAddress, java.util.SortedSet<String>> holders = new java.util.TreeMap<>();
        String[] pods = new String[podUids.length];
        for (int i = 0; i < podUids.length; i++) {
            String[] pu = podUids[i].split("=");
            pods[i] = pu[0];
            holders.put(IpAddress.parse(pu[0]), new TreeSet<>(List.of(pu[1])));
        }
        NodeRuleSet r = revision(n, pods).rules();
        return new RuleSetRevision(n, "hash" + n, new NodeRuleSet("n1", r.localPods(), r.ingress(), r.egress(), holders));
    }

    @Test
    void aListedPodWhoseRouteWentIsTakenOutOfPods4InOneDeltaAndItsConnectionsCutUntilARevisionListsItsNewPod()
            throws Exception {
        IpAddress a = IpAddress.parse("10.244.1.5");
        conntrack.table.addAll(List.of(tcp("10.244.2.9", "10.244.1.5", 80), tcp("10.244.2.9", "10.244.1.6", 80)));
        start(Duration.ofHours(1));
        nodes();
        inputs.podRoutes(new java.util.TreeMap<>(Map.of(a, 7, IpAddress.parse("10.244.1.6"), 8)));
        inputs.ruleSet(withHolders(1, "10.244.1.5=uid-a", "10.244.1.6=uid-b"));
        firstApply();

        inputs.podRoutes(new java.util.TreeMap<>(Map.of(IpAddress.parse("10.244.1.6"), 8))); // a's CNI DEL
        eventually(() -> nft.appliedScripts().size() == 2, () -> nft.calls().toString());
        assertEquals("delete element inet palisade pods4 { 10.244.1.5 }\n", nft.appliedScripts().get(1));
        eventually(() -> !conntrack.holds("tcp 10.244.2.9 -> 10.244.1.5:80"), () -> conntrack.table.toString());
        assertTrue(conntrack.holds("tcp 10.244.2.9 -> 10.244.1.6:80"), "another pod's connection stays");

        inputs.ruleSet(withHolders(2, "10.244.1.5=uid-a", "10.244.1.6=uid-b", "10.244.1.7=uid-c"));
        eventually(() -> reports.contains("2/hash2"), reports::toString);
        assertFalse(nft.appliedScripts().get(2).contains("add element inet palisade pods4 { 10.244.1.5"),
                "still listed for the gone pod: still held: " + nft.appliedScripts().get(2));

        inputs.ruleSet(withHolders(3, "10.244.1.5=uid-new", "10.244.1.6=uid-b"));
        eventually(() -> reports.contains("3/hash3"), reports::toString);
        String last = nft.appliedScripts().get(nft.appliedScripts().size() - 1);
        assertTrue(last.contains("add element inet palisade pods4 { 10.244.1.5 }"), "listed for its new pod: " + last);
    }

    @Test
    void aRefusedTransactionKeepsTheLastGoodStateReportsAndRetriesWithAFullReplacement() throws Exception {
        start(Duration.ofHours(1));
        nodes();
        inputs.ruleSet(revision(1, "10.244.1.5"));
        firstApply();
        nft.failNext(1, "Error: Could not process rule: No buffer space available");
        inputs.ruleSet(revision(2, "10.244.1.5", "10.244.1.6"));
        eventually(() -> reports.contains("1/hash1 error"), reports::toString);
        eventually(() -> reports.contains("2/hash2"), reports::toString);
        List<String> scripts = nft.appliedScripts();
        assertEquals(2, scripts.size(), scripts.toString());
        assertTrue(scripts.get(1).contains("delete table inet palisade"), "after a failure, a full replacement");
        assertEquals(1.0, metrics.applyCount("incremental", "error"));
        assertTrue(nft.calls().stream().noneMatch(c -> c.text().startsWith("flush")), "never a flush");
    }

    @Test
    void aStopSendsNothing() throws Exception {
        start(Duration.ofHours(1));
        nodes();
        inputs.ruleSet(revision(1, "10.244.1.5"));
        firstApply();
        loop.close();
        assertEquals(1, nft.appliedScripts().size(), "the table stays: " + nft.appliedScripts());
    }

    @Test
    void anUninstallDeletesThePolicyTableAloneInOneLastTransaction() throws Exception {
        start(Duration.ofHours(1));
        nodes();
        inputs.ruleSet(revision(1, "10.244.1.5"));
        firstApply();
        assertTrue(loop.closeAndDeleteTable(DEADLINE));
        List<String> scripts = nft.appliedScripts();
        assertEquals(2, scripts.size(), scripts.toString());
        assertEquals("add table inet palisade\ndelete table inet palisade\n", scripts.get(1),
                "the last transaction deletes the policy table, and nothing else");
        assertTrue(nft.calls().stream().noneMatch(c -> c.text().startsWith("flush")), "never a flush");
    }

    @Test
    void driftFoundByVerificationIsRepairedWithTheLastAppliedTable() throws Exception {
        start(Duration.ofMillis(100));
        nodes();
        inputs.ruleSet(revision(1, "10.244.1.5"));
        firstApply();
        // someone deleted every set and chain of the table
        nft.setJsonState("{\"nftables\": [{\"table\": {\"family\": \"inet\", \"name\": \"palisade\", \"handle\": 1}}]}");
        eventually(() -> metrics.driftRepairCount() >= 1, metrics::text);
        String repair = nft.appliedScripts().get(1);
        assertEquals(nft.appliedScripts().get(0), repair);
    }

    @Test
    void anUnmovedGenerationSkipsTheReadBackAndAMovedOneReadsBack() throws Exception {
        long[] others = {100};
        generationSource = () -> others[0] + nft.appliedScripts().size(); // each commit moves it by one
        start(Duration.ofMillis(50));
        nodes();
        inputs.ruleSet(revision(1, "10.244.1.5"));
        firstApply();
        eventually(() -> unchangedVerifications() >= 3, metrics::text);
        assertEquals(0, listings(), "no read-back while only the agent's own commit moved the generation");
        others[0]++; // another program committed something in the namespace
        eventually(() -> listings() > 0, () -> nft.calls().toString());
    }

    private double unchangedVerifications() {
        String prefix = "palisade_agent_verify_total{result=\"unchanged\"} ";
        return metrics.text().lines().filter(l -> l.startsWith(prefix))
                .mapToDouble(l -> Double.parseDouble(l.substring(prefix.length()))).sum();
    }

    private long listings() {
        return nft.calls().stream().filter(c -> c.operation() == Nftables.Operation.LIST_JSON).count();
    }

    @Test
    void aNewRevisionWithTheSameTableIsReportedWithoutATransaction() throws Exception {
        start(Duration.ofHours(1));
        nodes();
        inputs.ruleSet(revision(1, "10.244.1.5"));
        firstApply();
        RuleSetRevision same = new RuleSetRevision(2, "hash2", revision(1, "10.244.1.5").rules());
        inputs.ruleSet(same);
        eventually(() -> reports.contains("2/hash2"), reports::toString);
        assertEquals(1, nft.appliedScripts().size());
    }

    static void eventually(BooleanSupplier condition, java.util.function.Supplier<String> seen) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within " + DEADLINE.toSeconds() + " s: " + seen.get());
            }
            Thread.sleep(10);
        }
    }
}
