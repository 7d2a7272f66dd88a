package dev.palisade.conformance;

import dev.palisade.conformance.ClusterSpec.PortDecl;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.palisade.conformance.Check.sctp;
import static dev.palisade.conformance.Check.tcp;
import static dev.palisade.conformance.Check.tcpUdp;
import static dev.palisade.conformance.Check.udp;
import static dev.palisade.conformance.Reachability.Peer.any;
import static dev.palisade.conformance.Reachability.Peer.ns;
import static dev.palisade.conformance.Reachability.Peer.pod;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Upstream's {@code test/e2e/network/netpol/network_policy.go}, ported: namespaces x, y and z with
 * pods a, b and c each (labels {@code pod: <name>}, namespaces {@code ns: <name>}), spread over three
 * nodes so that every scenario crosses nodes and shares nodes. Each scenario probes TCP and UDP on
 * ports 80 and 81 over IPv4 and IPv6 (upstream probes one port and protocol at a time), so every
 * table states what a policy must NOT change as well as what it must.
 *
 * <p>Additions beyond upstream (its pods carry no other labels): c pods carry {@code extra: "true"}
 * and namespace z carries {@code team: zeta}, for Exists/DoesNotExist selectors.
 */
@Tag("kernel")
class UpstreamNetpolKernelTest extends ConformanceSuite {

    /** Which node runs which pod: same-namespace and cross-namespace pairs on one node and across nodes. */
    private static final Map<String, String> PLACEMENT = placement();

    private static Map<String, String> placement() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("x/a", "n1");
        m.put("x/b", "n1");
        m.put("x/c", "n2");
        m.put("y/a", "n1");
        m.put("y/b", "n2");
        m.put("y/c", "n3");
        m.put("z/a", "n2");
        m.put("z/b", "n3");
        m.put("z/c", "n3");
        return m;
    }

    static ClusterSpec cluster() {
        return builder("upstream-netpol").build();
    }

    /** Pods are at .10, .11, .12 of each node's /24 in PLACEMENT order (n1: x/a, x/b, y/a; n2: x/c, y/b, z/a; n3: y/c, z/b, z/c). */
    static ClusterSpec.Builder builder(String clusterName) {
        ClusterSpec.Builder b = ClusterSpec.builder(clusterName, 30)
                .node("n1", "10.30.1.0/24", "fd10:30:1::/64")
                .node("n2", "10.30.2.0/24", "fd10:30:2::/64")
                .node("n3", "10.30.3.0/24", "fd10:30:3::/64")
                .namespace("x", Map.of("ns", "x"))
                .namespace("y", Map.of("ns", "y"))
                .namespace("z", Map.of("ns", "z", "team", "zeta"));
        // upstream's pods declare one container per port and protocol, named serve-<port>-<proto>
        List<PortDecl> ports = new ArrayList<>();
        for (int port : List.of(80, 81)) {
            ports.add(new PortDecl("serve-" + port + "-tcp", Proto.TCP, port));
            ports.add(new PortDecl("serve-" + port + "-udp", Proto.UDP, port));
        }
        PLACEMENT.forEach((pod, node) -> {
            String name = pod.substring(2);
            Map<String, String> labels = name.equals("c") ? Map.of("pod", name, "extra", "true") : Map.of("pod", name);
            b.pod(pod, node, labels, ports);
        });
        return b;
    }

    @Override
    protected ClusterSpec spec() {
        return cluster();
    }

    private Conformance.Scenario scenario(String name) {
        return k.scenario(name);
    }

    private static final Check ALL = tcpUdp(80, 81);

    // ---- NetworkPolicy between server and client -------------------------------------------

    @Test
    @DisplayName("should support a 'default-deny-ingress' policy")
    void defaultDenyIngress() {
        scenario("default-deny-ingress").policies("upstream/deny-ingress.yaml")
                .expect(ALL, r -> r.expectPeer(any(), ns("x"), false))
                .run();
    }

    @Test
    @DisplayName("should support a 'default-deny-all' policy")
    void defaultDenyAll() {
        scenario("default-deny-all").policies("upstream/deny-all.yaml")
                .expect(ALL, r -> r.expectPeer(any(), ns("x"), false).expectPeer(ns("x"), any(), false))
                .run();
    }

    @Test
    @DisplayName("should enforce policy to allow traffic from pods within server namespace based on PodSelector")
    void podSelectorWithinNamespace() {
        scenario("x-a-allows-x-b").policies("upstream/x-a-allows-x-b.yaml")
                .expect(ALL, r -> r.expectAllIngress("x/a", false).expect("x/b", "x/a", true))
                .run();
    }

    @Test
    @DisplayName("should enforce policy to allow ingress traffic for a target")
    void allowIngressForTarget() {
        scenario("allow-all-to-a").policies("upstream/deny-ingress.yaml", "upstream/allow-all-to-a.yaml")
                .expect(ALL, r -> r.expectAllIngress("x/b", false).expectAllIngress("x/c", false))
                .run();
    }

    @Test
    @DisplayName("should enforce policy to allow ingress traffic from pods in all namespaces")
    void allowFromAllNamespaces() {
        scenario("allow-from-another-ns").policies("upstream/allow-from-another-ns.yaml")
                .expect(ALL, r -> {
                })
                .run();
    }

    @Test
    @DisplayName("should enforce policy to allow traffic only from a different namespace, based on NamespaceSelector")
    void namespaceSelector() {
        scenario("allow-client-a-via-ns-selector").policies("upstream/allow-client-a-via-ns-selector.yaml")
                .expect(ALL, r -> r.expectPeer(ns("x"), pod("x", "a"), false).expectPeer(ns("z"), pod("x", "a"), false))
                .run();
    }

    @Test
    @DisplayName("should enforce policy based on PodSelector with MatchExpressions")
    void podSelectorMatchExpressions() {
        scenario("pod-match-expressions").policies("upstream/pod-match-expressions.yaml")
                .expect(ALL, r -> r.expectAllIngress("x/a", false).expect("x/b", "x/a", true))
                .run();
    }

    @Test
    @DisplayName("should enforce policy based on NamespaceSelector with MatchExpressions")
    void namespaceSelectorMatchExpressions() {
        scenario("ns-match-expressions").policies("upstream/ns-match-expressions.yaml")
                .expect(ALL, r -> r.expectPeer(ns("x"), pod("x", "a"), false).expectPeer(ns("z"), pod("x", "a"), false))
                .run();
    }

    @Test
    @DisplayName("should enforce policy based on PodSelector or NamespaceSelector")
    void podSelectorOrNamespaceSelector() {
        scenario("pod-or-ns").policies("upstream/pod-or-ns.yaml")
                .expect(ALL, r -> r.expect("x/c", "x/a", false))
                .run();
    }

    @Test
    @DisplayName("should enforce policy based on PodSelector and NamespaceSelector")
    void podSelectorAndNamespaceSelector() {
        scenario("pod-and-ns").policies("upstream/pod-and-ns.yaml")
                .expect(ALL, r -> r.expectAllIngress("x/a", false).expect("y/b", "x/a", true).expect("z/b", "x/a", true))
                .run();
    }

    @Test
    @DisplayName("should enforce policy based on Multiple PodSelectors and NamespaceSelectors")
    void multiplePodAndNamespaceSelectors() {
        scenario("multiple-pod-ns-selectors").policies("upstream/multiple-pod-ns-selectors.yaml")
                .expect(ALL, r -> r.expectAllIngress("x/a", false)
                        .expect("y/b", "x/a", true).expect("y/c", "x/a", true)
                        .expect("z/b", "x/a", true).expect("z/c", "x/a", true))
                .run();
    }

    @Test
    @DisplayName("should enforce policy based on any PodSelectors")
    void anyPodSelectors() {
        scenario("any-podselectors").policies("upstream/any-podselectors.yaml")
                .expect(ALL, r -> r.expectAllIngress("x/a", false).expect("x/b", "x/a", true).expect("x/c", "x/a", true))
                .run();
    }

    @Test
    @DisplayName("should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector")
    void podInDifferentNamespace() {
        scenario("ns-y-pod-a").policies("upstream/ns-y-pod-a.yaml")
                .expect(ALL, r -> r.expectAllIngress("x/a", false).expect("y/a", "x/a", true))
                .run();
    }

    @Test
    @DisplayName("should enforce policy based on Ports")
    void ports() {
        scenario("port-81-from-y").policies("upstream/port-81-from-y.yaml")
                .expect(tcp(81), r -> r.expectAllIngress("x/a", false).expectPeer(ns("y"), pod("x", "a"), true))
                .expect(tcp(80), r -> r.expectAllIngress("x/a", false))
                .expect(udp(80, 81), r -> r.expectAllIngress("x/a", false))
                .run();
    }

    @Test
    @DisplayName("should enforce multiple, stacked policies with overlapping podSelectors")
    void stackedPolicies() {
        scenario("stacked-81-only").policies("upstream/port-81-from-y.yaml")
                .expect(tcp(80), r -> r.expectAllIngress("x/a", false))
                .expect(tcp(81), r -> r.expectAllIngress("x/a", false).expectPeer(ns("y"), pod("x", "a"), true))
                .run();
        scenario("stacked-80-and-81").policies("upstream/port-81-from-y.yaml", "upstream/port-80-from-y.yaml")
                .replacingPrevious()
                .expect(tcp(80, 81), r -> r.expectAllIngress("x/a", false).expectPeer(ns("y"), pod("x", "a"), true))
                .expect(udp(80, 81), r -> r.expectAllIngress("x/a", false))
                .run();
    }

    @Test
    @DisplayName("should support allow-all policy")
    void allowAll() {
        scenario("allow-all").policies("upstream/allow-all-ingress.yaml")
                .expect(ALL, r -> {
                })
                .run();
    }

    @Test
    @DisplayName("should allow ingress access on one named port")
    void ingressNamedPort() {
        scenario("named-port-81").policies("upstream/named-port-81.yaml")
                .expect(tcp(81), r -> {
                })
                .expect(tcp(80), r -> r.expectPeer(any(), ns("x"), false))
                // serve-81-tcp names a TCP port: UDP 81 must stay closed
                .expect(udp(80, 81), r -> r.expectPeer(any(), ns("x"), false))
                .run();
    }

    @Test
    @DisplayName("should allow ingress access from namespace on one named port")
    void ingressNamedPortFromNamespace() {
        scenario("named-port-80-from-y").policies("upstream/named-port-80-from-y.yaml")
                .expect(tcp(80), r -> r.expectPeer(ns("x"), pod("x", "a"), false).expectPeer(ns("z"), pod("x", "a"), false))
                .expect(tcp(81), r -> r.expectAllIngress("x/a", false))
                .expect(udp(80, 81), r -> r.expectAllIngress("x/a", false))
                .run();
    }

    @Test
    @DisplayName("should allow egress access on one named port")
    void egressNamedPort() {
        scenario("egress-named-port-80").policies("upstream/egress-named-port-80.yaml")
                .expect(tcp(80), r -> {
                })
                .expect(tcp(81), r -> r.expectPeer(ns("x"), any(), false))
                .expect(udp(80, 81), r -> r.expectPeer(ns("x"), any(), false))
                .run();
    }

    @Test
    @DisplayName("should enforce updated policy")
    void updatedPolicy() {
        scenario("allow-all-mutate-to-deny-all/allow").policies("upstream/allow-all-ingress.yaml")
                .expect(ALL, r -> {
                })
                .run();
        // the same policy with "ingress: []": the new script must replace the old table
        scenario("allow-all-mutate-to-deny-all/deny").policies("upstream/deny-ingress.yaml").replacingPrevious()
                .expect(ALL, r -> r.expectPeer(any(), ns("x"), false))
                .run();
    }

    @Test
    @DisplayName("should allow ingress access from updated namespace")
    void updatedNamespace() {
        scenario("updated-namespace/before").policies("upstream/allow-from-updated-ns.yaml")
                .expect(ALL, r -> r.expectAllIngress("x/a", false))
                .run();
        scenario("updated-namespace/after").policies("upstream/allow-from-updated-ns.yaml").replacingPrevious()
                .namespaceLabels("y", Map.of("ns", "y", "ns2", "updated"))
                .expect(ALL, r -> r.expectAllIngress("x/a", false).expectPeer(ns("y"), pod("x", "a"), true))
                .run();
    }

    @Test
    @DisplayName("should allow ingress access from updated pod")
    void updatedPod() {
        scenario("updated-pod/before").policies("upstream/allow-from-updated-pod.yaml")
                .expect(ALL, r -> r.expectAllIngress("x/a", false))
                .run();
        scenario("updated-pod/after").policies("upstream/allow-from-updated-pod.yaml").replacingPrevious()
                .podLabels("x/b", Map.of("pod", "b", "pod2", "updated"))
                .expect(ALL, r -> r.expectAllIngress("x/a", false).expect("x/b", "x/a", true))
                .run();
    }

    @Test
    @DisplayName("should deny ingress from pods on other namespaces")
    void denyIngressFromOtherNamespaces() {
        scenario("deny-ingress-from-other-ns").policies("upstream/deny-ingress-from-other-ns.yaml")
                .expect(ALL, r -> r.expectPeer(ns("y"), ns("x"), false).expectPeer(ns("z"), ns("x"), false))
                .run();
    }

    @Test
    @DisplayName("should deny ingress access to updated pod")
    void denyIngressToUpdatedPod() {
        scenario("deny-ingress-to-updated-pod/before").policies("upstream/deny-ingress-to-isolated.yaml")
                .expect(ALL, r -> {
                })
                .run();
        scenario("deny-ingress-to-updated-pod/after").policies("upstream/deny-ingress-to-isolated.yaml")
                .replacingPrevious()
                .podLabels("x/a", Map.of("pod", "a", "target", "isolated"))
                .expect(ALL, r -> r.expectAllIngress("x/a", false))
                .run();
    }

    @Test
    @DisplayName("should deny egress from pods based on PodSelector")
    void denyEgressPodSelector() {
        scenario("deny-egress-pod-a").policies("upstream/deny-egress-pod-a.yaml")
                .expect(ALL, r -> r.expectAllEgress("x/a", false))
                .run();
    }

    @Test
    @DisplayName("should deny egress from all pods in a namespace")
    void denyEgressNamespace() {
        scenario("deny-egress-ns-x").policies("upstream/deny-egress-ns-x.yaml")
                .expect(ALL, r -> r.expectPeer(ns("x"), any(), false))
                .run();
    }

    @Test
    @DisplayName("should work with Ingress, Egress specified together")
    void ingressAndEgressTogether() {
        scenario("ingress-and-egress").policies("upstream/ingress-and-egress.yaml")
                .expect(tcp(80), r -> r.expectAllIngress("x/a", false).expect("x/b", "x/a", true))
                // the egress rule is TCP/80 only (a port without protocol is TCP)
                .expect(tcp(81), r -> r.expectAllIngress("x/a", false).expectAllEgress("x/a", false)
                        .expect("x/b", "x/a", true))
                .expect(udp(80, 81), r -> r.expectAllIngress("x/a", false).expectAllEgress("x/a", false)
                        .expect("x/b", "x/a", true))
                .run();
    }

    @Test
    @DisplayName("should support denying of egress traffic on the client side (even if the server explicitly allows this traffic)")
    void clientSideEgressDeny() {
        scenario("client-side-egress").policies("upstream/client-side-egress.yaml")
                .expect(ALL, r -> r.expectAllEgress("x/a", false)
                        .expectAllIngress("y/a", false)
                        .expectAllIngress("y/b", false)
                        .expect("x/a", "y/a", true))
                .run();
    }

    @Test
    @DisplayName("should enforce egress policy allowing traffic to a server in a different namespace based on PodSelector and NamespaceSelector")
    void egressToPodInOtherNamespace() {
        scenario("egress-to-y-a").policies("upstream/egress-to-y-a.yaml")
                .expect(ALL, r -> r.expectAllEgress("x/a", false).expect("x/a", "y/a", true))
                .run();
    }

    @Test
    @DisplayName("should enforce ingress policy allowing any port traffic to a server on a specific protocol")
    void ingressByProtocol() {
        scenario("ingress-by-protocol-tcp").policies("upstream/ingress-by-protocol-tcp.yaml")
                .expect(tcp(80, 81), r -> {
                })
                .expect(udp(80, 81), r -> r.expectAllIngress("x/a", false))
                .run();
    }

    @Test
    @DisplayName("should enforce multiple ingress policies with ingress allow-all policy taking precedence")
    void ingressAllowAllPrecedence() {
        scenario("ingress-precedence/port-80").policies("upstream/allow-ingress-port-80.yaml")
                .expect(tcp(80), r -> {
                })
                .expect(tcp(81), r -> r.expectPeer(any(), ns("x"), false))
                .expect(udp(80, 81), r -> r.expectPeer(any(), ns("x"), false))
                .run();
        scenario("ingress-precedence/plus-allow-all")
                .policies("upstream/allow-ingress-port-80.yaml", "upstream/allow-all-ingress.yaml").replacingPrevious()
                .expect(ALL, r -> {
                })
                .run();
    }

    @Test
    @DisplayName("should enforce multiple egress policies with egress allow-all policy taking precedence")
    void egressAllowAllPrecedence() {
        scenario("egress-precedence/port-80").policies("upstream/allow-egress-port-80.yaml")
                .expect(tcp(80), r -> {
                })
                .expect(tcp(81), r -> r.expectPeer(ns("x"), any(), false))
                .expect(udp(80, 81), r -> r.expectPeer(ns("x"), any(), false))
                .run();
        scenario("egress-precedence/plus-allow-all")
                .policies("upstream/allow-egress-port-80.yaml", "upstream/allow-all-egress.yaml").replacingPrevious()
                .expect(ALL, r -> {
                })
                .run();
    }

    @Test
    @DisplayName("should stop enforcing policies after they are deleted")
    void policiesDeleted() {
        scenario("policy-deleted/deny-all").policies("upstream/deny-all.yaml")
                .expect(ALL, r -> r.expectPeer(ns("x"), any(), false).expectPeer(any(), ns("x"), false))
                .run();
        scenario("policy-deleted/none").replacingPrevious()
                .expect(ALL, r -> {
                })
                .run();
    }

    @Test
    @DisplayName("should allow egress access to server in CIDR block")
    void egressToCidr() {
        // upstream is single-stack: an IPv4 /32 leaves every IPv6 destination denied
        scenario("egress-cidr-y-b").policies("upstream/egress-cidr-y-b.yaml")
                .expect(tcpUdp(80, 81).v4(), r -> r.expectAllEgress("x/a", false).expect("x/a", "y/b", true))
                .expect(tcpUdp(80, 81).v6(), r -> r.expectAllEgress("x/a", false))
                .run();
    }

    @Test
    @DisplayName("dual stack: egress to a server by its IPv4 /32 and IPv6 /128")
    void egressToCidrDualStack() {
        scenario("egress-cidr-y-b-dual").policies("upstream/egress-cidr-y-b-dual.yaml")
                .expect(ALL, r -> r.expectAllEgress("x/a", false).expect("x/a", "y/b", true))
                .run();
    }

    @Test
    @DisplayName("should enforce except clause while egress access to server in CIDR block")
    void egressCidrExcept() {
        scenario("egress-cidr-except").policies("upstream/egress-cidr-except-x-b.yaml")
                .expect(tcpUdp(80, 81).v4(), r -> r.expect("x/a", "x/b", false))
                .expect(tcpUdp(80, 81).v6(), r -> r.expectAllEgress("x/a", false))
                .run();
    }

    @Test
    @DisplayName("should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed")
    void cidrExceptOverlapAllowedByAnotherPolicy() {
        scenario("egress-cidr-except-overlap").policies("upstream/egress-cidr-except-x-b.yaml", "upstream/egress-cidr-x-b.yaml")
                .expect(tcpUdp(80, 81).v4(), r -> {
                })
                .expect(tcpUdp(80, 81).v6(), r -> r.expectAllEgress("x/a", false))
                .run();
    }

    @Test
    @DisplayName("should enforce policies to check ingress and egress policies can be controlled independently based on PodSelector")
    void ingressEgressIndependent() {
        scenario("independent/allow-egress").policies("upstream/allow-egress-for-target.yaml")
                .expect(ALL, r -> {
                })
                .run();
        scenario("independent/deny-ingress").policies("upstream/allow-egress-for-target.yaml",
                        "upstream/deny-ingress-pod-a.yaml").replacingPrevious()
                .expect(ALL, r -> r.expectAllIngress("x/a", false))
                .run();
    }

    @Test
    @DisplayName("should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP', even if the plugin doesn't support SCTP")
    void sctpIsNotTcp() {
        scenario("sctp-is-not-tcp").policies("upstream/deny-ingress.yaml", "upstream/allow-only-sctp-81.yaml")
                .expect(ALL, r -> r.expectPeer(any(), ns("x"), false))
                .expect(sctp(81), r -> r.expectPeer(any(), ns("x"), false).expectAllIngress("x/a", true))
                .run();
    }

    @Test
    @DisplayName("should properly isolate pods that are selected by a policy allowing SCTP, even if the plugin doesn't support SCTP")
    void sctpPolicyIsolates() {
        scenario("sctp-isolates").policies("upstream/allow-only-sctp-80.yaml")
                .expect(ALL, r -> r.expectAllIngress("x/a", false))
                .run();
    }

    @Test
    @DisplayName("should not allow access by TCP when a policy specifies only UDP")
    void udpOnlyPolicy() {
        scenario("udp-only-81").policies("upstream/allow-only-udp-81.yaml")
                .expect(tcp(80, 81), r -> r.expectAllIngress("x/a", false))
                .expect(udp(81), r -> {
                })
                .expect(udp(80), r -> r.expectAllIngress("x/a", false))
                .run();
    }

    @Test
    @DisplayName("should enforce policy based on NamespaceSelector with MatchExpressions using default ns label")
    void egressNamespaceNotIn() {
        scenario("egress-ns-not-in-y").policies("upstream/egress-ns-not-in-y.yaml")
                .expect(ALL, r -> r.expectPeer(pod("x", "a"), ns("y"), false))
                .run();
    }

    // ---- beyond upstream's list ------------------------------------------------------------

    @Test
    @DisplayName("matchExpressions Exists, DoesNotExist and NotIn")
    void matchExpressionsExistsDoesNotExistNotIn() {
        scenario("match-expressions-exists").policies("upstream/match-expressions-exists.yaml")
                .expect(ALL, r -> r
                        // x/a: only x pods with the label "extra" (x/c)
                        .expectAllIngress("x/a", false).expect("x/c", "x/a", true)
                        // x/b: namespaces without "team" (x, y)
                        .expectPeer(ns("z"), pod("x", "b"), false)
                        // x/c: every pod not named a
                        .expectPeer(pod(null, "a"), pod("x", "c"), false))
                .run();
    }

    @Test
    @DisplayName("endPort ranges for ingress (TCP 80-81) and egress (UDP 81-90)")
    void endPortRanges() {
        scenario("end-port").policies("upstream/end-port.yaml")
                .expect(tcp(80, 81), r -> r.expectAllIngress("x/a", false).expectPeer(ns("y"), pod("x", "a"), true)
                        .expectAllEgress("x/b", false))
                .expect(udp(80), r -> r.expectAllIngress("x/a", false).expectAllEgress("x/b", false))
                .expect(udp(81), r -> r.expectAllIngress("x/a", false))
                .run();
    }

    @Test
    @DisplayName("'ingress: []' without policyTypes isolates (deny all ingress)")
    void ingressEmptyList() {
        scenario("ingress-empty-list").policies("upstream/ingress-empty-list.yaml")
                .expect(ALL, r -> r.expectPeer(any(), ns("x"), false))
                .run();
    }

    @Test
    @DisplayName("'ingress: [{}]' without policyTypes allows all ingress")
    void ingressEmptyRule() {
        scenario("ingress-empty-rule").policies("upstream/deny-ingress.yaml", "upstream/ingress-empty-rule.yaml")
                .expect(ALL, r -> {
                })
                .run();
    }

    @Test
    @DisplayName("an egress section without policyTypes isolates ingress too (policyTypes defaults to [Ingress, Egress])")
    void defaultedPolicyTypes() {
        scenario("default-policy-types").policies("upstream/default-policy-types.yaml")
                .expect(ALL, r -> r.expectAllIngress("x/a", false)
                        .expectPeer(pod("x", "a"), ns("y"), false).expectPeer(pod("x", "a"), ns("z"), false))
                .run();
    }

    @Test
    @DisplayName("policyTypes [Egress] ignores the policy's ingress rules")
    void egressOnlyPolicyTypes() {
        scenario("egress-only-with-ingress-rules").policies("upstream/egress-only-with-ingress-rules.yaml")
                .expect(ALL, r -> r.expectPeer(pod("x", "a"), ns("x"), false).expectPeer(pod("x", "a"), ns("z"), false))
                .run();
    }

    @Test
    @DisplayName("ipBlock ingress with except carving out one pod's IPv4 and another pod's IPv6 address")
    void ingressIpBlockExcept() {
        scenario("ingress-ipblock-except").policies("upstream/ingress-ipblock-except.yaml")
                .expect(tcpUdp(80, 81).v4(), r -> r.expect("y/b", "x/a", false))
                .expect(tcpUdp(80, 81).v6(), r -> r.expect("z/c", "x/a", false))
                .run();
    }

    @Test
    @DisplayName("a pod and its own node always talk, both ways, whatever the policy; other nodes are not pods")
    void nodeToOwnPods() {
        // "traffic to and from the node where a Pod is running is always allowed, regardless of the
        // IP address of the Pod or the node" (Kubernetes docs; docs/design/nft-layout.md)
        List<String> endpoints = new ArrayList<>(k.pods());
        endpoints.addAll(k.nodes());
        scenario("node-to-own-pods").policies("upstream/deny-all.yaml")
                .between(endpoints, endpoints)
                .expect(tcpUdp(80), r -> {
                    r.expectPeer(any(), ns("x"), false);
                    for (String pod : List.of("x/a", "x/b", "x/c")) {
                        String own = "node:" + PLACEMENT.get(pod);
                        r.expectAllEgress(pod, false).expect(pod, own, true);
                        // another node's traffic is not the pod's node's traffic
                        for (String node : k.nodes()) {
                            r.expect(node, pod, node.equals(own));
                        }
                    }
                })
                .run();
    }

    @Test
    @DisplayName("a connection opened before a deny policy keeps working (conntrack established); new ones are denied")
    void establishedConnectionSurvivesDeny() {
        // What is asserted: the contract is stateful like every conntrack-based enforcer (Calico,
        // Cilium, kube-network-policies): packets of a flow accepted before the new script loads
        // are "established" and pass both ways; the policy governs new flows only. Upstream leaves
        // existing connections undefined, so this pins Palisade's choice.
        k.clearTables();
        try (Topology.Held v4 = k.topology().hold("y/a", "x/a", Family.V4);
             Topology.Held v6 = k.topology().hold("z/b", "x/b", Family.V6);
             Topology.Held egress = k.topology().hold("x/c", "y/b", Family.V4)) {
            assertEquals("PONG", v4.ping(), v4.name() + " before the policy");
            assertEquals("PONG", v6.ping(), v6.name() + " before the policy");
            assertEquals("PONG", egress.ping(), egress.name() + " before the policy");
            scenario("established-then-deny-all").policies("upstream/deny-all.yaml")
                    .expect(tcp(80, 81), r -> r.expectPeer(any(), ns("x"), false).expectPeer(ns("x"), any(), false))
                    .run();
            assertEquals("PONG", v4.ping(), v4.name() + " after deny-all: the established flow must keep working");
            assertEquals("PONG", v6.ping(), v6.name() + " after deny-all: the established flow must keep working");
            assertEquals("PONG", egress.ping(), egress.name() + " after deny-all (egress side): the established flow must keep working");
        }
    }

    @Test
    @DisplayName("a policy that selects no pod isolates nothing, for pods and nodes alike")
    void policySelectingNothing() {
        // no pod carries target=isolated in this scenario
        List<String> endpoints = new ArrayList<>(k.pods());
        endpoints.addAll(k.nodes());
        scenario("selects-nothing").policies("upstream/deny-ingress-to-isolated.yaml")
                .between(endpoints, endpoints)
                .expect(ALL, r -> {
                })
                .run();
    }
}
