package dev.palisade.conformance;

import dev.palisade.conformance.ClusterSpec.PortDecl;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.palisade.conformance.Check.tcp;
import static dev.palisade.conformance.Check.tcpUdp;

/**
 * Seed 003 (courselabs' APOD app on k3d with Calico): deny-all, then the apod-web, apod-api and
 * apod-log policies with DNS egress to kube-dns and egress to the NASA API's address ranges; the
 * label-spoofing "sleep" pod; and the exercise's fix, the app in its own namespace.
 *
 * <p>Named ports do real work here: the policies say {@code port: api}, which is 8080 on apod-api
 * and 8081 on apod-log, so apod-web may reach each on its own api port only. The NASA ranges are
 * played by ext:nasa (192.168.251.141) inside {@code 192.168.251.141/24}, written non-canonically
 * like the lab's {@code 34.224.119.141/24}; ext:elsewhere (192.168.253.7) is outside both ranges.
 * The app runs twice: in {@code default} (the lab) and in {@code apod} (the exercise's solution).
 */
@Tag("kernel")
class ApodWalkthroughKernelTest extends ConformanceSuite {

    private static final String WEB = "default/apod-web";
    private static final String API = "default/apod-api";
    private static final String LOG = "default/apod-log";
    private static final String SLEEP = "default/sleep";
    private static final String DNS = "kube-system/coredns";
    private static final String A_WEB = "apod/apod-web";
    private static final String A_API = "apod/apod-api";
    private static final String A_LOG = "apod/apod-log";
    private static final List<String> LAB = List.of(WEB, API, LOG, SLEEP);

    static ClusterSpec cluster() {
        List<PortDecl> web = List.of(new PortDecl("web", Proto.TCP, 80));
        List<PortDecl> api = List.of(new PortDecl("api", Proto.TCP, 8080));
        List<PortDecl> log = List.of(new PortDecl("api", Proto.TCP, 8081));
        List<PortDecl> dns = List.of(new PortDecl("dns", Proto.UDP, 53), new PortDecl("dns-tcp", Proto.TCP, 53));
        return ClusterSpec.builder("seed-003-apod", 43)
                .node("n1", "10.43.1.0/24", "fd10:43:1::/64")
                .node("n2", "10.43.2.0/24", "fd10:43:2::/64")
                .node("n3", "10.43.3.0/24", "fd10:43:3::/64")
                .namespace("default", Map.of())
                .namespace("apod", Map.of())
                .namespace("kube-system", Map.of())
                .pod(WEB, "n1", Map.of("app", "apod-web"), web)
                .pod(API, "n2", Map.of("app", "apod-api"), api)
                .pod(LOG, "n3", Map.of("app", "apod-log"), log)
                // labs/networkpolicy/specs/apod-hack: a pod claiming to be the web app
                .pod(SLEEP, "n2", Map.of("app", "apod-web"), List.of())
                .pod(DNS, "n1", Map.of("k8s-app", "kube-dns"), dns)
                .pod(A_WEB, "n3", Map.of("app", "apod-web"), web)
                .pod(A_API, "n1", Map.of("app", "apod-api"), api)
                .pod(A_LOG, "n2", Map.of("app", "apod-log"), log)
                .external("nasa", "n2", "192.168.251.141", "fd00:251::141")
                .external("elsewhere", "n3", "192.168.253.7", "fd00:253::7")
                .build();
    }

    @Override
    protected ClusterSpec spec() {
        return cluster();
    }

    private List<String> targets() {
        List<String> all = new ArrayList<>(k.pods());
        all.add("ext:nasa");
        all.add("ext:elsewhere");
        return all;
    }

    /** deny-all in default: every lab pod is isolated both ways. */
    private static void labIsolated(Reachability r) {
        LAB.forEach(p -> r.expectAllIngress(p, false).expectAllEgress(p, false));
    }

    /** apod-web's "ingress: [{}]" (it and the spoofer carry app=apod-web): open to every pod outside default. */
    private static void webIngressOpen(Reachability r) {
        for (String s : r.sources()) {
            if (!s.startsWith("default/")) {
                r.expect(s, WEB, true).expect(s, SLEEP, true);
            }
        }
    }

    @Test
    @DisplayName("deny-all: the web app cannot reach the API, not even DNS")
    void denyAll() {
        k.scenario("apod-deny-all").policies("seeds/003-deny-all.yaml")
                .between(k.pods(), targets())
                .expect(tcp(80, 8080, 8081), ApodWalkthroughKernelTest::labIsolated)
                .expect(tcpUdp(53), ApodWalkthroughKernelTest::labIsolated)
                .run();
    }

    @Test
    @DisplayName("apod policies: web to api/log on their named api ports, DNS to kube-dns, api to the NASA ranges on 443; the spoofing pod gets the web app's access")
    void apodPolicies() {
        k.scenario("apod-policies").policies("seeds/003-deny-all.yaml", "seeds/003-apod-web.yaml",
                        "seeds/003-apod-api.yaml", "seeds/003-apod-log.yaml")
                .between(k.pods(), targets())
                .expect(tcp(8080), r -> {
                    labIsolated(r);
                    webIngressOpen(r);
                    // port "api" is 8080 on apod-api: the web app and, by its label alone, the spoofer
                    r.expect(WEB, API, true).expect(SLEEP, API, true);
                })
                .expect(tcp(8081), r -> {
                    labIsolated(r);
                    webIngressOpen(r);
                    // port "api" is 8081 on apod-log
                    r.expect(WEB, LOG, true).expect(SLEEP, LOG, true);
                })
                .expect(tcpUdp(53), r -> {
                    labIsolated(r);
                    webIngressOpen(r);
                    r.expect(WEB, DNS, true).expect(SLEEP, DNS, true).expect(API, DNS, true);
                })
                .expect(tcp(443).v4(), r -> {
                    labIsolated(r);
                    webIngressOpen(r);
                    r.expect(API, "ext:nasa", true);
                })
                .expect(tcp(443).v6(), r -> {
                    labIsolated(r);
                    webIngressOpen(r);
                })
                .expect(tcp(80), r -> {
                    labIsolated(r);
                    webIngressOpen(r);
                })
                .run();
    }

    @Test
    @DisplayName("the fix: the app in namespace apod with namespace-qualified peers; the spoofer in default gets nothing; 'egress: []' without policyTypes does not isolate egress")
    void ownNamespace() {
        k.scenario("apod-namespace").policies("seeds/003-solution-apod-namespace.yaml")
                .between(k.pods(), targets())
                .expect(tcp(8080), r -> {
                    r.expectAllIngress(A_API, false).expect(A_WEB, A_API, true);
                    r.expectAllIngress(A_LOG, false);
                    r.expectAllEgress(A_WEB, false).expect(A_WEB, A_API, true);
                    r.expectAllEgress(A_API, false);
                })
                .expect(tcp(8081), r -> {
                    r.expectAllIngress(A_API, false);
                    r.expectAllIngress(A_LOG, false).expect(A_WEB, A_LOG, true);
                    r.expectAllEgress(A_WEB, false).expect(A_WEB, A_LOG, true);
                    r.expectAllEgress(A_API, false);
                })
                .expect(tcpUdp(53), r -> {
                    r.expectAllIngress(A_API, false);
                    r.expectAllIngress(A_LOG, false);
                    r.expectAllEgress(A_WEB, false).expect(A_WEB, DNS, true);
                    r.expectAllEgress(A_API, false).expect(A_API, DNS, true);
                })
                .expect(tcp(443).v4(), r -> {
                    r.expectAllIngress(A_API, false);
                    r.expectAllIngress(A_LOG, false);
                    r.expectAllEgress(A_WEB, false);
                    r.expectAllEgress(A_API, false).expect(A_API, "ext:nasa", true);
                })
                .expect(tcp(443).v6(), r -> {
                    r.expectAllIngress(A_API, false);
                    r.expectAllIngress(A_LOG, false);
                    r.expectAllEgress(A_WEB, false);
                    r.expectAllEgress(A_API, false);
                })
                .run();
    }
}
