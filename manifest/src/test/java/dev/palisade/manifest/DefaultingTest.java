package dev.palisade.manifest;

import dev.palisade.model.Cidr;
import dev.palisade.model.LabelSelector;
import dev.palisade.model.NetworkPolicy;
import dev.palisade.model.Peer;
import dev.palisade.model.PortSpec;
import dev.palisade.model.Protocol;
import dev.palisade.model.Rule;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The API server's defaulting, one case per rule: a NetworkPolicy spec snippet and what it projects to. */
class DefaultingTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("namespace absent defaults to default", """
                        spec:
                          podSelector: {}
                        """, check(p -> assertEquals("default", p.namespace()))),
                Arguments.of("policyTypes absent without egress is Ingress only", """
                        spec:
                          podSelector: {}
                          ingress:
                          - {}
                        """, check(p -> types(p, true, false))),
                Arguments.of("policyTypes absent with egress rules adds Egress", """
                        spec:
                          podSelector: {}
                          egress:
                          - to:
                            - ipBlock: {cidr: 10.0.0.0/8}
                        """, check(p -> types(p, true, true))),
                Arguments.of("policyTypes absent with an empty egress list is Ingress only (len(egress) != 0 upstream)", """
                        spec:
                          podSelector: {}
                          egress: []
                        """, check(p -> types(p, true, false))),
                Arguments.of("policyTypes empty list is defaulted like absent", """
                        spec:
                          podSelector: {}
                          policyTypes: []
                          egress:
                          - {}
                        """, check(p -> types(p, true, true))),
                Arguments.of("policyTypes Egress only is kept", """
                        spec:
                          podSelector: {}
                          policyTypes: [Egress]
                        """, check(p -> types(p, false, true))),
                Arguments.of("policyTypes Ingress only ignores egress rules", """
                        spec:
                          podSelector: {}
                          policyTypes: [Ingress]
                          egress:
                          - {}
                        """, check(p -> types(p, true, false))),
                Arguments.of("spec absent selects every pod and isolates ingress", "",
                        check(p -> {
                            assertEquals(LabelSelector.EVERYTHING, p.podSelector());
                            types(p, true, false);
                        })),
                Arguments.of("podSelector absent selects every pod", """
                        spec:
                          ingress:
                          - {}
                        """, check(p -> assertEquals(LabelSelector.EVERYTHING, p.podSelector()))),
                Arguments.of("empty rule allows every peer and port", """
                        spec:
                          podSelector: {}
                          ingress:
                          - {}
                        """, check(p -> assertEquals(List.of(Rule.ALLOW_ALL), p.ingress()))),
                Arguments.of("null rule decodes to the zero rule, which allows all", """
                        spec:
                          podSelector: {}
                          ingress:
                          -
                        """, check(p -> assertEquals(List.of(Rule.ALLOW_ALL), p.ingress()))),
                Arguments.of("from absent is every peer", """
                        spec:
                          podSelector: {}
                          ingress:
                          - ports: [{port: 80}]
                        """, check(p -> assertTrue(p.ingress().get(0).peers().isEmpty()))),
                Arguments.of("from empty is every peer", """
                        spec:
                          podSelector: {}
                          ingress:
                          - from: []
                            ports: [{port: 80}]
                        """, check(p -> assertTrue(p.ingress().get(0).peers().isEmpty()))),
                Arguments.of("to empty is every peer", """
                        spec:
                          podSelector: {}
                          egress:
                          - to: []
                        """, check(p -> assertEquals(List.of(Rule.ALLOW_ALL), p.egress()))),
                Arguments.of("ports absent is every port", """
                        spec:
                          podSelector: {}
                          ingress:
                          - from: [{podSelector: {}}]
                        """, check(p -> assertTrue(p.ingress().get(0).ports().isEmpty()))),
                Arguments.of("ports empty is every port", """
                        spec:
                          podSelector: {}
                          ingress:
                          - from: [{podSelector: {}}]
                            ports: []
                        """, check(p -> assertTrue(p.ingress().get(0).ports().isEmpty()))),
                Arguments.of("protocol absent is TCP", """
                        spec:
                          podSelector: {}
                          ingress:
                          - ports: [{port: 80}]
                        """, check(p -> assertEquals(List.of(new PortSpec.Numbered(Protocol.TCP, 80)), p.ingress().get(0).ports()))),
                Arguments.of("protocol without port is every port of it", """
                        spec:
                          podSelector: {}
                          ingress:
                          - ports: [{protocol: UDP}]
                        """, check(p -> assertEquals(List.of(new PortSpec.AllPorts(Protocol.UDP)), p.ingress().get(0).ports()))),
                Arguments.of("endPort makes a range", """
                        spec:
                          podSelector: {}
                          egress:
                          - ports: [{protocol: TCP, port: 32000, endPort: 32768}]
                        """, check(p -> assertEquals(List.of(new PortSpec.Numbered(Protocol.TCP, 32000, 32768)), p.egress().get(0).ports()))),
                Arguments.of("a string port is a named port", """
                        spec:
                          podSelector: {}
                          ingress:
                          - ports: [{port: http, protocol: SCTP}]
                        """, check(p -> assertEquals(List.of(new PortSpec.Named(Protocol.SCTP, "http")), p.ingress().get(0).ports()))),
                Arguments.of("podSelector peer alone means the policy's namespace", """
                        spec:
                          podSelector: {}
                          ingress:
                          - from: [{podSelector: {matchLabels: {app: web}}}]
                        """, check(p -> assertEquals(List.of(new Peer.Pods(LabelSelector.of(Map.of("app", "web")), Optional.empty())),
                        p.ingress().get(0).peers()))),
                Arguments.of("namespaceSelector alone means every pod of the selected namespaces", """
                        spec:
                          podSelector: {}
                          ingress:
                          - from: [{namespaceSelector: {}}]
                        """, check(p -> assertEquals(List.of(new Peer.Pods(LabelSelector.EVERYTHING, Optional.of(LabelSelector.EVERYTHING))),
                        p.ingress().get(0).peers()))),
                Arguments.of("ipBlock with except", """
                        spec:
                          podSelector: {}
                          ingress:
                          - from:
                            - ipBlock:
                                cidr: 172.17.0.0/16
                                except: [172.17.1.0/24]
                        """, check(p -> assertEquals(List.of(new Peer.IpBlock(Cidr.parse("172.17.0.0/16"), List.of(Cidr.parse("172.17.1.0/24")))),
                        p.ingress().get(0).peers()))),
                Arguments.of("matchExpressions become requirements", """
                        spec:
                          podSelector:
                            matchExpressions:
                            - {key: tier, operator: In, values: [web, api]}
                            - {key: canary, operator: DoesNotExist}
                        """, check(p -> {
                            assertEquals("canary", p.podSelector().matchExpressions().get(0).key());
                            assertEquals("!canary,tier in (api,web)", p.podSelector().toString());
                        })));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void defaults(String name, String spec, Consumer<NetworkPolicy> expectation) {
        String yaml = """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata:
                  name: p
                """ + spec;
        ManifestSet set = ManifestReader.readText("policy.yaml", yaml);
        assertEquals(List.of(), set.diagnostics(), name);
        assertEquals(1, set.cluster().policies().size());
        expectation.accept(set.cluster().policies().get(0));
    }

    private static Consumer<NetworkPolicy> check(Consumer<NetworkPolicy> c) {
        return c;
    }

    private static void types(NetworkPolicy p, boolean ingress, boolean egress) {
        assertEquals(ingress, p.affectsIngress(), "affectsIngress");
        assertEquals(egress, p.affectsEgress(), "affectsEgress");
        assertFalse(!ingress && !egress, "a policy always has a type");
    }
}
