package dev.palisade.dataplane.nft;

import dev.palisade.model.IpRange;

import java.util.Comparator;

/** One field of a set element: an address or address range, a protocol number, a port or port range. */
public sealed interface Value extends Comparable<Value> {

    record Address(IpRange range) implements Value {
    }

    /** A protocol number, or an inclusive range of them (every protocol but TCP, UDP and SCTP, in pieces). */
    record Proto(int first, int last) implements Value {
        public Proto {
            if (first < 0 || last > 255 || first > last) {
                throw new IllegalArgumentException("protocol number " + first + (first == last ? "" : "-" + last) + " out of range");
            }
        }

        public Proto(int number) {
            this(number, number);
        }

        /** The protocol number of a single protocol. */
        public int number() {
            if (first != last) {
                throw new IllegalStateException("protocol range " + first + "-" + last + " has no single number");
            }
            return first;
        }

        public boolean contains(int number) {
            return first <= number && number <= last;
        }
    }

    record Port(int first, int last) implements Value {
        public Port {
            if (first < 0 || last > 65535 || first > last) {
                throw new IllegalArgumentException("bad port range " + first + "-" + last);
            }
        }
    }

    /** Whether this field, as an interval, contains the point value of a packet's field. */
    default boolean isRange() {
        if (this instanceof Address a) {
            return !a.range().isSingle();
        }
        if (this instanceof Proto p) {
            return p.first() != p.last();
        }
        return this instanceof Port p && p.first() != p.last();
    }

    Comparator<Value> ORDER = (a, b) -> {
        if (a instanceof Address x && b instanceof Address y) {
            return x.range().compareTo(y.range());
        }
        if (a instanceof Proto x && b instanceof Proto y) {
            int c = Integer.compare(x.first(), y.first());
            return c != 0 ? c : Integer.compare(x.last(), y.last());
        }
        if (a instanceof Port x && b instanceof Port y) {
            int c = Integer.compare(x.first(), y.first());
            return c != 0 ? c : Integer.compare(x.last(), y.last());
        }
        return a.getClass().getSimpleName().compareTo(b.getClass().getSimpleName());
    };

    @Override
    default int compareTo(Value o) {
        return ORDER.compare(this, o);
    }
}
