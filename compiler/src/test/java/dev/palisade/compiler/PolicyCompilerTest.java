package dev.palisade.compiler;

import dev.palisade.model.Cluster;
import dev.palisade.model.IpAddress;
import dev.palisade.model.IpRange;
import dev.palisade.model.LabelSelector;
import dev.palisade.model.Namespace;
import dev.palisade.model.NetworkPolicy;
import dev.palisade.model.Node;
import dev.palisade.model.Pod;
import dev.palisade.model.Protocol;
import dev.palisade.model.Rule;
import dev.palisade.ruleset.Grant;
import dev.palisade.ruleset.NodeRuleSet;
import dev.palisade.ruleset.PeerSet;
import dev.palisade.ruleset.PortRange;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static dev.palisade.compiler.Manifests.allOf;
import static dev.palisade.compiler.Manifests.doesNotExist;
import static dev.palisade.compiler.Manifests.egressPolicy;
import static dev.palisade.compiler.Manifests.exists;
import static dev.palisade.compiler.Manifests.in;
import static dev.palisade.compiler.Manifests.ingressPolicy;
import static dev.palisade.compiler.Manifests.ip;
import static dev.palisade.compiler.Manifests.ipBlock;
import static dev.palisade.compiler.Manifests.named;
import static dev.palisade.compiler.Manifests.namespace;
import static dev.palisade.compiler.Manifests.namespaces;
import static dev.palisade.compiler.Manifests.node;
import static dev.palisade.compiler.Manifests.notIn;
import static dev.palisade.compiler.Manifests.peers;
import static dev.palisade.compiler.Manifests.pod;
import static dev.palisade.compiler.Manifests.pods;
import static dev.palisade.compiler.Manifests.podsIn;
import static dev.palisade.compiler.Manifests.policy;
import static dev.palisade.compiler.Manifests.port;
import static dev.palisade.compiler.Manifests.range;
import static dev.palisade.compiler.Manifests.rule;
import static dev.palisade.compiler.Manifests.selector;
import static dev.palisade.compiler.Manifests.tcp;
import static dev.palisade.model.Protocol.SCTP;
import static dev.palisade.model.Protocol.TCP;
import static dev.palisade.model.Protocol.UDP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One test per point of NetworkPolicy v1 semantics, asserting on the rule set the compiler
 * produces: what is isolated, what the grants contain, and what they allow.
 */
class PolicyCompilerTest {

    // A small cluster: two nodes, two namespaces, pods on both nodes. Tests add policies and pods.
    static final List<Namespace> NAMESPACES = List.of(namespace("prod", "env=prod"), namespace("dev", "env=dev"));
    static final List<Node> NODES = List.of(node("n1", "192.168.0.1"), node("n2", "192.168.0.2"));
    static final Pod WEB = pod("prod/web", "n1", "app=web,tier=front", "10.0.1.10", "http/TCP/80");
    static final Pod API = pod("prod/api", "n1", "app=api,tier=back", "10.0.1.11", "http/TCP/8080,dns/UDP/53");
    static final Pod DB = pod("prod/db", "n2", "app=db,tier=back", "10.0.2.10", "db/TCP/3306");
    static final Pod DEV_WEB = pod("dev/web", "n2", "app=web", "10.0.2.20", "http/TCP/80");
    static final Pod DEV_CLIENT = pod("dev/client", "n1", "app=client", "10.0.1.20", "");
    static final List<Pod> PODS = List.of(WEB, API, DB, DEV_WEB, DEV_CLIENT);

    static Map<String, NodeRuleSet> compile(List<Pod> pods, NetworkPolicy... policies) {
        Cluster c = new Cluster(NAMESPACES, NODES, pods, List.of(policies));
        return new PolicyCompiler(new ClusterIndex(c)).compileAll();
    }

    static Map<String, NodeRuleSet> compile(NetworkPolicy... policies) {
        return compile(PODS, policies);
    }

    static IpAddress addr(Pod p) {
        return p.ips().get(0);
    }

    /** Whether the node of {@code dst} lets {@code src} in on proto/port. */
    static boolean ingressAllows(Map<String, NodeRuleSet> rs, Pod dst, IpAddress src, Protocol p, int port) {
        return RuleSetVerdicts.allows(rs.get(dst.nodeName()).ingress(), addr(dst), src, p, port);
    }

    static boolean ingressAllows(Map<String, NodeRuleSet> rs, Pod dst, Pod src, Protocol p, int port) {
        return ingressAllows(rs, dst, addr(src), p, port);
    }

    static boolean egressAllows(Map<String, NodeRuleSet> rs, Pod src, IpAddress dst, Protocol p, int port) {
        return RuleSetVerdicts.allows(rs.get(src.nodeName()).egress(), addr(src), dst, p, port);
    }

    static boolean egressAllows(Map<String, NodeRuleSet> rs, Pod src, Pod dst, Protocol p, int port) {
        return egressAllows(rs, src, addr(dst), p, port);
    }

    static Set<IpAddress> set(IpAddress... as) {
        return new TreeSet<>(List.of(as));
    }

    static List<Grant> grants(NodeRuleSet rs, boolean ingress) {
        return ingress ? rs.ingress().grants() : rs.egress().grants();
    }

    static final LabelSelector APP_WEB = selector("app=web");

    @Nested
    class PolicyTypes {

        @Test
        void ingressTypeIsolatesIngressOnly() {
            var rs = compile(ingressPolicy("prod/deny-in", APP_WEB));
            assertEquals(set(addr(WEB)), rs.get("n1").ingress().isolated());
            assertEquals(Set.of(), rs.get("n1").egress().isolated());
        }

        @Test
        void egressTypeIsolatesEgressOnly() {
            var rs = compile(egressPolicy("prod/deny-out", APP_WEB));
            assertEquals(Set.of(), rs.get("n1").ingress().isolated());
            assertEquals(set(addr(WEB)), rs.get("n1").egress().isolated());
        }

        @Test
        void bothTypesIsolateBothDirections() {
            var rs = compile(policy("prod/deny-both", APP_WEB, true, true, List.of(), List.of()));
            assertEquals(set(addr(WEB)), rs.get("n1").ingress().isolated());
            assertEquals(set(addr(WEB)), rs.get("n1").egress().isolated());
            assertTrue(rs.get("n1").ingress().grants().isEmpty());
            assertTrue(rs.get("n1").egress().grants().isEmpty());
        }

        @Test
        void rulesOfADirectionNotInPolicyTypesAreIgnored() {
            // policyTypes: [Egress] with an ingress rule present: the ingress rule has no effect.
            var rs = compile(policy("prod/odd", APP_WEB, false, true, List.of(Rule.ALLOW_ALL), List.of()));
            assertEquals(Set.of(), rs.get("n1").ingress().isolated());
            assertTrue(rs.get("n1").ingress().grants().isEmpty());
            assertFalse(egressAllows(rs, WEB, DB, TCP, 3306));
        }

        @Test
        void unselectedPodsStayOpen() {
            var rs = compile(ingressPolicy("prod/deny-in", APP_WEB));
            assertTrue(ingressAllows(rs, API, DEV_CLIENT, TCP, 1));
            assertFalse(ingressAllows(rs, WEB, DEV_CLIENT, TCP, 80));
        }
    }

    @Nested
    class Selection {

        @Test
        void emptyPodSelectorSelectsEveryPodOfThePolicysNamespaceOnly() {
            var rs = compile(ingressPolicy("prod/deny-all", LabelSelector.EVERYTHING));
            assertEquals(set(addr(WEB), addr(API)), rs.get("n1").ingress().isolated());
            assertEquals(set(addr(DB)), rs.get("n2").ingress().isolated(), "dev/web on n2 is not in prod");
        }

        @Test
        void matchLabelsSelects() {
            var rs = compile(ingressPolicy("prod/p", selector("tier=back")));
            assertEquals(set(addr(API)), rs.get("n1").ingress().isolated());
            assertEquals(set(addr(DB)), rs.get("n2").ingress().isolated());
        }

        @Test
        void matchExpressionsIn() {
            var rs = compile(ingressPolicy("prod/p", selector(null, in("app", "web", "db"))));
            assertEquals(set(addr(WEB)), rs.get("n1").ingress().isolated());
            assertEquals(set(addr(DB)), rs.get("n2").ingress().isolated());
        }

        @Test
        void matchExpressionsNotInAlsoSelectsPodsWithoutTheKey() {
            Pod unlabelled = pod("prod/bare", "n1", "", "10.0.1.30", "");
            List<Pod> pods = new ArrayList<>(PODS);
            pods.add(unlabelled);
            var rs = compile(pods, ingressPolicy("prod/p", selector(null, notIn("app", "web", "db"))));
            assertEquals(set(addr(API), addr(unlabelled)), rs.get("n1").ingress().isolated());
        }

        @Test
        void matchExpressionsExistsAndDoesNotExist() {
            Pod unlabelled = pod("prod/bare", "n1", "", "10.0.1.30", "");
            List<Pod> pods = new ArrayList<>(PODS);
            pods.add(unlabelled);
            var exists = compile(pods, ingressPolicy("prod/p", selector(null, exists("tier"))));
            assertEquals(set(addr(WEB), addr(API)), exists.get("n1").ingress().isolated());
            var absent = compile(pods, ingressPolicy("prod/p", selector(null, doesNotExist("tier"))));
            assertEquals(set(addr(unlabelled)), absent.get("n1").ingress().isolated());
        }

        @Test
        void matchLabelsAndExpressionsAreAnded() {
            var rs = compile(ingressPolicy("prod/p", selector("tier=back", in("app", "web", "api"))));
            assertEquals(set(addr(API)), rs.get("n1").ingress().isolated());
            assertEquals(Set.of(), rs.get("n2").ingress().isolated());
        }
    }

    @Nested
    class Union {

        @Test
        void rulesOfEveryPolicySelectingAPodAreUnioned() {
            var rs = compile(
                    ingressPolicy("prod/from-api", APP_WEB, rule(peers(pods(selector("app=api"))))),
                    ingressPolicy("prod/from-db", APP_WEB, rule(peers(pods(selector("app=db"))))));
            assertTrue(ingressAllows(rs, WEB, API, TCP, 80));
            assertTrue(ingressAllows(rs, WEB, DB, TCP, 80));
            assertFalse(ingressAllows(rs, WEB, DEV_CLIENT, TCP, 80));
        }

        @Test
        void aDenyAllPolicyDoesNotTakeAwayWhatAnotherAllows() {
            var rs = compile(
                    ingressPolicy("prod/deny", LabelSelector.EVERYTHING),
                    ingressPolicy("prod/allow-api", APP_WEB, rule(peers(pods(selector("app=api"))))));
            assertTrue(ingressAllows(rs, WEB, API, TCP, 80));
            assertFalse(ingressAllows(rs, API, WEB, TCP, 8080));
        }

        @Test
        void rulesOfOnePolicyAreUnioned() {
            var rs = compile(ingressPolicy("prod/p", APP_WEB,
                    rule(peers(pods(selector("app=api"))), tcp(80)),
                    rule(peers(pods(selector("app=db"))), tcp(81))));
            assertTrue(ingressAllows(rs, WEB, API, TCP, 80));
            assertFalse(ingressAllows(rs, WEB, API, TCP, 81));
            assertTrue(ingressAllows(rs, WEB, DB, TCP, 81));
            assertFalse(ingressAllows(rs, WEB, DB, TCP, 80));
        }
    }

    @Nested
    class Peers {

        @Test
        void podSelectorAloneMeansThePolicysOwnNamespace() {
            var rs = compile(ingressPolicy("prod/p", selector("app=db"), rule(peers(pods(APP_WEB)))));
            assertTrue(ingressAllows(rs, DB, WEB, TCP, 3306));
            assertFalse(ingressAllows(rs, DB, DEV_WEB, TCP, 3306), "dev/web has the label but the wrong namespace");
            assertEquals(set(addr(WEB)), grants(rs.get("n2"), true).get(0).peers().addresses());
        }

        @Test
        void namespaceSelectorAloneMeansEveryPodOfTheSelectedNamespaces() {
            var rs = compile(ingressPolicy("prod/p", selector("app=db"), rule(peers(namespaces(selector("env=dev"))))));
            assertTrue(ingressAllows(rs, DB, DEV_WEB, TCP, 3306));
            assertTrue(ingressAllows(rs, DB, DEV_CLIENT, TCP, 3306));
            assertFalse(ingressAllows(rs, DB, WEB, TCP, 3306));
        }

        @Test
        void emptyNamespaceSelectorMeansEveryNamespace() {
            var rs = compile(ingressPolicy("prod/p", selector("app=db"), rule(peers(namespaces(LabelSelector.EVERYTHING)))));
            for (Pod p : List.of(WEB, API, DEV_WEB, DEV_CLIENT)) {
                assertTrue(ingressAllows(rs, DB, p, TCP, 3306), p.key());
            }
            assertFalse(ingressAllows(rs, DB, ip("10.0.9.9"), TCP, 3306), "not a pod");
        }

        @Test
        void namespaceAndPodSelectorInOnePeerAreAnded() {
            var rs = compile(ingressPolicy("prod/p", selector("app=db"),
                    rule(peers(podsIn(selector("env=dev"), APP_WEB)))));
            assertTrue(ingressAllows(rs, DB, DEV_WEB, TCP, 3306));
            assertFalse(ingressAllows(rs, DB, DEV_CLIENT, TCP, 3306), "right namespace, wrong labels");
            assertFalse(ingressAllows(rs, DB, WEB, TCP, 3306), "right labels, wrong namespace");
        }

        @Test
        void twoPeersAreOred() {
            var rs = compile(ingressPolicy("prod/p", selector("app=db"),
                    rule(peers(namespaces(selector("env=dev")), pods(APP_WEB)))));
            assertTrue(ingressAllows(rs, DB, DEV_WEB, TCP, 3306));
            assertTrue(ingressAllows(rs, DB, DEV_CLIENT, TCP, 3306));
            assertTrue(ingressAllows(rs, DB, WEB, TCP, 3306));
            assertFalse(ingressAllows(rs, DB, API, TCP, 3306));
        }

        @Test
        void namespaceSelectorOnTheNameLabel() {
            var rs = compile(ingressPolicy("prod/p", selector("app=db"),
                    rule(peers(namespaces(selector(Namespace.NAME_LABEL + "=dev"))))));
            assertTrue(ingressAllows(rs, DB, DEV_CLIENT, TCP, 3306));
            assertFalse(ingressAllows(rs, DB, WEB, TCP, 3306));
        }

        @Test
        void aNamespaceMissingFromTheSnapshotStillHasItsNameLabel() {
            Pod stray = pod("other/x", "n1", "", "10.0.1.40", "");
            List<Pod> pods = new ArrayList<>(PODS);
            pods.add(stray);
            var rs = compile(pods, ingressPolicy("prod/p", selector("app=db"),
                    rule(peers(namespaces(selector(Namespace.NAME_LABEL + "=other"))))));
            assertTrue(ingressAllows(rs, DB, stray, TCP, 3306));
            assertFalse(ingressAllows(rs, DB, WEB, TCP, 3306));
        }

        @Test
        void ipBlockWithExceptIsTheCidrMinusTheExceptions() {
            var rs = compile(ingressPolicy("prod/p", selector("app=db"),
                    rule(peers(ipBlock("10.0.0.0/16", "10.0.1.0/24", "10.0.2.128/25")))));
            Grant g = grants(rs.get("n2"), true).get(0);
            assertEquals(List.of(
                    new IpRange(ip("10.0.0.0"), ip("10.0.0.255")),
                    new IpRange(ip("10.0.2.0"), ip("10.0.2.127")),
                    new IpRange(ip("10.0.3.0"), ip("10.0.255.255"))), g.peers().ranges());
            assertTrue(g.peers().addresses().isEmpty());
        }

        @Test
        void ipBlocksMatchPodAddressesToo() {
            var rs = compile(ingressPolicy("prod/p", selector("app=db"),
                    rule(peers(ipBlock("10.0.1.0/24", "10.0.1.11/32")))));
            assertTrue(ingressAllows(rs, DB, WEB, TCP, 3306), "10.0.1.10 is inside the block");
            assertFalse(ingressAllows(rs, DB, API, TCP, 3306), "10.0.1.11 is excepted");
            assertTrue(ingressAllows(rs, DB, ip("10.0.1.200"), TCP, 3306), "any address in the block");
            assertFalse(ingressAllows(rs, DB, DEV_WEB, TCP, 3306));
        }

        @Test
        void ipBlockOfOneFamilyDoesNotMatchTheOther() {
            var rs = compile(ingressPolicy("prod/p", selector("app=db"), rule(peers(ipBlock("0.0.0.0/0")))));
            assertTrue(ingressAllows(rs, DB, ip("8.8.8.8"), TCP, 1));
            assertFalse(ingressAllows(rs, DB, ip("2001:db8::1"), TCP, 1));
        }

        @Test
        void peersThatMatchNothingAllowNothingButStillIsolate() {
            var rs = compile(ingressPolicy("prod/p", selector("app=db"), rule(peers(pods(selector("app=nobody"))))));
            assertEquals(set(addr(DB)), rs.get("n2").ingress().isolated());
            assertTrue(rs.get("n2").ingress().grants().isEmpty());
        }
    }

    @Nested
    class EmptyRules {

        @Test
        void anEmptyRuleListAllowsNothing() {
            var rs = compile(ingressPolicy("prod/deny", APP_WEB));
            assertEquals(set(addr(WEB)), rs.get("n1").ingress().isolated());
            assertTrue(rs.get("n1").ingress().grants().isEmpty());
            assertFalse(ingressAllows(rs, WEB, API, TCP, 80));
        }

        @Test
        void oneEmptyRuleAllowsEverything() {
            // ingress: [{}]
            var rs = compile(ingressPolicy("prod/all", APP_WEB, Rule.ALLOW_ALL));
            List<Grant> g = grants(rs.get("n1"), true);
            assertEquals(1, g.size());
            assertEquals(PeerSet.ANY, g.get(0).peers());
            assertEquals(List.of(), g.get(0).ports());
            assertEquals(set(addr(WEB)), g.get(0).pods());
            assertEquals("prod/all#0", g.get(0).origin());
            assertTrue(ingressAllows(rs, WEB, ip("203.0.113.9"), SCTP, 9));
        }

        @Test
        void emptyPeersWithPortsAllowEveryPeerOnThosePorts() {
            var rs = compile(egressPolicy("prod/dns", APP_WEB, rule(List.of(), port(UDP, 53))));
            assertTrue(egressAllows(rs, WEB, ip("8.8.8.8"), UDP, 53));
            assertFalse(egressAllows(rs, WEB, ip("8.8.8.8"), TCP, 53));
            assertFalse(egressAllows(rs, WEB, ip("8.8.8.8"), UDP, 54));
        }
    }

    @Nested
    class Ports {

        @Test
        void noPortsMeansEveryProtocolAndPort() {
            var rs = compile(ingressPolicy("prod/p", APP_WEB, rule(peers(pods(selector("app=api"))))));
            assertEquals(List.of(), grants(rs.get("n1"), true).get(0).ports());
            for (Protocol p : Protocol.values()) {
                assertTrue(ingressAllows(rs, WEB, API, p, 65535), p.name());
            }
        }

        @Test
        void numberedPortsAreSinglePortRanges() {
            var rs = compile(ingressPolicy("prod/p", APP_WEB, rule(List.of(), tcp(80), port(UDP, 53))));
            assertEquals(List.of(new PortRange(TCP, 80, 80), new PortRange(UDP, 53, 53)),
                    grants(rs.get("n1"), true).get(0).ports());
        }

        @Test
        void protocolDefaultsToTcp() {
            var rs = compile(ingressPolicy("prod/p", APP_WEB, rule(List.of(), port(null, 80), named(null, "http"))));
            assertEquals(List.of(new PortRange(TCP, 80, 80)), grants(rs.get("n1"), true).get(0).ports());
            assertFalse(ingressAllows(rs, WEB, API, UDP, 80));
        }

        @Test
        void endPortIsAnInclusiveRange() {
            var rs = compile(ingressPolicy("prod/p", APP_WEB, rule(List.of(), range(TCP, 32000, 32767))));
            assertEquals(List.of(new PortRange(TCP, 32000, 32767)), grants(rs.get("n1"), true).get(0).ports());
            assertFalse(ingressAllows(rs, WEB, API, TCP, 31999));
            assertTrue(ingressAllows(rs, WEB, API, TCP, 32000));
            assertTrue(ingressAllows(rs, WEB, API, TCP, 32767));
            assertFalse(ingressAllows(rs, WEB, API, TCP, 32768));
        }

        @Test
        void protocolWithoutPortIsEveryPortOfThatProtocol() {
            var rs = compile(ingressPolicy("prod/p", APP_WEB, rule(List.of(), allOf(SCTP))));
            assertEquals(List.of(PortRange.all(SCTP)), grants(rs.get("n1"), true).get(0).ports());
            assertTrue(ingressAllows(rs, WEB, API, SCTP, 1));
            assertFalse(ingressAllows(rs, WEB, API, TCP, 1));
        }

        @Test
        void ingressNamedPortsResolvePerSelectedPod() {
            // web has http=80, api has http=8080: one rule, two grants.
            var rs = compile(ingressPolicy("prod/p", LabelSelector.EVERYTHING,
                    rule(peers(namespaces(selector("env=dev"))), named(TCP, "http"))));
            List<Grant> g = grants(rs.get("n1"), true);
            assertEquals(2, g.size());
            assertTrue(ingressAllows(rs, WEB, DEV_CLIENT, TCP, 80));
            assertFalse(ingressAllows(rs, WEB, DEV_CLIENT, TCP, 8080));
            assertTrue(ingressAllows(rs, API, DEV_CLIENT, TCP, 8080));
            assertFalse(ingressAllows(rs, API, DEV_CLIENT, TCP, 80));
        }

        @Test
        void namedPortsResolvePerProtocol() {
            // api declares dns only for UDP.
            var rs = compile(ingressPolicy("prod/p", selector("app=api"),
                    rule(List.of(), named(TCP, "dns")), rule(List.of(), named(UDP, "dns"))));
            assertFalse(ingressAllows(rs, API, DEV_CLIENT, TCP, 53));
            assertTrue(ingressAllows(rs, API, DEV_CLIENT, UDP, 53));
            assertEquals(1, grants(rs.get("n1"), true).size());
        }

        @Test
        void aNamedPortThatResolvesToNothingAllowsNothingButIsolates() {
            var rs = compile(ingressPolicy("prod/p", APP_WEB, rule(List.of(), named(TCP, "nope"))));
            assertEquals(set(addr(WEB)), rs.get("n1").ingress().isolated());
            assertTrue(rs.get("n1").ingress().grants().isEmpty());
        }

        @Test
        void namedAndNumberedPortsInOneRule() {
            var rs = compile(ingressPolicy("prod/p", LabelSelector.EVERYTHING,
                    rule(List.of(), named(TCP, "http"), tcp(9090))));
            assertTrue(ingressAllows(rs, WEB, DEV_CLIENT, TCP, 80));
            assertTrue(ingressAllows(rs, WEB, DEV_CLIENT, TCP, 9090));
            assertTrue(ingressAllows(rs, API, DEV_CLIENT, TCP, 8080));
            assertTrue(ingressAllows(rs, API, DEV_CLIENT, TCP, 9090));
            assertFalse(ingressAllows(rs, API, DEV_CLIENT, TCP, 80));
        }

        @Test
        void egressNamedPortsResolvePerDestinationPod() {
            // From dev/client to any prod pod on "http": web's 80, api's 8080; db has no http.
            var rs = compile(egressPolicy("dev/p", LabelSelector.EVERYTHING,
                    rule(peers(namespaces(selector("env=prod"))), named(TCP, "http"))));
            assertTrue(egressAllows(rs, DEV_CLIENT, WEB, TCP, 80));
            assertFalse(egressAllows(rs, DEV_CLIENT, WEB, TCP, 8080));
            assertTrue(egressAllows(rs, DEV_CLIENT, API, TCP, 8080));
            assertFalse(egressAllows(rs, DEV_CLIENT, API, TCP, 80));
            assertFalse(egressAllows(rs, DEV_CLIENT, DB, TCP, 80));
            assertFalse(egressAllows(rs, DEV_CLIENT, DB, TCP, 3306));
        }

        @Test
        void egressNamedPortsToAnyPeerMatchOnlyPods() {
            var rs = compile(egressPolicy("dev/p", selector("app=client"), rule(List.of(), named(TCP, "db"))));
            assertTrue(egressAllows(rs, DEV_CLIENT, DB, TCP, 3306));
            assertFalse(egressAllows(rs, DEV_CLIENT, ip("8.8.8.8"), TCP, 3306), "an address that is no pod has no names");
            assertFalse(egressAllows(rs, DEV_CLIENT, WEB, TCP, 3306));
        }

        @Test
        void egressNamedPortsToAnIpBlockMatchOnlyPodsInsideIt() {
            var rs = compile(egressPolicy("dev/p", selector("app=client"),
                    rule(peers(ipBlock("10.0.1.0/24")), named(TCP, "http"))));
            assertTrue(egressAllows(rs, DEV_CLIENT, WEB, TCP, 80));
            assertFalse(egressAllows(rs, DEV_CLIENT, DEV_WEB, TCP, 80), "dev/web has http but is outside the block");
        }

        @Test
        void egressNumberedPortsApplyToEveryPeer() {
            var rs = compile(egressPolicy("dev/p", selector("app=client"),
                    rule(peers(ipBlock("10.0.0.0/16")), tcp(3306), named(TCP, "http"))));
            assertTrue(egressAllows(rs, DEV_CLIENT, ip("10.0.200.1"), TCP, 3306));
            assertTrue(egressAllows(rs, DEV_CLIENT, WEB, TCP, 80));
            assertFalse(egressAllows(rs, DEV_CLIENT, ip("10.0.200.1"), TCP, 80));
        }
    }

    @Nested
    class Endpoints {

        @Test
        void dualStackPodsAreIsolatedAndMatchedOnBothFamilies() {
            Pod web = pod("prod/web", "n1", "app=web", "10.0.1.10,fd00:1::10", "http/TCP/80");
            Pod api = pod("prod/api", "n1", "app=api", "10.0.1.11,fd00:1::11", "");
            var rs = compile(List.of(web, api), ingressPolicy("prod/p", APP_WEB, rule(peers(pods(selector("app=api"))))));
            assertEquals(set(ip("10.0.1.10"), ip("fd00:1::10")), rs.get("n1").ingress().isolated());
            assertEquals(set(ip("10.0.1.11"), ip("fd00:1::11")), rs.get("n1").ingress().grants().get(0).peers().addresses());
            assertEquals(set(ip("10.0.1.10"), ip("fd00:1::10"), ip("10.0.1.11"), ip("fd00:1::11")), rs.get("n1").localPods());
            assertTrue(RuleSetVerdicts.allows(rs.get("n1").ingress(), ip("fd00:1::10"), ip("fd00:1::11"), TCP, 80));
        }

        @Test
        void hostNetworkPodsAreNeverSelectedNorPeers() {
            Pod host = pod("prod/agent", "n1", "app=web", "192.168.0.1", "http/TCP/80", true, Pod.Phase.Running);
            List<Pod> pods = new ArrayList<>(PODS);
            pods.add(host);
            var rs = compile(pods,
                    ingressPolicy("prod/p", APP_WEB, rule(peers(pods(APP_WEB)))),
                    egressPolicy("prod/q", selector("app=api"), rule(peers(pods(APP_WEB)), named(TCP, "http"))));
            assertEquals(set(addr(WEB)), rs.get("n1").ingress().isolated());
            assertFalse(rs.get("n1").localPods().contains(ip("192.168.0.1")));
            assertEquals(set(addr(WEB)), grants(rs.get("n1"), true).get(0).peers().addresses());
            assertFalse(egressAllows(rs, API, ip("192.168.0.1"), TCP, 80));
        }

        @Test
        void podsWithoutAddressesOrFinishedDropOut() {
            Pod pending = pod("prod/pending", "n1", "app=web", "", "", false, Pod.Phase.Pending);
            Pod done = pod("prod/done", "n1", "app=web", "10.0.1.50", "", false, Pod.Phase.Succeeded);
            Pod failed = pod("prod/failed", "n2", "app=web", "10.0.2.50", "", false, Pod.Phase.Failed);
            List<Pod> pods = new ArrayList<>(PODS);
            pods.addAll(List.of(pending, done, failed));
            var rs = compile(pods,
                    ingressPolicy("prod/p", APP_WEB, rule(peers(pods(APP_WEB)))),
                    ingressPolicy("prod/q", selector("app=db"), rule(peers(pods(APP_WEB)))));
            assertEquals(set(addr(WEB)), rs.get("n1").ingress().isolated());
            assertEquals(set(addr(WEB), addr(API), addr(DEV_CLIENT)), rs.get("n1").localPods());
            assertEquals(set(addr(DB), addr(DEV_WEB)), rs.get("n2").localPods());
            assertEquals(set(addr(WEB)), grants(rs.get("n2"), true).get(0).peers().addresses());
            assertFalse(ingressAllows(rs, DB, ip("10.0.1.50"), TCP, 1));
        }

        @Test
        void aPendingPodWithAnAddressIsAnEndpoint() {
            Pod starting = pod("prod/starting", "n1", "app=web", "10.0.1.60", "", false, Pod.Phase.Pending);
            List<Pod> pods = new ArrayList<>(PODS);
            pods.add(starting);
            var rs = compile(pods, ingressPolicy("prod/p", APP_WEB));
            assertEquals(set(addr(WEB), ip("10.0.1.60")), rs.get("n1").ingress().isolated());
        }

        @Test
        void podsOnOtherNodesAreNotLocal() {
            var rs = compile(ingressPolicy("prod/p", selector("app=db"), rule(peers(pods(APP_WEB)))));
            assertEquals(Set.of(), rs.get("n1").ingress().isolated());
            assertTrue(rs.get("n1").ingress().grants().isEmpty());
            assertFalse(rs.get("n1").localPods().contains(addr(DB)));
            assertEquals(set(addr(DB)), rs.get("n2").ingress().isolated());
            assertEquals(set(addr(DB)), grants(rs.get("n2"), true).get(0).pods());
        }

        @Test
        void grantsNameTheirLocalPodsOnly() {
            var rs = compile(ingressPolicy("prod/p", selector("tier=back"), Rule.ALLOW_ALL));
            assertEquals(set(addr(API)), grants(rs.get("n1"), true).get(0).pods());
            assertEquals(set(addr(DB)), grants(rs.get("n2"), true).get(0).pods());
        }

        @Test
        void everyNodeGetsARuleSetEvenWithoutPods() {
            Cluster c = new Cluster(NAMESPACES, List.of(node("n1", null), node("n2", null), node("n3", null)), PODS, List.of());
            var rs = new PolicyCompiler(new ClusterIndex(c)).compileAll();
            assertEquals(List.of("n1", "n2", "n3"), List.copyOf(rs.keySet()));
            assertEquals(NodeRuleSet.empty("n3"), rs.get("n3"));
        }
    }

    @Test
    void holdersNameThePodsOfEachLocalAddressByUidAndLeaveOutPodsWithoutOne() {
        Pod web = new Pod("prod", "web", "n1", Map.of("app", "web"), List.of(ip("10.0.1.10")), false, Pod.Phase.Running,
                List.of(), "uid-web");
        Pod old = new Pod("prod", "web-old", "n1", Map.of("app", "web"), List.of(ip("10.0.1.10")), false,
                Pod.Phase.Running, List.of(), "uid-web-old");
        NodeRuleSet n1 = compile(List.of(web, old, API)).get("n1");
        assertEquals(Map.of(ip("10.0.1.10"), new TreeSet<>(List.of("uid-web", "uid-web-old"))), n1.holders());
        assertTrue(n1.localPods().contains(ip("10.0.1.11")), "API is listed, without a uid to name it by");
    }
}
