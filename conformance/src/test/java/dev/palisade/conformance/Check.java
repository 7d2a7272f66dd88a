package dev.palisade.conformance;

import java.util.Arrays;
import java.util.List;

/** What to probe for one truth table: protocols x ports x address families (both by default). */
public record Check(List<Proto> protocols, List<Integer> ports, List<Family> families) {

    public Check {
        protocols = List.copyOf(protocols);
        ports = List.copyOf(ports);
        families = List.copyOf(families);
    }

    public static Check tcp(int... ports) {
        return of(List.of(Proto.TCP), ports);
    }

    public static Check udp(int... ports) {
        return of(List.of(Proto.UDP), ports);
    }

    public static Check sctp(int... ports) {
        return of(List.of(Proto.SCTP), ports);
    }

    public static Check tcpUdp(int... ports) {
        return of(List.of(Proto.TCP, Proto.UDP), ports);
    }

    public Check v4() {
        return new Check(protocols, ports, List.of(Family.V4));
    }

    public Check v6() {
        return new Check(protocols, ports, List.of(Family.V6));
    }

    private static Check of(List<Proto> protocols, int... ports) {
        return new Check(protocols, Arrays.stream(ports).boxed().toList(), List.of(Family.V4, Family.V6));
    }
}
