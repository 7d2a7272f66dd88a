package dev.palisade.conformance;

import dev.palisade.conformance.ClusterSpec.PortDecl;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.palisade.conformance.Check.tcp;
import static dev.palisade.conformance.Check.tcpUdp;
import static dev.palisade.conformance.Check.udp;

/**
 * Seed 002 (the netpol-demo app on a three-node kind cluster): default-deny-ingress, then
 * web-allow-frontend and db-policy (verbatim), the host-networking note and the metadata-service
 * warning.
 *
 * <p>Host networking: {@code netpol-demo/host-web} (on n1, labelled app=web, so the policies'
 * selectors name it) and {@code storefront/host-agent} (on n2, in the purpose=frontend namespace)
 * are host-network pods: their traffic is their node's traffic ({@code node:n1}, {@code node:n2}).
 * Asserted: a node always reaches its own pods; a host-network pod is never isolated (policies that
 * select it do not apply: "host networking bypasses all standard network policies"); and it is not a
 * pod to peers either, so a namespaceSelector never admits it from another node (Palisade treats it
 * as node traffic; upstream leaves host-network pods undefined).
 */
@Tag("kernel")
class NetpolDemoWalkthroughKernelTest extends ConformanceSuite {

    private static final String WEB1 = "netpol-demo/web-app-1";
    private static final String WEB2 = "netpol-demo/web-app-2";
    private static final String DB = "netpol-demo/database";
    private static final String CLIENT = "default/client";
    private static final String SHOP = "storefront/shop";

    static ClusterSpec cluster() {
        List<PortDecl> nginx = List.of(new PortDecl(null, Proto.TCP, 80));
        List<PortDecl> postgres = List.of(new PortDecl(null, Proto.TCP, 5432));
        return ClusterSpec.builder("seed-002-netpol-demo", 42)
                .node("n1", "10.42.1.0/24", "fd10:42:1::/64")
                .node("n2", "10.42.2.0/24", "fd10:42:2::/64")
                .node("n3", "10.42.3.0/24", "fd10:42:3::/64")
                .namespace("netpol-demo", Map.of())
                .namespace("default", Map.of())
                .namespace("storefront", Map.of("purpose", "frontend"))
                .pod(WEB1, "n1", Map.of("app", "web"), nginx)
                .pod(WEB2, "n2", Map.of("app", "web"), nginx)
                .pod(DB, "n3", Map.of("app", "db"), postgres)
                .pod(CLIENT, "n2", Map.of("run", "client"), List.of())
                .pod(SHOP, "n3", Map.of("app", "shop"), List.of())
                .hostNetworkPod("netpol-demo/host-web", "n1", Map.of("app", "web"), nginx)
                .hostNetworkPod("storefront/host-agent", "n2", Map.of("app", "shop"), List.of())
                .external("metadata", "n1", "169.254.169.254", "fd00:ec2::254")
                .external("internet", "n3", "192.168.250.42", "fd00:250::42")
                .build();
    }

    @Override
    protected ClusterSpec spec() {
        return cluster();
    }

    private static final List<String> SOURCES = List.of(CLIENT, SHOP, WEB1, WEB2, DB, "node:n1", "node:n2", "node:n3");
    /** node:n1 is where netpol-demo/host-web serves. */
    private static final List<String> TARGETS = List.of(WEB1, WEB2, DB, CLIENT, SHOP, "node:n1");

    /** Nothing reaches {@code pod} but its own node. */
    private void isolate(Reachability r, String pod) {
        r.expectAllIngress(pod, false).expect(k.nodeOf(pod), pod, true);
    }

    @Test
    @DisplayName("default-deny-ingress: the client times out; egress still works; nodes reach their own pods; the host-network pod is open")
    void defaultDenyIngress() {
        k.scenario("default-deny-ingress").policies("seeds/002-default-deny-ingress.yaml")
                .between(SOURCES, TARGETS)
                .expect(tcpUdp(80, 5432), r -> List.of(WEB1, WEB2, DB).forEach(p -> isolate(r, p)))
                .run();
    }

    @Test
    @DisplayName("web-allow-frontend and db-policy: frontend namespace to web on 80, web to db on 5432, nothing else")
    void webAllowFrontendAndDbPolicy() {
        k.scenario("netpol-demo-policies").policies("seeds/002-default-deny-ingress.yaml",
                        "seeds/002-web-allow-frontend.yaml", "seeds/002-db-policy.yaml")
                .between(SOURCES, TARGETS)
                .expect(tcp(80), r -> {
                    List.of(WEB1, WEB2, DB).forEach(p -> isolate(r, p));
                    // storefront is purpose=frontend; its host-network pod on n2 is node traffic, not a pod of it
                    r.expect(SHOP, WEB1, true).expect(SHOP, WEB2, true);
                })
                .expect(tcp(5432), r -> {
                    List.of(WEB1, WEB2, DB).forEach(p -> isolate(r, p));
                    r.expect(WEB1, DB, true).expect(WEB2, DB, true);
                })
                .expect(udp(80, 5432), r -> List.of(WEB1, WEB2, DB).forEach(p -> isolate(r, p)))
                .run();
    }

    @Test
    @DisplayName("metadata service: egress anywhere but 169.254.169.254 (and fd00:ec2::254)")
    void denyMetadataService() {
        k.scenario("deny-metadata").policies("seeds/002-deny-metadata.yaml")
                .between(List.of(WEB1, WEB2, DB, CLIENT), List.of("ext:metadata", "ext:internet", CLIENT, SHOP, WEB1))
                .expect(tcpUdp(80), r -> List.of(WEB1, WEB2, DB).forEach(p -> r.expect(p, "ext:metadata", false)))
                .run();
    }
}
