package dev.palisade.conformance;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static dev.palisade.conformance.Check.tcp;
import static dev.palisade.conformance.Check.tcpUdp;
import static dev.palisade.conformance.Check.udp;
import static dev.palisade.conformance.Reachability.Peer.any;
import static dev.palisade.conformance.Reachability.Peer.ns;
import static dev.palisade.conformance.Reachability.Peer.pod;

/**
 * ClusterNetworkPolicy (policy.networking.k8s.io/v1beta1) with real packets: `palisade compile` output for each
 * node loaded into network namespaces, TCP and UDP probed both families between every pair of pods. The tiers
 * in the order the API gives them: Admin over NetworkPolicy (Accept beats isolation, Deny beats nothing,
 * Pass hands over), Baseline under it (a pod a NetworkPolicy selects ignores it), Networks peers on egress, and
 * two Admin policies of equal priority (the strictest match wins).
 *
 * <p>Pods as in {@link UpstreamNetpolKernelTest}: n1 runs x/a, x/b, y/a (10.30.1.0/24); n2 x/c, y/b, z/a;
 * n3 y/c, z/b, z/c; every pod serves TCP and UDP on 80 and 81.
 */
@Tag("kernel")
class ClusterNetworkPolicyKernelTest extends ConformanceSuite {

    @Override
    protected ClusterSpec spec() {
        return UpstreamNetpolKernelTest.builder("cluster-network-policy").build();
    }

    @Test
    @DisplayName("Admin tier: Accept overrides a NetworkPolicy's isolation, Deny is final, Pass hands over to it")
    void adminOverNetworkPolicy() {
        k.scenario("cnp-admin-over-networkpolicy").policies("cnp/admin-over-networkpolicy.yaml")
                .expect(tcp(80), r -> {
                    r.expectPeer(any(), ns("x"), false);
                    r.expectPeer(ns("y"), ns("x"), true);
                    r.expectPeer(pod("z", "a"), ns("x"), true);
                })
                .expect(tcpUdp(81), r -> {
                    r.expectPeer(any(), ns("x"), false);
                    r.expectPeer(pod("z", "a"), ns("x"), true);
                })
                .expect(udp(80), r -> {
                    r.expectPeer(any(), ns("x"), false);
                    r.expectPeer(pod("z", "a"), ns("x"), true);
                })
                .run();
    }

    @Test
    @DisplayName("Baseline tier: denies what it denies only to pods no NetworkPolicy selects")
    void baselineUnderNetworkPolicy() {
        k.scenario("cnp-baseline-under-networkpolicy").policies("cnp/baseline-under-networkpolicy.yaml")
                .expect(tcpUdp(80), r -> {
                    r.expectPeer(any(), ns("y"), false);
                    r.expectPeer(pod("x", "a"), ns("y"), true);
                    r.expectPeer(any(), pod("y", "c"), true);
                })
                .run();
    }

    @Test
    @DisplayName("Admin tier, egress to networks; at equal priority Deny wins over Accept")
    void egressNetworksAndEqualPriority() {
        k.scenario("cnp-admin-egress-networks").policies("cnp/admin-egress-networks.yaml")
                .expect(tcp(80, 81), r -> {
                    r.expectPeer(ns("z"), pod("x", "a"), false);
                    r.expectPeer(ns("z"), pod("x", "b"), false);
                    r.expectPeer(ns("z"), pod("y", "a"), false);
                })
                .expect(udp(80, 81), r -> {
                })
                .run();
    }
}
