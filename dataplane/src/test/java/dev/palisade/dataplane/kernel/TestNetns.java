package dev.palisade.dataplane.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A throwaway network namespace, {@code palisade-t-<random>}, made and removed with {@code ip netns}. */
public final class TestNetns implements AutoCloseable {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final String name;
    private boolean deleted;

    private TestNetns(String name) {
        this.name = name;
    }

    public static TestNetns create() {
        byte[] suffix = new byte[4];
        RANDOM.nextBytes(suffix);
        TestNetns netns = new TestNetns("palisade-t-" + HexFormat.of().formatHex(suffix));
        execOnHost("ip", "netns", "add", netns.name);
        return netns;
    }

    public String name() {
        return name;
    }

    /** The file {@code setns(2)} opens. */
    public Path path() {
        return Path.of("/var/run/netns", name);
    }

    /** Runs a command in this namespace with {@code ip netns exec}; returns its standard output. */
    public String execInside(String... command) {
        String[] argv = new String[command.length + 4];
        argv[0] = "ip";
        argv[1] = "netns";
        argv[2] = "exec";
        argv[3] = name;
        System.arraycopy(command, 0, argv, 4, command.length);
        return execOnHost(argv);
    }

    @Override
    public void close() {
        if (!deleted) {
            execOnHost("ip", "netns", "delete", name);
            deleted = true;
        }
    }

    /** True when the effective user is root (the second field of {@code Uid:} in /proc/self/status). */
    public static boolean runningAsRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0");
                }
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    /** Runs a command in the JVM's own namespaces; returns its standard output or throws with its error output. */
    public static String execOnHost(String... argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(false).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            byte[] err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(List.of(argv) + " did not finish in 30 s");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(List.of(argv) + " exited with " + p.exitValue() + ": "
                        + new String(err, StandardCharsets.UTF_8).strip());
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + List.of(argv), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + List.of(argv), e);
        }
    }
}
