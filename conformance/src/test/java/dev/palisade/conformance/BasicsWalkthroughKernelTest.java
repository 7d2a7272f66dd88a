package dev.palisade.conformance;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.palisade.conformance.Check.tcp;
import static dev.palisade.conformance.Check.tcpUdp;
import static dev.palisade.conformance.Check.udp;
import static dev.palisade.conformance.Reachability.Peer.any;
import static dev.palisade.conformance.Reachability.Peer.ns;

/**
 * Seed 000 ("Overview of Network Policies"): every example, with its YAML verbatim where the seed
 * gives one. The node pod CIDRs are chosen so the seed's own ranges hold real pods: n1 is
 * 10.0.0.0/24 (the endPort example's ipBlock), n3 is 172.17.0.0/16 with pods in 172.17.0.x and in
 * the excepted 172.17.1.0/24. 8.8.8.8 is played by ext:dns8 (192.168.250.8), with ext:other
 * (192.168.250.9) next to it.
 */
@Tag("kernel")
class BasicsWalkthroughKernelTest extends ConformanceSuite {

    private static final List<String> PRODUCTION = List.of("production/web", "production/database", "production/auditor");
    static ClusterSpec cluster() {
        return ClusterSpec.builder("seed-000-basics", 40)
                .node("n1", "10.0.0.0/24", "fd10:40:1::/64")
                .node("n2", "10.0.2.0/24", "fd10:40:2::/64")
                .node("n3", "172.17.0.0/16", "fd10:40:3::/64")
                .namespace("production", Map.of())
                .namespace("security", Map.of())
                .namespace("default", Map.of())
                .pod("production/web", "n1", Map.of("env", "production", "role", "app"), List.of())
                .pod("production/database", "n2", Map.of("env", "production", "role", "database"), List.of())
                // a pod of production labelled env=security: what the sample policy's podSelector really admits
                .pod("production/auditor", "n3", Map.of("env", "security"), List.of(), "172.17.0.11")
                .pod("security/scanner", "n2", Map.of("env", "security"), List.of())
                .pod("default/app", "n1", Map.of("role", "app"), List.of())
                .pod("default/suspicious", "n1", Map.of("role", "suspicious"), List.of())
                .pod("default/database", "n2", Map.of("role", "database"), List.of())
                .pod("default/db", "n2", Map.of("role", "db"), List.of())
                .pod("default/inside", "n3", Map.of("run", "inside"), List.of(), "172.17.0.10")
                .pod("default/excepted", "n3", Map.of("run", "excepted"), List.of(), "172.17.1.10")
                .external("dns8", "n3", "192.168.250.8", "fd00:250::8")
                .external("other", "n3", "192.168.250.9", "fd00:250::9")
                .build();
    }

    @Override
    protected ClusterSpec spec() {
        return cluster();
    }

    private List<String> podsAndExternals() {
        List<String> all = new ArrayList<>(k.pods());
        all.add("ext:dns8");
        all.add("ext:other");
        return all;
    }

    @Test
    @DisplayName("Example 1: default-deny-all blocks all ingress and egress of production")
    void defaultDenyAll() {
        k.scenario("default-deny-all").policies("seeds/000-default-deny-all.yaml")
                .between(k.pods(), podsAndExternals())
                .expect(tcpUdp(80), r -> {
                    r.expectPeer(any(), ns("production"), false);
                    PRODUCTION.forEach(p -> r.expectAllEgress(p, false));
                })
                .run();
    }

    @Test
    @DisplayName("Example 2: allow-ingress ({} rule) opens a namespace that a deny-ingress closed")
    void allowIngress() {
        k.scenario("allow-ingress/deny-first").policies("seeds/000-default-deny-ingress.yaml")
                .expect(tcpUdp(80), r -> r.expectPeer(any(), ns("default"), false))
                .run();
        k.scenario("allow-ingress/then-allow")
                .policies("seeds/000-default-deny-ingress.yaml", "seeds/000-allow-ingress.yaml").replacingPrevious()
                .expect(tcpUdp(80), r -> {
                })
                .run();
    }

    @Test
    @DisplayName("Example 3: the suspicious pod can neither send nor receive anything")
    void suspiciousPod() {
        k.scenario("suspicious-pod").policies("seeds/000-suspicious-pod.yaml")
                .between(k.pods(), podsAndExternals())
                .expect(tcpUdp(80, 443), r -> r.expectAllIngress("default/suspicious", false)
                        .expectAllEgress("default/suspicious", false))
                .run();
    }

    @Test
    @DisplayName("Example 3 verbatim, without metadata.namespace: applies to default, as kubectl apply would")
    void suspiciousPodVerbatim() {
        k.scenario("suspicious-pod-verbatim").policies("seeds/000-suspicious-pod-verbatim.yaml")
                .between(k.pods(), podsAndExternals())
                .expect(tcpUdp(80), r -> r.expectAllIngress("default/suspicious", false)
                        .expectAllEgress("default/suspicious", false))
                .run();
    }

    @Test
    @DisplayName("Example 4: role=app reaches role=database; a bare podSelector means the policy's namespace only")
    void podSelector() {
        k.scenario("app-to-database").policies("seeds/000-app-to-database.yaml")
                .expect(tcpUdp(80), r -> r.expectAllIngress("production/database", false)
                        .expect("production/web", "production/database", true))
                .run();
    }

    @Test
    @DisplayName("Example 5: only the security namespace reaches production (kubernetes.io/metadata.name)")
    void namespaceSelector() {
        k.scenario("namespace-selector").policies("seeds/000-namespace-selector.yaml")
                .expect(tcpUdp(80), r -> r.expectPeer(any(), ns("production"), false)
                        .expectPeer(ns("security"), ns("production"), true))
                .run();
    }

    @Test
    @DisplayName("Example 6: production reaches only 8.8.8.8 (played by 192.168.250.8/32), IPv4 only")
    void outboundToOneIp() {
        k.scenario("outbound-8888").policies("seeds/000-outbound-8888.yaml")
                .between(k.pods(), podsAndExternals())
                .expect(tcpUdp(53, 80).v4(), r -> PRODUCTION.forEach(p -> r.expectAllEgress(p, false).expect(p, "ext:dns8", true)))
                .expect(tcpUdp(53, 80).v6(), r -> PRODUCTION.forEach(p -> r.expectAllEgress(p, false)))
                .run();
    }

    @Test
    @DisplayName("Sample policy: env=production takes ingress from env=security pods of its own namespace only, egress to 8.8.8.8 only")
    void samplePolicy() {
        List<String> selected = List.of("production/web", "production/database");
        k.scenario("demo-network-policy").policies("seeds/000-demo-network-policy.yaml")
                .between(k.pods(), podsAndExternals())
                .expect(tcpUdp(80).v4(), r -> selected.forEach(p -> r.expectAllIngress(p, false)
                        .expect("production/auditor", p, true)
                        .expectAllEgress(p, false).expect(p, "ext:dns8", true)))
                .expect(tcpUdp(80).v6(), r -> selected.forEach(p -> r.expectAllIngress(p, false)
                        .expect("production/auditor", p, true)
                        .expectAllEgress(p, false)))
                .run();
    }

    @Test
    @DisplayName("except: 172.17.0.0/16 except 172.17.1.0/24 reaches role=database; nothing else does")
    void exceptIngress() {
        List<String> sources = new ArrayList<>(k.pods());
        sources.addAll(k.nodes());
        sources.add("ext:dns8");
        k.scenario("except-ingress").policies("seeds/000-except-ingress.yaml")
                .between(sources, k.pods())
                .expect(tcpUdp(80).v4(), r -> r.expectAllIngress("default/database", false)
                        // the pod's own node (n2) always reaches it
                        .expect("node:n2", "default/database", true)
                        .expect("default/inside", "default/database", true)
                        .expect("production/auditor", "default/database", true))
                .expect(tcpUdp(80).v6(), r -> r.expectAllIngress("default/database", false)
                        .expect("node:n2", "default/database", true))
                .run();
    }

    @Test
    @DisplayName("endPort: role=db reaches 10.0.0.0/24 on TCP 32000-32768 only (31999 and 32769 denied)")
    void endPortEgress() {
        List<String> inRange = List.of("production/web", "default/app", "default/suspicious");
        k.scenario("multi-port-egress").policies("seeds/000-multi-port-egress.yaml")
                .between(List.of("default/db", "default/app"), podsAndExternals())
                .expect(tcp(32000, 32768).v4(), r -> {
                    r.expectAllEgress("default/db", false);
                    inRange.forEach(t -> r.expect("default/db", t, true));
                })
                .expect(tcp(31999, 32769).v4(), r -> r.expectAllEgress("default/db", false))
                .expect(tcp(31999, 32000, 32768, 32769).v6(), r -> r.expectAllEgress("default/db", false))
                .expect(udp(32000), r -> r.expectAllEgress("default/db", false))
                .run();
    }
}
