package dev.palisade.agent.cni;

import dev.palisade.model.Cidr;
import dev.palisade.model.IpAddress;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * The node's routes that the agent owns (protocol {@link Route#PROTO}), through {@code ip route}: a
 * subprocess keeps netlink code out of the agent, and runs only when a node comes or goes or on the
 * periodic verification. Never touches a route of another protocol.
 */
public final class RouteTable {

    private final Optional<String> netns;

    /** @param netns the named network namespace to work in ({@code ip -n}); empty: the process's own */
    public RouteTable(Optional<String> netns) {
        this.netns = netns;
    }

    /** The routes of protocol {@link Route#PROTO}, both families. */
    public SortedSet<Route> owned() {
        SortedSet<Route> out = new TreeSet<>();
        for (String family : List.of("-4", "-6")) {
            String text = ip(family, "route", "show", "proto", Integer.toString(Route.PROTO));
            for (String line : text.split("\n")) {
                parse(line).ifPresent(out::add);
            }
        }
        return out;
    }

    /** Parses one line of {@code ip route show}: {@code 10.244.2.0/24 via 10.0.0.3 dev eth0 ...}. */
    static Optional<Route> parse(String line) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 3 || !f[1].equals("via")) {
            return Optional.empty();
        }
        String dst = f[0].contains("/") ? f[0] : f[0] + (f[0].contains(":") ? "/128" : "/32");
        String via = f[2];
        if (via.equals("inet") || via.equals("inet6")) { // "via inet6 fe80::1" style
            via = f.length > 3 ? f[3] : via;
        }
        try {
            return Optional.of(new Route(Cidr.parse(dst), IpAddress.parse(via)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    public void replace(Route r) {
        ip(family(r), "route", "replace", r.destination().toString(), "via", r.via().toString(),
                "proto", Integer.toString(Route.PROTO));
    }

    public void delete(Route r) {
        ip(family(r), "route", "delete", r.destination().toString(), "via", r.via().toString(),
                "proto", Integer.toString(Route.PROTO));
    }

    private static String family(Route r) {
        return r.destination().family() == IpAddress.Family.V4 ? "-4" : "-6";
    }

    private String ip(String... args) {
        List<String> argv = new ArrayList<>(List.of("ip"));
        netns.ifPresent(n -> argv.addAll(List.of("-n", n)));
        argv.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", argv) + " did not finish in 10 s");
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", argv) + " exited with " + p.exitValue() + ": " + text.strip());
            }
            return text;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", argv), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + String.join(" ", argv), e);
        }
    }
}
