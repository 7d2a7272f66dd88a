package dev.palisade.compiler;

import dev.palisade.model.Cluster;
import dev.palisade.model.ClusterNetworkPolicy;
import dev.palisade.model.Namespace;
import dev.palisade.model.NetworkPolicy;
import dev.palisade.model.Node;
import dev.palisade.model.Pod;
import dev.palisade.ruleset.NodeRuleSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * After any sequence of changes, batched any way, the incremental compiler's rule sets equal a full
 * compile of the same state: the nodes it did not recompile really were unaffected. Changes are
 * drawn between three generated clusters over the same names (so pods move between nodes and
 * namespaces, change labels, ports and addresses, share addresses, appear and vanish; policies,
 * namespaces and nodes come, change and go).
 */
class IncrementalCompilerPropertyTest {

    /** One change: an object of the pool set to its version in cluster {@code version} (absent there: deleted). */
    record Step(int object, int version, boolean endsBatch) {
    }

    record History(Cluster start, List<Cluster> versions, List<Step> steps) {
        @Override
        public String toString() {
            return "start:" + Scenario.describe(start) + versions.stream().map(Scenario::describe)
                    .collect(Collectors.joining("version:", "version:", "")) + "steps: " + steps;
        }
    }

    @Property(tries = 1000)
    void incrementalRuleSetsEqualAFullCompile(@ForAll("histories") History h) {
        State state = new State(h.start());
        IncrementalCompiler compiler = new IncrementalCompiler(h.start());
        assertEquals(full(state.cluster()), compiler.ruleSets());
        List<String> pool = pool(h);
        Builder batch = new Builder();
        for (Step step : h.steps()) {
            String object = pool.get(step.object() % pool.size());
            Cluster version = h.versions().get(step.version() % h.versions().size());
            batch.set(object, version);
            if (step.endsBatch() || step == h.steps().get(h.steps().size() - 1)) {
                IncrementalCompiler.Delta delta = batch.delta();
                state.apply(delta);
                IncrementalCompiler.Update update = compiler.apply(delta);
                Cluster now = state.cluster();
                assertEquals(full(now), compiler.ruleSets(), () -> "after " + delta + "\nstate:" + Scenario.describe(now));
                assertEquals(now, compiler.index().cluster());
                update.recompiled().forEach((node, rs) -> assertEquals(compiler.ruleSets().get(node), rs));
                batch = new Builder();
            }
        }
    }

    @Provide
    Arbitrary<History> histories() {
        Arbitrary<Step> step = Combinators.combine(Arbitraries.integers().between(0, 200),
                Arbitraries.integers().between(0, 2), Arbitraries.of(true, false, false)).as(Step::new);
        // Some versions have ClusterNetworkPolicies (named from a small pool, so they come, change and go) and
        // some have none, so histories also cross between a cluster with them and one without.
        Arbitrary<Cluster> cluster = Combinators.combine(ClusterArbitraries.clusters(),
                        ClusterArbitraries.clusterPolicies().list().ofMaxSize(3), Arbitraries.of(true, false))
                .as((c, cnps, with) -> with ? c.withClusterPolicies(named(cnps)) : c);
        return Combinators.combine(cluster, cluster, cluster, step.list().ofMinSize(1).ofMaxSize(25))
                .as((a, b, c, steps) -> new History(a, List.of(a, b, c), steps));
    }

    private static List<ClusterNetworkPolicy> named(List<ClusterNetworkPolicy> cnps) {
        List<ClusterNetworkPolicy> out = new ArrayList<>();
        for (int i = 0; i < cnps.size(); i++) {
            ClusterNetworkPolicy p = cnps.get(i);
            out.add(new ClusterNetworkPolicy("cnp-" + i, p.tier(), p.priority(), p.subject(), p.ingress(), p.egress()));
        }
        return out;
    }

    static SortedMap<String, NodeRuleSet> full(Cluster c) {
        PolicyCompiler compiler = new PolicyCompiler(new ClusterIndex(c));
        SortedMap<String, NodeRuleSet> out = new TreeMap<>();
        c.nodes().forEach(n -> out.put(n.name(), compiler.compileNode(n.name())));
        return out;
    }

    /** Every object key of every version, as "kind:key", in order. */
    private static List<String> pool(History h) {
        java.util.SortedSet<String> keys = new java.util.TreeSet<>();
        for (Cluster c : h.versions()) {
            c.namespaces().forEach(n -> keys.add("ns:" + n.name()));
            c.nodes().forEach(n -> keys.add("node:" + n.name()));
            c.pods().forEach(p -> keys.add("pod:" + p.key()));
            c.policies().forEach(p -> keys.add("policy:" + p.key()));
            c.clusterPolicies().forEach(p -> keys.add("cnp:" + p.name()));
        }
        return new ArrayList<>(keys);
    }

    /** The changes of one batch, the last one per object winning, as the operator's cache coalesces them. */
    private static final class Builder {
        private final SortedMap<String, Optional<Namespace>> namespaces = new TreeMap<>();
        private final SortedMap<String, Optional<Node>> nodes = new TreeMap<>();
        private final SortedMap<String, Optional<NetworkPolicy>> policies = new TreeMap<>();
        private final SortedMap<String, Optional<Pod>> pods = new TreeMap<>();
        private final SortedMap<String, Optional<ClusterNetworkPolicy>> clusterPolicies = new TreeMap<>();

        void set(String object, Cluster version) {
            String kind = object.substring(0, object.indexOf(':'));
            String key = object.substring(object.indexOf(':') + 1);
            switch (kind) {
                case "ns" -> namespaces.put(key, find(version.namespaces(), Namespace::name, key));
                case "node" -> nodes.put(key, find(version.nodes(), Node::name, key));
                case "pod" -> pods.put(key, find(version.pods(), Pod::key, key));
                case "cnp" -> clusterPolicies.put(key, find(version.clusterPolicies(), ClusterNetworkPolicy::name, key));
                default -> policies.put(key, find(version.policies(), NetworkPolicy::key, key));
            }
        }

        IncrementalCompiler.Delta delta() {
            return new IncrementalCompiler.Delta(namespaces, nodes, policies, pods, clusterPolicies);
        }

        private static <T> Optional<T> find(List<T> in, Function<T, String> key, String wanted) {
            return in.stream().filter(t -> key.apply(t).equals(wanted)).findFirst();
        }
    }

    /** The state the changes describe, kept by the plainest means: maps by key. */
    private static final class State {
        private final Map<String, Namespace> namespaces = new TreeMap<>();
        private final Map<String, Node> nodes = new TreeMap<>();
        private final Map<String, Pod> pods = new TreeMap<>();
        private final Map<String, NetworkPolicy> policies = new TreeMap<>();
        private final Map<String, ClusterNetworkPolicy> clusterPolicies = new TreeMap<>();

        State(Cluster c) {
            c.namespaces().forEach(n -> namespaces.put(n.name(), n));
            c.nodes().forEach(n -> nodes.put(n.name(), n));
            c.pods().forEach(p -> pods.put(p.key(), p));
            c.policies().forEach(p -> policies.put(p.key(), p));
            c.clusterPolicies().forEach(p -> clusterPolicies.put(p.name(), p));
        }

        void apply(IncrementalCompiler.Delta d) {
            put(namespaces, d.namespaces());
            put(nodes, d.nodes());
            put(pods, d.pods());
            put(policies, d.policies());
            put(clusterPolicies, d.clusterPolicies());
        }

        private static <T> void put(Map<String, T> into, Map<String, Optional<T>> changes) {
            changes.forEach((k, v) -> {
                if (v.isPresent()) {
                    into.put(k, v.get());
                } else {
                    into.remove(k);
                }
            });
        }

        Cluster cluster() {
            return new Cluster(new ArrayList<>(namespaces.values()), new ArrayList<>(nodes.values()),
                    new ArrayList<>(pods.values()), new ArrayList<>(policies.values()),
                    new ArrayList<>(clusterPolicies.values()));
        }
    }
}
