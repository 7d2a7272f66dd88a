package dev.palisade.dataplane.sync;

import static dev.palisade.compiler.Manifests.egressPolicy;
import static dev.palisade.compiler.Manifests.ingressPolicy;
import static dev.palisade.compiler.Manifests.ipBlock;
import static dev.palisade.compiler.Manifests.named;
import static dev.palisade.compiler.Manifests.namespace;
import static dev.palisade.compiler.Manifests.node;
import static dev.palisade.compiler.Manifests.peers;
import static dev.palisade.compiler.Manifests.pod;
import static dev.palisade.compiler.Manifests.pods;
import static dev.palisade.compiler.Manifests.port;
import static dev.palisade.compiler.Manifests.range;
import static dev.palisade.compiler.Manifests.rule;
import static dev.palisade.compiler.Manifests.selector;
import static dev.palisade.compiler.Manifests.tcp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.compiler.ClusterIndex;
import dev.palisade.compiler.PolicyCompiler;
import dev.palisade.dataplane.kernel.LibNftables;
import dev.palisade.dataplane.kernel.NetnsThread;
import dev.palisade.dataplane.kernel.NftablesException;
import dev.palisade.dataplane.kernel.TestNetns;
import dev.palisade.dataplane.nft.Table;
import dev.palisade.dataplane.readback.Drift;
import dev.palisade.dataplane.readback.Drift.Kind;
import dev.palisade.dataplane.render.NftRenderer;
import dev.palisade.dataplane.sync.ApplyResult.Mode;
import dev.palisade.dataplane.sync.ApplyResult.Reason;
import dev.palisade.dataplane.translate.RuleSetTranslator;
import dev.palisade.model.Cluster;
import dev.palisade.model.NetworkPolicy;
import dev.palisade.model.Pod;
import dev.palisade.model.Protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link TableSync} against the real kernel, in a network namespace of its own: what it applies is
 * what the kernel lists, deltas leave exactly the new elements, and the kernel's table is repaired
 * after the hand edits an operator might make with the nft command.
 */
@Tag("kernel")
class TableSyncKernelTest {

    private static TestNetns netns;
    private static NetnsThread inNetns;
    private static LibNftables nft;

    private TableSync sync;

    @BeforeAll
    static void enterFreshNamespace() {
        assumeTrue(TestNetns.runningAsRoot(), "kernel tests need root");
        netns = TestNetns.create();
        inNetns = NetnsThread.enter(netns.name());
        nft = inNetns.call(LibNftables::open);
    }

    @AfterAll
    static void deleteNamespace() {
        try {
            if (nft != null) {
                inNetns.run(nft::close);
            }
        } finally {
            try {
                if (inNetns != null) {
                    inNetns.close();
                }
            } finally {
                if (netns != null) {
                    netns.close();
                }
            }
        }
    }

    @BeforeEach
    void startWithoutATable() {
        inNetns.run(() -> nft.run("add table inet palisade\ndelete table inet palisade\n"));
        sync = new TableSync(nft);
    }

    @Test
    void theKernelListsWhatWasRenderedForACompiledRuleSet() {
        Table table = RuleSetTranslator.translate(compile(policies(), clients(5)));

        ApplyResult r = call(() -> sync.apply(table));

        assertEquals(Mode.FULL, r.mode());
        assertEquals(NftListing.normalise(NftRenderer.table(table)), NftListing.normalise(list()));
        assertEquals(Drift.NONE, call(sync::verify));
        List<String> empty = table.sets().stream().filter(set -> set.elements().isEmpty()).map(set -> set.name()).toList();
        assertEquals(List.of(), empty, "the rule set should fill every kind of set");
    }

    /**
     * Kubernetes node names may be 253 characters; the table's comment names the node, and nft refuses
     * a comment over 128 bytes, so before the model shortened it such a node was never programmed.
     */
    @Test
    void aNodeWithTheLongestNameKubernetesAllowsGetsItsTable() {
        String node = "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(61);
        assertEquals(253, node.length());
        dev.palisade.ruleset.NodeRuleSet compiled = compile(policies(), clients(5));
        Table table = RuleSetTranslator.translate(new dev.palisade.ruleset.NodeRuleSet(node, compiled.localPods(),
                compiled.ingress(), compiled.egress()));

        ApplyResult r = call(() -> sync.apply(table));

        assertEquals(Mode.FULL, r.mode());
        assertEquals(NftListing.normalise(NftRenderer.table(table)), NftListing.normalise(list()));
        assertTrue(list().contains("comment \"" + table.comment() + "\""), list());
        assertTrue(table.comment().startsWith("palisade: policy for node " + "a".repeat(63) + "."), table.comment());
        assertEquals(Drift.NONE, call(sync::verify));
        // the control: the comment with the whole name is what the kernel refused
        NftablesException refused = assertThrows(NftablesException.class, () -> call(() -> {
            nft.run("add table inet palisade-long { comment \"palisade: policy for node " + node + "\" }\n");
            return null;
        }));
        assertTrue(refused.getMessage().contains("comment too long"), refused.getMessage());
    }

    @Test
    void incrementalChangesLeaveExactlyTheNewElements() {
        SplittableRandom random = new SplittableRandom(7);
        List<Pod> clients = clients(20);
        call(() -> sync.apply(RuleSetTranslator.translate(compile(policies(), clients))));
        int changed = 0;
        int incremental = 0;

        for (int step = 0; step < 25; step++) {
            List<Pod> relabelled = new ArrayList<>();
            for (Pod c : clients) {
                boolean allowed = random.nextInt(3) == 0;
                relabelled.add(pod(c.key(), c.nodeName(), "app=client" + (allowed ? ",allowed=yes" : ""),
                        c.ips().get(0) + "," + c.ips().get(1), ""));
            }
            List<NetworkPolicy> policies = new ArrayList<>(policies());
            // re-cut interval boxes too: an except that moves splits the range differently
            int hole = random.nextInt(256);
            policies.add(ingressPolicy("prod/backup", selector("app=db"),
                    rule(peers(ipBlock("10.9.0.0/16", "10.9." + hole + ".0/24")), range(Protocol.TCP, 9000, 9100))));
            Table desired = RuleSetTranslator.translate(compile(policies, relabelled));

            ApplyResult r = call(() -> sync.apply(desired));

            assertTrue(r.mode() != Mode.FULL, "step " + step + ": " + r);
            changed += r.elementsChanged();
            incremental += r.mode() == Mode.INCREMENTAL ? 1 : 0;
            assertEquals(Drift.NONE, call(sync::verify), "step " + step);
            assertEquals(desired.set("in_port4").orElseThrow().elements(),
                    call(() -> sync.read("inet", "palisade")).orElseThrow().set("in_port4").orElseThrow().elements());
        }
        assertTrue(incremental >= 20 && changed > 100, incremental + " incremental steps changed " + changed + " elements");
    }

    @Test
    void repairsAFlushedTable() {
        Table table = applyCompiled();
        nftCommand("flush table inet palisade");

        Drift drift = call(sync::verify);

        // "flush table" empties every chain and leaves the sets
        assertEquals(java.util.Collections.nCopies(table.chains().size(), Kind.RULES), kinds(drift));
        assertRepaired(table);
    }

    @Test
    void repairsADeletedSet() {
        Table table = applyCompiled();
        // nft refuses to delete a set a rule still uses: first empty the chain that looks it up
        nftCommand("flush chain inet palisade ingress4");
        nftCommand("delete set inet palisade in_port4");

        Drift drift = call(sync::verify);

        assertEquals(List.of("set in_port4: not in the kernel",
                        "chain ingress4: rule 1 is nothing, expected \"ip daddr . ip saddr @in_any4 accept\" (0 rules, expected 5)"),
                drift.differences().stream().map(Drift.Difference::toString).toList());
        assertRepaired(table);
    }

    @Test
    void repairsAHandAddedRule() {
        Table table = applyCompiled();
        nftCommand("insert rule inet palisade forward ip saddr 10.0.2.20 accept");

        Drift drift = call(sync::verify);

        assertEquals(List.of(Kind.RULES), kinds(drift));
        assertTrue(drift.summary().contains("chain forward: rule 1 is a rule outside Palisade's model"), drift.summary());
        assertRepaired(table);
    }

    @Test
    void repairsHandEditedElements() {
        Table table = applyCompiled();
        nftCommand("add element inet palisade in_any4 { 10.0.1.11 . 10.66.0.1 }");
        nftCommand("delete element inet palisade in_iso4 { 10.0.1.11 }");

        Drift drift = call(sync::verify);

        assertEquals(List.of("set in_iso4: 1 element missing (10.0.1.11)", "set in_any4: 1 element not ours (10.0.1.11 . 10.66.0.1)"),
                drift.differences().stream().map(Drift.Difference::toString).toList());
        assertRepaired(table);
    }

    @Test
    void repairsADeletedTable() {
        Table table = applyCompiled();
        nftCommand("delete table inet palisade");

        assertEquals(List.of(Kind.TABLE_MISSING), kinds(call(sync::verify)));
        assertRepaired(table);
    }

    @Test
    void aRestartedAgentReplacesItsPredecessorsTableInOneTransaction() {
        Table before = applyCompiled();
        TableSync restarted = new TableSync(nft);
        Table after = RuleSetTranslator.translate(compile(policies().subList(0, 1), clients(3)));

        assertEquals(before.elementCount(), call(() -> restarted.read("inet", "palisade")).orElseThrow().elementCount());
        ApplyResult r = call(() -> restarted.apply(after));

        assertEquals(Mode.FULL, r.mode());
        assertEquals(Reason.FIRST_APPLY, r.reason());
        assertEquals(Drift.NONE, call(restarted::verify));
        assertEquals("table inet palisade\n", call(() -> nft.list("list tables")));
    }

    @Test
    void aDeltaAgainstADriftedKernelFailsWholeAndTheRetryReplacesTheTable() {
        List<Pod> clients = clients(4);
        call(() -> sync.apply(RuleSetTranslator.translate(compile(policies(), clients))));
        // someone deletes an element the next delta deletes too: that delete fails in the kernel
        nftCommand("delete element inet palisade in_port4 { 10.0.1.11 . 10.0.2.100 . tcp . 5432 }");
        String drifted = list();
        Table desired = RuleSetTranslator.translate(compile(policies(), clients.subList(1, 4)));

        ApplyException e = assertThrows(ApplyException.class, () -> call(() -> sync.apply(desired)));

        assertEquals(Mode.INCREMENTAL, e.mode());
        assertTrue(e.nftError().errors().get(0).message().contains("No such file or directory"), e.getMessage());
        assertEquals(drifted, list(), "a failed transaction changes nothing, not even its first commands");
        ApplyResult retry = call(() -> sync.apply(desired));
        assertEquals(Mode.FULL, retry.mode());
        assertEquals(Reason.AFTER_FAILURE, retry.reason());
        assertEquals(Drift.NONE, call(sync::verify));
    }

    private Table applyCompiled() {
        Table table = RuleSetTranslator.translate(compile(policies(), clients(5)));
        call(() -> sync.apply(table));
        assertEquals(Drift.NONE, call(sync::verify));
        return table;
    }

    private void assertRepaired(Table table) {
        ApplyResult r = call(sync::repair);

        assertEquals(Mode.FULL, r.mode());
        assertEquals(Reason.REPAIR, r.reason());
        assertEquals(Drift.NONE, call(sync::verify));
        assertEquals(NftListing.normalise(NftRenderer.table(table)), NftListing.normalise(list()));
        assertEquals(Mode.NOOP, call(() -> sync.apply(table)).mode());
    }

    /**
     * prod/web and prod/db on n1 (dual stack); clients on n2. Every kind of set gets elements: exact
     * ports, endPort ranges, ipBlocks with except, named ports, every-port peers, egress.
     */
    private static List<NetworkPolicy> policies() {
        return List.of(
                ingressPolicy("prod/db", selector("app=db"),
                        rule(peers(pods(selector("app=client"))), tcp(5432)),
                        rule(peers(ipBlock("10.8.0.0/16", "10.8.1.0/24")), range(Protocol.TCP, 5432, 5440)),
                        rule(peers(pods(selector("app=web")))),
                        rule(peers(pods(selector("allowed=yes"))), port(Protocol.UDP, 53))),
                ingressPolicy("prod/web", selector("app=web"),
                        rule(peers(pods(selector("app=client"))), named(Protocol.TCP, "http")),
                        rule(peers(ipBlock("192.168.0.0/24"), ipBlock("fd00:99::/64"))),
                        rule(peers(ipBlock("fd00:98::/64", "fd00:98::/80")), range(Protocol.TCP, 8000, 8100))),
                egressPolicy("prod/db-egress", selector("app=db"),
                        rule(peers(pods(selector("app=web")))),
                        rule(peers(pods(selector("app=client"))), tcp(443)),
                        rule(peers(ipBlock("10.10.0.0/16"), ipBlock("fd00:10::/64"))),
                        rule(peers(ipBlock("0.0.0.0/0"), ipBlock("::/0")), port(Protocol.UDP, 53))));
    }

    private static List<Pod> clients(int n) {
        List<Pod> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(pod("prod/client-" + i, "n2", "app=client", "10.0.2." + (100 + i) + ",fd00:2::" + (100 + i), ""));
        }
        return out;
    }

    private static dev.palisade.ruleset.NodeRuleSet compile(List<NetworkPolicy> policies, List<Pod> clients) {
        List<Pod> pods = new ArrayList<>(clients);
        pods.add(pod("prod/web", "n1", "app=web", "10.0.1.10,fd00:1::10", "http/TCP/8080"));
        pods.add(pod("prod/db", "n1", "app=db", "10.0.1.11,fd00:1::11", ""));
        Cluster cluster = new Cluster(List.of(namespace("prod", "")), List.of(node("n1", "10.0.0.1"), node("n2", "10.0.0.2")),
                pods, policies);
        return new PolicyCompiler(new ClusterIndex(cluster)).compileNode("n1");
    }

    private static List<Kind> kinds(Drift d) {
        return d.differences().stream().map(Drift.Difference::kind).toList();
    }

    /** As a person at the node would: the nft command, in the test's namespace. */
    private static void nftCommand(String command) {
        netns.execInside("nft", command);
    }

    private static String list() {
        return call(() -> nft.list("list table inet palisade"));
    }

    private static <T> T call(Callable<T> task) {
        return inNetns.call(task);
    }
}
