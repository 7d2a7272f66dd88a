package dev.palisade.model;

/** A network prefix; the address is normalised to the network address (host bits cleared). */
public record Cidr(IpAddress network, int prefix) implements Comparable<Cidr> {

    public Cidr {
        if (network == null) {
            throw new IllegalArgumentException("CIDR network is required");
        }
        int bits = network.family().bits();
        if (prefix < 0 || prefix > bits) {
            throw new IllegalArgumentException("prefix length " + prefix + " out of range 0-" + bits);
        }
        network = mask(network, prefix);
    }

    /** Parses "a.b.c.d/n" or "x::y/n"; a bare address is a host prefix. */
    public static Cidr parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty CIDR");
        }
        int slash = text.indexOf('/');
        try {
            if (slash < 0) {
                IpAddress a = IpAddress.parse(text);
                return new Cidr(a, a.family().bits());
            }
            IpAddress a = IpAddress.parse(text.substring(0, slash));
            String p = text.substring(slash + 1);
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new IllegalArgumentException("bad prefix length");
            }
            return new Cidr(a, Integer.parseInt(p));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid CIDR \"" + text + "\"", e);
        }
    }

    public static Cidr host(IpAddress address) {
        return new Cidr(address, address.family().bits());
    }

    private static IpAddress mask(IpAddress a, int prefix) {
        if (a.isV4()) {
            long m = prefix == 0 ? 0 : (0xffffffffL << (32 - prefix)) & 0xffffffffL;
            return new IpAddress(a.family(), 0, a.lo() & m);
        }
        long hiMask = prefix >= 64 ? -1L : (prefix == 0 ? 0 : -1L << (64 - prefix));
        long loMask = prefix <= 64 ? 0 : (prefix == 128 ? -1L : -1L << (128 - prefix));
        return new IpAddress(a.family(), a.hi() & hiMask, a.lo() & loMask);
    }

    public IpAddress.Family family() {
        return network.family();
    }

    public IpAddress first() {
        return network;
    }

    public IpAddress last() {
        if (network.isV4()) {
            long hostMask = prefix == 32 ? 0 : (0xffffffffL >>> prefix);
            return new IpAddress(network.family(), 0, network.lo() | hostMask);
        }
        long hiHost = prefix >= 64 ? 0 : (prefix == 0 ? -1L : -1L >>> prefix);
        long loHost = prefix <= 64 ? -1L : (prefix == 128 ? 0 : -1L >>> (prefix - 64));
        return new IpAddress(network.family(), network.hi() | hiHost, network.lo() | loHost);
    }

    public IpRange range() {
        return new IpRange(first(), last());
    }

    public boolean contains(IpAddress a) {
        return a.family() == family() && first().compareTo(a) <= 0 && a.compareTo(last()) <= 0;
    }

    @Override
    public int compareTo(Cidr o) {
        int c = network.compareTo(o.network);
        return c != 0 ? c : Integer.compare(prefix, o.prefix);
    }

    @Override
    public String toString() {
        return network + "/" + prefix;
    }
}
