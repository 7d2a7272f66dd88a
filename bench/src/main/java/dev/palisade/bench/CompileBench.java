package dev.palisade.bench;

import dev.palisade.compiler.ClusterIndex;
import dev.palisade.compiler.IncrementalCompiler;
import dev.palisade.compiler.PolicyCompiler;
import dev.palisade.dataplane.nft.NamedSet;
import dev.palisade.dataplane.nft.Table;
import dev.palisade.dataplane.render.NftRenderer;
import dev.palisade.dataplane.translate.RuleSetTranslator;
import dev.palisade.model.Cluster;
import dev.palisade.model.Pod;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.SortedSet;
import java.util.TreeMap;

/**
 * The compile benchmark: full compile time and heap of a large synthetic cluster, the time to
 * recompute after one pod's labels change, and translate + render of the largest node. Prints
 * its figures next to their targets; it is a program, not a timed test. Run it with
 * {@code bench/compile.sh} (which sets the heap) and see bench/README.md.
 */
public final class CompileBench {

    private static final double TARGET_FULL_SECONDS = 3.0;
    private static final long TARGET_HEAP_BYTES = 1_300_000_000L;
    private static final double TARGET_INCREMENTAL_P99_MS = 10.0;

    private final Map<String, String> options;

    private CompileBench(Map<String, String> options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new HashMap<>(Map.of(
                "namespaces", "25000", "pods", "100000", "policies", "75000", "nodes", "5000", "seed", "42",
                "warmup", "1", "runs", "3", "samples", "100", "verify", "2"));
        options.put("histogram", "false");
        options.put("breakdown", "false");
        for (String a : args) {
            if (!a.startsWith("--") || !a.contains("=") || !options.containsKey(a.substring(2, a.indexOf('=')))) {
                System.err.println("usage: CompileBench [--" + String.join("=N] [--", new TreeMap<>(options).keySet()) + "=N]");
                System.exit(2);
            }
            options.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
        }
        System.exit(new CompileBench(options).run());
    }

    private int num(String key) {
        return Integer.parseInt(options.get(key));
    }

    private int run() throws Exception {
        Runtime rt = Runtime.getRuntime();
        System.out.printf(Locale.ROOT, "palisade compile benchmark  (java %s, %d cpus, max heap %.1f GiB, %s)%n",
                System.getProperty("java.version"), rt.availableProcessors(), rt.maxMemory() / (double) (1L << 30),
                ManagementFactory.getRuntimeMXBean().getInputArguments());
        System.out.println("load average at start: " + loadAverage());

        long before = usedHeapAfterGc();
        long t0 = System.nanoTime();
        Cluster cluster = new SyntheticCluster(num("namespaces"), num("pods"), num("policies"), num("nodes"),
                Long.parseLong(options.get("seed"))).generate();
        long genNanos = System.nanoTime() - t0;
        long withCluster = usedHeapAfterGc();
        System.out.printf(Locale.ROOT, "input: %,d namespaces, %,d pods, %,d policies, %,d nodes (seed %s, generated in %.1f s)%n",
                cluster.namespaces().size(), cluster.pods().size(), cluster.policies().size(), cluster.nodes().size(),
                options.get("seed"), genNanos / 1e9);
        System.out.println("policy mix: " + SyntheticCluster.policyMix(cluster));

        // (a) full compile: index build + compileAll, as the operator does on a fresh snapshot
        int warmup = num("warmup");
        int runs = num("runs");
        long[] total = new long[runs];
        long[] indexOnly = new long[runs];
        long[] cpu = new long[runs];
        Map<String, NodeRuleSet> result = null;
        ClusterIndex index = null;
        for (int i = -warmup; i < runs; i++) {
            result = null;
            index = null;
            long c0 = processCpuNanos();
            long s = System.nanoTime();
            index = new ClusterIndex(cluster);
            long m = System.nanoTime();
            result = new PolicyCompiler(index).compileAll();
            long e = System.nanoTime();
            if (i >= 0) {
                total[i] = e - s;
                indexOnly[i] = m - s;
                cpu[i] = processCpuNanos() - c0;
            }
        }
        double fullSeconds = median(total) / 1e9;
        System.out.println();
        System.out.printf(Locale.ROOT, "(a) full compile, new PolicyCompiler(new ClusterIndex(cluster)).compileAll(), median of %d after %d warm-up%n",
                runs, warmup);
        System.out.printf(Locale.ROOT, "    %.3f s wall  (runs: %s; of which new ClusterIndex %.3f s)   target <= %.1f s   %s%n",
                fullSeconds, seconds(total), median(indexOnly) / 1e9, TARGET_FULL_SECONDS, verdict(fullSeconds <= TARGET_FULL_SECONDS));
        System.out.printf(Locale.ROOT, "    %.1f s process CPU per run (median; all threads incl. GC and JIT; compileAll uses a parallel stream)%n",
                median(cpu) / 1e9);
        describe(result);

        // (b) heap: the index (which holds the snapshot) and the compiled result, both live
        long withResult = usedHeapAfterGc();
        // Nothing below reads the index; keep it reachable until it has been measured.
        java.lang.ref.Reference.reachabilityFence(index);
        long snapshot = withCluster - before;
        long indexAndResult = withResult - withCluster;
        long retained = withResult - before;
        System.out.println();
        System.out.println("(b) retained heap (MemoryMXBean used heap after System.gc(), differences)");
        System.out.printf(Locale.ROOT, "    snapshot (Cluster records)                %,7.0f MB%n", snapshot / 1e6);
        System.out.printf(Locale.ROOT, "    index + compiled rule sets, on top of it  %,7.0f MB%n", indexAndResult / 1e6);
        System.out.printf(Locale.ROOT, "    total retained by index + result          %,7.0f MB   target <= %.1f GB   %s%n",
                retained / 1e6, TARGET_HEAP_BYTES / 1e9, verdict(retained <= TARGET_HEAP_BYTES));
        if (Boolean.parseBoolean(options.get("histogram"))) {
            histogram(20);
        }

        if (Boolean.parseBoolean(options.get("breakdown"))) {
            System.out.println();
            breakdown(cluster);
        }

        // translate + render of the largest node rule set
        System.out.println();
        translateAndRender(result);

        // (c) one pod's labels change
        System.out.println();
        incremental(cluster, result);
        System.out.println();
        System.out.println("load average at end: " + loadAverage() + "  (other processes on the machine inflate wall times; see bench/README.md)");
        return 0;
    }

    /**
     * Where a full compile's CPU goes, in CPU time so that other load on the machine does not blur
     * it: evaluating every distinct namespace selector against every namespace (what
     * {@code ClusterIndex.selectNamespaces} memoises per snapshot), compileAll with those selections
     * already memoised against compileAll cold, and the nodes hosting ingress-nginx, whose
     * egress rule towards every frontend pod resolves a named port per peer pod on each node.
     */
    private static void breakdown(Cluster cluster) {
        java.util.Set<dev.palisade.model.LabelSelector> selectors = new java.util.LinkedHashSet<>();
        for (dev.palisade.model.NetworkPolicy p : cluster.policies()) {
            for (List<dev.palisade.model.Rule> rules : List.of(p.ingress(), p.egress())) {
                for (dev.palisade.model.Rule r : rules) {
                    for (dev.palisade.model.Peer peer : r.peers()) {
                        if (peer instanceof dev.palisade.model.Peer.Pods pods && pods.namespaceSelector().isPresent()) {
                            selectors.add(pods.namespaceSelector().get());
                        }
                    }
                }
            }
        }
        java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        ClusterIndex prefilled = new ClusterIndex(cluster);
        long t0 = threads.getCurrentThreadCpuTime();
        selectors.forEach(prefilled::selectNamespaces);
        long selections = threads.getCurrentThreadCpuTime() - t0;
        long p0 = processCpuNanos();
        new PolicyCompiler(prefilled).compileAll();
        long warmSelections = processCpuNanos() - p0;
        long p1 = processCpuNanos();
        new PolicyCompiler(new ClusterIndex(cluster)).compileAll();
        long cold = processCpuNanos() - p1;
        SortedSet<String> ingressNodes = new java.util.TreeSet<>();
        cluster.pods().stream().filter(p -> p.namespace().equals("ingress-nginx")).forEach(p -> ingressNodes.add(p.nodeName()));
        PolicyCompiler compiler = new PolicyCompiler(prefilled);
        long n0 = threads.getCurrentThreadCpuTime();
        ingressNodes.forEach(compiler::compileNode);
        long ingress = threads.getCurrentThreadCpuTime() - n0;
        System.out.println("where a full compile's CPU goes (--breakdown; CPU time, not wall):");
        System.out.printf(Locale.ROOT, "    %,d distinct namespace selectors x %,d namespaces (ClusterIndex.selectNamespaces, one thread): %.2f s CPU%n",
                selectors.size(), cluster.namespaces().size(), selections / 1e9);
        System.out.printf(Locale.ROOT, "    compileAll cold: %.2f s CPU; with those namespace selections already memoised: %.2f s CPU%n",
                cold / 1e9, warmSelections / 1e9);
        System.out.printf(Locale.ROOT, "    compileNode of the %d nodes hosting ingress-nginx (egress to every role=frontend pod, named port): %.0f ms CPU, %.0f ms per node%n",
                ingressNodes.size(), ingress / 1e6, ingress / 1e6 / ingressNodes.size());
    }

    private static void describe(Map<String, NodeRuleSet> result) {
        long grants = 0;
        long maxGrants = 0;
        long isolated = 0;
        for (NodeRuleSet r : result.values()) {
            long g = r.ingress().grants().size() + r.egress().grants().size();
            grants += g;
            maxGrants = Math.max(maxGrants, g);
            isolated += r.ingress().isolated().size() + r.egress().isolated().size();
        }
        System.out.printf(Locale.ROOT, "    output: %,d node rule sets, %,d grants (max %,d on one node), %,d isolated (pod, direction) pairs%n",
                result.size(), grants, maxGrants, isolated);
    }

    private static void translateAndRender(Map<String, NodeRuleSet> result) {
        NodeRuleSet largest = null;
        long largestSize = -1;
        for (NodeRuleSet r : result.values()) {
            long size = elementEstimate(r.ingress()) + elementEstimate(r.egress());
            if (size > largestSize) {
                largestSize = size;
                largest = r;
            }
        }
        int reps = 5;
        long[] translate = new long[reps];
        long[] render = new long[reps];
        Table table = null;
        String script = null;
        for (int i = -2; i < reps; i++) {
            long s = System.nanoTime();
            table = RuleSetTranslator.translate(largest);
            long m = System.nanoTime();
            script = NftRenderer.replaceScript(table);
            long e = System.nanoTime();
            if (i >= 0) {
                translate[i] = m - s;
                render[i] = e - m;
            }
        }
        long elements = table.sets().stream().mapToLong(s -> s.elements().size()).sum();
        NamedSet biggest = table.sets().stream().max((a, b) -> Integer.compare(a.elements().size(), b.elements().size())).orElseThrow();
        System.out.printf(Locale.ROOT, "translate + render, largest node rule set (%s: %,d grants, %,d set elements, biggest set %s with %,d; script %,d bytes)%n",
                largest.node(), largest.ingress().grants().size() + largest.egress().grants().size(), elements,
                biggest.name(), biggest.elements().size(), script.length());
        System.out.printf(Locale.ROOT, "    RuleSetTranslator.translate %.1f ms, NftRenderer.replaceScript %.1f ms, together %.1f ms (medians of %d after 2 warm-up)%n",
                median(translate) / 1e6, median(render) / 1e6, (median(translate) + median(render)) / 1e6, reps);
    }

    /** Local pods x peers x ports summed over grants: a cheap ranking of nodes by rule-set size. */
    private static long elementEstimate(DirectionRules d) {
        long n = 0;
        for (Grant g : d.grants()) {
            long peers = g.peers().any() ? 1 : g.peers().addresses().size() + g.peers().ranges().size();
            n += (long) g.pods().size() * peers * Math.max(1, g.ports().size());
        }
        return n;
    }

    private void incremental(Cluster base, Map<String, NodeRuleSet> baseResult) {
        int samples = num("samples");
        int verify = num("verify");
        int warmup = 20;
        AffectedNodes affected;
        long s0 = System.nanoTime();
        affected = new AffectedNodes(base.policies());
        long reverseIndexNanos = System.nanoTime() - s0;
        List<Integer> appPods = new ArrayList<>();
        for (int i = 0; i < base.pods().size(); i++) {
            if (base.pods().get(i).namespace().startsWith("ns-")) {
                appPods.add(i);
            }
        }
        Random random = new Random(Long.parseLong(options.get("seed")) + 1);
        long[] cluster = new long[samples];
        long[] index = new long[samples];
        long[] affect = new long[samples];
        long[] compile = new long[samples];
        long[] total = new long[samples];
        long[] nodes = new long[samples];
        long[] cpu = new long[samples];
        List<String> checks = new ArrayList<>();
        Map<String, List<String>> systemPodsByNode = new TreeMap<>();
        for (Pod p : base.pods()) {
            if (!p.namespace().startsWith("ns-")) {
                systemPodsByNode.computeIfAbsent(p.nodeName(), k -> new ArrayList<>()).add(p.key());
            }
        }
        java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        String worst = "";
        long worstNanos = -1;
        for (int i = -warmup; i < samples + verify; i++) {
            int at = appPods.get(random.nextInt(appPods.size()));
            Pod before = base.pods().get(at);
            Pod after = relabel(before, random);
            long cpu0 = threads.getCurrentThreadCpuTime();
            long a = System.nanoTime();
            List<Pod> pods = new ArrayList<>(base.pods());
            pods.set(at, after);
            Cluster next = new Cluster(base.namespaces(), base.nodes(), pods, base.policies());
            long b = System.nanoTime();
            ClusterIndex idx = new ClusterIndex(next);
            long c = System.nanoTime();
            SortedSet<String> touched = affected.of(idx, before, after);
            long d = System.nanoTime();
            PolicyCompiler compiler = new PolicyCompiler(idx);
            Map<String, NodeRuleSet> recomputed = new TreeMap<>();
            String slowestNode = null;
            long slowestNanos = -1;
            for (String node : touched) {
                long n0 = System.nanoTime();
                recomputed.put(node, compiler.compileNode(node));
                long n1 = System.nanoTime() - n0;
                if (n1 > slowestNanos) {
                    slowestNanos = n1;
                    slowestNode = node;
                }
            }
            long e = System.nanoTime();
            long cpu1 = threads.getCurrentThreadCpuTime();
            if (i >= 0 && i < samples) {
                cluster[i] = b - a;
                index[i] = c - b;
                affect[i] = d - c;
                compile[i] = e - d;
                total[i] = e - a;
                cpu[i] = cpu1 - cpu0;
                nodes[i] = touched.size();
                if (e - a > worstNanos) {
                    worstNanos = e - a;
                    worst = String.format(Locale.ROOT, "%s %s -> %s: %d nodes, the slowest %s (hosting %s) took %.0f ms",
                            before.key(), before.labels(), after.labels(), touched.size(), slowestNode,
                            systemPodsByNode.getOrDefault(slowestNode, List.of("application pods only")), slowestNanos / 1e6);
                }
            } else if (i >= samples) {
                checks.add(check(next, baseResult, recomputed, before, after));
            }
        }
        double p99 = percentile(total, 0.99) / 1e6;
        System.out.printf(Locale.ROOT, "(c) one pod's labels change (app and role), %d samples after %d warm-up; affected nodes computed exactly:%n",
                samples, warmup);
        System.out.println("    the pod's node, plus the nodes of the pods selected by every policy with a pod peer the pod enters or leaves");
        System.out.printf(Locale.ROOT, "    (reverse index peers -> policies over %,d distinct namespace selectors, built once in %.0f ms: policies did not change)%n",
                affected.distinctNamespaceSelectors(), reverseIndexNanos / 1e6);
        System.out.printf(Locale.ROOT, "    %-52s %9s %9s %9s%n", "phase (wall time unless said)", "p50 ms", "p99 ms", "max ms");
        row("new Cluster (copy pod list, re-sort 4 lists)", cluster);
        row("new ClusterIndex", index);
        row("affected nodes", affect);
        row("compileNode for each affected node", compile);
        row("total", total);
        row("total, CPU time of the thread (excludes GC threads)", cpu);
        System.out.printf(Locale.ROOT, "    affected nodes per change: p50 %d, p99 %d, max %d (of %,d)%n",
                percentile(nodes, 0.5), percentile(nodes, 0.99), Arrays.stream(nodes).max().orElse(0), baseResult.size());
        System.out.println("    slowest change: " + worst);
        System.out.printf(Locale.ROOT, "    incremental p99 %.2f ms   target <= %.0f ms   %s%n",
                p99, TARGET_INCREMENTAL_P99_MS, verdict(p99 <= TARGET_INCREMENTAL_P99_MS));
        System.out.printf(Locale.ROOT, "    affected-node computation checked against a full compile of %d further changes:%n", checks.size());
        checks.forEach(line -> System.out.println("      " + line));
        inPlace(base, baseResult, appPods);
    }

    /**
     * (d) The same kind of change through the operator's path: {@link IncrementalCompiler#apply} on an
     * index kept up to date in place (no new Cluster, no new ClusterIndex), then the change undone.
     */
    private void inPlace(Cluster base, Map<String, NodeRuleSet> baseResult, List<Integer> appPods) {
        int samples = num("samples");
        int warmup = 20;
        long t0 = System.nanoTime();
        IncrementalCompiler compiler = new IncrementalCompiler(base);
        long buildNanos = System.nanoTime() - t0;
        Random random = new Random(Long.parseLong(options.get("seed")) + 2);
        long[] apply = new long[samples];
        long[] nodes = new long[samples];
        for (int i = -warmup; i < samples; i++) {
            Pod before = base.pods().get(appPods.get(random.nextInt(appPods.size())));
            Pod after = relabel(before, random);
            long a = System.nanoTime();
            IncrementalCompiler.Update u = compiler.apply(podChange(before.key(), after));
            long b = System.nanoTime();
            compiler.apply(podChange(before.key(), before));
            if (i >= 0) {
                apply[i] = b - a;
                nodes[i] = u.recompiled().size();
            }
        }
        boolean same = compiler.ruleSets().entrySet().stream()
                .allMatch(e -> e.getValue().equals(baseResult.get(e.getKey())));
        System.out.printf(Locale.ROOT, "(d) the same kind of change through IncrementalCompiler.apply (the operator's path: index updated in place), "
                + "%d samples; built from the snapshot in %.1f s%n", samples, buildNanos / 1e9);
        System.out.printf(Locale.ROOT, "    %-52s %9s %9s %9s%n", "phase (wall time)", "p50 ms", "p99 ms", "max ms");
        row("apply (affected nodes, compileNode each)", apply);
        System.out.printf(Locale.ROOT, "    recompiled nodes per change: p50 %d, p99 %d; after undoing every change, equal to the full compile: %s%n",
                percentile(nodes, 0.5), percentile(nodes, 0.99), same ? "yes" : "NO");
    }

    private static IncrementalCompiler.Delta podChange(String key, Pod pod) {
        return new IncrementalCompiler.Delta(new TreeMap<>(), new TreeMap<>(), new TreeMap<>(),
                new TreeMap<>(Map.of(key, java.util.Optional.of(pod))));
    }

    /** A new app and role (and so tier) for the pod; its ports and node stay. */
    private static Pod relabel(Pod p, Random random) {
        String role = SyntheticCluster.ROLES[random.nextInt(SyntheticCluster.ROLES.length)];
        return new Pod(p.namespace(), p.name(), p.nodeName(), SyntheticCluster.labels(random.nextInt(20), role),
                p.ips(), p.hostNetwork(), p.phase(), p.ports());
    }

    /**
     * The affected-node computation is only worth its figure if it is right: compile the changed
     * snapshot in full and require every node outside the affected set to be unchanged.
     */
    private static String check(Cluster next, Map<String, NodeRuleSet> baseResult, Map<String, NodeRuleSet> recomputed,
                              Pod before, Pod after) {
        Map<String, NodeRuleSet> full = new PolicyCompiler(new ClusterIndex(next)).compileAll();
        int changed = 0;
        for (Map.Entry<String, NodeRuleSet> e : full.entrySet()) {
            NodeRuleSet incremental = recomputed.getOrDefault(e.getKey(), baseResult.get(e.getKey()));
            if (!e.getValue().equals(incremental)) {
                throw new IllegalStateException("affected-node computation missed node " + e.getKey()
                        + " for " + before.key() + " " + before.labels() + " -> " + after.labels());
            }
            if (!e.getValue().equals(baseResult.get(e.getKey()))) {
                changed++;
            }
        }
        return String.format(Locale.ROOT, "%s %s -> %s: %d nodes recomputed, %d changed, all %,d others equal  OK",
                before.key(), before.labels(), after.labels(), recomputed.size(), changed, full.size() - recomputed.size());
    }

    private static void row(String name, long[] nanos) {
        System.out.printf(Locale.ROOT, "    %-52s %9.2f %9.2f %9.2f%n", name, percentile(nanos, 0.5) / 1e6,
                percentile(nanos, 0.99) / 1e6, Arrays.stream(nanos).max().orElse(0) / 1e6);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException | RuntimeException e) {
            return String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    private static long usedHeapAfterGc() {
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        // Repeat until the figure settles: one System.gc() may leave finalizable or soft garbage.
        for (int i = 0; i < 5; i++) {
            System.gc();
            long u = mem.getHeapMemoryUsage().getUsed();
            if (Math.abs(u - used) < 1_000_000) {
                return Math.min(u, used);
            }
            used = u;
        }
        return used;
    }

    private static void histogram(int lines) throws Exception {
        javax.management.ObjectName name = new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand");
        String text = (String) ManagementFactory.getPlatformMBeanServer().invoke(name, "gcClassHistogram",
                new Object[] {new String[0]}, new String[] {String[].class.getName()});
        System.out.println("    heap histogram (top classes, live objects):");
        text.lines().limit(lines + 2L).forEach(l -> System.out.println("      " + l));
    }

    private static long median(long[] values) {
        return percentile(values, 0.5);
    }

    /** Nearest-rank percentile. */
    private static long percentile(long[] values, double q) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static String seconds(long[] nanos) {
        StringBuilder sb = new StringBuilder();
        for (long n : nanos) {
            sb.append(sb.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.2f", n / 1e9));
        }
        return sb.toString();
    }

    private static String verdict(boolean met) {
        return met ? "OK" : "MISSED";
    }
}
