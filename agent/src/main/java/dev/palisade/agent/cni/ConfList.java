package dev.palisade.agent.cni;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.palisade.model.Cidr;

import java.io.UncheckedIOException;
import java.util.List;

/**
 * The CNI configuration list the agent writes: Debian's reference plugins, chained as a container
 * runtime runs them. {@code ptp} gives each pod a veth pair routed by the node (so the node's
 * {@code forward} hook sees all pod traffic, which the nftables layout relies on) with
 * {@code host-local} addresses from the node's {@code spec.podCIDRs}; {@code portmap} serves
 * {@code hostPort}s; the runtime brings up {@code lo} itself. {@code ipMasq} stays off: the agent
 * masquerades in its own nftables table (see {@link NatTable}). Pure and deterministic.
 */
public final class ConfList {

    public static final String CNI_VERSION = "1.0.0";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ConfList() {
    }

    /** The plugins the configuration uses; they must be in the CNI binary directory. */
    public static final List<String> PLUGINS = List.of("ptp", "host-local", "portmap", "loopback");

    public static String render(CniSettings settings, List<Cidr> podCidrs) {
        if (podCidrs.isEmpty()) {
            throw new IllegalArgumentException("the node has no spec.podCIDRs: nothing to allocate pod addresses from");
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("cniVersion", CNI_VERSION);
        root.put("name", CniSettings.NETWORK_NAME);
        ArrayNode plugins = root.putArray("plugins");

        ObjectNode ptp = plugins.addObject();
        ptp.put("type", "ptp");
        ptp.put("ipMasq", false);
        if (settings.mtu() > 0) {
            ptp.put("mtu", settings.mtu());
        }
        ObjectNode ipam = ptp.putObject("ipam");
        ipam.put("type", "host-local");
        ArrayNode ranges = ipam.putArray("ranges");
        ArrayNode routes = ipam.putArray("routes");
        for (Cidr c : podCidrs.stream().sorted().toList()) {
            ranges.addArray().addObject().put("subnet", c.toString());
        }
        boolean v4 = podCidrs.stream().anyMatch(c -> c.family() == dev.palisade.model.IpAddress.Family.V4);
        boolean v6 = podCidrs.stream().anyMatch(c -> c.family() == dev.palisade.model.IpAddress.Family.V6);
        if (v4) {
            routes.addObject().put("dst", "0.0.0.0/0");
        }
        if (v6) {
            routes.addObject().put("dst", "::/0");
        }
        settings.ipamDataDir().ifPresent(d -> ipam.put("dataDir", d.toString()));

        ObjectNode portmap = plugins.addObject();
        portmap.put("type", "portmap");
        portmap.putObject("capabilities").put("portMappings", true);
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
