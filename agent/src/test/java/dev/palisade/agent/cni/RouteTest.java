package dev.palisade.agent.cni;

import dev.palisade.model.Cidr;
import dev.palisade.model.IpAddress;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RouteTest {

    private static NodeNetwork node(String name, String cidr4, String ip4, String cidr6, String ip6) {
        return new NodeNetwork(name,
                cidr6 == null ? List.of(Cidr.parse(cidr4)) : List.of(Cidr.parse(cidr4), Cidr.parse(cidr6)),
                ip6 == null ? List.of(IpAddress.parse(ip4)) : List.of(IpAddress.parse(ip4), IpAddress.parse(ip6)));
    }

    private static Route route(String cidr, String via) {
        return new Route(Cidr.parse(cidr), IpAddress.parse(via));
    }

    @Test
    void everyOtherNodesPodCidrsThroughItsInternalIpOfTheSameFamily() {
        Map<String, NodeNetwork> nodes = new TreeMap<>();
        nodes.put("n1", node("n1", "10.244.1.0/24", "10.0.0.1", "fd00:1::/64", "fc00::1"));
        nodes.put("n2", node("n2", "10.244.2.0/24", "10.0.0.2", "fd00:2::/64", "fc00::2"));
        nodes.put("n3", node("n3", "10.244.3.0/24", "10.0.0.3", "fd00:3::/64", null)); // no IPv6 InternalIP
        assertEquals(List.of(route("10.244.2.0/24", "10.0.0.2"), route("10.244.3.0/24", "10.0.0.3"),
                route("fd00:2::/64", "fc00::2")), List.copyOf(Route.desired("n1", nodes)));
    }

    @Test
    void planReplacesNewAndMovedRoutesAndDeletesOnlyGoneDestinations() {
        var current = List.of(route("10.244.2.0/24", "10.0.0.2"), route("10.244.3.0/24", "10.0.0.3"),
                route("10.244.4.0/24", "10.0.0.4"));
        var desired = List.of(route("10.244.2.0/24", "10.0.0.2"), route("10.244.3.0/24", "10.0.0.33"),
                route("10.244.5.0/24", "10.0.0.5"));
        Route.Plan plan = Route.plan(current, desired);
        assertEquals(List.of(route("10.244.3.0/24", "10.0.0.33"), route("10.244.5.0/24", "10.0.0.5")), plan.replace());
        assertEquals(List.of(route("10.244.4.0/24", "10.0.0.4")), plan.delete());
    }

    @Test
    void parsesIpRouteShow() {
        assertEquals(Optional.of(route("10.244.2.0/24", "10.0.0.2")),
                RouteTable.parse("10.244.2.0/24 via 10.0.0.2 dev eth0 proto 157 "));
        assertEquals(Optional.of(route("fd00:2::/64", "fc00::2")),
                RouteTable.parse("fd00:2::/64 via fc00::2 dev eth0 proto 157 metric 1024 pref medium"));
        assertEquals(Optional.empty(), RouteTable.parse("10.244.2.0/24 dev eth0 proto 157 scope link"));
    }
}
