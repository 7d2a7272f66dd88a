package dev.palisade.dataplane.sync;

import static dev.palisade.compiler.Manifests.namespace;
import static dev.palisade.compiler.Manifests.node;
import static dev.palisade.compiler.Manifests.pod;

import dev.palisade.compiler.ClusterIndex;
import dev.palisade.compiler.PolicyCompiler;
import dev.palisade.dataplane.nft.Table;
import dev.palisade.dataplane.translate.RuleSetTranslator;
import dev.palisade.model.Cluster;
import dev.palisade.model.IpAddress;
import dev.palisade.model.NetworkPolicy;
import dev.palisade.model.Pod;
import dev.palisade.ruleset.NodeRuleSet;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The pods of a {@link dev.palisade.dataplane.kernel.PodTopology} as a cluster snapshot: namespace
 * {@code app}, node {@code n1}, each pod labelled {@code app=<name>} and serving {@code http} on
 * TCP 80, so tests write NetworkPolicies and compile them as the agent would.
 */
final class PodCluster {

    static final String NAMESPACE = "app";
    static final String NODE = "n1";

    private final List<Pod> pods = new ArrayList<>();

    PodCluster(Map<String, IpAddress> podIps) {
        podIps.forEach((name, ip) -> pods.add(pod(NAMESPACE + "/" + name, NODE, "app=" + name, ip.toString(),
                "http/TCP/80")));
    }

    NodeRuleSet compile(Collection<NetworkPolicy> policies) {
        Cluster cluster = new Cluster(List.of(namespace(NAMESPACE, "")), List.of(node(NODE, "10.0.0.1")), pods,
                List.copyOf(policies));
        return new PolicyCompiler(new ClusterIndex(cluster)).compileNode(NODE);
    }

    Table table(Collection<NetworkPolicy> policies) {
        return RuleSetTranslator.translate(compile(policies));
    }
}
