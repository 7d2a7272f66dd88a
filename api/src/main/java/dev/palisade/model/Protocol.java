package dev.palisade.model;

import java.util.Locale;

/** The protocols a NetworkPolicy port may name; TCP is the API's default. */
public enum Protocol {
    TCP(6), UDP(17), SCTP(132);

    private final int number;

    Protocol(int number) {
        this.number = number;
    }

    /** The IANA protocol number, as matched by {@code meta l4proto}. */
    public int number() {
        return number;
    }

    /** Parses the API's spelling (upper case); null means the default, TCP. */
    public static Protocol parse(String text) {
        if (text == null) {
            return TCP;
        }
        for (Protocol p : values()) {
            if (p.name().equals(text)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown protocol \"" + text + "\" (expected TCP, UDP or SCTP)");
    }

    public String lower() {
        return name().toLowerCase(Locale.ROOT);
    }
}
