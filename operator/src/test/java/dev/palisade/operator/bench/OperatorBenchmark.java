package dev.palisade.operator.bench;

import dev.palisade.operator.Fixtures;
import dev.palisade.operator.TestCluster;
import dev.palisade.operator.resource.GrantWire;
import dev.palisade.operator.resource.PalisadeNodeRuleSet;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodIPBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.palisade.operator.TestCluster.eventually;

/**
 * 100 nodes, 5,000 pods and 1,000 policies in a real API server; the operator in its own JVM (as
 * {@code palisade operator} runs it). Prints: time from {@code kubectl apply} of a policy to every
 * affected node's rule set being published (p50, p99 over 100 changes), heap per cached pod and the
 * operator's resident memory. Not a test (no *Test name): run it with operator/bench/run.sh.
 */
class OperatorBenchmark {

    static final int NODES = Integer.getInteger("bench.nodes", 100);
    static final int NAMESPACES = 50;
    static final int PODS = Integer.getInteger("bench.pods", 5_000);
    static final int POLICIES = Integer.getInteger("bench.policies", 1_000);
    static final int CHANGES = Integer.getInteger("bench.changes", 100);

    @Test
    void publishLatencyAndMemory() throws Exception {
        TestCluster cluster = TestCluster.get();
        KubernetesClient admin = cluster.admin();
        Path kubeconfig = Files.createTempFile("bench-kubeconfig", ".yaml");
        Files.writeString(kubeconfig, cluster.kubeconfig());

        long t = System.nanoTime();
        for (int n = 0; n < NODES; n++) {
            admin.nodes().resource(new NodeBuilder().withNewMetadata().withName(node(n)).endMetadata().build()).create();
        }
        for (int k = 0; k < NAMESPACES; k++) {
            admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns(k))
                    .withLabels(Map.of("team", "team-" + (k % 5))).endMetadata().build()).create();
        }
        Process operator = startOperator(kubeconfig);
        try {
            eventually(Duration.ofSeconds(120), () -> admin.resources(PalisadeNodeRuleSet.class).list().getItems().size() == NODES,
                    () -> "operator did not publish the empty nodes");
            Thread.sleep(2_000);
            long heapEmpty = heapUsedAfterGc(operator.pid());

            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<?>> work = new ArrayList<>();
            for (int i = 0; i < PODS; i++) {
                int p = i;
                work.add(pool.submit(() -> pod(admin, p)));
            }
            for (Future<?> f : work) {
                f.get();
            }
            double podSeconds = (System.nanoTime() - t) / 1e9;
            Fixtures fx = new Fixtures(admin);
            fx.converged(node(0), Duration.ofMinutes(5));
            waitQuiet(admin, Duration.ofSeconds(3));
            long heapPods = heapUsedAfterGc(operator.pid());
            work.clear();
            for (int i = 0; i < POLICIES; i++) {
                int p = i;
                work.add(pool.submit(() -> new Fixtures(admin).policy(policyYaml(ns(p % NAMESPACES), "pol-" + p, p))));
            }
            for (Future<?> f : work) {
                f.get();
            }
            pool.shutdown();
            System.out.printf("BENCH load: %d nodes, %d namespaces, %d pods (IPs via status), %d policies in %.1f s%n",
                    NODES, NAMESPACES, PODS, POLICIES, (System.nanoTime() - t) / 1e9);
            System.out.printf("BENCH pods created in %.1f s%n", podSeconds);

            // Converged: the rule sets stop changing and node 0 is what the compiler makes of the state.
            long tc = System.nanoTime();
            fx.converged(node(0), Duration.ofMinutes(5));
            waitQuiet(admin, Duration.ofSeconds(3));
            System.out.printf("BENCH initial convergence after load: %.1f s%n", (System.nanoTime() - tc) / 1e9);
            long heapLoaded = heapUsedAfterGc(operator.pid());

            // 100 changes, one at a time: a new policy applied with kubectl; done when every node hosting
            // a pod it selects has published a rule set with a grant of it.
            Map<String, Set<String>> policiesByNode = new ConcurrentHashMap<>();
            Object signal = new Object();
            SharedIndexInformer<PalisadeNodeRuleSet> watch = admin.resources(PalisadeNodeRuleSet.class).inform(
                    new ResourceEventHandler<>() {
                        @Override
                        public void onAdd(PalisadeNodeRuleSet obj) {
                            record(obj);
                        }

                        @Override
                        public void onUpdate(PalisadeNodeRuleSet oldObj, PalisadeNodeRuleSet newObj) {
                            record(newObj);
                        }

                        @Override
                        public void onDelete(PalisadeNodeRuleSet obj, boolean unknown) {
                        }

                        private void record(PalisadeNodeRuleSet rs) {
                            Set<String> names = new TreeSet<>();
                            for (GrantWire g : rs.getSpec().ruleSet().ingress().grants()) {
                                names.add(g.policy());
                            }
                            policiesByNode.put(rs.getMetadata().getName(), names);
                            synchronized (signal) {
                                signal.notifyAll();
                            }
                        }
                    }, 0);
            List<Double> latencies = new ArrayList<>();
            List<Double> kubectlTimes = new ArrayList<>();
            List<Integer> affectedCounts = new ArrayList<>();
            for (int c = 0; c < CHANGES; c++) {
                int k = c % NAMESPACES;
                int app = c % 10;
                String name = "change-" + c;
                Set<String> affected = new TreeSet<>();
                for (int i = 0; i < PODS; i++) {
                    if (i % NAMESPACES == k && (i / NAMESPACES) % 10 == app) {
                        affected.add(node((i / NAMESPACES) % NODES));
                    }
                }
                Path file = Files.createTempFile("change", ".yaml");
                Files.writeString(file, changeYaml(ns(k), name, app));
                String key = ns(k) + "/" + name;
                long t0 = System.nanoTime();
                cluster.kubectl("apply", "-f", file.toString());
                kubectlTimes.add((System.nanoTime() - t0) / 1e9);
                long deadline = t0 + TimeUnit.SECONDS.toNanos(60);
                synchronized (signal) {
                    while (!affected.stream().allMatch(n -> policiesByNode.getOrDefault(n, Set.of()).contains(key))) {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            throw new AssertionError("change " + c + " not published within 60 s on " + affected);
                        }
                        signal.wait(Math.max(1, left / 1_000_000));
                    }
                }
                latencies.add((System.nanoTime() - t0) / 1e9);
                affectedCounts.add(affected.size());
                Files.delete(file);
            }
            watch.stop();
            long heapEnd = heapUsedAfterGc(operator.pid());
            long rssKb = rssKb(operator.pid());
            Collections.sort(latencies);
            Collections.sort(kubectlTimes);
            System.out.printf("BENCH apply -> every affected node published (%d changes, %d-%d nodes each):"
                            + " p50 %.3f s, p99 %.3f s, max %.3f s (kubectl apply itself: p50 %.3f s)%n",
                    CHANGES, Collections.min(affectedCounts), Collections.max(affectedCounts),
                    pct(latencies, 50), pct(latencies, 99), latencies.get(latencies.size() - 1), pct(kubectlTimes, 50));
            System.out.printf("BENCH operator heap after GC: %.1f MiB with %d nodes only, %.1f MiB with %d pods,"
                            + " %.1f MiB with %d policies too, %.1f MiB at the end%n",
                    heapEmpty / 1048576.0, NODES, heapPods / 1048576.0, PODS, heapLoaded / 1048576.0, POLICIES,
                    heapEnd / 1048576.0);
            System.out.printf("BENCH heap per cached pod: %.0f bytes (growth from %d pods divided by pods);"
                            + " per policy: %.0f bytes%n", (heapPods - heapEmpty) / (double) PODS, PODS,
                    (heapLoaded - heapPods) / (double) POLICIES);
            System.out.printf("BENCH operator resident memory after GC: %.1f MiB (-Xmx512m, G1)%n", rssKb / 1024.0);
            Path log = Path.of("target/bench-operator.log");
            try (var lines = Files.lines(log)) {
                lines.filter(l -> l.contains("sync:") && l.contains("compile")).reduce((a, b) -> b)
                        .ifPresent(l -> System.out.println("BENCH last sync line: " + l));
            }
        } finally {
            operator.destroy();
            operator.waitFor(10, TimeUnit.SECONDS);
        }
    }

    static String node(int n) {
        return String.format("bench-node-%03d", n);
    }

    static String ns(int k) {
        return String.format("bench-ns-%02d", k);
    }

    /** Pod i: namespace i % 50, node (i / 50) % 100, app-(i/50 % 10), tier-(i % 3), IP 10.(i/65536).(i/256).(i%256)+1. */
    static void pod(KubernetesClient admin, int i) {
        String ip = "10." + (200 + i / 65536) + "." + ((i / 256) % 256) + "." + (i % 256);
        Pod p = admin.pods().inNamespace(ns(i % NAMESPACES)).resource(new PodBuilder()
                .withNewMetadata().withName("pod-" + i).withNamespace(ns(i % NAMESPACES))
                .withLabels(Map.of("app", "app-" + ((i / NAMESPACES) % 10), "tier", "tier-" + (i % 3))).endMetadata()
                .withNewSpec().withNodeName(node((i / NAMESPACES) % NODES)).addNewContainer().withName("c").withImage("busybox")
                .addNewPort().withContainerPort(8080).withName("http").endPort().endContainer().endSpec()
                .build()).create();
        p.setStatus(new PodStatusBuilder().withPhase("Running").withPodIP(ip).withPodIPs(new PodIPBuilder().withIp(ip).build()).build());
        admin.pods().resource(p).updateStatus();
    }

    static String policyYaml(String namespace, String name, int j) {
        return """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: %s, namespace: %s}
                spec:
                  podSelector: {matchLabels: {app: app-%d}}
                  policyTypes: [Ingress, Egress]
                  ingress:
                  - from: [{podSelector: {matchLabels: {tier: tier-%d}}}]
                    ports: [{port: http}]
                  - from: [{namespaceSelector: {matchLabels: {team: team-%d}}, podSelector: {matchLabels: {app: app-%d}}}]
                    ports: [{port: 8080, protocol: TCP}]
                  egress:
                  - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.%d.0.0/16]}}]
                """.formatted(name, namespace, j % 10, j % 3, j % 5, (j + 1) % 10, j % 200);
    }

    static String changeYaml(String namespace, String name, int app) {
        return """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: %s, namespace: %s}
                spec:
                  podSelector: {matchLabels: {app: app-%d}}
                  ingress:
                  - from: [{podSelector: {matchLabels: {tier: tier-1}}}]
                    ports: [{port: 9000}]
                """.formatted(name, namespace, app);
    }

    static void waitQuiet(KubernetesClient admin, Duration quiet) throws InterruptedException {
        String last = "";
        long stableSince = System.nanoTime();
        while (System.nanoTime() - stableSince < quiet.toNanos()) {
            String now = admin.resources(PalisadeNodeRuleSet.class).list().getMetadata().getResourceVersion();
            List<Long> revisions = admin.resources(PalisadeNodeRuleSet.class).list().getItems().stream()
                    .map(r -> r.getSpec().revision()).toList();
            String state = revisions.toString();
            if (!state.equals(last)) {
                last = state;
                stableSince = System.nanoTime();
            }
            Thread.sleep(250);
            if (now == null) {
                break;
            }
        }
    }

    static Process startOperator(Path kubeconfig) throws IOException {
        String cp = System.getProperty("palisade.bench.classpath");
        if (cp == null) {
            throw new IllegalStateException("run with operator/bench/run.sh (needs -Dpalisade.bench.classpath)");
        }
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+UseG1GC", "-cp", cp, "dev.palisade.operator.OperatorMain");
        pb.environment().put("KUBECONFIG", kubeconfig.toString());
        pb.environment().put("POD_NAME", "bench-operator");
        pb.environment().put("POD_NAMESPACE", TestCluster.OPERATOR_NAMESPACE);
        pb.environment().put("PALISADE_HTTP_PORT", "0");
        pb.redirectErrorStream(true).redirectOutput(Path.of("target/bench-operator.log").toFile());
        return pb.start();
    }

    static long heapUsedAfterGc(long pid) throws IOException, InterruptedException {
        jcmd(pid, "GC.run");
        String info = jcmd(pid, "GC.heap_info");
        Matcher m = Pattern.compile("used (\\d+)K").matcher(info);
        if (!m.find()) {
            throw new IllegalStateException("no heap figure in: " + info);
        }
        return Long.parseLong(m.group(1)) * 1024;
    }

    static String jcmd(long pid, String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return out;
    }

    static long rssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }

    static double pct(List<Double> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }
}
