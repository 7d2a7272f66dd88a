package dev.palisade.operator.resource;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * Whether a NetworkPolicy is in force: same namespace and name as the policy, written by the operator
 * only (agents report per node, on their PalisadeNodeRuleSet; the operator aggregates).
 * {@code kubectl get palisadepolicystatuses} (short name {@code pps}) shows "PROGRAMMED 42/42".
 */
@Group(PalisadeNodeRuleSet.GROUP)
@Version(PalisadeNodeRuleSet.VERSION)
@Singular("palisadepolicystatus")
@Plural("palisadepolicystatuses")
@ShortNames("pps")
@AdditionalPrinterColumn(name = "Programmed", jsonPath = ".status.programmed", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Generation", jsonPath = ".status.observedGeneration", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Problems", jsonPath = ".status.problemCount", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class PalisadePolicyStatus extends CustomResource<PolicyStatusSpec, PolicyStatusStatus> implements Namespaced {
}
