package dev.palisade.agent.cni;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the host keeps CNI plugins and configuration, and how pods are wired (CNI mode only).
 *
 * @param binDir       the host's CNI plugin directory (the chart copies Debian's plugins there)
 * @param confDir      the host's CNI configuration directory, which the container runtime reads; the
 *                     configuration list there is a symbolic link into {@code runDir}
 * @param confName     the configuration list's file name; {@code 10-} sorts it before most others
 * @param runDir       where the configuration list really lives: a directory on a tmpfs that the node's
 *                     reboot empties ({@code /run/palisade/cni}), so that after a reboot the link dangles and
 *                     the runtime wires no pod until the agent has applied its rules in this boot
 * @param mtu          the pods' interface MTU; 0 leaves the plugin's default
 * @param ipamDataDir  where host-local keeps its leases; empty: the plugin's default
 *                     ({@code /var/lib/cni/networks}). Simulated nodes on one host need one each.
 */
public record CniSettings(Path binDir, Path confDir, String confName, int mtu, Optional<Path> ipamDataDir,
                          Path runDir) {

    public static final String CONF_NAME = "10-palisade.conflist";
    /** The host's {@code /run} is a tmpfs on kind nodes (kind runs them with {@code --tmpfs /run}), k3d's and systemd hosts'. */
    public static final Path RUN_DIR = Path.of("/run/palisade/cni");
    public static final String NETWORK_NAME = "palisade";

    /** Where each kind of cluster puts them. */
    public enum Preset {
        /** kind (and most kubeadm clusters): the containerd defaults. */
        KIND(Path.of("/opt/cni/bin"), Path.of("/etc/cni/net.d")),
        /** k3s and k3d: k3s's own containerd configuration. */
        K3S(Path.of("/var/lib/rancher/k3s/data/current/bin"), Path.of("/var/lib/rancher/k3s/agent/etc/cni/net.d"));

        private final Path binDir;
        private final Path confDir;

        Preset(Path binDir, Path confDir) {
            this.binDir = binDir;
            this.confDir = confDir;
        }

        public CniSettings settings() {
            return new CniSettings(binDir, confDir, CONF_NAME, 0, Optional.empty(), RUN_DIR);
        }

        public static Preset parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT).replace("K3D", "K3S"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown CNI preset \"" + name + "\" (kind, k3s, k3d)", e);
            }
        }
    }

    public CniSettings {
        Objects.requireNonNull(binDir, "binDir");
        Objects.requireNonNull(confDir, "confDir");
        Objects.requireNonNull(ipamDataDir, "ipamDataDir");
        Objects.requireNonNull(runDir, "runDir");
        if (!runDir.isAbsolute() || !confDir.isAbsolute()) {
            // the link's target is resolved by the runtime, from the configuration directory
            throw new IllegalArgumentException("CNI directories must be absolute: " + confDir + ", " + runDir);
        }
        if (runDir.normalize().equals(confDir.normalize())) {
            throw new IllegalArgumentException("the CNI run directory must not be the configuration directory: " + runDir);
        }
        if (confName == null || !confName.endsWith(".conflist") || confName.contains("/")) {
            throw new IllegalArgumentException("CNI configuration file name must end in .conflist: " + confName);
        }
        if (mtu < 0 || mtu > 65535) {
            throw new IllegalArgumentException("bad MTU " + mtu);
        }
    }

    /** What the runtime reads: a symbolic link to {@link #runFile}. */
    public Path confFile() {
        return confDir.resolve(confName);
    }

    /** The configuration list itself, on the tmpfs. */
    public Path runFile() {
        return runDir.resolve(confName);
    }

    public CniSettings withBinDir(Path dir) {
        return new CniSettings(dir, confDir, confName, mtu, ipamDataDir, runDir);
    }

    public CniSettings withConfDir(Path dir) {
        return new CniSettings(binDir, dir, confName, mtu, ipamDataDir, runDir);
    }

    public CniSettings withMtu(int m) {
        return new CniSettings(binDir, confDir, confName, m, ipamDataDir, runDir);
    }

    public CniSettings withIpamDataDir(Path dir) {
        return new CniSettings(binDir, confDir, confName, mtu, Optional.ofNullable(dir), runDir);
    }

    public CniSettings withRunDir(Path dir) {
        return new CniSettings(binDir, confDir, confName, mtu, ipamDataDir, dir);
    }
}
