package dev.palisade.agent.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs a command and collects what it said. Every kernel-touching command of the tests names a namespace they made. */
final class Sh {

    record Result(List<String> command, int exit, String out, String err) {
        boolean ok() {
            return exit == 0;
        }

        Result orThrow() {
            if (!ok()) {
                throw new IllegalStateException("exit " + exit + ": " + String.join(" ", command)
                        + (err.isBlank() ? "" : "\n" + err.strip()) + (out.isBlank() ? "" : "\n" + out.strip()));
            }
            return this;
        }
    }

    private Sh() {
    }

    static Result run(List<String> argv) {
        return run(argv, null, Map.of(), 30);
    }

    static Result run(List<String> argv, String stdin, Map<String, String> env, int timeoutSeconds) {
        try {
            ProcessBuilder pb = new ProcessBuilder(argv);
            pb.environment().putAll(env);
            Process p = pb.start();
            CompletableFuture<String> out = read(p.getInputStream());
            CompletableFuture<String> err = read(p.getErrorStream());
            try (OutputStream in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", argv) + " did not finish in " + timeoutSeconds + " s");
            }
            return new Result(argv, p.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + argv, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static CompletableFuture<String> read(InputStream s) {
        return CompletableFuture.supplyAsync(() -> {
            try (s) {
                return new String(s.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
    }

    /** {@code ip -n ns -batch -}. */
    static void ipBatch(String ns, List<String> lines) {
        run(List.of("ip", "-n", ns, "-batch", "-"), String.join("\n", lines) + "\n", Map.of(), 30).orThrow();
    }

    static Result inNetns(String ns, String... argv) {
        List<String> cmd = new java.util.ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(argv));
        return run(cmd);
    }

    /** True for root: the tests need network namespaces and fail (never skip) without them. */
    static void requireRoot() {
        String uid = run(List.of("id", "-u")).out().strip();
        if (!uid.equals("0")) {
            throw new IllegalStateException("the agent's kernel and E2E tests need root (network namespaces, nftables); "
                    + "run them as root, as .ci/run does");
        }
    }
}
