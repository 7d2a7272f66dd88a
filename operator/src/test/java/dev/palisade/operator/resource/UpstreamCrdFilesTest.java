package dev.palisade.operator.resource;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy/crds/ also holds CRDs Palisade does not own but reads: ClusterNetworkPolicy, copied byte for byte from
 * sigs.k8s.io/network-policy-api v0.3.0, config/crd/standard. Their annotations say which release and channel
 * they are (other implementations and tools read {@code policy.networking.k8s.io/bundle-version}), so a hand
 * edit or a copy from the wrong channel fails here. Refresh: {@code go mod download -json
 * sigs.k8s.io/network-policy-api@vX} and copy the standard channel's file into deploy/crds and the chart's crds/.
 */
class UpstreamCrdFilesTest {

    static final Path FILE = CrdFilesTest.CRDS.resolve("clusternetworkpolicies.policy.networking.k8s.io.yaml");

    @Test
    void clusterNetworkPolicyIsTheStandardChannelOfV030() throws IOException {
        CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(FILE), CustomResourceDefinition.class);
        Map<String, String> annotations = crd.getMetadata().getAnnotations();
        assertEquals("v0.3.0", annotations.get("policy.networking.k8s.io/bundle-version"));
        assertEquals("standard", annotations.get("policy.networking.k8s.io/channel"));
        assertTrue(annotations.containsKey("api-approved.kubernetes.io"), annotations.toString());
        assertEquals("clusternetworkpolicies.policy.networking.k8s.io", crd.getMetadata().getName());
        assertEquals("Cluster", crd.getSpec().getScope());
        assertEquals("ClusterNetworkPolicy", crd.getSpec().getNames().getKind());
        // v1alpha2 is still served (not stored) so objects written before v0.3.0 keep reading; Palisade reads v1beta1
        assertEquals(List.of("v1alpha2", "v1beta1"), crd.getSpec().getVersions().stream().map(v -> v.getName()).toList());
        var v1beta1 = crd.getSpec().getVersions().get(1);
        assertTrue(v1beta1.getServed() && v1beta1.getStorage());
        assertTrue(v1beta1.getSubresources().getStatus() != null, "status subresource (the operator writes conditions)");
        // the standard channel has no nodes or domainNames peers; the projection treats them as unknown
        String text = Files.readString(FILE);
        assertTrue(!text.contains("domainNames:") && !text.contains("destinationNamedPort:"), "standard channel only");
    }

    @Test
    void noGeneratedHeaderSoItStaysByteForByteUpstream() throws IOException {
        assertTrue(Files.readString(FILE).startsWith("---\napiVersion: apiextensions.k8s.io/v1\n")
                || Files.readString(FILE).startsWith("apiVersion: apiextensions.k8s.io/v1\n"));
    }
}
