package dev.palisade.dataplane.translate;

import dev.palisade.model.IpAddress;

import java.util.Locale;

/**
 * Names in the owned table. The layout is fixed (a handful of sets per direction and family), so
 * the per-packet path is the same few lookups however many policies exist; policy changes only
 * change set membership. See docs/design/nft-layout.md.
 */
public final class Layout {

    public static final String FAMILY = "inet";
    public static final String TABLE = "palisade";
    public static final String FORWARD = "forward";
    /** The regular chain every packet {@code forward} does not drop reaches last: ingress checks, then the only accept. */
    public static final String INGRESS = "ingress";

    /** Which side of the flow a local pod is on. */
    public enum Direction {
        INGRESS("in"), EGRESS("eg");

        private final String prefix;

        Direction(String prefix) {
            this.prefix = prefix;
        }

        public String prefix() {
            return prefix;
        }

        public String chain(IpAddress.Family family) {
            return name().toLowerCase(Locale.ROOT) + suffix(family);
        }
    }

    /** The kinds of set per direction and family; the two CLUSTER_ ones only when a ClusterNetworkPolicy gave verdicts. */
    public enum Kind {
        /** local pod addresses isolated in the direction */
        ISO("iso"),
        /** local . peer address, every protocol and port (hash) */
        ANY("any"),
        /** local . peer range, every protocol and port (interval) */
        CIDR("cidr"),
        /** local . peer address . protocol . port (hash) */
        PORT("port"),
        /** local . peer range . protocol . port range (interval) */
        RANGE("range"),
        /** ClusterNetworkPolicy ACCEPT verdicts: local . peer range . protocol range . port range (interval) */
        CLUSTER_ACCEPT("cacc"),
        /** ClusterNetworkPolicy DENY verdicts: local . peer range . protocol range . port range (interval) */
        CLUSTER_DENY("cdeny");

        private final String word;

        Kind(String word) {
            this.word = word;
        }

        public String word() {
            return word;
        }
    }

    private Layout() {
    }

    public static String suffix(IpAddress.Family family) {
        return family == IpAddress.Family.V4 ? "4" : "6";
    }

    public static String set(Direction d, Kind k, IpAddress.Family f) {
        return d.prefix() + "_" + k.word() + suffix(f);
    }

    public static String podsSet(IpAddress.Family f) {
        return "pods" + suffix(f);
    }
}
