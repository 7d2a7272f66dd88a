package dev.palisade.model;

import java.util.Locale;

/**
 * An IPv4 or IPv6 address as two longs, so that it compares, hashes and orders cheaply.
 * IPv4 addresses live in the low 32 bits of {@code lo}; {@code hi} is zero for them.
 */
public record IpAddress(Family family, long hi, long lo) implements Comparable<IpAddress> {

    public enum Family {
        V4, V6;

        public int bits() {
            return this == V4 ? 32 : 128;
        }
    }

    public IpAddress {
        if (family == null) {
            throw new IllegalArgumentException("address family is required");
        }
        if (family == Family.V4 && (hi != 0 || (lo >>> 32) != 0)) {
            throw new IllegalArgumentException("IPv4 address out of range");
        }
    }

    /** Parses a dotted-quad IPv4 or an RFC 4291 IPv6 address; throws with the offending text. */
    public static IpAddress parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("empty IP address");
        }
        String s = text.trim();
        if (s.indexOf(':') >= 0) {
            return parseV6(s, text);
        }
        return parseV4(s, text);
    }

    private static IpAddress parseV4(String s, String original) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("invalid IP address \"" + original + "\"");
        }
        long value = 0;
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(c -> c >= '0' && c <= '9')
                    || (part.length() > 1 && part.charAt(0) == '0')) {
                throw new IllegalArgumentException("invalid IP address \"" + original + "\"");
            }
            int octet = Integer.parseInt(part);
            if (octet > 255) {
                throw new IllegalArgumentException("invalid IP address \"" + original + "\"");
            }
            value = (value << 8) | octet;
        }
        return new IpAddress(Family.V4, 0, value);
    }

    private static IpAddress parseV6(String s, String original) {
        String body = s;
        int[] groups = new int[8];
        int count;
        String head;
        String tail;
        int gap = body.indexOf("::");
        if (gap >= 0 && body.indexOf("::", gap + 1) >= 0) {
            throw new IllegalArgumentException("invalid IP address \"" + original + "\"");
        }
        if (gap >= 0) {
            head = body.substring(0, gap);
            tail = body.substring(gap + 2);
        } else {
            head = body;
            tail = null;
        }
        int[] headGroups = groups(head, original, tail == null);
        int[] tailGroups = tail == null ? new int[0] : groups(tail, original, true);
        count = headGroups.length + tailGroups.length;
        if ((tail == null && count != 8) || (tail != null && count > 7)) {
            throw new IllegalArgumentException("invalid IP address \"" + original + "\"");
        }
        System.arraycopy(headGroups, 0, groups, 0, headGroups.length);
        System.arraycopy(tailGroups, 0, groups, 8 - tailGroups.length, tailGroups.length);
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 4; i++) {
            hi = (hi << 16) | groups[i];
            lo = (lo << 16) | groups[i + 4];
        }
        return new IpAddress(Family.V6, hi, lo);
    }

    /** Groups of one side of "::"; an embedded IPv4 tail (::ffff:1.2.3.4) counts as two groups. */
    private static int[] groups(String part, String original, boolean mayEndWithV4) {
        if (part.isEmpty()) {
            return new int[0];
        }
        String[] raw = part.split(":", -1);
        int extra = 0;
        String last = raw[raw.length - 1];
        boolean v4Tail = mayEndWithV4 && last.indexOf('.') >= 0;
        if (v4Tail) {
            extra = 1;
        }
        int[] out = new int[raw.length + extra];
        for (int i = 0; i < raw.length; i++) {
            String g = raw[i];
            if (v4Tail && i == raw.length - 1) {
                long v4 = parseV4(g, original).lo();
                out[i] = (int) (v4 >>> 16);
                out[i + 1] = (int) (v4 & 0xffff);
                continue;
            }
            if (g.isEmpty() || g.length() > 4 || !g.chars().allMatch(IpAddress::isHexDigit)) {
                throw new IllegalArgumentException("invalid IP address \"" + original + "\"");
            }
            try {
                out[i] = Integer.parseInt(g, 16);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid IP address \"" + original + "\"", e);
            }
        }
        return out;
    }

    private static boolean isHexDigit(int c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    public boolean isV4() {
        return family == Family.V4;
    }

    /** The next address, or null past the end of the family's space. */
    public IpAddress next() {
        if (isV4()) {
            return lo == 0xffffffffL ? null : new IpAddress(family, 0, lo + 1);
        }
        if (lo == -1L) {
            return hi == -1L ? null : new IpAddress(family, hi + 1, 0);
        }
        return new IpAddress(family, hi, lo + 1);
    }

    /** The previous address, or null before the start of the family's space. */
    public IpAddress previous() {
        if (isV4()) {
            return lo == 0 ? null : new IpAddress(family, 0, lo - 1);
        }
        if (lo == 0) {
            return hi == 0 ? null : new IpAddress(family, hi - 1, -1L);
        }
        return new IpAddress(family, hi, lo - 1);
    }

    @Override
    public int compareTo(IpAddress o) {
        int c = family.compareTo(o.family);
        if (c != 0) {
            return c;
        }
        c = Long.compareUnsigned(hi, o.hi);
        return c != 0 ? c : Long.compareUnsigned(lo, o.lo);
    }

    /** Canonical text: dotted quad, or RFC 5952 compressed lower-case IPv6. */
    @Override
    public String toString() {
        if (isV4()) {
            return ((lo >>> 24) & 0xff) + "." + ((lo >>> 16) & 0xff) + "." + ((lo >>> 8) & 0xff) + "." + (lo & 0xff);
        }
        int[] g = new int[8];
        for (int i = 0; i < 4; i++) {
            g[i] = (int) ((hi >>> (48 - 16 * i)) & 0xffff);
            g[i + 4] = (int) ((lo >>> (48 - 16 * i)) & 0xffff);
        }
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen && j - i >= 2) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]).toLowerCase(Locale.ROOT));
        }
        return sb.toString();
    }
}
