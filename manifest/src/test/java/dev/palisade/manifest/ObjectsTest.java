package dev.palisade.manifest;

import dev.palisade.model.Cidr;
import dev.palisade.model.ContainerPort;
import dev.palisade.model.IpAddress;
import dev.palisade.model.Namespace;
import dev.palisade.model.Node;
import dev.palisade.model.Pod;
import dev.palisade.model.Protocol;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pods, nodes and namespaces: what policy needs of them, and their invalid fields. */
class ObjectsTest {

    @Test
    void podProjectsEverythingPolicyNeeds() {
        ManifestSet set = ManifestReader.readText("pod.yaml", """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: web-1
                  namespace: shop
                  labels: {app: web, tier: frontend}
                spec:
                  nodeName: worker-1
                  initContainers:
                  - name: migrate
                    ports: [{containerPort: 9999}]
                  - name: proxy
                    restartPolicy: Always
                    ports: [{name: proxy, containerPort: 15001}]
                  containers:
                  - name: nginx
                    ports:
                    - {name: http, containerPort: 80}
                    - {name: dns, containerPort: 53, protocol: UDP}
                status:
                  phase: Running
                  podIP: 10.244.1.10
                  podIPs:
                  - ip: 10.244.1.10
                  - ip: fd00:10:244:1::a
                """);
        assertEquals(List.of(), set.diagnostics());
        Pod pod = set.cluster().pods().get(0);
        assertEquals("shop/web-1", pod.key());
        assertEquals("worker-1", pod.nodeName());
        assertEquals(Map.of("app", "web", "tier", "frontend"), pod.labels());
        assertEquals(List.of(IpAddress.parse("10.244.1.10"), IpAddress.parse("fd00:10:244:1::a")), pod.ips());
        assertEquals(Pod.Phase.Running, pod.phase());
        assertFalse(pod.hostNetwork());
        assertEquals(List.of(new ContainerPort("dns", Protocol.UDP, 53), new ContainerPort("http", Protocol.TCP, 80),
                new ContainerPort("proxy", Protocol.TCP, 15001)), pod.ports(), "sidecars count, plain init containers do not");
        assertEquals(new Origin("pod.yaml", 1), set.origin(new ObjectRef("Pod", "shop", "web-1")).orElseThrow());
    }

    @Test
    void podWithoutStatusIsPendingWithoutAddresses() {
        ManifestSet set = ManifestReader.readText("pod.yaml", """
                apiVersion: v1
                kind: Pod
                metadata: {name: web-1}
                spec:
                  hostNetwork: true
                  containers: [{name: c}]
                """);
        Pod pod = set.cluster().pods().get(0);
        assertEquals("default", pod.namespace());
        assertTrue(pod.hostNetwork());
        assertEquals(Pod.Phase.Pending, pod.phase());
        assertEquals(List.of(), pod.ips());
    }

    static Stream<Arguments> invalidPodFields() {
        return Stream.of(
                Arguments.of("invalid podIP", "status: {podIP: 10.0.0.256}\n", "status.podIP", "invalid IP address \"10.0.0.256\""),
                Arguments.of("invalid podIPs entry", "status: {podIPs: [{ip: 10.0.0.1}, {ip: nope}]}\n", "status.podIPs[1].ip",
                        "invalid IP address \"nope\""),
                Arguments.of("container port out of range", "spec: {containers: [{name: c, ports: [{containerPort: 0}]}]}\n",
                        "spec.containers[0].ports[0].containerPort", "must be between 1 and 65535"),
                Arguments.of("container port protocol unknown",
                        "spec: {containers: [{name: c, ports: [{containerPort: 80, protocol: HTTP}]}]}\n",
                        "spec.containers[0].ports[0].protocol", "unsupported value \"HTTP\""),
                Arguments.of("container port name invalid",
                        "spec: {containers: [{name: c, ports: [{containerPort: 80, name: Web_Port}]}]}\n",
                        "spec.containers[0].ports[0].name", "invalid port name"),
                Arguments.of("container port not a number",
                        "spec: {containers: [{name: c, ports: [{containerPort: eighty}]}]}\n",
                        "spec.containers[0].ports[0].containerPort", "invalid value \"eighty\": expected an integer"),
                Arguments.of("invalid label", "metadata: {name: p, labels: {app: \"a b\"}}\n", "metadata.labels.app", "invalid label value"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidPodFields")
    void invalidPodFieldsAreErrors(String name, String body, String field, String message) {
        String yaml = "apiVersion: v1\nkind: Pod\n" + (body.startsWith("metadata") ? body : "metadata: {name: p}\n" + body);
        ManifestSet set = ManifestReader.readText("pod.yaml", yaml);
        assertEquals(1, set.errors().size(), set.diagnostics()::toString);
        Diagnostic d = set.errors().get(0);
        assertEquals(field, d.field(), name);
        assertEquals("Pod default/p", d.object());
        assertTrue(d.message().contains(message), d::toString);
    }

    @Test
    void invalidAddressLeavesTheOthers() {
        ManifestSet set = ManifestReader.readText("pod.yaml", """
                apiVersion: v1
                kind: Pod
                metadata: {name: p}
                status:
                  podIPs: [{ip: 10.0.0.1}, {ip: bogus}, {ip: "fd00::1"}]
                """);
        assertEquals(List.of(IpAddress.parse("10.0.0.1"), IpAddress.parse("fd00::1")), set.cluster().pods().get(0).ips());
    }

    @Test
    void nodeKeepsInternalAddressesAndPodCidrs() {
        ManifestSet set = ManifestReader.readText("node.yaml", """
                apiVersion: v1
                kind: Node
                metadata:
                  name: worker-1
                  labels: {kubernetes.io/hostname: worker-1}
                spec:
                  podCIDR: 10.244.1.0/24
                  podCIDRs: [10.244.1.0/24, "fd00:10:244:1::/64"]
                status:
                  addresses:
                  - {type: Hostname, address: worker-1}
                  - {type: ExternalIP, address: 203.0.113.7}
                  - {type: InternalIP, address: 172.18.0.3}
                  - {type: InternalIP, address: "fc00:f853:ccd:e793::3"}
                """);
        assertEquals(List.of(), set.diagnostics());
        Node node = set.cluster().nodes().get(0);
        assertEquals("worker-1", node.name());
        assertEquals(List.of(IpAddress.parse("172.18.0.3"), IpAddress.parse("fc00:f853:ccd:e793::3")), node.addresses());
        assertEquals(List.of(Cidr.parse("10.244.1.0/24"), Cidr.parse("fd00:10:244:1::/64")), node.podCidrs());
    }

    @Test
    void nodeWithInvalidAddressIsAnError() {
        ManifestSet set = ManifestReader.readText("node.yaml", """
                apiVersion: v1
                kind: Node
                metadata: {name: n}
                spec: {podCIDR: 10.244.1.0/33}
                status:
                  addresses: [{type: InternalIP, address: 172.18.0.999}]
                """);
        assertEquals(List.of("status.addresses[0].address", "spec.podCIDR"),
                set.errors().stream().map(Diagnostic::field).toList());
        assertEquals("Node n", set.errors().get(0).object());
    }

    @Test
    void namespaceCarriesItsNameLabel() {
        ManifestSet set = ManifestReader.readText("ns.yaml", """
                apiVersion: v1
                kind: Namespace
                metadata: {name: frontend, labels: {purpose: frontend}}
                """);
        Namespace ns = set.cluster().namespaces().get(0);
        assertEquals(Map.of("purpose", "frontend", Namespace.NAME_LABEL, "frontend"), ns.labels());
    }

    @Test
    void projectionWorksOnFabric8ObjectsAsInformersDeliverThem() {
        io.fabric8.kubernetes.api.model.Pod pod = new PodBuilder()
                .withNewMetadata().withName("api").withNamespace("apod").addToLabels("app", "apod-api")
                .withUid("7d0c5a1e-3f5b-4c1a-9a55-0c6f7e9b2d11").endMetadata()
                .withNewSpec().withNodeName("k3d-server-0").endSpec()
                .withNewStatus().withPhase("Running").withPodIP("10.42.0.9").endStatus()
                .build();
        Projected<Pod> projected = Projection.pod(pod);
        assertEquals(List.of(), projected.diagnostics());
        assertTrue(projected.value().orElseThrow().isPolicyEndpoint());
        assertEquals("7d0c5a1e-3f5b-4c1a-9a55-0c6f7e9b2d11", projected.value().orElseThrow().uid());

        Projected<Pod> nameless = Projection.pod(new PodBuilder().withNewMetadata().endMetadata().build());
        assertTrue(nameless.value().isEmpty());
        assertEquals("metadata.name", nameless.diagnostics().get(0).field());
    }
}
