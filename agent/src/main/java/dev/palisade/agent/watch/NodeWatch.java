package dev.palisade.agent.watch;

import dev.palisade.agent.cni.NodeNetwork;
import dev.palisade.agent.sync.Inputs;
import dev.palisade.model.Cidr;
import dev.palisade.model.IpAddress;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Watches Node objects: only this node's outside CNI mode (its pod CIDRs are the pending guard's
 * ranges), every node in CNI mode (routes to their pod CIDRs, the masquerade exemption). Hands the
 * whole set to the sync loop on every change, once the informer has listed.
 */
public final class NodeWatch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NodeWatch.class);

    private final KubernetesClient client;
    private final String node;
    private final boolean allNodes;
    private final Inputs inputs;
    private SharedIndexInformer<Node> informer;

    public NodeWatch(KubernetesClient client, String node, boolean allNodes, Inputs inputs) {
        this.client = client;
        this.node = node;
        this.allNodes = allNodes;
        this.inputs = inputs;
    }

    public void start() {
        ResourceEventHandler<Node> handler = new ResourceEventHandler<>() {
            @Override
            public void onAdd(Node obj) {
                publish();
            }

            @Override
            public void onUpdate(Node oldObj, Node newObj) {
                if (!network(oldObj).equals(network(newObj))) {
                    publish();
                }
            }

            @Override
            public void onDelete(Node obj, boolean deletedFinalStateUnknown) {
                publish();
            }
        };
        informer = allNodes ? client.nodes().runnableInformer(0)
                : client.nodes().withField("metadata.name", node).runnableInformer(0);
        informer.addEventHandler(handler);
        informer.start().whenComplete((v, t) -> {
            if (t == null) {
                publish(); // an empty list has no onAdd
            }
        });
    }

    /** This node's name and labels as last seen by the watch; empty before it listed, or when the node is gone. */
    public Optional<Departure.NodeFacts> self() {
        if (informer == null || !informer.hasSynced()) {
            return Optional.empty();
        }
        return Optional.ofNullable(informer.getStore().getByKey(node)).map(NodeWatch::facts);
    }

    /** What {@link Departure} needs of a Node. */
    static Departure.NodeFacts facts(Node n) {
        Map<String, String> labels = n.getMetadata().getLabels();
        return new Departure.NodeFacts(n.getMetadata().getName(), labels == null ? Map.of() : labels);
    }

    public boolean synced() {
        return informer != null && informer.hasSynced();
    }

    private void publish() {
        if (!informer.hasSynced()) {
            return;
        }
        Map<String, NodeNetwork> out = new TreeMap<>();
        for (Node n : informer.getStore().list()) {
            NodeNetwork nn = network(n);
            out.put(nn.name(), nn);
        }
        LOG.debug("nodes: {}", out.values());
        inputs.nodes(out);
    }

    /** The parts of a Node the agent uses; a Node with unparseable fields contributes what parses. */
    public static NodeNetwork network(Node n) {
        List<Cidr> cidrs = new ArrayList<>();
        List<IpAddress> ips = new ArrayList<>();
        if (n.getSpec() != null) {
            List<String> texts = n.getSpec().getPodCIDRs() != null && !n.getSpec().getPodCIDRs().isEmpty()
                    ? n.getSpec().getPodCIDRs()
                    : n.getSpec().getPodCIDR() == null ? List.of() : List.of(n.getSpec().getPodCIDR());
            for (String t : texts) {
                try {
                    cidrs.add(Cidr.parse(t));
                } catch (IllegalArgumentException e) {
                    LOG.warn("node {}: bad podCIDR {}: {}", n.getMetadata().getName(), t, e.getMessage());
                }
            }
        }
        if (n.getStatus() != null && n.getStatus().getAddresses() != null) {
            for (NodeAddress a : n.getStatus().getAddresses()) {
                if ("InternalIP".equals(a.getType())) {
                    try {
                        ips.add(IpAddress.parse(a.getAddress()));
                    } catch (IllegalArgumentException e) {
                        LOG.warn("node {}: bad InternalIP {}", n.getMetadata().getName(), a.getAddress());
                    }
                }
            }
        }
        return new NodeNetwork(n.getMetadata().getName(), cidrs, ips);
    }

    @Override
    public void close() {
        if (informer != null) {
            informer.close();
        }
    }
}
