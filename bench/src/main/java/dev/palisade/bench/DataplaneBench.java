package dev.palisade.bench;

import dev.palisade.dataplane.kernel.LibNftables;
import dev.palisade.dataplane.nft.Element;
import dev.palisade.dataplane.nft.NamedSet;
import dev.palisade.dataplane.nft.Table;
import dev.palisade.dataplane.nft.TableDelta;
import dev.palisade.dataplane.nft.Value;
import dev.palisade.dataplane.readback.Drift;
import dev.palisade.dataplane.render.NftRenderer;
import dev.palisade.dataplane.sync.ApplyResult;
import dev.palisade.dataplane.sync.TableSync;
import dev.palisade.dataplane.translate.RuleSetTranslator;
import dev.palisade.model.IpAddress;
import dev.palisade.model.IpRange;
import dev.palisade.model.Protocol;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;
import dev.palisade.ruleset.PeerSet;
import dev.palisade.ruleset.PortRange;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongSupplier;

/**
 * The dataplane benchmark: how long the kernel half of a policy change takes through the Java FFI
 * (libnftables via jnr-ffi, {@link TableSync}), on tables of 1,000, 10,000 and 100,000 set
 * elements, side by side with the same scripts through {@code nft -f -} as a subprocess. Prints
 * figures next to their targets; it is a program, not a timed test. It programs the nftables of
 * the network namespace it runs in: run it with {@code bench/dataplane.sh}, which makes a fresh one.
 *
 * <p>The synthetic node: 100 local pods, all isolated for ingress; N/10 policies each allowing 10
 * peer pods to one local pod on one TCP port (N exact elements), and one policy in a hundred also
 * allowing a /24 ipBlock on a port range (interval elements).
 */
public final class DataplaneBench {

    private static final double TARGET_PEER_P50_MS = 0.5;
    private static final double TARGET_PEER_P99_MS = 5.0;
    private static final double TARGET_P99_GROWTH = 2.0;
    private static final double TARGET_POLICY_P99_MS = 10.0;
    private static final double TARGET_COLD_SYNC_S = 2.0;
    private static final int LOCAL_PODS = 100;
    private static final int PEERS_PER_POLICY = 10;

    /** CPU time of the calling thread, including its time in libnftables and in the kernel's netlink handling. */
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    private final Map<String, String> options;
    private final LibNftables nft = LibNftables.open();
    private final List<String[]> verdicts = new ArrayList<>();

    private DataplaneBench(Map<String, String> options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new HashMap<>(Map.of("sizes", "1000,10000,100000", "ops", "500",
                "policyOps", "200", "warmup", "50", "syncRuns", "5", "subprocessOps", "0"));
        for (String a : args) {
            if (!a.startsWith("--") || !a.contains("=") || !options.containsKey(a.substring(2, a.indexOf('=')))) {
                System.err.println("usage: DataplaneBench [--" + String.join("=.. [--", new TreeMap<>(options).keySet()) + "=..]");
                System.exit(2);
            }
            options.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
        }
        System.exit(new DataplaneBench(options).run());
    }

    private int num(String key) {
        return Integer.parseInt(options.get(key));
    }

    private int run() throws Exception {
        int[] sizes = Arrays.stream(options.get("sizes").split(",")).mapToInt(Integer::parseInt).toArray();
        int largest = Arrays.stream(sizes).max().orElseThrow();
        System.out.printf(Locale.ROOT, "palisade dataplane benchmark  (java %s, %d cpus, %s, %s)%n",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), kernel(), nftVersion());
        System.out.println("network namespace: " + readLink("/proc/self/ns/net") + ", tables at start: "
                + nft.list("list tables").strip().replace('\n', ' '));
        System.out.println("load average at start: " + loadAverage());
        System.out.println();

        // first, before any JIT warm-up: what a freshly started agent pays
        coldFullSync(largest, true);

        Map<Integer, double[]> peerFfi = new TreeMap<>();
        for (int size : sizes) {
            peerFfi.put(size, membershipOps(size));
        }
        double[] p1k = peerFfi.get(Arrays.stream(sizes).min().orElseThrow());
        double[] pMax = peerFfi.get(largest);
        verdict(String.format(Locale.ROOT, "peer p99 at %,d <= %.0fx p99 at %,d", largest, TARGET_P99_GROWTH,
                        Arrays.stream(sizes).min().orElseThrow()),
                String.format(Locale.ROOT, "%.3f / %.3f ms = %.2fx", pMax[1], p1k[1], pMax[1] / p1k[1]),
                pMax[1] <= TARGET_P99_GROWTH * p1k[1]);

        System.out.println();
        coldFullSync(largest, false);

        System.out.println();
        System.out.println("targets (wall time of the kernel transaction through the FFI; CPU time of the calling thread"
                + " beside it, which other load on the machine does not inflate):");
        System.out.printf(Locale.ROOT, "  %-52s  %-32s  %s%n", "target", "measured", "");
        boolean all = true;
        for (String[] v : verdicts) {
            System.out.printf(Locale.ROOT, "  %-52s  %-32s  %s%n", v[0], v[1], v[2]);
            all &= v[2].equals("MET");
        }
        System.out.println(all ? "all targets MET" : "some targets MISSED");
        System.out.println("load average at end: " + loadAverage());
        return 0;
    }

    /** A full replacement of a table of {@code size} elements into a namespace without one. */
    private void coldFullSync(int size, boolean first) {
        NodeRuleSet rules = ruleSet(size, 1);
        int runs = first ? 1 : num("syncRuns");
        long[] total = new long[runs];
        long[] translate = new long[runs];
        long[] kernel = new long[runs];
        long[] subprocess = new long[runs];
        long[] cpu = new long[runs];
        Table table = null;
        for (int r = 0; r < runs; r++) {
            deleteTable();
            long c0 = THREADS.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            table = RuleSetTranslator.translate(rules);
            long t1 = System.nanoTime();
            ApplyResult result = new TableSync(nft).apply(table);
            total[r] = System.nanoTime() - t0;
            cpu[r] = THREADS.getCurrentThreadCpuTime() - c0;
            translate[r] = t1 - t0;
            kernel[r] = result.kernelTime().toNanos();
            if (!first) {
                deleteTable();
                String script = NftRenderer.replaceScript(table);
                subprocess[r] = timeSubprocess(script);
            }
        }
        String label = String.format(Locale.ROOT, "cold full sync, %,d policies, %,d elements", size / PEERS_PER_POLICY,
                table.elementCount());
        if (first) {
            System.out.printf(Locale.ROOT, "%s, first thing in a fresh JVM: %.0f ms (translate %.0f ms, render + kernel %.0f ms,"
                    + " kernel %.0f ms); CPU time of the thread %.0f ms%n", label, total[0] / 1e6, translate[0] / 1e6,
                    (total[0] - translate[0]) / 1e6, kernel[0] / 1e6, cpu[0] / 1e6);
            verdict(String.format(Locale.ROOT, "cold full sync %,d elements <= %.0f s (fresh JVM)", table.elementCount(),
                    TARGET_COLD_SYNC_S), String.format(Locale.ROOT, "%.3f s (CPU %.3f)", total[0] / 1e9, cpu[0] / 1e9),
                    total[0] / 1e9 <= TARGET_COLD_SYNC_S);
            return;
        }
        Arrays.sort(total);
        Arrays.sort(kernel);
        Arrays.sort(translate);
        Arrays.sort(subprocess);
        Arrays.sort(cpu);
        System.out.printf(Locale.ROOT, "%s, %d runs, median (max): total %.0f ms (%.0f), CPU time %.0f ms, translate %.0f ms,"
                        + " kernel through FFI %.0f ms (%.0f); same script via nft -f: %.0f ms (%.0f); FFI/subprocess %.2f%n",
                label, runs, median(total) / 1e6, total[runs - 1] / 1e6, median(cpu) / 1e6, median(translate) / 1e6,
                median(kernel) / 1e6, kernel[runs - 1] / 1e6, median(subprocess) / 1e6, subprocess[runs - 1] / 1e6,
                median(kernel) / median(subprocess));
        verdict(String.format(Locale.ROOT, "cold full sync %,d elements <= %.0f s (warm, max)", table.elementCount(),
                TARGET_COLD_SYNC_S), String.format(Locale.ROOT, "%.3f s (CPU %.3f)", total[runs - 1] / 1e9,
                cpu[runs - 1] / 1e9), total[runs - 1] / 1e9 <= TARGET_COLD_SYNC_S);
        // and the read-back that verify() does, at this size
        TableSync sync = new TableSync(nft);
        sync.apply(table);
        StringBuilder times = new StringBuilder();
        Drift drift = null;
        for (int r = 0; r < 3; r++) {
            long c0 = THREADS.getCurrentThreadCpuTime();
            long v0 = System.nanoTime();
            drift = sync.verify();
            times.append(r == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.0f ms (CPU %.0f ms)",
                    (System.nanoTime() - v0) / 1e6, (THREADS.getCurrentThreadCpuTime() - c0) / 1e6));
        }
        System.out.printf(Locale.ROOT, "verify (list as JSON, parse, compare) at %,d elements, 3 runs: %s; %s%n",
                table.elementCount(), times, drift.summary());
    }

    /** Peer and policy changes at one table size; returns the FFI peer {p50, p99} in ms. */
    private double[] membershipOps(int size) {
        System.out.printf(Locale.ROOT, "== table of %,d elements ==%n", size);
        Table base = RuleSetTranslator.translate(ruleSet(size, 1));
        deleteTable();
        TableSync sync = new TableSync(nft);
        sync.apply(base);
        NamedSet port = base.set("in_port4").orElseThrow();

        // one peer IP added to (even ops) or removed from (odd ops) one policy: one element
        int ops = num("ops") + num("warmup");
        List<List<Element>> peerChanges = new ArrayList<>();
        for (int i = 0; i < ops; i += 2) {
            peerChanges.add(List.of(Element.of(address(localPod(i)), address(extraPeer(i)), new Value.Proto(6),
                    new Value.Port(8000, 8000))));
        }
        Series peer = measure(sync, port.name(), peerChanges, num("warmup"));
        peer.print("one peer IP added or removed (1 element)");
        verdict(String.format(Locale.ROOT, "peer p50 <= %.1f ms at %,d", TARGET_PEER_P50_MS, size),
                String.format(Locale.ROOT, "%.3f ms (CPU %.3f)", peer.ffi[0], peer.ffiCpu[0]), peer.ffi[0] <= TARGET_PEER_P50_MS);
        verdict(String.format(Locale.ROOT, "peer p99 <= %.0f ms at %,d", TARGET_PEER_P99_MS, size),
                String.format(Locale.ROOT, "%.3f ms (CPU %.3f)", peer.ffi[1], peer.ffiCpu[1]), peer.ffi[1] <= TARGET_PEER_P99_MS);

        // one new policy allowing 100 peers to one local pod, then its removal: 100 elements
        int policyOps = num("policyOps") + num("warmup");
        List<List<Element>> policyChanges = new ArrayList<>();
        for (int i = 0; i < policyOps; i += 2) {
            List<Element> added = new ArrayList<>();
            for (int p = 0; p < 100; p++) {
                added.add(Element.of(address(localPod(i)), address(extraPeer(i * 100 + p)), new Value.Proto(6),
                        new Value.Port(9000, 9000)));
            }
            policyChanges.add(added);
        }
        Series policy = measure(sync, port.name(), policyChanges, num("warmup"));
        policy.print("one policy of 100 peers added or removed");
        verdict(String.format(Locale.ROOT, "policy of 100 peers p99 <= %.0f ms at %,d", TARGET_POLICY_P99_MS, size),
                String.format(Locale.ROOT, "%.3f ms (CPU %.3f)", policy.ffi[1], policy.ffiCpu[1]),
                policy.ffi[1] <= TARGET_POLICY_P99_MS);
        System.out.println();
        return peer.ffi;
    }

    /** Percentiles {p50, p99} in ms of three measurements of the same operations. */
    private record Series(double[] ffi, double[] ffiCpu, double[] apply, double[] applyCpu, double[] subprocess, int n) {
        void print(String what) {
            System.out.printf(Locale.ROOT, "  %-42s n=%d%n", what, n);
            System.out.printf(Locale.ROOT, "    %-40s p50 %8.3f ms  p99 %8.3f ms%n", "FFI transaction (LibNftables.run)", ffi[0], ffi[1]);
            System.out.printf(Locale.ROOT, "    %-40s p50 %8.3f ms  p99 %8.3f ms%n", "  its CPU time (user+sys, this thread)", ffiCpu[0],
                    ffiCpu[1]);
            System.out.printf(Locale.ROOT, "    %-40s p50 %8.3f ms  p99 %8.3f ms%n", "same scripts, nft -f - subprocess",
                    subprocess[0], subprocess[1]);
            System.out.printf(Locale.ROOT, "    %-40s p50 %8.3f     p99 %8.3f%n", "ratio FFI/subprocess", ffi[0] / subprocess[0],
                    ffi[1] / subprocess[1]);
            System.out.printf(Locale.ROOT, "    %-40s p50 %8.3f ms  p99 %8.3f ms%n", "TableSync.apply (diff+render+FFI)", apply[0],
                    apply[1]);
            System.out.printf(Locale.ROOT, "    %-40s p50 %8.3f ms  p99 %8.3f ms%n", "  its CPU time (user+sys, this thread)",
                    applyCpu[0], applyCpu[1]);
        }
    }

    /**
     * Each change is applied, then undone: operation 2k adds {@code changes[k]} to {@code set},
     * operation 2k+1 removes it again. Three passes over these operations, each taking the kernel
     * through the same states and back to where it began:
     * <ol>
     *   <li>FFI: the delta scripts, rendered beforehand, each one {@code LibNftables.run}: the
     *   kernel transaction through the Java FFI, which the targets are about;</li>
     *   <li>subprocess: the same scripts, each one {@code nft -f -} process;</li>
     *   <li>apply: the tables through {@link TableSync#apply}: the diff against the last applied
     *   table, the rendering and the FFI transaction, as the agent pays them (building each
     *   desired table is not counted).</li>
     * </ol>
     * The first {@code warmup} operations of each pass are not counted.
     */
    private Series measure(TableSync sync, String set, List<List<Element>> changes, int warmup) {
        Table base = sync.lastApplied().orElseThrow();
        List<String> scripts = new ArrayList<>();
        for (List<Element> change : changes) {
            SortedSet<Element> none = new TreeSet<>();
            SortedSet<Element> elements = new TreeSet<>(change);
            scripts.add(NftRenderer.deltaScript(base, new TableDelta(List.of(new TableDelta.SetChange(set, none, elements)))));
            scripts.add(NftRenderer.deltaScript(base, new TableDelta(List.of(new TableDelta.SetChange(set, elements, none)))));
        }
        System.gc();
        long[] ffi = new long[scripts.size() - warmup];
        long[] ffiCpu = new long[scripts.size() - warmup];
        for (int i = 0; i < scripts.size(); i++) {
            String script = scripts.get(i);
            long c0 = THREADS.getCurrentThreadCpuTime();
            long t = time(() -> {
                nft.run(script);
                return 0L;
            });
            long c = THREADS.getCurrentThreadCpuTime() - c0;
            if (i >= warmup) {
                ffi[i - warmup] = t;
                ffiCpu[i - warmup] = c;
            }
        }
        int subOps = num("subprocessOps") > 0 ? Math.min(num("subprocessOps"), scripts.size()) : scripts.size();
        subOps -= subOps % 2;
        int skip = Math.min(warmup, subOps / 2);
        long[] sub = new long[subOps - skip];
        for (int i = 0; i < subOps; i++) {
            long t = timeSubprocess(scripts.get(i));
            if (i >= skip) {
                sub[i - skip] = t;
            }
        }
        System.gc();
        NamedSet baseSet = base.set(set).orElseThrow();
        long[] apply = new long[scripts.size() - warmup];
        long[] applyCpu = new long[scripts.size() - warmup];
        for (int i = 0; i < scripts.size(); i++) {
            Table next = i % 2 == 0 ? with(base, baseSet, changes.get(i / 2)) : base;
            long c0 = THREADS.getCurrentThreadCpuTime();
            ApplyResult r = sync.apply(next);
            long c = THREADS.getCurrentThreadCpuTime() - c0;
            if (r.mode() != ApplyResult.Mode.INCREMENTAL) {
                throw new IllegalStateException("expected an incremental apply, got " + r);
            }
            if (i >= warmup) {
                apply[i - warmup] = r.duration().toNanos();
                applyCpu[i - warmup] = c;
            }
        }
        return new Series(pcts(ffi), pcts(ffiCpu), pcts(apply), pcts(applyCpu), pcts(sub), ffi.length);
    }

    private static Table with(Table base, NamedSet set, List<Element> added) {
        SortedSet<Element> elements = new TreeSet<>(set.elements());
        elements.addAll(added);
        NamedSet changed = set.withElements(elements);
        List<NamedSet> sets = base.sets().stream().map(s -> s.name().equals(set.name()) ? changed : s).toList();
        return new Table(base.family(), base.name(), base.comment(), sets, base.chains());
    }

    /** 100 local pods; size/10 policies of 10 distinct peers each on one TCP port; 1 % also an ipBlock on a range. */
    static NodeRuleSet ruleSet(int size, int seed) {
        TreeSet<IpAddress> local = new TreeSet<>();
        for (int i = 0; i < LOCAL_PODS; i++) {
            local.add(localPod(i));
        }
        List<Grant> grants = new ArrayList<>();
        int policies = size / PEERS_PER_POLICY;
        for (int g = 0; g < policies; g++) {
            TreeSet<IpAddress> peers = new TreeSet<>();
            for (int p = 0; p < PEERS_PER_POLICY; p++) {
                peers.add(peer(g * PEERS_PER_POLICY + p));
            }
            List<IpRange> ranges = g % 100 == 0
                    ? List.of(new IpRange(IpAddress.parse("172.16." + (g / 100 % 256) + ".0"),
                    IpAddress.parse("172.16." + (g / 100 % 256) + ".255")))
                    : List.of();
            List<PortRange> ports = g % 100 == 0
                    ? List.of(new PortRange(Protocol.TCP, 8000 + g % 50, 8000 + g % 50), new PortRange(Protocol.TCP, 30000, 30100))
                    : List.of(new PortRange(Protocol.TCP, 8000 + g % 50, 8000 + g % 50));
            grants.add(new Grant("bench/p" + g, 0, new TreeSet<>(List.of(localPod(g * seed))),
                    new PeerSet(false, peers, ranges), ports));
        }
        return new NodeRuleSet("bench-node", local, new DirectionRules(local, grants), DirectionRules.NONE);
    }

    private static IpAddress localPod(int i) {
        int n = Math.floorMod(i, LOCAL_PODS);
        return IpAddress.parse("10.0.0." + (n + 1));
    }

    /** Distinct peer addresses in 10.64.0.0/10. */
    private static IpAddress peer(int i) {
        return v4(0x0A400000 + i);
    }

    /** Addresses no synthetic policy uses, in 10.192.0.0/10. */
    private static IpAddress extraPeer(int i) {
        return v4(0x0AC00000 + i);
    }

    private static IpAddress v4(int value) {
        return IpAddress.parse(((value >>> 24) & 255) + "." + ((value >>> 16) & 255) + "." + ((value >>> 8) & 255) + "."
                + (value & 255));
    }

    private static Value address(IpAddress a) {
        return new Value.Address(IpRange.of(a));
    }

    private void deleteTable() {
        nft.run("add table inet palisade\ndelete table inet palisade\n"); // the benchmark's reset, never the agent's
    }

    /** One {@code nft -f -} process fed {@code script}: from start to exit. */
    private static long timeSubprocess(String script) {
        return time(() -> {
            try {
                Process p = new ProcessBuilder("nft", "-f", "-").redirectErrorStream(true).start();
                try (OutputStream in = p.getOutputStream()) {
                    in.write(script.getBytes(StandardCharsets.UTF_8));
                }
                byte[] out = p.getInputStream().readAllBytes();
                int rc = p.waitFor();
                if (rc != 0) {
                    throw new IllegalStateException("nft -f - exited with " + rc + ": " + new String(out, StandardCharsets.UTF_8));
                }
                return 0L;
            } catch (IOException e) {
                throw new IllegalStateException("cannot run nft", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });
    }

    private static long time(LongSupplier action) {
        long t0 = System.nanoTime();
        action.getAsLong();
        return System.nanoTime() - t0;
    }

    private void verdict(String target, String measured, boolean met) {
        verdicts.add(new String[] {target, measured, met ? "MET" : "MISSED"});
    }

    private static double[] pcts(long[] nanos) {
        if (nanos.length == 0) {
            return new double[] {Double.NaN, Double.NaN};
        }
        long[] s = nanos.clone();
        Arrays.sort(s);
        return new double[] {percentile(s, 50) / 1e6, percentile(s, 99) / 1e6};
    }

    /** Nearest-rank percentile of sorted values. */
    private static long percentile(long[] sorted, int p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static double median(long[] sorted) {
        return percentile(sorted, 50);
    }

    private static String kernel() {
        try {
            return "linux " + new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/sys/kernel/osrelease")),
                    StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "linux ?";
        }
    }

    private static String nftVersion() {
        try {
            Process p = new ProcessBuilder("nft", "--version").redirectErrorStream(true).start();
            String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            p.waitFor();
            return v;
        } catch (IOException e) {
            return "nft ?";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "nft ?";
        }
    }

    private static String readLink(String path) {
        try {
            return java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of(path)).toString();
        } catch (IOException e) {
            return "?";
        }
    }

    private static String loadAverage() {
        try {
            return new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/loadavg")),
                    StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "?";
        }
    }
}
