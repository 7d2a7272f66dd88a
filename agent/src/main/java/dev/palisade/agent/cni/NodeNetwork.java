package dev.palisade.agent.cni;

import dev.palisade.model.Cidr;
import dev.palisade.model.IpAddress;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the agent needs of a Node: its pod CIDRs ({@code spec.podCIDRs}) and its InternalIP
 * addresses ({@code status.addresses}), sorted.
 */
public record NodeNetwork(String name, List<Cidr> podCidrs, List<IpAddress> internalIps) {

    public NodeNetwork {
        Objects.requireNonNull(name, "name");
        podCidrs = podCidrs.stream().sorted().distinct().toList();
        internalIps = internalIps.stream().sorted().distinct().toList();
    }

    public Optional<IpAddress> internalIp(IpAddress.Family family) {
        return internalIps.stream().filter(a -> a.family() == family).findFirst();
    }
}
