package dev.palisade.agent;

import dev.palisade.agent.cni.CniSettings;
import dev.palisade.agent.watch.DaemonSetRef;
import dev.palisade.dataplane.sync.Backoff;
import dev.palisade.model.Cidr;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of one node's agent. {@link #fromEnvironment} gives what runs in a cluster (the node name
 * from the downward API); {@link #parse} adds command-line flags on top, for the CLI and for tests.
 *
 * @param node           the node this agent enforces for (NODE_NAME, from spec.nodeName)
 * @param http           address of /metrics, /healthz and /readyz (port 0: any free port)
 * @param verifyInterval how often the kernel's table is verified and repaired if it drifted (a read-back
 *                       only when the namespace's nftables generation moved since the agent's own commit)
 * @param fullVerifyInterval how often the table is read back even though the generation did not move
 * @param backoff        retry of refused kernel transactions and failed API calls
 * @param pendingGuard   drop traffic of pod addresses the agent does not know yet (docs/design/failure-model.md)
 * @param pendingCidrs   the addresses the guard covers; empty: the node's spec.podCIDRs
 * @param clusterCidrs   CNI mode: what counts as "inside the cluster" for masquerading; empty: every node's podCIDRs
 * @param cni            CNI mode: present when the agent also gives pods their network
 * @param netns          program this named network namespace ({@code /var/run/netns/<name>}) instead of the
 *                       process's own; for simulated nodes on one host (tests, benchmarks)
 * @param daemonSet      the DaemonSet that runs this agent (POD_NAMESPACE and PALISADE_DAEMONSET): when it stops,
 *                       the agent deletes its table if that DaemonSet is gone or no longer selects the node;
 *                       empty: the table always stays (docs/design/failure-model.md, "Uninstall")
 */
public record AgentConfig(String node, InetSocketAddress http, Duration verifyInterval, Duration fullVerifyInterval,
                          Backoff backoff,
                          boolean pendingGuard, List<Cidr> pendingCidrs, List<Cidr> clusterCidrs,
                          Optional<CniSettings> cni, Optional<String> netns, Optional<DaemonSetRef> daemonSet) {

    public static final int DEFAULT_HTTP_PORT = 9091;
    public static final Duration DEFAULT_VERIFY_INTERVAL = Duration.ofSeconds(30);
    public static final Duration DEFAULT_FULL_VERIFY_INTERVAL = Duration.ofHours(1);

    public AgentConfig {
        if (node == null || node.isBlank()) {
            throw new IllegalArgumentException("the node name is required: set NODE_NAME from the downward API "
                    + "(fieldRef spec.nodeName) or pass --node");
        }
        Objects.requireNonNull(http, "http");
        Objects.requireNonNull(backoff, "backoff");
        if (verifyInterval == null || verifyInterval.isNegative() || verifyInterval.isZero()) {
            throw new IllegalArgumentException("verify interval must be positive, got " + verifyInterval);
        }
        if (fullVerifyInterval == null || fullVerifyInterval.compareTo(verifyInterval) < 0) {
            throw new IllegalArgumentException("full verify interval " + fullVerifyInterval
                    + " must be at least the verify interval " + verifyInterval);
        }
        pendingCidrs = List.copyOf(pendingCidrs);
        clusterCidrs = List.copyOf(clusterCidrs);
        Objects.requireNonNull(cni, "cni");
        Objects.requireNonNull(netns, "netns");
        Objects.requireNonNull(daemonSet, "daemonSet");
    }

    /** The defaults for {@code node}: guard on, no CNI mode, the process's own namespace. */
    public static AgentConfig defaults(String node) {
        return new AgentConfig(node, new InetSocketAddress(DEFAULT_HTTP_PORT), DEFAULT_VERIFY_INTERVAL,
                DEFAULT_FULL_VERIFY_INTERVAL, Backoff.DEFAULT, true, List.of(), List.of(), Optional.empty(), Optional.empty(),
                Optional.empty());
    }

    /**
     * NODE_NAME (required), PALISADE_HTTP_PORT, PALISADE_VERIFY_INTERVAL (seconds), PALISADE_CNI
     * ("true"), PALISADE_CNI_PRESET (kind, k3s), PALISADE_CNI_BIN_DIR, PALISADE_CNI_CONF_DIR, PALISADE_CNI_RUN_DIR.
     */
    public static AgentConfig fromEnvironment(Map<String, String> env) {
        List<String> args = new ArrayList<>();
        copy(env, "PALISADE_HTTP_PORT", "--http-port", args);
        copy(env, "PALISADE_VERIFY_INTERVAL", "--verify-interval", args);
        copy(env, "PALISADE_CNI_PRESET", "--cni-preset", args);
        copy(env, "PALISADE_CNI_BIN_DIR", "--cni-bin-dir", args);
        copy(env, "PALISADE_CNI_CONF_DIR", "--cni-conf-dir", args);
        copy(env, "PALISADE_CNI_RUN_DIR", "--cni-run-dir", args);
        if ("true".equalsIgnoreCase(env.getOrDefault("PALISADE_CNI", ""))) {
            args.add("--cni");
        }
        return parse(args, env);
    }

    private static void copy(Map<String, String> env, String var, String flag, List<String> args) {
        String v = env.get(var);
        if (v != null && !v.isBlank()) {
            args.add(flag + "=" + v);
        }
    }

    /**
     * Flags ({@code --name=value} or {@code --name value}) over the environment's defaults:
     * {@code --node}, {@code --http-port}, {@code --verify-interval} (seconds), {@code --full-verify-interval}
     * (seconds), {@code --no-pending-guard},
     * {@code --pending-cidr} (repeatable), {@code --cluster-cidr} (repeatable), {@code --cni},
     * {@code --cni-preset}, {@code --cni-bin-dir}, {@code --cni-conf-dir}, {@code --cni-run-dir}, {@code --cni-mtu},
     * {@code --cni-ipam-data-dir}, {@code --netns}, {@code --daemonset} ({@code namespace/name}; by default
     * POD_NAMESPACE/PALISADE_DAEMONSET when both are set, like NODE_NAME read with or without flags).
     *
     * @throws IllegalArgumentException naming the flag, for an unknown flag or a bad value
     */
    public static AgentConfig parse(List<String> argv, Map<String, String> env) {
        String node = env.get("NODE_NAME");
        int port = DEFAULT_HTTP_PORT;
        Duration verify = DEFAULT_VERIFY_INTERVAL;
        Duration fullVerify = null;
        boolean guard = true;
        List<Cidr> pending = new ArrayList<>();
        List<Cidr> cluster = new ArrayList<>();
        boolean cniMode = false;
        CniSettings cni = CniSettings.Preset.KIND.settings();
        String netns = null;
        String podNamespace = env.get("POD_NAMESPACE");
        String daemonSetName = env.get("PALISADE_DAEMONSET");
        Optional<DaemonSetRef> daemonSet = podNamespace == null || podNamespace.isBlank() || daemonSetName == null
                || daemonSetName.isBlank() ? Optional.empty() : Optional.of(new DaemonSetRef(podNamespace, daemonSetName));
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            String name = a;
            String value = null;
            int eq = a.indexOf('=');
            if (eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            boolean flag = name.equals("--cni") || name.equals("--no-pending-guard");
            if (!flag && value == null) {
                if (i + 1 >= argv.size()) {
                    throw new IllegalArgumentException(name + " needs a value");
                }
                value = argv.get(++i);
            }
            try {
                switch (name) {
                    case "--node" -> node = value;
                    case "--http-port" -> port = Integer.parseInt(value);
                    case "--verify-interval" -> verify = Duration.ofMillis(Math.round(Double.parseDouble(value) * 1000));
                    case "--full-verify-interval" -> fullVerify = Duration.ofMillis(Math.round(Double.parseDouble(value) * 1000));
                    case "--no-pending-guard" -> guard = false;
                    case "--pending-cidr" -> pending.add(Cidr.parse(value));
                    case "--cluster-cidr" -> cluster.add(Cidr.parse(value));
                    case "--cni" -> cniMode = true;
                    case "--cni-preset" -> cni = presetKeepingOverrides(CniSettings.Preset.parse(value), cni);
                    case "--cni-bin-dir" -> cni = cni.withBinDir(Path.of(value));
                    case "--cni-conf-dir" -> cni = cni.withConfDir(Path.of(value));
                    case "--cni-run-dir" -> cni = cni.withRunDir(Path.of(value));
                    case "--cni-mtu" -> cni = cni.withMtu(Integer.parseInt(value));
                    case "--cni-ipam-data-dir" -> cni = cni.withIpamDataDir(Path.of(value));
                    case "--netns" -> netns = value;
                    case "--daemonset" -> daemonSet = Optional.of(DaemonSetRef.parse(value));
                    default -> throw new IllegalArgumentException("unknown flag " + name);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + ": not a number: " + value, e);
            }
        }
        if (fullVerify == null) {
            fullVerify = verify.compareTo(DEFAULT_FULL_VERIFY_INTERVAL) > 0 ? verify : DEFAULT_FULL_VERIFY_INTERVAL;
        }
        return new AgentConfig(node, new InetSocketAddress(port), verify, fullVerify, Backoff.DEFAULT, guard, pending, cluster,
                cniMode ? Optional.of(cni) : Optional.empty(), Optional.ofNullable(netns), daemonSet);
    }

    private static CniSettings presetKeepingOverrides(CniSettings.Preset preset, CniSettings current) {
        CniSettings p = preset.settings();
        return new CniSettings(p.binDir(), p.confDir(), current.confName(), current.mtu(), current.ipamDataDir(),
                current.runDir());
    }
}
