package dev.palisade.agent.cni;

import dev.palisade.agent.telemetry.AgentMetrics;
import dev.palisade.dataplane.kernel.Nftables;
import dev.palisade.dataplane.kernel.NftablesException;
import dev.palisade.model.Cidr;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Pod networking in CNI mode, driven by the sync loop after each change of the nodes and on each
 * verification: the masquerade table, the routes to the other nodes' pod CIDRs, and last the CNI
 * configuration list, which the runtime waits for before it creates any pod. It is written only
 * after the first full apply of the policy table (the sync loop's readiness), so no pod gets an
 * address before the node's pending guard is in the kernel; and it lives on a tmpfs behind a link
 * ({@link ConfListFile}), so the same holds after a reboot, which empties the tmpfs and the kernel.
 *
 * <p>Each part fails on its own (logged once, counted, retried on the next pass); all run on the
 * sync loop's thread, which owns the nftables context.
 */
public final class CniPlane {

    private static final Logger LOG = LoggerFactory.getLogger(CniPlane.class);

    private final CniSettings settings;
    private final String node;
    private final List<Cidr> clusterCidrs;
    private final RouteTable routes;
    private final AgentMetrics metrics;
    private String natApplied;
    private String natListing;
    private final ConfListFile file;
    /** Volatile: {@link #leave} runs on the stopping main thread once the sync loop's thread has ended. */
    private volatile String confWritten;
    private boolean pluginsChecked;
    private boolean tmpfsChecked;

    public CniPlane(CniSettings settings, String node, List<Cidr> clusterCidrs, RouteTable routes, AgentMetrics metrics) {
        this.settings = settings;
        this.node = node;
        this.clusterCidrs = List.copyOf(clusterCidrs);
        this.routes = routes;
        this.metrics = metrics;
        this.file = ConfListFile.of(settings);
    }

    /**
     * Brings the node's pod networking in line with {@code nodes}.
     *
     * @param verify read the kernel back (NAT table listing, owned routes, the file) even if nothing changed
     * @return true when every part is in place
     */
    public boolean sync(Map<String, NodeNetwork> nodes, Nftables nft, boolean verify) {
        boolean ok = nat(nodes, nft, verify);
        ok &= routes(nodes);
        ok &= confList(nodes, verify);
        return ok;
    }

    /** The CNI configuration list has been written (the runtime can wire pods). */
    public boolean configured() {
        return confWritten != null;
    }

    /** The cluster's pod CIDRs: configured, else every node's podCIDRs. */
    List<Cidr> clusterCidrs(Map<String, NodeNetwork> nodes) {
        if (!clusterCidrs.isEmpty()) {
            return clusterCidrs;
        }
        SortedSet<Cidr> all = new TreeSet<>();
        nodes.values().forEach(n -> all.addAll(n.podCidrs()));
        return new ArrayList<>(all);
    }

    private boolean nat(Map<String, NodeNetwork> nodes, Nftables nft, boolean verify) {
        String script = NatTable.script(node, clusterCidrs(nodes));
        try {
            boolean drifted = false;
            if (verify && natListing != null) {
                String now = listNat(nft);
                drifted = !now.equals(natListing);
                if (drifted) {
                    LOG.warn("table {} {} drifted from what was applied; replacing it", NatTable.FAMILY, NatTable.NAME);
                }
            }
            if (drifted || !script.equals(natApplied)) {
                nft.run(script);
                natApplied = script;
                natListing = listNat(nft);
                LOG.info("masquerading pod traffic leaving {}", clusterCidrs(nodes));
            }
            return true;
        } catch (NftablesException | IllegalStateException e) {
            natApplied = null;
            metrics.cniError("nat");
            LOG.warn("cannot apply table {} {}: {}", NatTable.FAMILY, NatTable.NAME, e.getMessage());
            return false;
        }
    }

    private static String listNat(Nftables nft) {
        return nft.list("list table " + NatTable.FAMILY + " " + NatTable.NAME);
    }

    private boolean routes(Map<String, NodeNetwork> nodes) {
        try {
            SortedSet<Route> desired = Route.desired(node, nodes);
            Route.Plan plan = Route.plan(routes.owned(), desired);
            for (Route r : plan.replace()) {
                routes.replace(r);
            }
            for (Route r : plan.delete()) {
                routes.delete(r);
            }
            if (!plan.isEmpty()) {
                LOG.info("routes to other nodes' pods: {} added or changed, {} removed; now {}", plan.replace().size(),
                        plan.delete().size(), desired);
            }
            metrics.routes(desired.size());
            return true;
        } catch (IllegalStateException e) {
            metrics.cniError("routes");
            LOG.warn("cannot program routes to other nodes' pods: {}", e.getMessage());
            return false;
        }
    }

    private boolean confList(Map<String, NodeNetwork> nodes, boolean verify) {
        NodeNetwork self = nodes.get(node);
        if (self == null || self.podCidrs().isEmpty()) {
            metrics.cniError("conflist");
            LOG.warn("node {} has no spec.podCIDRs yet: the CNI configuration waits for it", node);
            return false;
        }
        if (!pluginsChecked) {
            for (String plugin : ConfList.PLUGINS) {
                if (!Files.isExecutable(settings.binDir().resolve(plugin))) {
                    LOG.warn("CNI plugin {} is not in {}: pods on this node cannot be wired", plugin, settings.binDir());
                }
            }
            pluginsChecked = true;
        }
        String text = ConfList.render(settings, self.podCidrs());
        try {
            if (text.equals(confWritten) && (!verify || file.installed(text))) {
                return true;
            }
            if (!file.installed(text)) {
                ConfListFile.State was = file.state();
                file.install(text);
                LOG.info("wrote CNI configuration {} for pod CIDRs {}, linked from {} (was {})", file.target(),
                        self.podCidrs(), file.link(), was.describe());
                if (!tmpfsChecked) {
                    tmpfsChecked = true;
                    file.targetFileSystem().filter(t -> !t.equals("tmpfs")).ifPresent(t -> LOG.warn("CNI run directory "
                            + "{} is on {}, not a tmpfs: a reboot does not clear it, so after a reboot the runtime can "
                            + "wire pods before this agent has applied its rules", settings.runDir(), t));
                }
            }
            confWritten = text;
            return true;
        } catch (IOException e) {
            metrics.cniError("conflist");
            LOG.warn("cannot write CNI configuration {} (linked from {}): {}", file.target(), file.link(), e.toString());
            return false;
        }
    }

    /**
     * The agent leaves its node for good (an uninstall): the link becomes a regular file with the
     * same content, so pods keep getting a network without an agent, after a reboot too
     * (docs/design/failure-model.md, "Uninstall"). Called once the sync loop has stopped.
     */
    public void leave() {
        try {
            if (file.detach(Optional.ofNullable(confWritten))) {
                LOG.info("replaced the link {} by a regular file with the same CNI configuration: new pods on this "
                        + "node still get a network, reboots included", file.link());
            }
        } catch (IOException e) {
            metrics.cniError("conflist");
            LOG.warn("cannot replace the link {} by a regular file ({}): after a reboot the node wires no pods until "
                    + "another network plugin is installed; copy {} over it by hand", file.link(), e.toString(),
                    file.target());
        }
    }
}
