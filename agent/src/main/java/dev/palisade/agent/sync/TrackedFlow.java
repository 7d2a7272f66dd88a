package dev.palisade.agent.sync;

import dev.palisade.model.IpAddress;

import java.util.Arrays;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * One conntrack entry as the policy sees it. The filter runs in {@code forward}, after
 * {@code prerouting}'s DNAT and before {@code postrouting}'s SNAT, so the flow it judged goes from the
 * original source to the reply's source (the pod behind a Service VIP) on the reply's source port.
 *
 * @param l4proto  the IANA protocol number
 * @param src      the original source address
 * @param dst      where the packets are delivered: the reply tuple's source (equals the original
 *                 destination without DNAT)
 * @param dport    the reply tuple's source port (0 for protocols without ports)
 * @param origTuple the kernel's own {@code CTA_TUPLE_ORIG} attribute, header included, sent back
 *                 verbatim to delete exactly this entry whatever its protocol
 * @param zone     the conntrack zone, when the entry has one
 */
public record TrackedFlow(int l4proto, IpAddress src, IpAddress dst, int dport, byte[] origTuple, OptionalInt zone) {

    public TrackedFlow {
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(dst, "dst");
        Objects.requireNonNull(origTuple, "origTuple");
        Objects.requireNonNull(zone, "zone");
        origTuple = origTuple.clone();
    }

    @Override
    public byte[] origTuple() {
        return origTuple.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrackedFlow f && l4proto == f.l4proto && dport == f.dport && src.equals(f.src)
                && dst.equals(f.dst) && Arrays.equals(origTuple, f.origTuple) && zone.equals(f.zone);
    }

    @Override
    public int hashCode() {
        return Objects.hash(l4proto, src, dst, dport, Arrays.hashCode(origTuple), zone);
    }

    @Override
    public String toString() {
        return protoName(l4proto) + " " + src + " -> " + dst + (dport == 0 ? "" : ":" + dport);
    }

    private static String protoName(int p) {
        switch (p) {
            case 6:
                return "tcp";
            case 17:
                return "udp";
            case 132:
                return "sctp";
            case 1:
                return "icmp";
            case 58:
                return "icmpv6";
            default:
                return "proto " + p;
        }
    }
}
