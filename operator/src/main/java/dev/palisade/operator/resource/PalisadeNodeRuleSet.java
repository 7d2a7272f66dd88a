package dev.palisade.operator.resource;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * One node's rule set, cluster-scoped and named after the node. The operator writes the spec (only
 * when its content hash changes, with a higher revision each time); the node's agent writes the
 * status once it has applied a revision.
 */
@Group(PalisadeNodeRuleSet.GROUP)
@Version(PalisadeNodeRuleSet.VERSION)
@Singular("palisadenoderuleset")
@Plural("palisadenoderulesets")
@ShortNames("pnrs")
@AdditionalPrinterColumn(name = "Node", jsonPath = ".spec.node", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Pods", jsonPath = ".spec.summary.pods", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Grants", jsonPath = ".spec.summary.grants", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Addresses", jsonPath = ".spec.summary.addresses", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Sets", jsonPath = ".spec.summary.addressSets", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Hash", jsonPath = ".spec.summary.hash", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Revision", jsonPath = ".spec.revision", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Applied", jsonPath = ".status.appliedRevision", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class PalisadeNodeRuleSet extends CustomResource<NodeRuleSetSpec, NodeRuleSetStatus> {

    public static final String GROUP = "palisade.dev";
    public static final String VERSION = "v1alpha1";

    public static PalisadeNodeRuleSet of(NodeRuleSetSpec spec) {
        PalisadeNodeRuleSet r = new PalisadeNodeRuleSet();
        r.setMetadata(new ObjectMetaBuilder().withName(spec.node()).build());
        r.setSpec(spec);
        return r;
    }
}
