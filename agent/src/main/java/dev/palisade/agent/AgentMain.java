package dev.palisade.agent;

import dev.palisade.agent.cni.CniPlane;
import dev.palisade.agent.cni.RouteTable;
import dev.palisade.agent.sync.Conntrack;
import dev.palisade.agent.sync.Inputs;
import dev.palisade.agent.sync.ReleasingNftables;
import dev.palisade.agent.sync.SyncLoop;
import dev.palisade.agent.telemetry.AgentMetrics;
import dev.palisade.agent.watch.DaemonSetWatch;
import dev.palisade.agent.watch.NodeWatch;
import dev.palisade.agent.watch.RuleSetWatch;
import dev.palisade.agent.watch.StatusReporter;
import dev.palisade.dataplane.kernel.LibNftables;
import dev.palisade.dataplane.kernel.Nftables;
import dev.palisade.operator.lifecycle.StopSignal;
import dev.palisade.operator.telemetry.HttpEndpoints;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The agent's wiring, by hand: a watch on this node's rule set (and the address sets it names), a
 * watch on Nodes, a watch on its own DaemonSet (to tell an uninstall from a restart), one kernel
 * thread that applies and verifies, a status writer, metrics and probes over HTTP.
 * {@code palisade agent} (the CLI's composition root) calls {@link #run(AgentConfig)}; tests call
 * {@link #start}.
 */
public final class AgentMain {

    private static final Logger LOG = LoggerFactory.getLogger(AgentMain.class);

    /** How long a stopping agent waits for the API server to say whether it is being uninstalled. */
    static final Duration DECIDE_WITHIN = Duration.ofSeconds(5);
    /** How long it then waits for the sync loop to finish its pass and, when uninstalled, delete the table. */
    static final Duration DELETE_WITHIN = Duration.ofSeconds(20);

    private AgentMain() {
    }

    /**
     * Runs until the JVM is asked to stop (SIGTERM). The Kubernetes client is configured the usual way:
     * in-cluster service account, else kubeconfig. On stop the kernel's tables stay and keep enforcing,
     * unless the agent's DaemonSet says it is being uninstalled from this node ({@link Agent#leave}).
     * The whole stop fits in the pod's terminationGracePeriodSeconds (30).
     */
    public static void run(AgentConfig config) throws InterruptedException {
        // The JVM halts once its shutdown hooks return, whatever other threads are doing: the stop
        // signal's hook waits for the main thread to finish leaving (the table deleted or kept). It is
        // the first resource, so it is closed last, after the agent and the client.
        try (StopSignal stop = StopSignal.install(DECIDE_WITHIN.plus(DELETE_WITHIN).plusSeconds(2));
             KubernetesClient client = new KubernetesClientBuilder().build();
             Agent agent = start(config, client, () -> new ReleasingNftables(LibNftables::open))) {
            LOG.info("agent for node {} running{}; metrics and probes on port {}", config.node(),
                    config.cni().map(c -> ", CNI mode (" + c.confFile() + ")").orElse(""), agent.httpPort());
            stop.await();
            agent.leave(DECIDE_WITHIN, DELETE_WITHIN);
        }
    }

    /** For tests and benchmarks: flags as in {@link AgentConfig#parse}, over the environment. */
    public static void main(String[] args) throws InterruptedException {
        run(AgentConfig.parse(Arrays.asList(args), System.getenv()));
    }

    /**
     * Wires and starts an agent on the given client; returns at once.
     *
     * @param kernel opens the nftables port; called once, on the sync thread, after it entered the node's namespace
     */
    public static Agent start(AgentConfig config, KubernetesClient client, Supplier<Nftables> kernel) {
        AgentMetrics metrics = new AgentMetrics();
        Inputs inputs = new Inputs();
        StatusReporter status = new StatusReporter(client, config.node(), metrics, config.backoff());
        Optional<CniPlane> cni = config.cni().map(c -> new CniPlane(c, config.node(), config.clusterCidrs(),
                new RouteTable(config.netns()), metrics));
        SyncLoop loop = new SyncLoop(new SyncLoop.Settings(config.node(), config.pendingGuard(), config.pendingCidrs(),
                config.verifyInterval(), config.fullVerifyInterval(), config.backoff(), config.netns(), true), kernel,
                SyncLoop::kernelGeneration, Conntrack.KERNEL, cni, inputs, metrics, status);
        RuleSetWatch ruleSets = new RuleSetWatch(client, config.node(), inputs, metrics, config.backoff(), status);
        NodeWatch nodes = new NodeWatch(client, config.node(), config.cni().isPresent(), inputs);
        Optional<DaemonSetWatch> daemonSet = config.daemonSet()
                .map(ref -> new DaemonSetWatch(client, ref, config.node(), nodes::self, metrics));
        HttpEndpoints http;
        try {
            http = new HttpEndpoints(config.http(), metrics::writeText, loop::healthy, loop::ready);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + config.http(), e);
        }
        loop.start();
        nodes.start();
        ruleSets.start();
        daemonSet.ifPresentOrElse(DaemonSetWatch::start, () -> LOG.info("no DaemonSet given (POD_NAMESPACE and "
                + "PALISADE_DAEMONSET): the tables stay in the kernel whenever this agent stops, uninstall included"));
        return new Agent(config.node(), ruleSets, nodes, daemonSet, status, loop, cni, metrics, http);
    }
}
