package dev.palisade.manifest;

import dev.palisade.compiler.ClusterIndex;
import dev.palisade.compiler.PolicyCompiler;
import dev.palisade.model.Cidr;
import dev.palisade.model.Cluster;
import dev.palisade.model.IpAddress;
import dev.palisade.model.LabelSelector;
import dev.palisade.model.Namespace;
import dev.palisade.model.NetworkPolicy;
import dev.palisade.model.Peer;
import dev.palisade.model.Pod;
import dev.palisade.model.Rule;
import dev.palisade.ruleset.NodeRuleSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the API server's validation rejects, reported with the field path; and what the projection
 * keeps of the policy so that enforcement fails closed.
 */
class ValidationTest {

    static Stream<Arguments> invalidRules() {
        return Stream.of(
                Arguments.of("invalid CIDR", """
                        ingress:
                        - from:
                          - ipBlock: {cidr: 10.0.0.300/24}
                        """, "spec.ingress[0].from[0].ipBlock.cidr", "invalid CIDR \"10.0.0.300/24\""),
                Arguments.of("CIDR without a prefix length", """
                        ingress:
                        - from:
                          - ipBlock: {cidr: 10.0.0.1}
                        """, "spec.ingress[0].from[0].ipBlock.cidr", "invalid CIDR \"10.0.0.1\""),
                Arguments.of("prefix length too long", """
                        ingress:
                        - from:
                          - ipBlock: {cidr: 10.0.0.0/33}
                        """, "spec.ingress[0].from[0].ipBlock.cidr", "invalid CIDR"),
                Arguments.of("empty cidr", """
                        ingress:
                        - from:
                          - ipBlock: {except: [10.0.0.0/24]}
                        """, "spec.ingress[0].from[0].ipBlock.cidr", "cidr is required"),
                Arguments.of("except outside cidr", """
                        ingress:
                        - from:
                          - ipBlock: {cidr: 10.0.0.0/16, except: [10.1.0.0/24]}
                        """, "spec.ingress[0].from[0].ipBlock.except[0]", "must be a strict subset"),
                Arguments.of("except equal to cidr is not a strict subset", """
                        ingress:
                        - from:
                          - ipBlock: {cidr: 10.0.0.0/16, except: [10.0.0.0/16]}
                        """, "spec.ingress[0].from[0].ipBlock.except[0]", "must be a strict subset"),
                Arguments.of("except of the other family", """
                        ingress:
                        - from:
                          - ipBlock: {cidr: 10.0.0.0/8, except: ["fd00::/64"]}
                        """, "spec.ingress[0].from[0].ipBlock.except[0]", "must be a strict subset"),
                Arguments.of("invalid except", """
                        egress:
                        - to:
                          - ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/99]}
                        """, "spec.egress[0].to[0].ipBlock.except[0]", "invalid CIDR"),
                Arguments.of("unknown protocol", """
                        egress:
                        - ports: [{protocol: ICMP, port: 1}]
                        """, "spec.egress[0].ports[0].protocol", "unsupported value \"ICMP\""),
                Arguments.of("protocol in lower case", """
                        ingress:
                        - ports: [{protocol: tcp, port: 80}]
                        """, "spec.ingress[0].ports[0].protocol", "unsupported value \"tcp\""),
                Arguments.of("port zero", """
                        ingress:
                        - ports: [{port: 0}]
                        """, "spec.ingress[0].ports[0].port", "must be between 1 and 65535"),
                Arguments.of("port above 65535", """
                        ingress:
                        - ports: [{port: 70000}]
                        """, "spec.ingress[0].ports[0].port", "must be between 1 and 65535"),
                Arguments.of("endPort below port", """
                        ingress:
                        - ports: [{port: 8080, endPort: 80}]
                        """, "spec.ingress[0].ports[0].endPort", "must be greater than or equal to `port`"),
                Arguments.of("endPort above 65535", """
                        ingress:
                        - ports: [{port: 8080, endPort: 70000}]
                        """, "spec.ingress[0].ports[0].endPort", "must be between 1 and 65535"),
                Arguments.of("endPort with a named port", """
                        ingress:
                        - ports: [{port: http, endPort: 90}]
                        """, "spec.ingress[0].ports[0].endPort", "may not be specified when `port` is non-numeric"),
                Arguments.of("endPort without port", """
                        ingress:
                        - ports: [{endPort: 90}]
                        """, "spec.ingress[0].ports[0].endPort", "may not be specified when `port` is not specified"),
                Arguments.of("named port in upper case", """
                        ingress:
                        - ports: [{port: HTTP}]
                        """, "spec.ingress[0].ports[0].port", "invalid port name \"HTTP\""),
                Arguments.of("named port of digits only", """
                        ingress:
                        - ports: [{port: "8080"}]
                        """, "spec.ingress[0].ports[0].port", "must contain at least one letter"),
                Arguments.of("named port with consecutive hyphens", """
                        ingress:
                        - ports: [{port: a--b}]
                        """, "spec.ingress[0].ports[0].port", "consecutive hyphens"),
                Arguments.of("named port too long", """
                        ingress:
                        - ports: [{port: abcdefghijklmnop}]
                        """, "spec.ingress[0].ports[0].port", "no more than 15 characters"),
                Arguments.of("peer with nothing", """
                        ingress:
                        - from:
                          - {}
                        """, "spec.ingress[0].from[0]", "must specify a peer"),
                Arguments.of("peer with ipBlock and podSelector", """
                        ingress:
                        - from:
                          - ipBlock: {cidr: 10.0.0.0/8}
                            podSelector: {}
                        """, "spec.ingress[0].from[0]", "may not specify both ipBlock and another peer"),
                Arguments.of("peer with ipBlock and namespaceSelector", """
                        egress:
                        - to:
                          - ipBlock: {cidr: 10.0.0.0/8}
                            namespaceSelector: {}
                        """, "spec.egress[0].to[0]", "may not specify both ipBlock and another peer"),
                Arguments.of("bad selector operator", """
                        ingress:
                        - from:
                          - podSelector:
                              matchExpressions:
                              - {key: app, operator: Equals, values: [web]}
                        """, "spec.ingress[0].from[0].podSelector.matchExpressions[0].operator", "unsupported value \"Equals\""),
                Arguments.of("selector operator missing", """
                        ingress:
                        - from:
                          - namespaceSelector:
                              matchExpressions:
                              - {key: app}
                        """, "spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].operator", "operator is required"),
                Arguments.of("In without values", """
                        ingress:
                        - from:
                          - podSelector:
                              matchExpressions:
                              - {key: app, operator: In}
                        """, "spec.ingress[0].from[0].podSelector.matchExpressions[0].values", "must be specified"),
                Arguments.of("Exists with values", """
                        ingress:
                        - from:
                          - podSelector:
                              matchExpressions:
                              - {key: app, operator: Exists, values: [web]}
                        """, "spec.ingress[0].from[0].podSelector.matchExpressions[0].values", "may not be specified"),
                Arguments.of("invalid selector value", """
                        ingress:
                        - from:
                          - podSelector:
                              matchExpressions:
                              - {key: app, operator: In, values: ["not valid!"]}
                        """, "spec.ingress[0].from[0].podSelector.matchExpressions[0].values[0]", "invalid label value"),
                Arguments.of("invalid selector key", """
                        ingress:
                        - from:
                          - podSelector:
                              matchExpressions:
                              - {key: "-app", operator: Exists}
                        """, "spec.ingress[0].from[0].podSelector.matchExpressions[0].key", "invalid label key"),
                Arguments.of("invalid matchLabels key", """
                        ingress:
                        - from:
                          - namespaceSelector:
                              matchLabels: {"Example.com/team": a}
                        """, "spec.ingress[0].from[0].namespaceSelector.matchLabels", "invalid label key"),
                Arguments.of("invalid matchLabels value", """
                        egress:
                        - to:
                          - podSelector:
                              matchLabels: {team: "a b"}
                        """, "spec.egress[0].to[0].podSelector.matchLabels.team", "invalid label value"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidRules")
    void invalidRuleIsReportedAndDropped(String name, String rules, String field, String message) {
        ManifestSet set = policy("""
                podSelector: {matchLabels: {app: web}}
                policyTypes: [Ingress, Egress]
                """ + rules);
        List<Diagnostic> errors = set.errors();
        assertEquals(1, errors.size(), () -> name + ": " + set.diagnostics());
        Diagnostic error = errors.get(0);
        assertEquals("policy.yaml", error.source());
        assertEquals(1, error.document());
        assertEquals("NetworkPolicy prod/web", error.object());
        assertEquals(field, error.field(), name);
        assertTrue(error.message().contains(message), () -> name + ": " + error.message());
        // Fail closed: the policy stays, the rule stays in place and allows nothing.
        NetworkPolicy p = set.cluster().policies().get(0);
        assertEquals(LabelSelector.of(Map.of("app", "web")), p.podSelector());
        assertTrue(p.affectsIngress() && p.affectsEgress());
        List<Rule> all = field.startsWith("spec.ingress") ? p.ingress() : p.egress();
        assertEquals(List.of(Projection.DROPPED_RULE), all);
    }

    @Test
    void diagnosticReadsAsOneLine() {
        ManifestSet set = ManifestReader.readText("deny.yaml", """
                apiVersion: v1
                kind: Namespace
                metadata: {name: prod}
                ---
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: web, namespace: prod}
                spec:
                  podSelector: {}
                  ingress:
                  - from:
                    - ipBlock: {cidr: 10.0.0.300/24}
                """);
        assertEquals(List.of("deny.yaml: document 2 (NetworkPolicy prod/web): spec.ingress[0].from[0].ipBlock.cidr: "
                + "invalid CIDR \"10.0.0.300/24\""), set.errors().stream().map(Diagnostic::toString).toList());
    }

    @Test
    void onlyTheInvalidRuleIsDroppedAndTheOthersKeepTheirIndex() {
        ManifestSet set = policy("""
                podSelector: {}
                ingress:
                - from:
                  - podSelector: {matchLabels: {app: ok}}
                  - ipBlock: {cidr: 300.0.0.0/8}
                - from:
                  - podSelector: {matchLabels: {app: frontend}}
                  ports: [{port: 80}]
                """);
        assertEquals(1, set.errors().size(), set.diagnostics()::toString);
        NetworkPolicy p = set.cluster().policies().get(0);
        assertEquals(2, p.ingress().size());
        assertEquals(Projection.DROPPED_RULE, p.ingress().get(0), "never a part of a rule: one bad peer drops the rule");
        assertNotEquals(Projection.DROPPED_RULE, p.ingress().get(1));
        assertTrue(set.diagnostics().stream().anyMatch(d -> d.severity() == Severity.WARNING
                && "spec.ingress[0]".equals(d.field()) && d.message().contains("rule dropped")));
    }

    @Test
    void droppedRuleAllowsNothingAndThePodStaysIsolated() {
        ManifestSet set = policy("""
                podSelector: {}
                ingress:
                - from:
                  - ipBlock: {cidr: 300.0.0.0/8}
                egress:
                - to:
                  - {}
                """);
        Pod pod = new Pod("prod", "web-1", "n1", Map.of(), List.of(IpAddress.parse("10.1.0.5")), false, Pod.Phase.Running, List.of());
        Pod other = new Pod("prod", "web-2", "n1", Map.of(), List.of(IpAddress.parse("10.1.0.6")), false, Pod.Phase.Running, List.of());
        Cluster cluster = new Cluster(List.of(new Namespace("prod", Map.of())), List.of(), List.of(pod, other),
                set.cluster().policies());
        NodeRuleSet rules = new PolicyCompiler(new ClusterIndex(cluster)).compileNode("n1");
        assertTrue(rules.ingress().isolated().contains(IpAddress.parse("10.1.0.5")));
        assertEquals(List.of(), rules.ingress().grants(), "a dropped rule grants nothing");
        assertTrue(rules.egress().isolated().contains(IpAddress.parse("10.1.0.5")));
        assertEquals(List.of(), rules.egress().grants());
    }

    @Test
    void invalidPodSelectorKeepsThePolicySelectingEveryPodWithNoRules() {
        ManifestSet set = policy("""
                podSelector:
                  matchExpressions:
                  - {key: app, operator: Is, values: [web]}
                policyTypes: [Ingress]
                ingress:
                - {}
                """);
        assertEquals(1, set.errors().size(), set.diagnostics()::toString);
        assertEquals("spec.podSelector.matchExpressions[0].operator", set.errors().get(0).field());
        NetworkPolicy p = set.cluster().policies().get(0);
        assertEquals(LabelSelector.EVERYTHING, p.podSelector());
        assertTrue(p.affectsIngress());
        assertEquals(List.of(), p.ingress(), "no rules: the allow-all rule must not survive");
    }

    static Stream<Arguments> invalidPolicyTypes() {
        return Stream.of(
                Arguments.of("unknown policy type", "policyTypes: [Ingress, Egres]\n", "spec.policyTypes[1]", "unsupported value \"Egres\""),
                Arguments.of("lower-case policy type", "policyTypes: [ingress]\n", "spec.policyTypes[0]", "unsupported value"),
                Arguments.of("more than two policy types", "policyTypes: [Ingress, Egress, Ingress]\n", "spec.policyTypes",
                        "may not specify more than two"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidPolicyTypes")
    void invalidPolicyTypesIsolateBothDirections(String name, String types, String field, String message) {
        ManifestSet set = policy("podSelector: {}\n" + types);
        assertEquals(field, set.errors().get(0).field(), name);
        assertTrue(set.errors().get(0).message().contains(message), set.errors().get(0)::toString);
        NetworkPolicy p = set.cluster().policies().get(0);
        assertTrue(p.affectsIngress() && p.affectsEgress(), "fail closed: both directions");
    }

    static Stream<Arguments> legacyCidrs() {
        return Stream.of(
                Arguments.of("leading zeros are decimal, as the API server reads them", "010.001.0.0/016", "10.1.0.0/16",
                        "leading zeros are read as decimal"),
                Arguments.of("host bits set mean the network", "10.1.2.3/16", "10.1.0.0/16", "has host bits set; it means 10.1.0.0/16"),
                Arguments.of("IPv6 host bits set", "fd00::1/64", "fd00::/64", "has host bits set"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("legacyCidrs")
    void legacyCidrFormsAreValidWithAWarning(String name, String written, String meant, String warning) {
        ManifestSet set = policy("""
                podSelector: {}
                ingress:
                - from:
                  - ipBlock: {cidr: "%s"}
                """.formatted(written));
        assertEquals(List.of(), set.errors(), name);
        assertEquals(1, set.diagnostics().size(), set.diagnostics()::toString);
        Diagnostic d = set.diagnostics().get(0);
        assertEquals(Severity.WARNING, d.severity());
        assertEquals("spec.ingress[0].from[0].ipBlock.cidr", d.field());
        assertTrue(d.message().contains(warning), d::toString);
        assertEquals(List.of(new Peer.IpBlock(Cidr.parse(meant), List.of())),
                set.cluster().policies().get(0).ingress().get(0).peers(), name);
    }

    private static ManifestSet policy(String spec) {
        return ManifestReader.readText("policy.yaml", """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata:
                  name: web
                  namespace: prod
                spec:
                """ + spec.indent(2));
    }
}
