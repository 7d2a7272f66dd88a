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
 * A part of a large peer set, shared by reference between grants and nodes. Cluster-scoped, named
 * {@code as-<first 16 hex of the sha-256 of its canonical JSON>}, immutable: a different content is
 * a different object. The operator deletes parts no rule set references any more.
 */
@Group(PalisadeNodeRuleSet.GROUP)
@Version(PalisadeNodeRuleSet.VERSION)
@Singular("palisadeaddressset")
@Plural("palisadeaddresssets")
@ShortNames("pas")
@AdditionalPrinterColumn(name = "Entries", jsonPath = ".spec.entries", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class PalisadeAddressSet extends CustomResource<AddressSetSpec, Void> {

    public static PalisadeAddressSet of(String name, AddressSetSpec spec) {
        PalisadeAddressSet r = new PalisadeAddressSet();
        r.setMetadata(new ObjectMetaBuilder().withName(name).build());
        r.setSpec(spec);
        return r;
    }
}
