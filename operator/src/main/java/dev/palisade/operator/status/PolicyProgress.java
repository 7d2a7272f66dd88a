package dev.palisade.operator.status;

import dev.palisade.compiler.ClusterIndex;
import dev.palisade.model.NetworkPolicy;
import dev.palisade.model.Pod;
import dev.palisade.operator.resource.PolicyStatusStatus;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Per policy, on how many of the nodes that need it the policy is in force. A node needs a policy
 * when it hosts a pod the policy selects (whether the policy grants or only isolates); it counts as
 * programmed when its agent reports a revision at least as new as the first one the operator
 * published there with the policy as it is now. Pod churn elsewhere on the node, which gives the
 * node newer revisions every second, does not make a policy that is in force look pending. Pure.
 */
public final class PolicyProgress {

    /** What the status needs of a policy besides the compiled state. */
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
        for (NetworkPolicy policy : index.policies()) {
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
     * @param needed  policy to the nodes hosting a pod it selects ({@link #neededNodes})
     * @param from    policy to node to the first revision published there with the policy as it is
     *                now (only nodes with a published rule set: the others are not counted)
     * @param applied node name to the revision its agent reports as applied
     * @return "namespace/name" to status, for every policy in {@code needed}
     */
    public static SortedMap<String, PolicyStatusStatus> of(Map<String, SortedSet<String>> needed,
                                                           Map<String, Facts> facts,
                                                           Map<String, ? extends Map<String, Long>> from,
                                                           Map<String, Long> applied) {
        SortedMap<String, PolicyStatusStatus> out = new TreeMap<>();
        for (var e : needed.entrySet()) {
            Map<String, Long> revisions = from.containsKey(e.getKey()) ? from.get(e.getKey()) : Map.of();
            int desired = 0;
            int programmed = 0;
            for (String node : e.getValue()) {
                Long since = revisions.get(node);
                if (since == null) {
                    continue;
                }
                desired++;
                Long done = applied.get(node);
                if (done != null && done >= since) {
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
