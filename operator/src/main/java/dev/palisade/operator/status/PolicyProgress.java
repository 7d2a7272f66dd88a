package dev.palisade.operator.status;

import dev.palisade.compiler.ClusterIndex;
import dev.palisade.model.NetworkPolicy;
import dev.palisade.model.Pod;
import dev.palisade.operator.resource.PolicyStatusStatus;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Per policy, on how many of the nodes that need it the node's current rule set is applied. A node
 * needs a policy when it hosts a pod the policy selects (whether the policy grants or only isolates);
 * it counts as programmed when its agent reports the hash the operator last published for it. Pure.
 */
public final class PolicyProgress {

    /** What the status needs of a policy besides the compiled snapshot. */
    public record Facts(long generation, List<String> problems) {
        public Facts {
            problems = List.copyOf(problems);
        }
    }

    private PolicyProgress() {
    }

    /** "namespace/name" of every policy to the nodes hosting a pod it selects. */
    public static SortedMap<String, SortedSet<String>> neededNodes(ClusterIndex index) {
        SortedMap<String, SortedSet<String>> out = new TreeMap<>();
        for (NetworkPolicy policy : index.cluster().policies()) {
            SortedSet<String> nodes = new TreeSet<>();
            for (Pod pod : index.selectPods(policy.namespace(), policy.podSelector())) {
                if (pod.nodeName() != null) {
                    nodes.add(pod.nodeName());
                }
            }
            out.put(policy.key(), nodes);
        }
        return out;
    }

    /**
     * @param needed    policy to the nodes hosting a pod it selects ({@link #neededNodes})
     * @param published node name to the hash of its current rule set (only nodes with a rule set)
     * @param applied   node name to the hash its agent reports as applied
     * @return "namespace/name" to status, for every policy in {@code needed}
     */
    public static SortedMap<String, PolicyStatusStatus> of(Map<String, SortedSet<String>> needed,
                                                           Map<String, Facts> facts,
                                                           Map<String, String> published, Map<String, String> applied) {
        SortedMap<String, PolicyStatusStatus> out = new TreeMap<>();
        for (var e : needed.entrySet()) {
            int desired = 0;
            int programmed = 0;
            for (String node : e.getValue()) {
                if (!published.containsKey(node)) {
                    continue;
                }
                desired++;
                if (Objects.equals(published.get(node), applied.get(node))) {
                    programmed++;
                }
            }
            Facts f = facts.getOrDefault(e.getKey(), new Facts(0, List.of()));
            out.put(e.getKey(), new PolicyStatusStatus(programmed + "/" + desired, desired, programmed,
                    f.generation(), f.problems().size(), f.problems()));
        }
        return out;
    }
}
