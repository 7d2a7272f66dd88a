package dev.palisade.operator.publish;

import dev.palisade.model.IpAddress;
import dev.palisade.model.IpRange;
import dev.palisade.model.Protocol;
import dev.palisade.ruleset.PortRange;

import java.util.Map;

/** The short strings the wire format uses for addresses, ranges and ports, both ways. */
public final class WireText {

    private WireText() {
    }

    public static String address(IpAddress a) {
        return a.toString();
    }

    /** "first-last", or the address alone for a single-address range. */
    public static String range(IpRange r) {
        return r.toString();
    }

    public static IpRange parseRange(String text) {
        int dash = text.indexOf('-');
        if (dash < 0) {
            return IpRange.of(IpAddress.parse(text));
        }
        return new IpRange(IpAddress.parse(text.substring(0, dash)), IpAddress.parse(text.substring(dash + 1)));
    }

    /** "TCP/80", "UDP/5000-5100", "SCTP/0-65535". */
    public static String port(PortRange p) {
        return p.protocol().name() + "/" + (p.isSingle() ? Integer.toString(p.first()) : p.first() + "-" + p.last());
    }

    public static PortRange parsePort(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("port \"" + text + "\" is not PROTOCOL/port");
        }
        Protocol protocol = Protocol.parse(text.substring(0, slash));
        String ports = text.substring(slash + 1);
        int dash = ports.indexOf('-');
        try {
            if (dash < 0) {
                int p = Integer.parseInt(ports);
                return new PortRange(protocol, p, p);
            }
            return new PortRange(protocol, Integer.parseInt(ports.substring(0, dash)), Integer.parseInt(ports.substring(dash + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port \"" + text + "\" is not PROTOCOL/port", e);
        }
    }

    /** "10.244.1.10 6f1c0d5e-...": a local pod address and the uid of a pod it is listed for. */
    public static String holder(IpAddress a, String uid) {
        return a + " " + uid;
    }

    /** The address and uid of {@link #holder}'s text. */
    public static Map.Entry<IpAddress, String> parseHolder(String text) {
        int space = text.indexOf(' ');
        if (space <= 0 || space == text.length() - 1 || text.indexOf(' ', space + 1) >= 0) {
            throw new IllegalArgumentException("holder \"" + text + "\" is not \"<address> <pod uid>\"");
        }
        return Map.entry(IpAddress.parse(text.substring(0, space)), text.substring(space + 1));
    }
}
