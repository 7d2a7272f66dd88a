package dev.palisade.conformance;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A truth table in the style of upstream's {@code test/e2e/network/netpol/reachability.go}: which
 * source may reach which target, written by hand per scenario with small helpers ({@link
 * #expectPeer}, {@link #expectAllIngress}, {@link #expectAllEgress}), then filled with what the probes
 * observed. A pod probing itself never leaves its namespace, so those cells are ignored, like
 * upstream's {@code ignoreLoopback}.
 */
public final class Reachability {

    /** Matches pods by namespace and/or name ({@code null} = any), or exactly one endpoint key. */
    public record Peer(String namespace, String pod, String exactKey) {
        public static Peer any() {
            return new Peer(null, null, null);
        }

        public static Peer ns(String namespace) {
            return new Peer(namespace, null, null);
        }

        public static Peer pod(String namespace, String pod) {
            return new Peer(namespace, pod, null);
        }

        /** One endpoint by key, including {@code node:NAME} and {@code ext:NAME}, which pod peers never match. */
        public static Peer key(String key) {
            return new Peer(null, null, key);
        }

        boolean matches(String key) {
            if (exactKey != null) {
                return exactKey.equals(key);
            }
            int slash = key.indexOf('/');
            if (key.contains(":") || slash < 0) {
                return false;
            }
            return (namespace == null || namespace.equals(key.substring(0, slash)))
                    && (pod == null || pod.equals(key.substring(slash + 1)));
        }
    }

    private final List<String> sources;
    private final List<String> targets;
    private final Map<String, Boolean> expected = new LinkedHashMap<>();
    private final Map<String, String> observed = new LinkedHashMap<>();

    public Reachability(List<String> sources, List<String> targets, boolean allowByDefault) {
        this.sources = List.copyOf(sources);
        this.targets = List.copyOf(targets);
        for (String s : sources) {
            for (String t : targets) {
                if (!ignored(s, t)) {
                    expected.put(cell(s, t), allowByDefault);
                }
            }
        }
    }

    public List<String> sources() {
        return sources;
    }

    public List<String> targets() {
        return targets;
    }

    public static boolean ignored(String from, String to) {
        return from.equals(to);
    }

    public Reachability expect(String from, String to, boolean allowed) {
        if (!sources.contains(from) || !targets.contains(to)) {
            throw new IllegalArgumentException(from + " -> " + to + " is not in this table (sources " + sources
                    + ", targets " + targets + ")");
        }
        if (!ignored(from, to)) {
            expected.put(cell(from, to), allowed);
        }
        return this;
    }

    public Reachability expectPeer(Peer from, Peer to, boolean allowed) {
        int hits = 0;
        for (String s : sources) {
            for (String t : targets) {
                if (from.matches(s) && to.matches(t)) {
                    hits++;
                    if (!ignored(s, t)) {
                        expected.put(cell(s, t), allowed);
                    }
                }
            }
        }
        if (hits == 0) {
            throw new IllegalArgumentException("expectation " + from + " -> " + to + " matches no cell");
        }
        return this;
    }

    /** Every source to {@code to}: pods, nodes and external hosts alike. */
    public Reachability expectAllIngress(String to, boolean allowed) {
        for (String s : sources) {
            if (!ignored(s, to)) {
                expect(s, to, allowed);
            }
        }
        return this;
    }

    /** {@code from} to every target. */
    public Reachability expectAllEgress(String from, boolean allowed) {
        for (String t : targets) {
            if (!ignored(from, t)) {
                expect(from, t, allowed);
            }
        }
        return this;
    }

    void observe(String from, String to, String raw) {
        observed.put(cell(from, to), raw);
    }

    Boolean expected(String from, String to) {
        return expected.get(cell(from, to));
    }

    String observedRaw(String from, String to) {
        return observed.get(cell(from, to));
    }

    /** Allowed means the target's own server answered with its name. */
    static boolean allowed(String raw, String serverName) {
        return raw != null && raw.equals("ok:" + serverName);
    }

    int probed() {
        return observed.size();
    }

    /** Cells where the observation disagrees with the expectation, as "from -> to: expected X, observed raw". */
    List<String> mismatches(Map<String, String> serverNames) {
        List<String> out = new ArrayList<>();
        for (String s : sources) {
            for (String t : targets) {
                Boolean want = expected.get(cell(s, t));
                String raw = observed.get(cell(s, t));
                if (want == null || raw == null || raw.startsWith("skipped")) {
                    continue;
                }
                if (allowed(raw, serverNames.get(t)) != want) {
                    out.add(s + " -> " + t + ": expected " + (want ? "allow" : "deny") + ", observed " + raw);
                }
            }
        }
        return out;
    }

    /** Expected, observed and comparison tables: "." allowed / matches, "X" denied / differs, "-" not probed. */
    String tables(String title, Map<String, String> serverNames) {
        StringBuilder sb = new StringBuilder();
        List<String> legend = new ArrayList<>(targets);
        sb.append(title).append('\n');
        sb.append("  columns: ");
        for (int i = 0; i < legend.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(i + 1).append('=').append(legend.get(i));
        }
        sb.append('\n');
        table(sb, "expected", (s, t) -> {
            Boolean want = expected.get(cell(s, t));
            return want == null ? "-" : want ? "." : "X";
        });
        table(sb, "observed", (s, t) -> {
            String raw = observed.get(cell(s, t));
            if (raw == null || raw.startsWith("skipped")) {
                return "-";
            }
            return allowed(raw, serverNames.get(t)) ? "." : "X";
        });
        table(sb, "comparison", (s, t) -> {
            Boolean want = expected.get(cell(s, t));
            String raw = observed.get(cell(s, t));
            if (want == null || raw == null || raw.startsWith("skipped")) {
                return "-";
            }
            return allowed(raw, serverNames.get(t)) == want ? "." : "X";
        });
        return sb.toString();
    }

    private interface CellText {
        String at(String source, String target);
    }

    private void table(StringBuilder sb, String name, CellText text) {
        int width = Math.max(name.length(), sources.stream().mapToInt(String::length).max().orElse(0)) + 2;
        int col = Math.max(3, Integer.toString(targets.size()).length() + 1);
        sb.append("  ").append(pad(name, width));
        for (int i = 0; i < targets.size(); i++) {
            sb.append(padLeft(Integer.toString(i + 1), col));
        }
        sb.append('\n');
        for (String s : sources) {
            sb.append("  ").append(pad(s, width));
            for (String t : targets) {
                sb.append(padLeft(text.at(s, t), col));
            }
            sb.append('\n');
        }
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s + " " : s + " ".repeat(width - s.length());
    }

    private static String padLeft(String s, int width) {
        return s.length() >= width ? " " + s : " ".repeat(width - s.length()) + s;
    }

    private static String cell(String from, String to) {
        return from + "\u0000" + to;
    }
}
