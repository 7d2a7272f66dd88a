package dev.palisade.operator;

import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * deploy/rbac/operator.yaml allows exactly what the operator does. The other API tests run the operator
 * as this ServiceAccount (a missing rule fails them); this table fails on a rule too many.
 */
class OperatorRbacApiTest {

    @ParameterizedTest(name = "{0} {1}/{2} {3} in ''{4}'': {5}")
    @CsvSource({
            // what it does
            "list,      '',                pods,                            '', '',              true",
            "watch,     '',                namespaces,                      '', '',              true",
            "watch,     '',                nodes,                           '', '',              true",
            "watch,     networking.k8s.io, networkpolicies,                 '', '',              true",
            "watch,     policy.networking.k8s.io, clusternetworkpolicies,   '', '',              true",
            "update,    policy.networking.k8s.io, clusternetworkpolicies,   status, '',          true",
            "patch,     palisade.dev,      palisadenoderulesets,            '', '',              true",
            "delete,    palisade.dev,      palisadeaddresssets,             '', '',              true",
            "patch,     palisade.dev,      palisadepolicystatuses,          status, app,         true",
            "create,    '',                events,                          '', app,             true",
            "update,    coordination.k8s.io, leases,                        '', palisade-system, true",
            // what it must not do
            "update,    networking.k8s.io, networkpolicies,                 '', app,             false",
            "delete,    networking.k8s.io, networkpolicies,                 '', app,             false",
            "update,    policy.networking.k8s.io, clusternetworkpolicies,   '', '',              false",
            "delete,    policy.networking.k8s.io, clusternetworkpolicies,   '', '',              false",
            "get,       '',                secrets,                         '', palisade-system, false",
            "list,      '',                secrets,                         '', '',              false",
            "patch,     '',                pods,                            '', app,             false",
            "delete,    '',                nodes,                           '', '',              false",
            "patch,     palisade.dev,      palisadenoderulesets,            status, '',          false",
            "update,    coordination.k8s.io, leases,                        '', kube-system,     false",
            "create,    '',                configmaps,                      '', palisade-system, false",
    })
    void serviceAccountMayDoExactlyThis(String verb, String group, String resource, String subresource,
                                         String namespace, boolean allowed) {
        KubernetesClient admin = TestCluster.get().admin();
        SubjectAccessReview review = admin.authorization().v1().subjectAccessReview().create(new SubjectAccessReviewBuilder()
                .withNewSpec().withUser(TestCluster.OPERATOR_USER)
                .withGroups(List.of("system:serviceaccounts", "system:serviceaccounts:" + TestCluster.OPERATOR_NAMESPACE,
                        "system:authenticated"))
                .withNewResourceAttributes().withVerb(verb).withGroup(group).withResource(resource)
                .withSubresource(subresource).withNamespace(namespace).endResourceAttributes()
                .endSpec().build());
        assertEquals(allowed, review.getStatus().getAllowed(), review.getStatus().toString());
    }
}
