package dev.palisade.conformance;

import dev.palisade.cli.Palisade;
import dev.palisade.conformance.ClusterSpec.NodeSpec;
import dev.palisade.conformance.ClusterSpec.PodSpec;
import org.junit.jupiter.api.Assumptions;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The harness one test class uses: a {@link Topology} that lives as long as the class (servers stay
 * up), and {@link Scenario}s that each compile their manifests with {@code palisade compile} for
 * every node, load each node's script into that node's namespace, probe a truth table and compare.
 *
 * <p>Everything a scenario produced lands in {@code target/conformance/<TestClass>/<scenario>/}:
 * the manifests, each node's script and ruleset, and on failure the report.
 */
public final class Conformance implements AutoCloseable {

    static final String TABLE = "inet palisade";

    private final Topology topology;
    private final Path workDir;

    private Conformance(Topology topology, Path workDir) {
        this.topology = topology;
        this.workDir = workDir;
    }

    /** Skips (only) when not root; a missing tool or a broken topology fails. */
    public static Conformance start(Class<?> testClass, ClusterSpec spec) {
        Assumptions.assumeTrue(Netns.isRoot(), "kernel tests need root");
        for (String tool : List.of("/usr/bin/python3")) {
            if (!Files.isExecutable(Path.of(tool))) {
                throw new IllegalStateException("kernel tests need " + tool);
            }
        }
        Path workDir = Path.of(System.getProperty("basedir", ".")).resolve("target").resolve("conformance")
                .resolve(testClass.getSimpleName());
        long t0 = System.nanoTime();
        Topology topology = Topology.create(spec, workDir);
        System.out.printf("[conformance] %s: topology %s up with %d endpoints in %.1f s%n", testClass.getSimpleName(),
                topology.prefix(), topology.endpoints().size(), (System.nanoTime() - t0) / 1e9);
        return new Conformance(topology, workDir);
    }

    public Topology topology() {
        return topology;
    }

    public ClusterSpec spec() {
        return topology.spec();
    }

    /** Every (non host-network) pod, in declaration order: the default rows and columns of a truth table. */
    public List<String> pods() {
        return spec().pods().stream().filter(p -> !p.hostNetwork()).map(PodSpec::key).toList();
    }

    public List<String> nodes() {
        return spec().nodes().stream().map(NodeSpec::key).toList();
    }

    /** The endpoint key of the node a pod runs on ({@code node:NAME}): the one source isolation never blocks. */
    public String nodeOf(String pod) {
        return "node:" + spec().pod(pod).orElseThrow(() -> new IllegalArgumentException("no pod " + pod)).node();
    }

    public Scenario scenario(String name) {
        return new Scenario(name);
    }

    /** Deletes the owned table on every node (tests of the compile contract start from a clean kernel). */
    public void clearTables() {
        for (NodeSpec n : spec().nodes()) {
            String ns = topology.nodeNetns(n.name());
            if (Netns.nftCommand(ns, "list", "tables").out().contains("table " + TABLE)) {
                Netns.nftCommand(ns, "delete", "table", "inet", "palisade").orThrow();
            }
        }
    }

    /** Runs {@code palisade compile --node NODE --manifests FILE} in-process; the script, or an AssertionError. */
    public String compile(String node, Path manifests) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        String[] args = {"compile", "--node", node, "--manifests", manifests.toString()};
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = Palisade.run(args, o, e);
        } catch (RuntimeException | LinkageError | AssertionError ex) {
            throw new AssertionError("palisade " + String.join(" ", args) + " threw " + ex, ex);
        }
        String stderr = err.toString(StandardCharsets.UTF_8);
        if (code != 0) {
            throw new AssertionError("palisade " + String.join(" ", args) + " exited " + code + ":\n" + stderr);
        }
        if (!stderr.isBlank()) {
            System.out.println("[conformance] compile --node " + node + " said on stderr:\n" + stderr.strip());
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        topology.close();
    }

    /** One truth-table case: a protocol, port and family, and the expectations for it. */
    private record Case(Proto proto, int port, Family family, Reachability reach) {
        String title() {
            return proto + "/" + port + " " + family.label();
        }
    }

    /** A set of manifests and the truth tables they must produce. */
    public final class Scenario {
        private final String name;
        private final List<String> policies = new ArrayList<>();
        private final Map<String, Map<String, String>> podLabels = new LinkedHashMap<>();
        private final Map<String, Map<String, String>> namespaceLabels = new LinkedHashMap<>();
        private final Map<String, List<ClusterSpec.PortDecl>> podPorts = new LinkedHashMap<>();
        private final List<Case> cases = new ArrayList<>();
        private List<String> sources = pods();
        private List<String> targets = pods();
        private boolean replacePrevious;
        private Map<String, String> handWritten;
        private Manifests.Style style = Manifests.Style.API_SERVER;

        private Scenario(String name) {
            this.name = name;
        }

        /**
         * Files under {@code src/test/resources/dev/palisade/conformance/policies/} appended to the
         * generated objects: NetworkPolicies, or any other object a scenario needs (a finished pod).
         */
        public Scenario policies(String... resources) {
            policies.addAll(List.of(resources));
            return this;
        }

        /** This scenario's pod carries these labels instead of the cluster's (upstream's "updated pod" tests). */
        public Scenario podLabels(String pod, Map<String, String> labels) {
            podLabels.put(pod, labels);
            return this;
        }

        /** This scenario's pod declares these container ports (what named ports resolve against). */
        public Scenario podPorts(String pod, List<ClusterSpec.PortDecl> ports) {
            podPorts.put(pod, List.copyOf(ports));
            return this;
        }

        /** This scenario's namespace carries these labels (its metadata.name label is kept). */
        public Scenario namespaceLabels(String ns, Map<String, String> labels) {
            Map<String, String> all = new LinkedHashMap<>(labels);
            all.put(ClusterSpec.NAMESPACE_NAME_LABEL, ns);
            namespaceLabels.put(ns, all);
            return this;
        }

        /** Every pod reports this status.phase (e.g. Pending: an IP is assigned, containers still starting). */
        public Scenario podPhase(String phase) {
            style = style.withPhase(phase);
            return this;
        }

        /** Pods carry status.podIP (IPv4) only, no status.podIPs: only IPv4 can be asserted. */
        public Scenario podIpOnly() {
            style = new Manifests.Style(true, style.ipv6Primary(), style.namespaceObjects(), style.namespaceNameLabel(), style.phase());
            return this;
        }

        /** An IPv6-primary cluster: status.podIP and the first of status.podIPs are IPv6. */
        public Scenario ipv6Primary() {
            style = new Manifests.Style(style.podIpOnly(), true, style.namespaceObjects(), style.namespaceNameLabel(), style.phase());
            return this;
        }

        /** No Namespace objects in the manifests (policies and pods only). */
        public Scenario withoutNamespaceObjects() {
            style = new Manifests.Style(style.podIpOnly(), style.ipv6Primary(), false, style.namespaceNameLabel(), style.phase());
            return this;
        }

        /** Namespaces without the kubernetes.io/metadata.name label (hand-written, not read back from an API server). */
        public Scenario withoutNamespaceNameLabel() {
            style = new Manifests.Style(style.podIpOnly(), style.ipv6Primary(), style.namespaceObjects(), false, style.phase());
            return this;
        }

        /**
         * Load over whatever the previous scenario left instead of deleting the table first: the
         * script itself must replace the table (policy deleted or updated, as a running agent sees it).
         */
        public Scenario replacingPrevious() {
            replacePrevious = true;
            return this;
        }

        /**
         * Loads these scripts (by node; other nodes get an empty table) instead of compiling: the
         * harness's own tests use this to prove that probes see what a ruleset does.
         */
        Scenario handWritten(Map<String, String> scriptsByNode) {
            handWritten = Map.copyOf(scriptsByNode);
            return this;
        }

        /** Rows and columns of the truth tables declared after this call. */
        public Scenario between(List<String> sources, List<String> targets) {
            this.sources = List.copyOf(sources);
            this.targets = List.copyOf(targets);
            return this;
        }

        /** One truth table per protocol x port x family in {@code check}; all default to "allowed". */
        public Scenario expect(Check check, Consumer<Reachability> expectations) {
            for (Proto proto : check.protocols()) {
                for (int port : check.ports()) {
                    for (Family family : check.families()) {
                        Reachability r = new Reachability(sources, targets, true);
                        expectations.accept(r);
                        cases.add(new Case(proto, port, family, r));
                    }
                }
            }
            return this;
        }

        /** Compile for every node, load every script, probe every table; AssertionError with the report on mismatch. */
        public void run() {
            long t0 = System.nanoTime();
            Path dir = workDir.resolve(name.replaceAll("[^A-Za-z0-9._-]", "_"));
            StringBuilder manifest = new StringBuilder(Manifests.cluster(spec(), podLabels, namespaceLabels, podPorts, style));
            for (String p : policies) {
                manifest.append(Manifests.policy(p, topology::endpoint));
            }
            Path manifests = dir.resolve("manifests.yaml");
            write(manifests, manifest.toString());

            // the same objects in the opposite order: a snapshot is a set, so the script must not change
            Path reversed = dir.resolve("reversed").resolve("manifests.yaml");
            write(reversed, reverseDocuments(manifest.toString()));

            Map<String, String> scripts = new LinkedHashMap<>();
            for (NodeSpec n : spec().nodes()) {
                String script = handWritten == null ? compile(n.name(), manifests)
                        : handWritten.getOrDefault(n.name(), "table " + TABLE + " {}\n");
                scripts.put(n.name(), script);
                write(dir.resolve(n.name() + ".nft"), script);
                if (handWritten == null) {
                    String again = compile(n.name(), reversed);
                    if (!again.equals(script)) {
                        write(dir.resolve("reversed").resolve(n.name() + ".nft"), again);
                        throw new AssertionError(name + ": the script for " + n.name() + " depends on the order of"
                                + " the documents (same objects reversed give a different script): compare "
                                + dir.resolve(n.name() + ".nft") + " and " + dir.resolve("reversed").resolve(n.name() + ".nft"));
                    }
                }
            }
            for (NodeSpec n : spec().nodes()) {
                load(dir, n, scripts.get(n.name()));
            }

            boolean sctp = cases.stream().anyMatch(c -> c.proto() == Proto.SCTP);
            if (sctp) {
                System.out.println("[conformance] " + name + ": SCTP is not probed (this kernel has no sctp module);"
                        + " its rules were validated with nft -c -f and loaded, and SCTP cells are skipped");
            }
            probeAll(1);
            List<String> mismatches = mismatches();
            List<String> firstLook = mismatches;
            if (!mismatches.isEmpty()) {
                // one more, more patient look before failing: on a loaded machine an allowed UDP reply
                // can miss the first deadline (a denied flow stays denied however long we wait)
                write(dir.resolve("first-look.txt"), String.join("\n", firstLook) + "\n");
                probeAll(3);
                mismatches = mismatches();
            }
            int probes = cases.stream().mapToInt(c -> c.reach().probed()).sum();
            if (!mismatches.isEmpty()) {
                String report = report(dir, manifests, mismatches);
                write(dir.resolve("report.txt"), report);
                throw new AssertionError(report);
            }
            System.out.printf("[conformance] %s: %d probes in %d tables match%s (%.1f s)%n", name, probes,
                    cases.size(), firstLook.isEmpty() ? "" : " on a second, patient look (first look: "
                            + firstLook.size() + " cells differed, e.g. " + firstLook.get(0) + ")",
                    (System.nanoTime() - t0) / 1e9);
        }

        private void load(Path dir, NodeSpec n, String script) {
            String ns = topology.nodeNetns(n.name());
            if (!replacePrevious) {
                clearTable(ns);
            }
            Netns.Result check = Netns.nft(ns, script, true);
            if (!check.ok()) {
                throw new AssertionError(name + ": nft -c -f rejects the script for " + n.name() + ":\n"
                        + check.err() + "\nscript: " + dir.resolve(n.name() + ".nft"));
            }
            Netns.Result load = Netns.nft(ns, script, false);
            if (!load.ok()) {
                throw new AssertionError(name + ": nft -f fails to load the script for " + n.name() + ":\n"
                        + load.err() + "\nscript: " + dir.resolve(n.name() + ".nft"));
            }
            String first = Netns.nftCommand(ns, "list", "table", "inet", "palisade").orThrow().out();
            // the contract: the script creates or replaces the table, so loading it again changes nothing
            Netns.Result again = Netns.nft(ns, script, false);
            if (!again.ok()) {
                throw new AssertionError(name + ": loading the script for " + n.name()
                        + " a second time fails (it must replace the table):\n" + again.err());
            }
            String second = Netns.nftCommand(ns, "list", "table", "inet", "palisade").orThrow().out();
            if (!first.equals(second)) {
                throw new AssertionError(name + ": loading the script for " + n.name()
                        + " twice does not give the same table (it must replace, not append):\n--- once\n"
                        + first + "\n--- twice\n" + second);
            }
            String tables = Netns.nftCommand(ns, "list", "tables").orThrow().out().strip();
            if (!tables.equals("table " + Topology.HARNESS_TABLE + "\ntable " + TABLE)
                    && !tables.equals("table " + TABLE + "\ntable " + Topology.HARNESS_TABLE)) {
                throw new AssertionError(name + ": after loading, " + n.name() + " must have exactly its own table "
                        + TABLE + " and the harness's " + Topology.HARNESS_TABLE + " (the script must not touch"
                        + " other tables), but has:\n" + tables);
            }
            write(dir.resolve(n.name() + ".ruleset"), Netns.nftCommand(ns, "list", "ruleset").out());
        }

        private void clearTable(String ns) {
            if (Netns.nftCommand(ns, "list", "tables").out().contains("table " + TABLE)) {
                Netns.nftCommand(ns, "delete", "table", "inet", "palisade").orThrow();
            }
        }

        private void probeAll(int patience) {
            Map<String, List<Topology.Target>> plan = new LinkedHashMap<>();
            Map<String, List<Case>> planCases = new LinkedHashMap<>();
            for (Case c : cases) {
                for (String s : c.reach().sources()) {
                    for (String t : c.reach().targets()) {
                        if (Reachability.ignored(s, t)) {
                            continue;
                        }
                        Topology.Endpoint to = topology.endpoint(t);
                        plan.computeIfAbsent(s, k -> new ArrayList<>())
                                .add(new Topology.Target(t, to.ip(c.family()), c.port(), c.proto()));
                        planCases.computeIfAbsent(s, k -> new ArrayList<>()).add(c);
                    }
                }
            }
            Map<String, List<String>> results = topology.probe(plan, patience);
            for (Map.Entry<String, List<Topology.Target>> e : plan.entrySet()) {
                List<String> raw = results.get(e.getKey());
                for (int i = 0; i < raw.size(); i++) {
                    planCases.get(e.getKey()).get(i).reach().observe(e.getKey(), e.getValue().get(i).key(), raw.get(i));
                }
            }
        }

        private Map<String, String> serverNames() {
            Map<String, String> names = new LinkedHashMap<>();
            for (Case c : cases) {
                for (String t : c.reach().targets()) {
                    names.put(t, topology.endpoint(t).serverName());
                }
            }
            return names;
        }

        private List<String> mismatches() {
            List<String> out = new ArrayList<>();
            Map<String, String> names = serverNames();
            for (Case c : cases) {
                for (String m : c.reach().mismatches(names)) {
                    out.add(c.title() + "  " + m);
                }
            }
            return out;
        }

        private String report(Path dir, Path manifests, List<String> mismatches) {
            StringBuilder sb = new StringBuilder();
            sb.append("scenario ").append(name).append(": ").append(mismatches.size())
                    .append(" cells differ from the expected truth tables (seen twice: a second look with 3x timeouts)\n");
            sb.append("manifests: ").append(manifests).append('\n');
            sb.append("scripts and rulesets: ").append(dir).append('\n');
            sb.append("policies: ").append(policies).append('\n');
            sb.append("\nmismatches:\n");
            mismatches.forEach(m -> sb.append("  ").append(m).append('\n'));
            Map<String, String> names = serverNames();
            for (Case c : cases) {
                if (!c.reach().mismatches(names).isEmpty()) {
                    sb.append('\n').append(c.reach().tables(c.title(), names));
                }
            }
            sb.append("\nendpoints:\n");
            for (Topology.Endpoint e : topology.endpoints().values()) {
                sb.append("  ").append(e.key()).append(" on ").append(e.node()).append(": ").append(e.ip4())
                        .append(' ').append(e.ip6()).append(" (netns ").append(e.netns()).append(")\n");
            }
            for (NodeSpec n : spec().nodes()) {
                sb.append("\n--- nft list ruleset on ").append(n.name()).append(" (").append(topology.nodeNetns(n.name()))
                        .append(")\n").append(Netns.nftCommand(topology.nodeNetns(n.name()), "list", "ruleset").out());
            }
            return sb.toString();
        }
    }

    /** The YAML documents of {@code manifests} in reverse order. */
    static String reverseDocuments(String manifests) {
        List<String> docs = new ArrayList<>();
        for (String doc : manifests.split("(?m)^---[ \\t]*$")) {
            if (doc.lines().anyMatch(l -> !l.isBlank() && !l.stripLeading().startsWith("#"))) {
                docs.add(doc.strip() + "\n");
            }
        }
        java.util.Collections.reverse(docs);
        return "---\n" + String.join("---\n", docs);
    }

    static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
