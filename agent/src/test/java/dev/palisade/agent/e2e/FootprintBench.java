package dev.palisade.agent.e2e;

import dev.palisade.model.IpAddress;
import dev.palisade.model.Protocol;
import dev.palisade.operator.publish.RuleSetEncoder;
import dev.palisade.operator.resource.PalisadeAddressSet;
import dev.palisade.operator.resource.PalisadeNodeRuleSet;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;
import dev.palisade.ruleset.PeerSet;
import dev.palisade.ruleset.PortRange;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * The agent's footprint (bench/agent-footprint.sh): a real API server holding one node's rule set
 * with 10,000 local policy rules (grants) that expand to 100,000 peer set elements in the kernel,
 * published in the operator's wire format (with its content-addressed address sets); one agent
 * process programming a node namespace. Measures process start to the first full ruleset committed
 * (readiness), resident memory, and CPU while idle (which includes the periodic verification).
 */
public final class FootprintBench {

    /**
     * The agent's JVM flags as the chart should set them: a small heap that grows for the read-back
     * of a large table (at 100,000 elements it needs about 150 MB for a moment) and shrinks back after
     * it (-Xms small, MaxHeapFreeRatio, and the agent's collection after large transactions: G1 gives
     * the memory back at once, the serial collector only a little per collection); one GC thread;
     * C1 only; exit on OOM so the DaemonSet restarts the agent rather than keep a dead sync thread
     * (the tables stay in the kernel).
     */
    static final String AGENT_JVM = "-XX:+UseG1GC -XX:ParallelGCThreads=1 -XX:ConcGCThreads=1 -Xms16m -Xmx192m "
            + "-XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20 "
            + "-Xss256k -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:ReservedCodeCacheSize=24m "
            + "-XX:MaxMetaspaceSize=64m -XX:+ExitOnOutOfMemoryError";

    public static void main(String[] args) throws Exception {
        int grants = intArg(args, "--grants", 10_000);
        int peersPerGrant = intArg(args, "--peers-per-grant", 10);
        int idleSeconds = intArg(args, "--idle-seconds", 60);
        int verifySeconds = intArg(args, "--verify-interval", 30);
        // the agent's JVM flags as the chart sets them (docs/design/agent.md, "Footprint")
        String jvm = stringArg(args, "--jvm", AGENT_JVM);

        Path work = Files.createTempDirectory("palisade-agent-bench");
        try (SimNetwork net = new SimNetwork(work.resolve("net")); ApiServer api = new ApiServer()) {
            SimNetwork.Node node = net.addNode("bench", "10.0.0.1");
            NodeRuleSet rules = ruleSet("bench", grants, peersPerGrant);
            RuleSetEncoder.Desired desired = new RuleSetEncoder(RuleSetEncoder.Limits.DEFAULT).encode(List.of(rules));
            desired.addressSets().forEach((name, spec) ->
                    api.admin().resources(PalisadeAddressSet.class).resource(PalisadeAddressSet.of(name, spec)).create());
            var encoded = desired.nodes().get("bench");
            api.admin().resources(PalisadeNodeRuleSet.class).resource(PalisadeNodeRuleSet.of(encoded.spec(1))).create();
            api.admin().nodes().resource(new io.fabric8.kubernetes.api.model.NodeBuilder().withNewMetadata()
                    .withName("bench").endMetadata().withNewSpec().withPodCIDR("10.244.1.0/24")
                    .withPodCIDRs("10.244.1.0/24").endSpec().build()).create();
            System.out.printf(Locale.ROOT, "rule set: %d grants, %d local pods, %d address sets, %d bytes of wire JSON%n",
                    grants, rules.localPods().size(), desired.addressSets().size(), encoded.bytes());

            List<String> jvmFlags = List.of(jvm.trim().split("\\s+"));
            long t0 = System.nanoTime();
            AgentProcess agent = AgentProcess.start("bench", node.netns(), api.kubeconfigFile(),
                    work.resolve("agent.log"), jvmFlags, List.of("--verify-interval", Integer.toString(verifySeconds)));
            try {
                measure(agent, node, jvm, t0, idleSeconds, verifySeconds);
            } finally {
                agent.kill9(); // also when a phase failed: no agent outlives the benchmark
            }
        }
    }

    private static void measure(AgentProcess agent, SimNetwork.Node node, String jvm, long t0, int idleSeconds,
                                int verifySeconds) throws Exception {
        {
            while (agent.get("/readyz") != 200) {
                if (!agent.alive() || System.nanoTime() - t0 > 120e9) {
                    throw new IllegalStateException("agent not ready:\n" + agent.log());
                }
                Thread.sleep(10);
            }
            double startSeconds = (System.nanoTime() - t0) / 1e9;
            double startCpu = cpuTicks(agent.pid()) / 100.0;
            String elements = metric(agent.metrics(), "palisade_agent_set_elements");
            String nftCount = Sh.inNetns(node.netns(), "nft", "list", "table", "inet", "palisade").orThrow().out();
            long kernelElements = nftCount.lines().filter(l -> l.contains(" . ")).count();

            Thread.sleep(5_000); // let start-up work (JIT, GC) settle
            long ticks0 = cpuTicks(agent.pid());
            long wall0 = System.nanoTime();
            Thread.sleep(idleSeconds * 1000L);
            long ticks1 = cpuTicks(agent.pid());
            double idleCpu = (ticks1 - ticks0) / 100.0 / ((System.nanoTime() - wall0) / 1e9) * 100;
            long rssKb = rssKb(agent.pid());
            String verifies = metric(agent.metrics(), "palisade_agent_verify_total{result=\"in_sync\"}");

            System.out.printf(Locale.ROOT, "set elements programmed: %s (agent metric), ~%d element lines in nft's listing%n",
                    elements, kernelElements);
            System.out.printf(Locale.ROOT, "start to first full ruleset committed: %.2f s (target <= 3 s), %.2f s of CPU "
                    + "(load average now %s)%n", startSeconds, startCpu,
                    Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
            System.out.printf(Locale.ROOT, "resident memory: %.1f MB (target <= 150 MB); peak so far %.1f MB%n",
                    rssKb / 1024.0, hwmKb(agent.pid()) / 1024.0);
            System.out.printf(Locale.ROOT, "idle CPU over %d s with verification every %d s (%s in the window and before): "
                    + "%.2f %% of a core (target <= 0.5 %%)%n", idleSeconds, verifySeconds, verifies, idleCpu);
            System.out.println("agent JVM flags: " + jvm);
            nmt(jvm, agent);

            // drift at scale: a hand-flushed chain moves the generation; the next verification reads
            // the whole table back (100,000 elements), finds the drift and replaces the table
            long repairTicks0 = cpuTicks(agent.pid());
            long repairT0 = System.nanoTime();
            Sh.inNetns(node.netns(), "nft", "flush", "chain", "inet", "palisade", "ingress4").orThrow();
            while (!metric(agent.metrics(), "palisade_agent_drift_repairs_total").equals("1.0")) {
                if (System.nanoTime() - repairT0 > 180e9 || !agent.alive()) {
                    throw new IllegalStateException("no repair:\n" + agent.log());
                }
                Thread.sleep(100);
            }
            double repairSeconds = (System.nanoTime() - repairT0) / 1e9;
            double repairCpu = (cpuTicks(agent.pid()) - repairTicks0) / 100.0;
            Thread.sleep(2_000);
            System.out.printf(Locale.ROOT, "drift at scale: flushed chain found and repaired %.1f s after the flush "
                    + "(waits for the next verification), %.1f s of CPU; resident memory after: %.1f MB, peak: %.1f MB%n",
                    repairSeconds, repairCpu, rssKb(agent.pid()) / 1024.0, hwmKb(agent.pid()) / 1024.0);
            nmt(jvm, agent);
        }
    }

    public static NodeRuleSet ruleSet(String node, int grants, int peersPerGrant) {
        int pods = 100;
        List<IpAddress> local = new ArrayList<>();
        for (int i = 0; i < pods; i++) {
            local.add(IpAddress.parse("10.244.1." + (2 + i)));
        }
        List<Grant> ingress = new ArrayList<>();
        int peerBase = 0;
        for (int g = 0; g < grants; g++) {
            TreeSet<IpAddress> peers = new TreeSet<>();
            for (int p = 0; p < peersPerGrant; p++) {
                int n = peerBase++;
                peers.add(IpAddress.parse("10." + (100 + (n >> 16)) + "." + ((n >> 8) & 255) + "." + (n & 255)));
            }
            ingress.add(new Grant("ns" + (g / 100) + "/policy" + (g / 10), g % 10, new TreeSet<>(List.of(local.get(g % pods))),
                    new PeerSet(false, peers, List.of()), List.of(new PortRange(Protocol.TCP, 8000 + g % 50, 8000 + g % 50))));
        }
        TreeSet<IpAddress> all = new TreeSet<>(local);
        return new NodeRuleSet(node, all, new DirectionRules(all, ingress), DirectionRules.NONE);
    }

    private static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15)
    }

    private static long rssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    /** With -XX:NativeMemoryTracking=summary among the agent's flags: the JVM's own accounting. */
    private static void nmt(String jvm, AgentProcess agent) {
        if (!jvm.contains("NativeMemoryTracking")) {
            return;
        }
        Sh.Result nmt = Sh.run(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(agent.pid()), "VM.native_memory", "summary"));
        nmt.out().lines().filter(l -> l.contains("committed=") && (l.startsWith("Total") || l.matches("-\\s+(Java Heap|Class|Thread|Code|GC|Symbol|Metaspace|Shared class space|Internal|Other) .*")))
                .forEach(l -> System.out.println("  NMT " + l.strip()));
    }

    private static long hwmKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private static String metric(String text, String name) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ")) {
                return line.substring(name.length() + 1).trim();
            }
        }
        return "?";
    }

    private static int intArg(String[] args, String name, int dflt) {
        String v = stringArg(args, name, null);
        return v == null ? dflt : Integer.parseInt(v);
    }

    private static String stringArg(String[] args, String name, String dflt) {
        for (String a : args) {
            if (a.startsWith(name + "=")) {
                return a.substring(name.length() + 1);
            }
        }
        return dflt;
    }
}
