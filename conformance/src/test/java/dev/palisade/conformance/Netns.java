package dev.palisade.conformance;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The only way this harness touches the kernel: {@code ip} and {@code nft} commands that each name
 * a network namespace the harness created. There is deliberately no method that runs {@code nft} or
 * configures a link in the caller's own namespace, so the host's interfaces and ruleset are out of
 * reach.
 */
final class Netns {

    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private Netns() {
    }

    /** What a finished command said. */
    record Result(List<String> command, int exit, String out, String err) {
        boolean ok() {
            return exit == 0;
        }

        Result orThrow() {
            if (!ok()) {
                throw new IllegalStateException("command failed (exit " + exit + "): " + String.join(" ", command)
                        + (err.isBlank() ? "" : "\n" + err.strip()) + (out.isBlank() ? "" : "\n" + out.strip()));
            }
            return this;
        }
    }

    /** Whether this JVM runs as root (the owner of /proc/self is the effective uid). */
    static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    static void add(String ns) {
        run(List.of("ip", "netns", "add", ns), null, TIMEOUT).orThrow();
    }

    /** Deletes a namespace; its veths die with it. Missing namespaces are fine (idempotent cleanup). */
    static void delete(String ns) {
        run(List.of("ip", "netns", "delete", ns), null, TIMEOUT);
    }

    static List<String> list() {
        List<String> names = new ArrayList<>();
        for (String line : run(List.of("ip", "netns", "list"), null, TIMEOUT).orThrow().out().split("\n")) {
            if (!line.isBlank()) {
                names.add(line.strip().split("\\s+")[0]);
            }
        }
        return names;
    }

    /** {@code ip -n NS -batch -}: many link/addr/route commands in one process, stopping at the first error. */
    static void ipBatch(String ns, List<String> lines) {
        if (!lines.isEmpty()) {
            run(List.of("ip", "-n", ns, "-batch", "-"), String.join("\n", lines) + "\n", TIMEOUT).orThrow();
        }
    }

    static void sysctl(String ns, String... settings) {
        List<String> cmd = new ArrayList<>(List.of("sysctl", "-q", "-w"));
        cmd.addAll(Arrays.asList(settings));
        exec(ns, null, cmd.toArray(String[]::new)).orThrow();
    }

    /** Runs a command inside a namespace ({@code ip netns exec}). */
    static Result exec(String ns, String stdin, String... command) {
        return run(inside(ns, command), stdin, TIMEOUT);
    }

    static List<String> inside(String ns, String... command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(Arrays.asList(command));
        return cmd;
    }

    /** {@code nft -f -} inside {@code ns}; {@code checkOnly} adds {@code -c} (parse and validate, commit nothing). */
    static Result nft(String ns, String script, boolean checkOnly) {
        return checkOnly ? exec(ns, script, "nft", "-c", "-f", "-") : exec(ns, script, "nft", "-f", "-");
    }

    static Result nftCommand(String ns, String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "nft";
        System.arraycopy(args, 0, cmd, 1, args.length);
        return exec(ns, null, cmd);
    }

    static Result run(List<String> command, String stdin, Duration timeout) {
        Process p;
        try {
            p = new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
        }
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // the command exited without reading its input; its exit code and stderr say why
        }
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                return new Result(command, -1, out.getNow(""), "timed out after " + timeout + "\n" + err.getNow(""));
            }
            return new Result(command, p.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + String.join(" ", command), e);
        } catch (ExecutionException | TimeoutException e) {
            p.destroyForcibly();
            throw new IllegalStateException("cannot read output of " + String.join(" ", command), e);
        }
    }

    static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        }, runnable -> {
            Thread t = new Thread(runnable, "netns-drain");
            t.setDaemon(true);
            t.start();
        });
    }
}
