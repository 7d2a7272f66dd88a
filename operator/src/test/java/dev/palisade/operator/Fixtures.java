package dev.palisade.operator;

import dev.palisade.compiler.ClusterIndex;
import dev.palisade.compiler.PolicyCompiler;
import dev.palisade.manifest.ClusterPolicyProjection;
import dev.palisade.manifest.Projected;
import dev.palisade.manifest.Projection;
import dev.palisade.model.Cluster;
import dev.palisade.operator.publish.RuleSetDecoder;
import dev.palisade.operator.resource.AddressSetSpec;
import dev.palisade.operator.resource.PalisadeAddressSet;
import dev.palisade.operator.resource.PalisadeNodeRuleSet;
import dev.palisade.ruleset.NodeRuleSet;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodIPBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/** Objects as a cluster would have them, made with the admin client; and what the operator published. */
public final class Fixtures {

    private final KubernetesClient client;

    public Fixtures(KubernetesClient client) {
        this.client = client;
    }

    public void node(String name) {
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName(name).endMetadata().build())
                .serverSideApply();
    }

    public void namespace(String name, Map<String, String> labels) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).withLabels(labels)
                .endMetadata().build()).serverSideApply();
    }

    /** A pod bound to a node, Running, with its IP set through the status subresource (as the kubelet does). */
    public Pod pod(String namespace, String name, String node, String ip, Map<String, String> labels) {
        Pod p = client.pods().inNamespace(namespace).resource(new PodBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).withLabels(labels).endMetadata()
                .withNewSpec().withNodeName(node).addNewContainer().withName("c").withImage("busybox")
                .addNewPort().withContainerPort(8080).withName("http").endPort().endContainer().endSpec()
                .build()).create();
        return running(p, ip);
    }

    public Pod running(Pod p, String ip) {
        p.setStatus(new PodStatusBuilder().withPhase("Running").withPodIP(ip)
                .withPodIPs(new PodIPBuilder().withIp(ip).build()).build());
        return client.pods().resource(p).updateStatus();
    }

    public void label(String namespace, String pod, Map<String, String> labels) {
        client.pods().inNamespace(namespace).withName(pod).edit(p -> {
            p.getMetadata().setLabels(labels);
            return p;
        });
    }

    public NetworkPolicy policy(String yaml) {
        NetworkPolicy np = client.getKubernetesSerialization().unmarshal(yaml, NetworkPolicy.class);
        return client.resource(np).serverSideApply();
    }

    public Optional<PalisadeNodeRuleSet> ruleSetObject(String node) {
        return Optional.ofNullable(client.resources(PalisadeNodeRuleSet.class).withName(node).get());
    }

    /** The published rule set of a node, decoded with its address sets; empty if absent or a part is missing. */
    public Optional<NodeRuleSet> published(String node) {
        Optional<PalisadeNodeRuleSet> o = ruleSetObject(node);
        if (o.isEmpty()) {
            return Optional.empty();
        }
        Function<String, Optional<AddressSetSpec>> sets = name -> Optional.ofNullable(
                client.resources(PalisadeAddressSet.class).withName(name).get()).map(PalisadeAddressSet::getSpec);
        try {
            return Optional.of(RuleSetDecoder.decode(node, o.get().getSpec().ruleSet(), sets));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** What the compiler makes of the API server's current state for one node: the operator must publish this. */
    public NodeRuleSet expected(String node) {
        Cluster cluster = new Cluster(
                values(client.namespaces().list().getItems().stream().map(Projection::namespace).toList()),
                values(client.nodes().list().getItems().stream().map(Projection::node).toList()),
                values(client.pods().inAnyNamespace().list().getItems().stream().map(Projection::pod).toList()),
                values(client.network().v1().networkPolicies().inAnyNamespace().list().getItems().stream()
                        .map(Projection::networkPolicy).toList()),
                values(clusterPolicyObjects().stream().map(ClusterPolicyProjection::clusterNetworkPolicy).toList()));
        return new PolicyCompiler(new ClusterIndex(cluster)).compileNode(node);
    }

    /** The ClusterNetworkPolicies as the API server has them; none when their CRD is not installed. */
    private List<GenericKubernetesResource> clusterPolicyObjects() {
        try {
            return client.genericKubernetesResources(ClusterPolicyProjection.API_VERSION, ClusterPolicyProjection.KIND)
                    .list().getItems();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404 || client.getApiGroup("policy.networking.k8s.io") == null) {
                return List.of();
            }
            throw e;
        }
    }

    /** Applies a ClusterNetworkPolicy given as YAML (policy.networking.k8s.io/v1beta1). */
    public GenericKubernetesResource clusterPolicy(String yaml) {
        GenericKubernetesResource cnp = client.getKubernetesSerialization().unmarshal(yaml, GenericKubernetesResource.class);
        return client.genericKubernetesResources(ClusterPolicyProjection.API_VERSION, ClusterPolicyProjection.KIND)
                .resource(cnp).serverSideApply();
    }

    public void deleteClusterPolicy(String name) {
        client.genericKubernetesResources(ClusterPolicyProjection.API_VERSION, ClusterPolicyProjection.KIND)
                .withName(name).delete();
    }

    private static <T> List<T> values(List<Projected<T>> projected) {
        return projected.stream().flatMap(p -> p.value().stream()).toList();
    }

    /** Waits until the node's published rule set is what the compiler makes of the current state. */
    public NodeRuleSet converged(String node) {
        return converged(node, Duration.ofSeconds(30));
    }

    public NodeRuleSet converged(String node, Duration timeout) {
        TestCluster.eventually(timeout, () -> published(node).equals(Optional.of(expected(node))),
                () -> "published " + published(node) + "\nexpected  " + expected(node));
        return published(node).orElseThrow();
    }
}
