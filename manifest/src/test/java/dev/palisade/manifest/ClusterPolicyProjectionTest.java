package dev.palisade.manifest;

import dev.palisade.model.Cidr;
import dev.palisade.model.ClusterNetworkPolicy;
import dev.palisade.model.ClusterNetworkPolicy.Subject;
import dev.palisade.model.ClusterNetworkPolicy.Tier;
import dev.palisade.model.ClusterPeer;
import dev.palisade.model.ClusterRule;
import dev.palisade.model.ClusterRule.Action;
import dev.palisade.model.LabelSelector;
import dev.palisade.model.PortSpec;
import dev.palisade.model.Protocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ClusterNetworkPolicy (v1beta1) manifests into records; what the schema does not catch fails closed. */
class ClusterPolicyProjectionTest {

    private static ManifestSet read(String spec) {
        return ManifestReader.readText("cnp.yaml", """
                apiVersion: policy.networking.k8s.io/v1beta1
                kind: ClusterNetworkPolicy
                metadata: {name: cnp}
                spec:
                """ + spec.indent(2));
    }

    private static ClusterNetworkPolicy only(ManifestSet set) {
        assertEquals(1, set.cluster().clusterPolicies().size(), set.diagnostics().toString());
        return set.cluster().clusterPolicies().get(0);
    }

    @Test
    void theConformanceSuitesPortRangePolicyProjectsWhole() {
        ManifestSet set = read("""
                tier: Admin
                priority: 9
                subject:
                  namespaces:
                    matchLabels: {kubernetes.io/metadata.name: gryffindor}
                egress:
                - name: allow-to-ravenclaw-tcp-port-range
                  action: Accept
                  to:
                  - namespaces: {matchLabels: {kubernetes.io/metadata.name: ravenclaw}}
                  protocols:
                  - tcp: {destinationPort: {range: {start: 80, end: 8080}}}
                  - udp: {destinationPort: {number: 53}}
                - name: deny-to-net
                  action: Deny
                  to:
                  - networks: [10.0.0.0/8, "fd00::/8"]
                ingress:
                - action: Pass
                  from:
                  - pods:
                      namespaceSelector: {}
                      podSelector: {matchLabels: {app: db}}
                """);
        assertEquals(List.of(), set.diagnostics());
        ClusterNetworkPolicy p = only(set);
        assertEquals(new ClusterNetworkPolicy("cnp", Tier.Admin, 9,
                new Subject(LabelSelector.of(Map.of("kubernetes.io/metadata.name", "gryffindor")), LabelSelector.EVERYTHING),
                List.of(new ClusterRule("", Action.Pass, List.of(new ClusterPeer.Pods(LabelSelector.EVERYTHING,
                        LabelSelector.of(Map.of("app", "db")))), List.of())),
                List.of(new ClusterRule("allow-to-ravenclaw-tcp-port-range", Action.Accept,
                                List.of(new ClusterPeer.Pods(LabelSelector.of(Map.of("kubernetes.io/metadata.name", "ravenclaw")),
                                        LabelSelector.EVERYTHING)),
                                List.of(new PortSpec.Numbered(Protocol.TCP, 80, 8080), new PortSpec.Numbered(Protocol.UDP, 53))),
                        new ClusterRule("deny-to-net", Action.Deny, List.of(new ClusterPeer.Networks(
                                List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("fd00::/8")))), List.of()))), p);
    }

    static Stream<Arguments> unreadableRules() {
        return Stream.of(
                Arguments.of("bad selector key in an Accept rule", "Accept",
                        "- namespaces: {matchLabels: {\"bad key!\": x}}", "", "spec.egress[0].to[0].namespaces.matchLabels"),
                Arguments.of("bad selector key in a Deny rule", "Deny",
                        "- namespaces: {matchLabels: {\"bad key!\": x}}", "", "spec.egress[0].to[0].namespaces.matchLabels"),
                Arguments.of("a Pass rule with an experimental peer", "Pass",
                        "- nodes: {}", "", "spec.egress[0].to[0].nodes"),
                Arguments.of("a peer with no field (an unknown CRD version)", "Accept", "- {}", "", "spec.egress[0].to[0]"),
                Arguments.of("networks with host bits", "Deny", "- networks: [10.0.0.1/8]", "", "spec.egress[0].to[0].networks[0]"),
                Arguments.of("a named port", "Deny", "- networks: [10.0.0.0/8]",
                        "protocols:\n- destinationNamedPort: http", "spec.egress[0].protocols[0].destinationNamedPort"),
                Arguments.of("a port range backwards", "Accept", "- networks: [10.0.0.0/8]",
                        "protocols:\n- tcp: {destinationPort: {range: {start: 90, end: 80}}}",
                        "spec.egress[0].protocols[0].tcp.destinationPort.range"),
                Arguments.of("tcp without a port", "Deny", "- networks: [10.0.0.0/8]",
                        "protocols:\n- tcp: {}", "spec.egress[0].protocols[0].tcp.destinationPort"),
                Arguments.of("an unknown action", "Allow", "- networks: [10.0.0.0/8]", "", "spec.egress[0].action"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unreadableRules")
    void anUnreadableRuleFailsClosedByItsAction(String name, String action, String peers, String extra, String field) {
        ManifestSet set = read("""
                tier: Admin
                priority: 5
                subject: {namespaces: {}}
                egress:
                - name: r0
                  action: %s
                  to:
                %s
                %s
                - name: r1
                  action: Accept
                  to: [{networks: [192.168.0.0/16]}]
                """.formatted(action, peers.indent(2).stripTrailing(), extra.indent(2).stripTrailing()));
        assertTrue(set.errors().stream().anyMatch(d -> field.equals(d.field())), set.diagnostics().toString());
        ClusterNetworkPolicy p = only(set);
        ClusterRule expected = action.equals("Accept") ? ClusterRule.matchNothing("r0") : ClusterRule.denyAll("r0");
        assertEquals(List.of(expected, new ClusterRule("r1", Action.Accept,
                List.of(new ClusterPeer.Networks(List.of(Cidr.parse("192.168.0.0/16")))), List.of())), p.egress());
        assertEquals(5, p.priority());
    }

    @Test
    void anUnreadableSubjectSelectsEveryPodAndEveryRuleFailsClosed() {
        ManifestSet set = read("""
                tier: Baseline
                priority: 7
                subject: {namespaces: {matchExpressions: [{key: x, operator: Near}]}}
                ingress:
                - {action: Accept, from: [{namespaces: {}}]}
                - {action: Pass, from: [{namespaces: {}}]}
                """);
        assertTrue(set.errors().stream().anyMatch(d -> d.field().startsWith("spec.subject.namespaces.matchExpressions[0]")),
                set.diagnostics().toString());
        ClusterNetworkPolicy p = only(set);
        assertEquals(Tier.Baseline, p.tier());
        assertEquals(0, p.priority());
        assertEquals(Subject.EVERY_POD, p.subject());
        assertEquals(List.of(ClusterRule.matchNothing(""), ClusterRule.denyAll("")), p.ingress());
    }

    @Test
    void anUnreadableTierIsTheFrontOfTheAdminTier() {
        ManifestSet set = read("""
                tier: Developer
                priority: 1001
                subject: {pods: {podSelector: {matchLabels: {app: a}}}}
                ingress:
                - {action: Deny, from: [{namespaces: {}}]}
                """);
        assertTrue(set.errors().stream().anyMatch(d -> "spec.tier".equals(d.field())), set.diagnostics().toString());
        assertTrue(set.errors().stream().anyMatch(d -> "spec.priority".equals(d.field())), set.diagnostics().toString());
        ClusterNetworkPolicy p = only(set);
        assertEquals(Tier.Admin, p.tier());
        assertEquals(0, p.priority());
        assertEquals(new Subject(LabelSelector.EVERYTHING, LabelSelector.of(Map.of("app", "a"))), p.subject());
        assertEquals(List.of(ClusterRule.denyAll("")), p.ingress());
    }

    @Test
    void ingressHasNoNetworksPeer() {
        ManifestSet set = read("""
                tier: Admin
                priority: 1
                subject: {namespaces: {}}
                ingress:
                - {action: Accept, from: [{networks: [10.0.0.0/8]}]}
                """);
        assertTrue(set.errors().stream().anyMatch(d -> "spec.ingress[0].from[0].networks".equals(d.field())),
                set.diagnostics().toString());
        assertEquals(List.of(ClusterRule.matchNothing("")), only(set).ingress());
    }

    @Test
    void otherVersionsAreSkippedWithANote() {
        ManifestSet set = ManifestReader.readText("old.yaml", """
                apiVersion: policy.networking.k8s.io/v1alpha2
                kind: ClusterNetworkPolicy
                metadata: {name: old}
                spec: {}
                """);
        assertEquals(List.of(), set.cluster().clusterPolicies());
        assertTrue(set.diagnostics().get(0).message().contains("skipped ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2)"),
                set.diagnostics().toString());
    }
}
